"""pluggy hook specifications: how a package contributes format plugins.

A package exposes a module (or object) with ``@hookimpl``-decorated functions under the
setuptools entry-point group ``conductor.plugins``; the built-in PDF plugin is registered
the same way from :mod:`conductor._builtin`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pluggy

PROJECT = "conductor"
ENTRY_POINT_GROUP = "conductor.plugins"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@dataclass(frozen=True)
class PluginSpec:
    """A format plugin a package offers: a WebAssembly component implementing the
    ``engagic:conductor/extractor`` world.

    :param name: short unique name, e.g. ``pdf``; must match the component's ``info().name``.
    :param formats: formats it handles, e.g. ``("pdf",)``; each must be in ``info().formats``.
    :param component_path: the component file (``.wasm``).
    """

    name: str
    formats: tuple[str, ...]
    component_path: Path


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

    Plugins registered later (entry points) override built-ins for the same format.

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
