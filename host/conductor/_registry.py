"""The plugin manager: which plugins exist, which one handles a format, and whether it may run.

The manager is built in a fixed order, as pytest builds its own: hook specs, setuptools
entry points (group ``conductor.plugins``, each loaded on its own so that one broken
package cannot hide the others), the built-ins, the plugin directories, then plugins
passed in by the caller, ending in ``check_pending()``. Every plugin then answers the one
hook, :func:`~conductor._hookspecs.conductor_register_plugins`.

Dispatch order for a format: a pin (``pins``, or ``$CONDUCTOR_PIN``) names the one plugin
to use; otherwise the highest ``priority``, then the caller's plugins over plugin
directories over entry points over built-ins, then discovery order. A plugin found broken
when it is first loaded (its component does not compile, is of the wrong world, traps in
``info()``, or disagrees with its manifest) is moved to :attr:`Registry.rejected` and the
next candidate takes over.
"""

from __future__ import annotations

import importlib.metadata
import os
import re
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import pluggy

from . import _builtin, _hookspecs
from ._detect import Detector
from ._errors import InvalidConfigError, PluginFailureError
from ._formats import FormatSpec
from ._hookspecs import ENTRY_POINT_GROUP, PROJECT, PluginInfo, PluginSpec
from ._plugin_dirs import DirectoryPlugins, default_plugin_path

HOST_API_VERSION = "0.3.0"
"""The ``engagic:conductor`` WIT version this host implements."""

PIN_ENV = "CONDUCTOR_PIN"
"""``FORMAT=PLUGIN[,FORMAT=PLUGIN...]``: the default pins."""

_VERSION = re.compile(r"^(\d+)\.(\d+)\.(\d+)(?:[-+].*)?$")

Origin = Literal["builtin", "entry-point", "directory", "caller"]
_RANK: dict[str, int] = {"builtin": 0, "entry-point": 1, "directory": 2, "caller": 3}


@dataclass(frozen=True)
class Plugin:
    """A plugin the registry found, and where.

    :param origin: ``builtin``, ``entry-point``, ``directory`` or ``caller``.
    :param location: the manifest file, the entry point (``name = module (dist)``), or
        the module/object that registered it.
    """

    spec: PluginSpec
    origin: Origin
    location: str


@dataclass(frozen=True)
class Rejection:
    """A plugin that was found but cannot be used, and why."""

    name: str
    origin: Origin
    location: str
    reason: str


def parse_pins(text: str) -> dict[str, str]:
    """``"html=html,text=plaintext"`` -> ``{"html": "html", "text": "plaintext"}``.

    :raises InvalidConfigError: for an entry that is not ``FORMAT=PLUGIN``.
    """
    pins: dict[str, str] = {}
    for item in text.split(","):
        if not item.strip():
            continue
        fmt, eq, name = item.partition("=")
        if not eq or not fmt.strip() or not name.strip():
            raise InvalidConfigError(
                f"bad plugin pin {item.strip()!r}: expected FORMAT=PLUGIN",
                stage="load",
                hint=f"write pins as FORMAT=PLUGIN, comma-separated (${PIN_ENV}, --pin)",
            )
        pins[fmt.strip()] = name.strip()
    return pins


