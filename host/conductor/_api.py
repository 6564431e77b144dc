"""The module-level functions: :func:`extract`, :func:`chunk` and :func:`detect_format`,
each on a default :class:`Extractor` made on first use.

They live above the extractor, not beside the result types (httpx keeps its own in
``_api.py`` for the same reason): :mod:`conductor._models` then never imports the code
that makes the models, and no import cycle forms (``tests/test_layers.py``).
"""

from __future__ import annotations

import threading

from ._extract import Extractor, ocr_options
from ._models import Chunk, Document, Limits
from ._ocr import OcrOptions
from ._types import Encoding, Source

_default: Extractor | None = None
_default_lock = threading.Lock()


def _default_extractor() -> Extractor:
    global _default
    with _default_lock:
        if _default is None:
            _default = Extractor()
        return _default


def _extractor_for(limits: Limits | None) -> Extractor:
    extractor = _default_extractor()
    if limits is not None and limits.max_wasm_stack != extractor.limits.max_wasm_stack:
        # The stack size is an engine setting: another engine is needed.
        extractor = Extractor(limits, registry=extractor.registry)
    return extractor


def detect_format(
    data: bytes, *, media_type: str | None = None, filename: str | None = None
) -> str:
    """The format of the document ``data``, among those the installed plugins handle
    (the default :class:`Extractor`'s registry): magic bytes first, then the hints.

    :raises UnsupportedFormatError: for empty input and every other format, naming it.
    """
    detector = _default_extractor().registry.detector
    return detector.detect(data, media_type=media_type, filename=filename)


def extract(
    source: Source,
    *,
    pages: tuple[int, int] | None = None,
    limits: Limits | None = None,
    name: str | None = None,
    password: str | None = None,
    ocr: str | OcrOptions = "auto",
    ocr_languages: tuple[str, ...] = ("eng",),
    ocr_dpi: int = 300,
) -> Document:
    """Extracts ``source`` with the module's default :class:`Extractor`.

    See :meth:`Extractor.extract` (``password`` too); ``limits`` applies to this call only.
    ``ocr`` (``"auto"``, ``"off"``, ``"force"``), ``ocr_languages`` and ``ocr_dpi``: see
    :class:`Extractor`; the fallback engine is the Extractor's (``fallback="pdfium"``).
    """
    extractor = _extractor_for(limits)
    return extractor._extract(
        source,
        pages=pages,
        name=name,
        format=None,
        limits=limits or extractor.limits,
        password=password,
        ocr=ocr_options(ocr, ocr_languages, ocr_dpi),
    )


def chunk(
    document: Document,
    *,
    max_tokens: int = 512,
    overlap_tokens: int = 0,
    encoding: Encoding = "cl100k_base",
    respect_paragraphs: bool = True,
    limits: Limits | None = None,
) -> list[Chunk]:
    """Splits ``document.text`` into chunks of at most ``max_tokens`` tokens.

    Each chunk's ``tokens`` is its exact count in ``encoding``; chunks split at section,
    then paragraph (blank line), then sentence, then word boundaries, in that order of
    preference, and end mid-sentence only when one sentence alone is over ``max_tokens``.
    Without overlap they are contiguous and concatenate back to ``document.text``; with
    ``overlap_tokens``, each after the first starts with up to that many tokens of the end
    of the one before. ``section`` is the nearest heading at or before the chunk: a DOCX
    heading, a PDF outline entry, or an agenda heading detected in the text
    (``1. CALL TO ORDER``, ``ITEM 5.A``, ``CONSENT CALENDAR``).

    Runs the chunker plugin sandboxed with the default :class:`Extractor`'s instance for
    this thread (``limits`` applies to this call only).

    :param encoding: ``"cl100k_base"`` (GPT-3.5/4) or ``"o200k_base"`` (GPT-4o).
    :param respect_paragraphs: prefer blank lines over sentence ends as split points.
    :raises InvalidConfigError: for a configuration that cannot be satisfied.
    :raises ConductorError: another subclass (stage ``chunk``) when the plugin fails.
    """
    return _extractor_for(limits)._chunk(
        document,
        max_tokens=max_tokens,
        overlap_tokens=overlap_tokens,
        encoding=encoding,
        respect_paragraphs=respect_paragraphs,
        limits=limits,
    )


__all__ = ["chunk", "detect_format", "extract"]
