"""The opt-in fallback engine and the reference engines of ``conductor compare``: a PDF's
text page by page from pypdfium2 (or PyMuPDF) in a limited child process.

A PDF the sandboxed plugin failed on is hostile or broken by definition, so the fallback
gets the same treatment as the renderer: its own process with an address-space and CPU
limit, no inherited descriptors and a deadline.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

from conductor._errors import ConductorError, UnsupportedFormatError
from conductor._models import Document, ExtractWarning, Metadata, Page

from ._limited import ChildFailure, ChildLimits, python_child, run_limited

FALLBACK_ENGINES = ("pdfium",)
"""Values of ``fallback=`` (``None``: no fallback)."""

FALLBACK_ENGINE = "pdfium-fallback"
"""``Document.engine`` of a document the fallback extracted."""

REFERENCE_ENGINES = {"pdfium": "pypdfium2", "pymupdf": "pymupdf"}
"""Reference engines of ``conductor compare`` and the module each needs."""


def require_engine(engine: str, *, document: str) -> None:
    """Checks that ``engine`` (a :data:`REFERENCE_ENGINES` key) can run here.

    :raises UnsupportedFormatError: when its Python package is not installed (PyMuPDF is
        optional: the ``bench`` extra).
    """
    module = REFERENCE_ENGINES.get(engine)
    if module is None:
        raise ValueError(f"unknown engine {engine!r}: one of {', '.join(REFERENCE_ENGINES)}")
    if importlib.util.find_spec(module) is None:
        raise UnsupportedFormatError(
            f"the reference engine {engine!r} needs the Python package {module!r}, which is "
            "not installed",
            document=document,
            stage="compare",
            hint=f"pip install {module} (or the bench extra: pip install "
            "'engagic-conductor[bench]')",
        )


def reference_pages(engine: str, pdf: Path, limits: ChildLimits) -> list[str]:
    """The text of each page of ``pdf`` by ``engine`` (a :data:`REFERENCE_ENGINES` key).

    :raises UnsupportedFormatError: when the engine's package is not installed.
    :raises ChildFailure: when the engine fails on the file or hits a limit.
    """
    require_engine(engine, document=str(pdf))
    out = run_limited(python_child("text", engine, str(pdf)), limits, what=engine)
    try:
        pages = json.loads(out)["pages"]
    except (ValueError, KeyError, TypeError) as e:
        raise ChildFailure("refused", f"{engine} wrote output that is not its page list") from e
    if not isinstance(pages, list) or not all(isinstance(p, str) for p in pages):
        raise ChildFailure("refused", f"{engine} wrote output that is not its page list")
    return pages


def fallback_document(
    pdf: Path, *, source: str, sha256: str, cause: ConductorError, limits: ChildLimits
) -> Document:
    """``pdf`` extracted by pypdfium2 after the plugin failed with ``cause``; marked
    ``engine="pdfium-fallback"`` with a warning ``fallback`` naming the cause.

    :raises ConductorError: ``cause`` itself (its message saying why the fallback failed
        too) when the fallback cannot extract the file either.
    """
    try:
        texts = reference_pages("pdfium", pdf, limits)
    except (ChildFailure, UnsupportedFormatError) as e:
        cause.message += f"; the pdfium fallback failed too: {e}"
        raise cause from None
    pages = []
    for number, text in enumerate(texts, 1):
        chars = sum(1 for c in text if not c.isspace())
        reason = None if chars else "no_text_layer"
        pages.append(Page(number, text, chars, needs_ocr=not chars, ocr_reason=reason))
    warning = ExtractWarning(
        "fallback",
        f"the PDF plugin failed ({cause.kind}: {cause.message}); the text is pdfium's",
    )
    return Document(
        source=source,
        format="pdf",
        sha256=sha256,
        page_count=len(pages),
        metadata=Metadata(page_count=len(pages)),
        pages=pages,
        warnings=[warning],
        engine=FALLBACK_ENGINE,
    )
