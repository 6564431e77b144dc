"""OCR of pages without a usable text layer, and the pdfium engines, each in a limited
child process (the renderer and tesseract cannot be sandboxed in wasm).

- :mod:`._limited`: one child process under ``RLIMIT_AS``/``RLIMIT_CPU``, no inherited
  descriptors, a minimal environment and a deadline; :mod:`._child` is what runs in it;
- :mod:`._tesseract`: the installed tesseract, reading one page image;
- :mod:`._pages`: :class:`OcrEngine`, the pages of a document rendered and read;
- :mod:`._fallback`: pypdfium2 (or PyMuPDF) text, the fallback engine and the references of
  ``conductor compare``.
"""

from ._fallback import (
    FALLBACK_ENGINE,
    FALLBACK_ENGINES,
    REFERENCE_ENGINES,
    fallback_document,
    reference_pages,
    require_engine,
)
from ._limited import ChildFailure, ChildLimits
from ._pages import OCR_MODES, OcrEngine, OcrOptions, PageProgress
from ._tesseract import Tesseract, find_tesseract

__all__ = [
    "FALLBACK_ENGINE",
    "FALLBACK_ENGINES",
    "OCR_MODES",
    "REFERENCE_ENGINES",
    "ChildFailure",
    "ChildLimits",
    "OcrEngine",
    "OcrOptions",
    "PageProgress",
    "Tesseract",
    "fallback_document",
    "find_tesseract",
    "reference_pages",
    "require_engine",
]
