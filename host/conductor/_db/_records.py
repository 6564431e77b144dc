"""What the store returns besides documents and chunks, and the conversions between
:mod:`conductor._models` objects and table rows."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any, Protocol

from conductor._models import (
    Chunk,
    Document,
    ExtractWarning,
    Heading,
    Metadata,
    OutlineEntry,
    Page,
    PageOcr,
)


class Row(Protocol):
    """A table row read by column name: ``sqlite3.Row``, or a psycopg ``dict_row``."""

    def __getitem__(self, key: str, /) -> Any: ...


@dataclass(frozen=True)
class UrlRecord:
    """What is stored about a URL: the document it served last and the validators for a
    conditional GET (``If-None-Match: etag``, ``If-Modified-Since: last_modified``)."""

    url: str
    sha256: str
    source: str | None
    etag: str | None
    last_modified: str | None
    fetched_at: float | None


@dataclass(frozen=True)
class FailureRecord:
    """An input (``key``: its URL or path) whose last attempt failed."""

    key: str
    url: str | None
    stage: str
    kind: str
    message: str
    attempts: int
    first_failed_at: float
    last_failed_at: float
    next_retry_at: float | None


@dataclass(frozen=True)
class ChunkingKey:
    """What makes a document's chunks: the chunking configuration and the chunker's
    ``"name version"``. Chunks are stored and found under it, so a document chunked
    with other settings (or by another chunker) is chunked again."""

    max_tokens: int
    overlap_tokens: int
    encoding: str
    respect_paragraphs: bool
    chunker: str

    @property
    def key(self) -> str:
        """The ``chunkings.key`` column: every field, in one string."""
        return (
            f"max_tokens={self.max_tokens};overlap_tokens={self.overlap_tokens};"
            f"encoding={self.encoding};respect_paragraphs={int(self.respect_paragraphs)};"
            f"chunker={self.chunker}"
        )


UNKNOWN_CHUNKING = "unknown"
"""The ``chunkings.key`` of chunks saved without a :class:`ChunkingKey` (and of those
stored before migration 0002): no configuration matches it."""


@dataclass(frozen=True)
class DocumentSummary:
    """One stored document, as ``conductor show`` lists it.

    :param name: the name the document was last saved under (``Document.source``).
    :param chunks: how many chunks are stored for it.
    :param urls: every URL that served it, sorted.
    :param fetched_at: the latest fetch of any of those URLs (``None`` without URLs).
    :param ocr_pages: how many of its pages need OCR (no usable text layer).
    :param extractor: the plugin that extracted it (``"pdf 0.2.0"``; ``None``: unknown).
    """

    sha256: str
    name: str
    format: str
    page_count: int
    title: str | None
    chunks: int
    urls: tuple[str, ...]
    fetched_at: float | None
    extracted_at: float
    ocr_pages: int = 0
    extractor: str | None = None


def _json(items: list[Any]) -> str:
    return json.dumps(
        [asdict(item) if not isinstance(item, str) else item for item in items],
        ensure_ascii=False,
        separators=(",", ":"),
    )


def document_row(
    doc: Document, extracted_at: float, extractor: str | None = None
) -> dict[str, object]:
    """The ``documents`` row of ``doc`` (named parameters); ``extractor`` is the plugin
    that made it (``"name version"``)."""
    meta = doc.metadata
    return {
        "sha256": doc.sha256,
        "name": doc.source,
        "format": doc.format,
        "page_count": doc.page_count,
        "title": meta.title,
        "author": meta.author,
        "subject": meta.subject,
        "creator": meta.creator,
        "producer": meta.producer,
        "created": meta.created,
        "modified": meta.modified,
        "metadata_page_count": meta.page_count,
        "outline": _json(doc.outline),
        "warnings": _json(doc.warnings),
        "headings": _json(doc.headings),
        "pagination": doc.pagination,
        "extracted_at": extracted_at,
        "extractor": extractor,
    }


DOCUMENT_COLUMNS = tuple(document_row(Document("", "", "", 0, Metadata()), 0.0))
"""The ``documents`` columns, in the order of :func:`document_row`."""


def page_row(sha256: str, page: Page) -> tuple[object, ...]:
    """The ``pages`` row of ``page``: (sha256, number, text, chars, needs_ocr, ocr_reason,
    links, ocr); ``ocr`` is JSON or ``NULL`` (migration 0003)."""
    return (
        sha256,
        page.number,
        page.text,
        page.chars,
        int(page.needs_ocr),
        page.ocr_reason,
        _json(page.links),
        None if page.ocr is None else json.dumps(asdict(page.ocr), separators=(",", ":")),
    )


def chunk_row(chunking: int, sha256: str, chunk: Chunk) -> tuple[object, ...]:
    """The ``chunks`` row of ``chunk``: (chunking, sha256, idx, text, tokens, page_start,
    page_end, section, char_start, char_end)."""
    return (
        chunking,
        sha256,
        chunk.index,
        chunk.text,
        chunk.tokens,
        chunk.page_start,
        chunk.page_end,
        chunk.section,
        chunk.char_start,
        chunk.char_end,
    )


def _page_ocr(row: Row) -> PageOcr | None:
    """``Page.ocr`` from a ``pages`` row's ``ocr`` JSON (migration 0003)."""
    raw = row["ocr"]
    return None if raw is None else PageOcr(**json.loads(raw))


def document_from_rows(row: Row, pages: list[Row]) -> Document:
    """The :class:`Document` of a ``documents`` row and its ``pages`` rows (in order)."""
    return Document(
        source=row["name"],
        format=row["format"],
        sha256=row["sha256"],
        page_count=row["page_count"],
        metadata=Metadata(
            title=row["title"],
            author=row["author"],
            subject=row["subject"],
            creator=row["creator"],
            producer=row["producer"],
            created=row["created"],
            modified=row["modified"],
            page_count=row["metadata_page_count"],
        ),
        pages=[
            Page(
                number=p["number"],
                text=p["text"],
                chars=p["chars"],
                needs_ocr=bool(p["needs_ocr"]),
                ocr_reason=p["ocr_reason"],
                links=json.loads(p["links"]),
                ocr=_page_ocr(p),
            )
            for p in pages
        ],
        outline=[OutlineEntry(**e) for e in json.loads(row["outline"])],
        warnings=[ExtractWarning(**w) for w in json.loads(row["warnings"])],
        headings=[Heading(**h) for h in json.loads(row["headings"])],
        pagination=row["pagination"],
    )


def chunk_from_row(row: Row) -> Chunk:
    """The :class:`Chunk` of a ``chunks`` row."""
    return Chunk(
        index=row["idx"],
        text=row["text"],
        tokens=row["tokens"],
        page_start=row["page_start"],
        page_end=row["page_end"],
        section=row["section"],
        char_start=row["char_start"],
        char_end=row["char_end"],
    )
