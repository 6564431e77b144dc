"""pluggy hook specifications: how a package contributes format plugins.

A package exposes a module (or object) with ``@hookimpl``-decorated functions under the
setuptools entry-point group ``conductor.plugins``; the built-in PDF plugin is registered
the same way from :mod:`conductor._builtin`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pluggy

from ._formats import FormatSpec

PROJECT = "conductor"
ENTRY_POINT_GROUP = "conductor.plugins"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@dataclass(frozen=True)
class PluginSpec:
    """A format plugin: a WebAssembly component implementing the
    ``engagic:conductor/extractor`` world, and what it claims.

    A package passes the first three; a plugin directory's manifest fills in the rest.

    :param name: short unique name, e.g. ``pdf``; must match the component's ``info().name``.
    :param formats: formats it handles, e.g. ``("pdf",)``; each must be in ``info().formats``.
    :param component_path: the component file (``.wasm``).
    :param version: the plugin's version; when given, ``info().version`` must equal it.
    :param api_version: the WIT version it was built against; when given, it must be
        compatible with the host's and ``info().api_version`` must equal it.
    :param priority: when several plugins claim a format, the highest priority wins
        (built-ins are 0).
    :param format_specs: how to recognise its formats (signatures, media types,
        extensions); a format named in ``formats`` without one is recognised only by the
        specs other plugins give for the same name, or chosen explicitly.
    :param limits: lower values of :class:`~conductor.Limits` fields for this plugin
        (``memory_mb``, ``timeout_s``, ``max_pages``, ``max_chars_per_page``).
    :param page_parallel: the plugin renders a page range faster than the whole document
        and computes document-level fields (metadata, outline) whole on every call, so a
        large document may be split into ranges extracted in parallel.
    """

    name: str
    formats: tuple[str, ...]
    component_path: Path
    version: str | None = None
    api_version: str | None = None
    priority: int = 0
    format_specs: tuple[FormatSpec, ...] = ()
    limits: Mapping[str, float] = field(default_factory=dict)
    page_parallel: bool = False


@dataclass(frozen=True)
class PluginInfo:
    """What a component says about itself (WIT ``plugin-info``)."""

    name: str
    version: str
    api_version: str
    formats: tuple[str, ...]


@hookspec
def conductor_register_plugins() -> list[PluginSpec]:  # type: ignore[empty-body]
    """Offers format plugins.

    When several plugins claim a format, the highest ``priority`` wins; on a tie, plugins
    passed by the caller beat plugin directories, which beat entry points, which beat the
    built-ins.

    :return: the plugins this package provides.
    """


__all__ = [
    "ENTRY_POINT_GROUP",
    "PROJECT",
    "PluginInfo",
    "PluginSpec",
    "conductor_register_plugins",
    "hookimpl",
    "hookspec",
]
