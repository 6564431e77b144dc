"""Result dataclasses and the limits that bound an extraction.

``Document.to_dict()`` is exactly ``conductor extract --json``'s output, ``Chunk.to_dict()``
one element of ``conductor chunk --json``'s ``"chunks"``.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

from ._types import Encoding

PAGINATIONS = ("fixed", "page_breaks", "rendered_page_breaks", "single")
"""Values of :attr:`Document.pagination` (WIT ``pagination``, in snake case)."""


LIMITS_CEILINGS: dict[str, int] = {
    "memory_mb": 4096,  # a wasm32 linear memory cannot grow past 4 GiB
    "timeout_s": 86_400,  # a day: longer is a hang, not a deadline
    "max_chars_per_page": (1 << 32) - 1,  # WIT u32
    "max_pages": (1 << 32) - 1,  # WIT u32
}
"""The most each :class:`Limits` field may be (fields not named have no ceiling)."""


@dataclass(frozen=True)
class Limits:
    """Bounds on one extraction; every field must be positive, finite and at most its
    :data:`LIMITS_CEILINGS` entry (``ValueError`` otherwise, at construction).

    :param memory_mb: linear memory the plugin may use for one document, in MiB. The
        default, 768, keeps a whole process under 1 GiB with a hostile document: the
        host's own ~150 MiB (interpreter, engine, compiled plugins) plus the limit. A
        document split into page ranges shares it between its instances (see
        :class:`conductor.Extractor`'s ``page_workers``); a batch running N documents at
        once can use N times it.
    :param timeout_s: wall-clock deadline for one document, in seconds.
    :param max_chars_per_page: longer page texts are cut (warning ``truncated``).
    :param max_pages: documents with more pages are refused (``TooLargeError``).
    :param max_bytes: documents larger than this are refused before any plugin runs.
    :param max_wasm_stack: wasm stack for the plugin, in bytes.
    """

    memory_mb: int = 768
    timeout_s: float = 120.0
    max_chars_per_page: int = 200_000
    max_pages: int = 10_000
    max_bytes: int = 500 * 1024 * 1024
    max_wasm_stack: int = 1 << 20

    def __post_init__(self) -> None:
        # Checked here, not where the value is used: a nan or inf deadline otherwise
        # surfaces as an OverflowError deep in the sandbox, a float memory_mb as a
        # TypeError, both far from the caller's mistake.
        for name, value in asdict(self).items():
            real = "a number" if name == "timeout_s" else "an integer"
            number = isinstance(value, float) if name == "timeout_s" else False
            if isinstance(value, bool) or not (isinstance(value, int) or number):
                raise ValueError(f"Limits.{name} must be {real}, got {value!r}")
            if not math.isfinite(value) or value <= 0:
                raise ValueError(f"Limits.{name} must be positive and finite, got {value!r}")
            ceiling = LIMITS_CEILINGS.get(name)
            if ceiling is not None and value > ceiling:
                raise ValueError(f"Limits.{name} must be at most {ceiling:,}, got {value!r}")


@dataclass
class Metadata:
    """Document-level metadata; dates are ISO 8601 when the source date parsed."""

    title: str | None = None
    author: str | None = None
    subject: str | None = None
    creator: str | None = None
    producer: str | None = None
    created: str | None = None
    modified: str | None = None
    page_count: int = 0


@dataclass
class OutlineEntry:
    """One bookmark; ``level`` 1 is top level; ``page`` is 1-based when it resolves."""

    title: str
    level: int
    page: int | None = None


@dataclass
class PageOcr:
    """How a page's text was read by OCR (``Page.ocr``).

    :param engine: the OCR engine and its version, ``"tesseract 5.3.0"``.
    :param languages: the language packs it read with, ``["eng"]``.
    :param confidence: its mean word confidence, 0.0-1.0.
    :param dpi: the resolution the page was rendered at.
    """

    engine: str
    languages: list[str]
    confidence: float
    dpi: int


@dataclass
class Page:
    """One page of text. ``chars`` counts non-whitespace characters.

    ``needs_ocr`` and ``ocr_reason`` describe the page's text layer: ``ocr_reason`` is
    ``"no_text_layer"`` or ``"garbled_text"`` when ``needs_ocr``. ``ocr`` is set when the
    text was read by OCR instead (then ``text`` is what OCR read).
    """

    number: int
    text: str
    chars: int
    needs_ocr: bool = False
    ocr_reason: str | None = None
    links: list[str] = field(default_factory=list)
    ocr: PageOcr | None = None


@dataclass
class Heading:
    """A heading in the document text (a DOCX heading style or outline level).

    ``level`` 1 is the top level; ``page`` is the 1-based page it is on; ``offset`` is
    where its first character is in that page's text (``None`` when only the page is
    known).
    """

    title: str
    level: int
    page: int
    offset: int | None = None


@dataclass
class ExtractWarning:
    """A problem that did not stop extraction (``code`` e.g. ``truncated``)."""

    code: str
    message: str
    page: int | None = None


@dataclass
class Document:
    """An extracted document."""

    source: str
    format: str
    sha256: str
    page_count: int
    metadata: Metadata
    pages: list[Page] = field(default_factory=list)
    outline: list[OutlineEntry] = field(default_factory=list)
    warnings: list[ExtractWarning] = field(default_factory=list)
    headings: list[Heading] = field(default_factory=list)
    pagination: str = "fixed"
    """How the text was divided into pages: one of :data:`PAGINATIONS` (PDF ``fixed``;
    DOCX ``page_breaks``, ``rendered_page_breaks`` or ``single``)."""
    engine: str | None = None
    """``None`` when the format's plugin made the document; ``"pdfium-fallback"`` when it
    failed and the opt-in fallback engine (``fallback="pdfium"``) extracted it."""

    @property
    def text(self) -> str:
        """The pages' text joined by newlines (what chunk offsets index into)."""
        return "\n".join(page.text for page in self.pages)

    def __post_init__(self) -> None:
        # What chunk() calls, set by the Extractor that made the document. An attribute,
        # not a field: to_dict(), ==, repr() and the store never see it.
        self._chunker: DocumentChunker | None = None
        # Seconds its pages spent in OCR when this process extracted it (None: no OCR ran),
        # for the pipeline's ``ocr_s`` timing. Not a field either: a measurement of one
        # run, not part of the document.
        self.ocr_seconds: float | None = None

    def __getstate__(self) -> dict[str, Any]:
        # The extractor (engine, locks, threads) neither pickles nor copies: a pickled or
        # copied document is unbound, like one read from the store.
        return {**self.__dict__, "_chunker": None}

    def to_dict(self) -> dict[str, Any]:
        """Exactly the output of ``conductor extract --json``."""
        return asdict(self)

    def chunk(
        self,
        *,
        max_tokens: int = 512,
        overlap_tokens: int = 0,
        encoding: Encoding = "cl100k_base",
        respect_paragraphs: bool = True,
        limits: Limits | None = None,
    ) -> list[Chunk]:
        """Splits the text into token-bounded chunks with the chunker of the
        :class:`conductor.Extractor` that extracted the document (and its limits unless
        ``limits`` is given): see :func:`conductor.chunk`.

        :raises RuntimeError: for a document no extractor made (built by hand, read from
            the store, unpickled): chunk it with ``conductor.chunk(doc)`` or
            ``Extractor().chunk(doc)``.
        """
        if self._chunker is None:
            raise RuntimeError(
                f"document {self.source!r} was not made by an Extractor, so it has no "
                "chunker bound: use conductor.chunk(doc) or Extractor().chunk(doc)"
            )
        return self._chunker(
            self,
            max_tokens=max_tokens,
            overlap_tokens=overlap_tokens,
            encoding=encoding,
            respect_paragraphs=respect_paragraphs,
            limits=limits,
        )


