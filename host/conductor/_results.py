"""What :class:`conductor.Conductor` returns (:class:`Result`) and how it chunks
(:class:`ChunkConfig`)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal

from ._chunk import check_config
from ._db import ChunkingKey
from ._errors import ConductorError
from ._models import Chunk, Document
from ._types import Encoding

JobStatus = Literal["queued", "running", "succeeded", "failed", "cancelled"]
JOB_STATUSES: tuple[JobStatus, ...] = ("queued", "running", "succeeded", "failed", "cancelled")
"""A queue job's status as ``conductor jobs`` shows it (:mod:`conductor._queue`). Here,
not in the queue, so that the CLI offers the choices without importing procrastinate."""


@dataclass(frozen=True)
class ChunkConfig:
    """How each document is chunked (see :func:`conductor.chunk`); checked on
    construction.

    :raises InvalidConfigError: for a value of the wrong type or out of range.
    """

    max_tokens: int = 512
    overlap_tokens: int = 0
    encoding: Encoding = "cl100k_base"
    respect_paragraphs: bool = True

    def __post_init__(self) -> None:
        check_config(
            max_tokens=self.max_tokens,
            overlap_tokens=self.overlap_tokens,
            encoding=self.encoding,
            respect_paragraphs=self.respect_paragraphs,
        )

    def key(self, chunker: str) -> ChunkingKey:
        """What the store files chunks made with this configuration by ``chunker``
        (``"name version"``) under."""
        return ChunkingKey(
            self.max_tokens, self.overlap_tokens, self.encoding, self.respect_paragraphs, chunker
        )


@dataclass
class Result:
    """The outcome of one input of a batch: a document (and its chunks) or a typed error.

    :param source: the input's ``url`` or ``path``, as given (``repr`` of a malformed item).
    :param index: the input's position in the batch.
    :param timings: seconds spent per stage: ``download_s``, ``extract_s``, ``ocr_s``
        (pages read by OCR; not counted in ``extract_s``), ``chunk_s``, ``store_s`` (a
        stage that did not run is absent).
    :param cached: the same bytes were seen before (in the database or earlier in the
        batch), so they were loaded instead of extracted again.
    :param not_modified: the server answered 304 to a conditional GET; the stored document
        was loaded.
    :param skipped: not tried: it failed before and its retry is not due yet (or the
        failure is permanent); ``error`` says which failure and when it is due.
    """

    source: str
    ok: bool
    index: int = 0
    sha256: str | None = None
    format: str | None = None
    page_count: int | None = None
    document: Document | None = None
    chunks: list[Chunk] | None = None
    error: ConductorError | None = None
    timings: dict[str, float] = field(default_factory=dict)
    cached: bool = False
    not_modified: bool = False
    skipped: bool = False

    def to_json_dict(self) -> dict[str, Any]:
        """``{"source", "ok", "sha256", "format", "page_count", "chunks", "error"}``:
        ``chunks`` is a count, ``error`` ``{"kind", "stage", "message"}`` or ``None``."""
        return {
            "source": self.source,
            "ok": self.ok,
            "sha256": self.sha256,
            "format": self.format,
            "page_count": self.page_count,
            "chunks": None if self.chunks is None else len(self.chunks),
            "error": None if self.error is None else self.error.to_dict(),
        }

    def to_json_line(self) -> str:
        """:meth:`to_json_dict` as one line of JSON (``conductor process --json``)."""
        return json.dumps(self.to_json_dict(), ensure_ascii=False)


__all__ = ["ChunkConfig", "Result"]
