"""The pipeline's per-input pieces: a parsed input (:class:`Job`), what a batch shares
(:class:`Batch`), and the results built from them."""

from __future__ import annotations

import asyncio
import hashlib
import os
import threading
import time
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from ._db import FailureRecord
from ._errors import CancelledError, ConductorError, PluginFailureError, ReadError
from ._models import Chunk, Document
from ._results import Result
from ._store import Store


@dataclass
class Job:
    """One well-formed input."""

    index: int
    source: str
    url: str | None
    path: str | None
    vendor: str | None
    password: str | None = field(default=None, repr=False)
    """The item's ``"password"``: for the extraction only, never logged nor stored."""
    committed: bool = False
    """Handed to the thread pool: no longer cancelled from the loop (it finishes, or
    reports ``cancelled`` itself when it had not started)."""
    stage: str = "download"


@dataclass
class Batch:
    """What one batch shares between the loop and the worker threads.

    Only what deduplication needs is kept, never a batch's documents: ``stored`` holds
    the sha256 of every document this batch stored (its id in the database, which
    holds the document itself and is read again on a repeat), and without a database
    ``alive`` maps a sha256 to its document only while a caller still holds that result.
    """

    db: Store | None
    cancelled: Callable[[], bool]
    stored: set[str] = field(default_factory=set)
    alive: weakref.WeakValueDictionary[str, Document] = field(
        default_factory=weakref.WeakValueDictionary
    )
    locks: dict[str, threading.Lock] = field(default_factory=dict)
    guard: threading.Lock = field(default_factory=threading.Lock)

    def lock_for(self, sha256: str) -> threading.Lock:
        with self.guard:
            return self.locks.setdefault(sha256, threading.Lock())


def parse_item(index: int, item: object) -> Job | Result:
    """A well-formed item's job, else its error result."""

    def bad(why: str) -> Result:
        shown = item
        if isinstance(item, Mapping) and "password" in item:
            shown = {**item, "password": "<hidden>"}
        source = repr(shown)
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
    password = item.get("password")
    if password is not None and not isinstance(password, str):
        return bad('"password" must be a string')
    password = password or None
    if url is not None:
        if not isinstance(url, str) or not url:
            return bad('"url" must be a non-empty string')
        return Job(index, url, url, None, vendor, password)
    if not isinstance(path, str | os.PathLike):
        return bad('"path" must be a string or a path')
    text = os.fspath(path)
    if not isinstance(text, str) or not text:
        return bad('"path" must be a non-empty str path')
    # An upload's spool file is read from "path" but named for its user by "name".
    name = item.get("name")
    if name is not None and (not isinstance(name, str) or not name):
        return bad('"name" must be a non-empty string')
    return Job(index, name or text, None, text, vendor, password, stage="read")


PERMANENT_KINDS = frozenset({"not_found", "unsupported_format"})
"""Failures that trying again cannot fix (the server says the document is gone, no
plugin reads its format): recorded without a next retry, and skipped by later runs until
forced."""


def not_due(job: Job, failure: FailureRecord, now: float) -> Result:
    """The result of an input skipped because its last failure is not due for a retry."""
    if failure.next_retry_at is None:
        when = "it is not retried automatically (the failure is permanent)"
    else:
        wait = max(0.0, failure.next_retry_at - now)
        when = f"its next retry is due in {_duration(wait)}"
    error = _error_of_kind(failure.kind)(
        f"skipped: it failed {failure.attempts} time{'s' if failure.attempts > 1 else ''}, "
        f"last with {failure.kind} at stage {failure.stage} ({failure.message}); {when}",
        document=job.source,
        stage=failure.stage,
        hint="retry it now with retry_failed=True (conductor process --retry-failed)",
    )
    return Result(job.source, False, index=job.index, error=error, skipped=True)


def _duration(seconds: float) -> str:
    for unit, size in (("d", 86400.0), ("h", 3600.0), ("min", 60.0)):
        if seconds >= size:
            return f"{seconds / size:.1f} {unit}"
    return f"{seconds:.0f} s"


def _error_of_kind(kind: str) -> type[ConductorError]:
    """The error class of a recorded failure's kind (the first one with that kind)."""
    todo: list[type[ConductorError]] = [ConductorError]
    while todo:
        cls = todo.pop(0)
        if getattr(cls, "kind", None) == kind and not cls.__name__.startswith("_"):
            return cls
        todo += cls.__subclasses__()
    return PluginFailureError


def retry_at(
    kind: str, previous_attempts: int, now: float, base: float, most: float
) -> float | None:
    """When a failure of ``kind`` is due for a retry: ``None`` (never automatically) for
    a permanent one, else ``base`` doubled for each earlier failure in a row, at most
    ``most`` seconds from ``now``."""
    if kind in PERMANENT_KINDS:
        return None
    return now + min(most, base * 2.0 ** min(previous_attempts, 32))


def due(failure: FailureRecord, now: float | None = None) -> bool:
    """Whether a recorded failure may be tried again now."""
    at = failure.next_retry_at
    return at is not None and at <= (time.time() if now is None else now)


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


__all__ = [
    "PERMANENT_KINDS",
    "Batch",
    "Job",
    "due",
    "hash_file",
    "not_due",
    "outcome",
    "parse_item",
    "retry_at",
    "success",
    "unexpected",
]