class Registry:
    """Every plugin found, and the dispatch from format to plugin. Thread-safe.

    :param plugins: extra objects or modules with ``@hookimpl`` functions (tests, embedders).
    :param entry_points: also load the ``conductor.plugins`` entry points.
    :param plugin_path: plugin directories (default: ``$CONDUCTOR_PLUGIN_PATH``, then the
        per-user directory); ``[]`` for none.
    :param pins: format -> plugin name to use for it (default: ``$CONDUCTOR_PIN``).
    :raises InvalidConfigError: ``$CONDUCTOR_PIN`` is malformed.
    """

    def __init__(
        self,
        plugins: Iterable[object] = (),
        *,
        entry_points: bool = True,
        plugin_path: Iterable[str | os.PathLike[str]] | None = None,
        pins: Mapping[str, str] | None = None,
    ) -> None:
        self._lock = threading.Lock()
        self.rejected: list[Rejection] = []
        self.pins = dict(pins) if pins is not None else parse_pins(os.environ.get(PIN_ENV, ""))
        paths = default_plugin_path() if plugin_path is None else [Path(p) for p in plugin_path]
        self.plugin_path = paths
        pm = pluggy.PluginManager(PROJECT)
        pm.add_hookspecs(_hookspecs)
        origins: dict[int, tuple[Origin, str]] = {}
        if entry_points:
            self._load_entry_points(pm, origins)
        pm.register(_builtin, name="conductor.builtin")
        origins[id(_builtin)] = ("builtin", _builtin.__name__)
        dirs = DirectoryPlugins(paths)
        pm.register(dirs, name="conductor.plugin-path")
        origins[id(dirs)] = ("directory", "")
        for plugin in plugins:
            pm.register(plugin)
            origins[id(plugin)] = ("caller", getattr(plugin, "__name__", type(plugin).__name__))
        pm.check_pending()
        self._pm = pm
        self.rejected += [
            Rejection(r.name, "directory", str(r.location), r.reason) for r in dirs.rejected
        ]
        manifests = {id(spec): str(path) for spec, path in dirs.found}
        # The drop-ins shipped in the package's plugin directory (html, plaintext) are
        # plugin folders like any other, ranked as built-ins: every other plugin for their
        # format wins over them.
        shipped = {id(spec) for spec, path in dirs.found if path.parent.parent == _builtin.PLUGINS}
        found: list[Plugin] = []
        for impl in pm.hook.conductor_register_plugins.get_hookimpls():
            origin, location = origins.get(id(impl.plugin), ("caller", impl.plugin_name))
            try:
                specs = impl.function()
                if not isinstance(specs, list | tuple) or not all(
                    isinstance(s, PluginSpec) for s in specs
                ):
                    raise TypeError(f"returned {specs!r}, not a list of PluginSpec")
            except Exception as e:
                self.rejected.append(
                    Rejection(impl.plugin_name, origin, location, f"its hook failed: {e!r}")
                )
                continue
            for spec in specs:
                where = manifests.get(id(spec), location or str(spec.component_path))
                plugin = Plugin(spec, "builtin" if id(spec) in shipped else origin, where)
                if spec.api_version is not None:
                    try:
                        check_api_version(spec.api_version)
                    except PluginFailureError as e:
                        self.rejected.append(Rejection(spec.name, origin, where, e.message))
                        continue
                found.append(plugin)
        # get_hookimpls() lists in registration order: discovery order breaks the ties.
        order = {id(p): i for i, p in enumerate(found)}
        found.sort(key=lambda p: (-p.spec.priority, -_RANK[p.origin], order[id(p)]))
        self._plugins = found
        self._infos: dict[Path, PluginInfo] = {}
        self._detector: Detector | None = None

    def _load_entry_points(
        self, pm: pluggy.PluginManager, origins: dict[int, tuple[Origin, str]]
    ) -> None:
        for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
            dist = getattr(ep.dist, "name", None) or "?"
            location = f"{ep.name} = {ep.value} ({dist})"
            if pm.get_plugin(ep.name) is not None:
                continue
            try:
                plugin = ep.load()
                pm.register(plugin, name=ep.name)
            except Exception as e:
                self.rejected.append(
                    Rejection(ep.name, "entry-point", location, f"cannot load it: {e!r}")
                )
                continue
            origins[id(plugin)] = ("entry-point", location)

    # -- what was found ---------------------------------------------------------------

    @property
    def plugins(self) -> list[Plugin]:
        """The usable plugins, best first."""
        with self._lock:
            return list(self._plugins)

    @property
    def formats(self) -> list[str]:
        """Formats some usable plugin handles, sorted."""
        with self._lock:
            return sorted({f for p in self._plugins for f in p.spec.formats})

    def candidates(self, fmt: str) -> list[PluginSpec]:
        """The plugins that handle ``fmt``, in the order they are tried.

        :raises InvalidConfigError: ``fmt`` is pinned to a plugin that is not usable.
        """
        with self._lock:
            claims = [p.spec for p in self._plugins if fmt in p.spec.formats]
            pinned = self.pins.get(fmt)
            if pinned is None:
                return claims
            chosen = [s for s in claims if s.name == pinned]
            if chosen:
                return chosen[:1]
            why = next((r.reason for r in self.rejected if r.name == pinned), None)
        state = f"was rejected: {why}" if why else "is not installed for it"
        raise InvalidConfigError(
            f"format {fmt!r} is pinned to plugin {pinned!r}, which {state} (plugins for "
            f"{fmt!r}: {', '.join(s.name for s in claims) or 'none'})",
            stage="load",
            hint="fix the pin (pins=, $CONDUCTOR_PIN, --pin) or install that plugin; "
            "`conductor plugins` lists what was found",
        )

    def plugin_for(self, fmt: str) -> PluginSpec | None:
        """The plugin tried first for ``fmt``, if any (see :meth:`candidates`)."""
        found = self.candidates(fmt)
        return found[0] if found else None

    @property
    def detector(self) -> Detector:
        """Recognises every format a usable plugin handles, from their declared specs."""
        with self._lock:
            if self._detector is None:
                specs: dict[str, FormatSpec] = {}
                best: dict[str, int] = {}
                for p in self._plugins:
                    declared = {f.name: f for f in p.spec.format_specs}
                    for fmt in p.spec.formats:
                        spec = declared.get(fmt, FormatSpec(fmt))
                        specs[fmt] = specs[fmt].merged(spec) if fmt in specs else spec
                        best[fmt] = max(best.get(fmt, p.spec.priority), p.spec.priority)
                self._detector = Detector((specs[f], best[f]) for f in specs)
            return self._detector

    # -- what loading them showed -----------------------------------------------------

    def info(self, spec: PluginSpec) -> PluginInfo | None:
        """What the plugin's component said about itself, once it was loaded."""
        with self._lock:
            return self._infos.get(spec.component_path)

    def accept(self, spec: PluginSpec, info: PluginInfo) -> None:
        """Records that ``spec``'s component loaded and agrees with it."""
        with self._lock:
            self._infos[spec.component_path] = info

    def reject(self, spec: PluginSpec, reason: str) -> None:
        """Takes ``spec`` out of dispatch: its component turned out to be broken."""
        with self._lock:
            for p in self._plugins:
                if p.spec is spec:
                    self._plugins.remove(p)
                    self.rejected.append(Rejection(spec.name, p.origin, p.location, reason))
                    self._detector = None
                    return


