"""The pipeline's per-input pieces: a parsed input (:class:`Job`), what a batch shares
(:class:`Batch`), and the results built from them."""

from __future__ import annotations

import asyncio
import hashlib
import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from ._db import Database
from ._errors import CancelledError, PluginFailureError, ReadError
from ._models import Chunk, Document
from ._results import Result


@dataclass
class Job:
    """One well-formed input."""

    index: int
    source: str
    url: str | None
    path: str | None
    vendor: str | None
    committed: bool = False
    """Handed to the thread pool: no longer cancelled from the loop (it finishes, or
    reports ``cancelled`` itself when it had not started)."""
    stage: str = "download"


@dataclass
class Batch:
    """What one batch shares between the loop and the worker threads."""

    db: Database | None
    cancelled: Callable[[], bool]
    memo: dict[str, tuple[Document, list[Chunk] | None]] = field(default_factory=dict)
    locks: dict[str, threading.Lock] = field(default_factory=dict)
    guard: threading.Lock = field(default_factory=threading.Lock)

    def lock_for(self, sha256: str) -> threading.Lock:
        with self.guard:
            return self.locks.setdefault(sha256, threading.Lock())


def parse_item(index: int, item: object) -> Job | Result:
    """A well-formed item's job, else its error result."""

    def bad(why: str) -> Result:
        source = repr(item)
        if len(source) > 200:
            source = source[:197] + "..."
        error = ReadError(
            f"item {index} is malformed: {why}",
            document=source,
            hint='give each item a "url" (http or https) or a "path", as a string',
        )
        return Result(source, False, index=index, error=error)

    if not isinstance(item, Mapping):
        return bad(f"expected a mapping, got {type(item).__name__}")
    url, path = item.get("url"), item.get("path")
    if (url is None) == (path is None):
        return bad('it needs exactly one of "url" and "path"')
    vendor = item.get("source")
    if vendor is not None and not isinstance(vendor, str):
        return bad('"source" must be a string')
    if url is not None:
        if not isinstance(url, str) or not url:
            return bad('"url" must be a non-empty string')
        return Job(index, url, url, None, vendor)
    if not isinstance(path, str | os.PathLike):
        return bad('"path" must be a string or a path')
    text = os.fspath(path)
    if not isinstance(text, str) or not text:
        return bad('"path" must be a non-empty str path')
    return Job(index, text, None, text, vendor, stage="read")


def hash_file(path: str) -> str:
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as f:
            while block := f.read(1 << 20):
                digest.update(block)
    except OSError as e:
        raise ReadError(f"cannot read {path}: {e.strerror or e}", document=path) from e
    return digest.hexdigest()


def success(
    job: Job,
    document: Document,
    chunks: list[Chunk] | None,
    timings: dict[str, float],
    *,
    cached: bool,
    not_modified: bool = False,
) -> Result:
    return Result(
        job.source,
        True,
        index=job.index,
        sha256=document.sha256,
        format=document.format,
        page_count=document.page_count,
        document=document,
        chunks=chunks,
        timings=timings,
        cached=cached,
        not_modified=not_modified,
    )


def unexpected(job: Job, e: Exception) -> PluginFailureError:
    return PluginFailureError(
        f"unexpected {type(e).__name__}: {e}",
        document=job.source,
        stage=job.stage,
        hint="this is a bug in engagic-conductor; please report it",
    )


def outcome(task: asyncio.Task[Result], job: Job) -> Result:
    """A finished task's result; a cancelled task is a ``cancelled`` result."""
    if task.cancelled():
        what = "download" if job.url is not None else "read"
        cancelled = CancelledError(
            f"the batch was cancelled before the {what} finished",
            document=job.source,
            stage=job.stage,
        )
        return Result(job.source, False, index=job.index, error=cancelled)
    failure = task.exception()
    if failure is None:
        return task.result()
    # _one turns every Exception into a result; this is a BaseException of some kind
    error = PluginFailureError(
        f"unexpected {type(failure).__name__}: {failure}", document=job.source, stage=job.stage
    )
    return Result(job.source, False, index=job.index, error=error)


__all__ = ["Batch", "Job", "hash_file", "outcome", "parse_item", "success", "unexpected"]
