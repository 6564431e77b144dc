"""The built-in plugins shipped in the wheel, registered through the same hook as others."""

from __future__ import annotations

from pathlib import Path

from ._formats import DOCX, PDF
from ._hookspecs import PluginSpec, hookimpl

COMPONENTS = Path(__file__).resolve().parent / "_components"

PLUGINS = Path(__file__).resolve().parent / "_plugins"
"""The package's plugin directory: the HTML and plain-text drop-ins, shipped in the wheel
and loaded as plugin folders (``plugin.toml`` beside the component) ranked as built-ins."""

CHUNKER = COMPONENTS / "chunker.wasm"
"""The chunker component (world ``chunker``; not a format plugin, so not registered)."""


@hookimpl
def conductor_register_plugins() -> list[PluginSpec]:
    """The PDF extractor (``_components/pdf.wasm``), and the DOCX extractor
    (``_components/docx.wasm``) when it is built.

    PDF is registered even when its component is missing, so that extracting a PDF says
    how to build it; a missing DOCX component means DOCX is not supported.
    """
    pdf = PluginSpec(
        "pdf", ("pdf",), COMPONENTS / "pdf.wasm", format_specs=(PDF,), page_parallel=True
    )
    specs = [pdf]
    docx = COMPONENTS / "docx.wasm"
    if docx.is_file():
        specs.append(PluginSpec("docx", ("docx",), docx, format_specs=(DOCX,)))
    return specs