def check_api_version(plugin_version: str, host_version: str = HOST_API_VERSION) -> None:
    """Accepts a plugin built for the host's major version and a minor version no newer.

    :raises PluginFailureError: naming both versions otherwise.
    """
    plugin = _VERSION.match(plugin_version)
    host = _VERSION.match(host_version)
    if host is None:
        raise ValueError(f"bad host API version {host_version!r}")
    compatible = (
        plugin is not None
        and plugin.group(1) == host.group(1)
        and int(plugin.group(2)) <= int(host.group(2))
    )
    if not compatible:
        raise PluginFailureError(
            f"plugin API version {plugin_version!r} is incompatible with host API version "
            f"{host_version!r} (needs {host.group(1)}.x with minor <= {host.group(2)})",
            stage="load",
            hint="rebuild the plugin against this host's wit/, or upgrade engagic-conductor",
        )


def check_info(spec: PluginSpec, info: PluginInfo, *, document: str | None = None) -> None:
    """Checks a component's ``info()`` against what its package claimed for it.

    :raises PluginFailureError: on an incompatible API version or a mismatch.
    """
    try:
        check_api_version(info.api_version)
    except PluginFailureError as e:
        e.message = f"{spec.name} ({spec.component_path.name}): {e.message}"
        e.document = document or e.document
        raise
    missing = [f for f in spec.formats if f not in info.formats]
    for field, claimed, actual in (
        ("version", spec.version, info.version),
        ("api-version", spec.api_version, info.api_version),
    ):
        if claimed is not None and claimed != actual:
            raise PluginFailureError(
                f"component {spec.component_path.name} says its {field} is {actual!r}, but "
                f"its manifest says {claimed!r}",
                document=document,
                stage="load",
                hint="rebuild the plugin, or fix its plugin.toml to match the component",
            )
    if info.name != spec.name or missing:
        raise PluginFailureError(
            f"component {spec.component_path.name} says it is {info.name!r} for formats "
            f"{list(info.formats)}, but was registered as {spec.name!r} for {list(spec.formats)}",
            document=document,
            stage="load",
            hint="fix the plugin's registration (its plugin.toml or conductor_register_plugins)",
        )


__all__ = [
    "HOST_API_VERSION",
    "PIN_ENV",
    "Plugin",
    "Registry",
    "Rejection",
    "check_api_version",
    "check_info",
    "parse_pins",
]
