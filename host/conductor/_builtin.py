"""The built-in plugins shipped in the wheel, registered through the same hook as others."""

from __future__ import annotations

from pathlib import Path

from ._hookspecs import PluginSpec, hookimpl

COMPONENTS = Path(__file__).resolve().parent / "_components"


@hookimpl
def conductor_register_plugins() -> list[PluginSpec]:
    """The PDF extractor (``_components/pdf.wasm``)."""
    return [PluginSpec("pdf", ("pdf",), COMPONENTS / "pdf.wasm")]