class DocumentChunker(Protocol):
    """What :meth:`Document.chunk` calls: bound by the extractor, because this module
    sits below the modules that run the chunker and cannot import them
    (``tests/test_layers.py``)."""

    def __call__(
        self,
        document: Document,
        /,
        *,
        max_tokens: int,
        overlap_tokens: int,
        encoding: Encoding,
        respect_paragraphs: bool,
        limits: Limits | None,
    ) -> list[Chunk]: ...


@dataclass(frozen=True)
class Chunk:
    """A piece of a document's text of at most ``max_tokens`` tokens.

    :param index: 0-based position in the document.
    :param text: exactly ``document.text[char_start:char_end]``.
    :param tokens: exact token count of ``text`` in the encoding chunked with.
    :param page_start: page of the first non-whitespace character.
    :param page_end: page of the last non-whitespace character.
    :param section: title of the nearest heading at or before the chunk's start (a
        DOCX heading, a PDF outline entry, or an agenda heading detected in the text).
    :param char_start: start in ``document.text``, in characters (``str`` indices).
    :param char_end: end (exclusive) in ``document.text``.
    """

    index: int
    text: str
    tokens: int
    page_start: int
    page_end: int
    section: str | None
    char_start: int
    char_end: int

    def to_dict(self) -> dict[str, Any]:
        """One element of ``conductor chunk --json``'s ``"chunks"``."""
        return asdict(self)


def chunks_to_dict(document: Document, chunks: list[Chunk]) -> dict[str, Any]:
    """Exactly the output of ``conductor chunk --json`` (and of the service's
    ``GET /v1/documents/{sha256}/chunks``)."""
    return {
        "source": document.source,
        "format": document.format,
        "page_count": document.page_count,
        "chunks": [c.to_dict() for c in chunks],
    }


__all__ = [
    "PAGINATIONS",
    "Chunk",
    "Document",
    "DocumentChunker",
    "ExtractWarning",
    "Heading",
    "Limits",
    "Metadata",
    "OutlineEntry",
    "Page",
    "PageOcr",
    "chunks_to_dict",
]
