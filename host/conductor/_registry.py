"""The plugin manager: which component handles which format, and whether it may run.

The manager is built in a fixed order, as pytest builds its own: hook specs, setuptools
entry points (group ``conductor.plugins``), the built-ins, then plugins passed in by the
caller, ending in ``check_pending()``. For a format claimed twice the caller's plugins win
over entry points, which win over built-ins.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import cast

import pluggy

from . import _builtin, _hookspecs
from ._errors import PluginFailureError
from ._hookspecs import ENTRY_POINT_GROUP, PROJECT, PluginInfo, PluginSpec

HOST_API_VERSION = "0.2.0"
"""The ``engagic:conductor`` WIT version this host implements."""

_VERSION = re.compile(r"^(\d+)\.(\d+)\.(\d+)(?:[-+].*)?$")


class Registry:
    """Format name -> :class:`PluginSpec`, from every registered hook implementation.

    :param plugins: extra objects or modules with ``@hookimpl`` functions (tests, embedders).
    :param entry_points: also load the ``conductor.plugins`` entry points.
    """

    def __init__(self, plugins: Iterable[object] = (), *, entry_points: bool = True) -> None:
        pm = pluggy.PluginManager(PROJECT)
        pm.add_hookspecs(_hookspecs)
        if entry_points:
            pm.load_setuptools_entrypoints(ENTRY_POINT_GROUP)
        pm.register(_builtin, name="conductor.builtin")
        extra = list(plugins)
        for plugin in extra:
            pm.register(plugin)
        pm.check_pending()
        self._pm = pm

        def rank(impl: pluggy.HookImpl) -> int:
            if impl.plugin is _builtin:
                return 0
            return 2 if any(impl.plugin is p for p in extra) else 1

        impls = sorted(pm.hook.conductor_register_plugins.get_hookimpls(), key=rank)
        self._by_format: dict[str, PluginSpec] = {}
        for impl in impls:
            specs = cast("list[PluginSpec] | None", impl.function()) or []
            for spec in specs:
                for fmt in spec.formats:
                    self._by_format[fmt] = spec

    @property
    def formats(self) -> list[str]:
        """Formats some plugin handles, sorted."""
        return sorted(self._by_format)

    def plugin_for(self, fmt: str) -> PluginSpec | None:
        """The plugin that handles ``fmt``, if any."""
        return self._by_format.get(fmt)


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
    if info.name != spec.name or missing:
        raise PluginFailureError(
            f"component {spec.component_path.name} says it is {info.name!r} for formats "
            f"{list(info.formats)}, but was registered as {spec.name!r} for {list(spec.formats)}",
            document=document,
            stage="load",
            hint="fix the plugin's registration (conductor_register_plugins)",
        )


__all__ = ["HOST_API_VERSION", "Registry", "check_api_version", "check_info"]
