"""The :class:`Store` protocol: what the batch pipeline, the CLI and the queue need from a
store, whichever database holds it (SQLite: :class:`conductor._db.Database`; PostgreSQL:
:class:`conductor._store.PostgresStore`)."""

from __future__ import annotations

from types import TracebackType
from typing import Protocol, Self

from conductor._db import ChunkingKey, DocumentSummary, FailureRecord, UrlRecord
from conductor._models import Chunk, Document


class Store(Protocol):
    """Documents, pages, chunks, URLs and failures, content-addressed by sha256.

    Both implementations have the same schema meaning (the same numbered migrations, one
    set per dialect) and the same guarantees: each method is one transaction; saving the
    same bytes again updates one document instead of adding one; a save writes the
    document, its pages, its chunks and its URL together or not at all; methods are safe
    to call from several threads. Every failure is a :class:`conductor.DatabaseError`.
    """

    path: str
    """Where the store is, for messages: a file path, or a URL without its password."""

    read_only: bool

    @property
    def schema_version(self) -> int:
        """The highest migration applied."""
        ...

    def close(self) -> None:
        """Releases the connection(s); later calls raise. Idempotent."""

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    def save_document(
        self,
        doc: Document,
        *,
        url: str | None,
        source: str | None,
        etag: str | None,
        last_modified: str | None,
        fetched_at: float | None,
        extracted_at: float,
        chunks: list[Chunk] | None = None,
        chunking: ChunkingKey | None = None,
        extractor: str | None = None,
    ) -> None:
        """Stores ``doc`` under its sha256 with its pages, ``chunks`` (under ``chunking``)
        and ``url`` (see :meth:`conductor._db.Database.save_document`)."""

    def has_document(self, sha256: str) -> bool:
        """Whether a document with this sha256 is stored."""
        ...

    def load_document(self, sha256: str) -> Document | None:
        """The stored document, equal to the one saved last; ``None`` when not stored."""

    def document_origin(self, sha256: str) -> tuple[str, str | None] | None:
        """(format, extractor) of the stored document; ``None`` when not stored."""

    def load_chunks(self, sha256: str, chunking: ChunkingKey | None = None) -> list[Chunk]:
        """The chunks made with ``chunking`` (default: the latest stored); ``[]`` when none."""
        ...

    def find_chunks(self, sha256: str, chunking: ChunkingKey | None = None) -> list[Chunk] | None:
        """Like :meth:`load_chunks`, but ``None`` when no chunks were stored for it."""

    def chunkings(self, sha256: str) -> list[tuple[str, int]]:
        """The document's stored chunk sets, latest first: (configuration key, chunks)."""
        ...

    def find_documents(self, prefix: str) -> list[str]:
        """The stored sha256s that start with ``prefix`` (a hex prefix), sorted."""
        ...

    def summary(self) -> list[DocumentSummary]:
        """Every stored document, oldest extraction first."""
        ...

    def lookup_url(self, url: str) -> UrlRecord | None:
        """What is stored about ``url``; ``None`` when unknown."""

    def touch_url(self, url: str, *, fetched_at: float) -> None:
        """Records a fetch that changed nothing (304); :class:`KeyError` for an unknown URL."""

    def record_failure(
        self,
        key: str,
        *,
        url: str | None,
        stage: str,
        kind: str,
        message: str,
        next_retry_at: float | None,
        failed_at: float | None = None,
    ) -> int:
        """Records a failed attempt at ``key``; returns the failures in a row."""
        ...

    def clear_failure(self, key: str) -> None:
        """Forgets the failures of ``key``."""

    def failures(self) -> list[FailureRecord]:
        """Every recorded failure, oldest first."""
        ...


__all__ = ["Store"]
