"""The :class:`Conductor`: a batch of URLs and paths -> documents and chunks in SQLite.

Downloads run concurrently in an asyncio loop (:class:`conductor._fetch.Fetcher`);
extraction, chunking and storing run in a thread pool (one shared, thread-safe
:class:`Extractor`: each worker thread keeps its own runners and chunker instance, and
every document gets a fresh ``Store``), so all cores work while downloads continue.
Documents are content-addressed: bytes whose sha256 is stored (or was seen earlier in the
batch) are loaded, not extracted again; a URL that is stored is fetched with a conditional
GET, and a 304 loads the stored document. Every failure is recorded in the database's
``failures`` table (with a next retry time) and cleared by a later success.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import os
import queue
import threading
import time
from collections.abc import AsyncGenerator, Callable, Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from ._db import Database, UrlRecord
from ._errors import (
    CancelledError,
    ConductorError,
    DatabaseError,
)
from ._extract import Extractor
from ._fetch import FetchConfig, Fetched, Fetcher
from ._jobs import Batch, Job, hash_file, outcome, parse_item, success, unexpected
from ._models import Chunk, Document, Limits
from ._results import ChunkConfig, Result

log = logging.getLogger("conductor.pipeline")

Progress = Callable[[Result], None]

RETRY_BASE_S = 300.0
"""A failed input's first retry is due this long after it failed; each further failure
in a row doubles the wait, up to :data:`RETRY_MAX_S`."""
RETRY_MAX_S = 7 * 24 * 3600.0
_POLL_S = 0.05
"""How often the loop looks at the ``cancel`` events."""


class _BatchPool:
    """One batch's view of the shared worker pool: what it submitted, so that the batch
    ends only when none of its work is left running (cancelled work never starts)."""

    def __init__(self, pool: ThreadPoolExecutor) -> None:
        self._pool = pool
        self._futures: list[concurrent.futures.Future[Result]] = []

    async def run(self, fn: Callable[..., Result], *args: Any) -> Result:
        future = self._pool.submit(fn, *args)
        self._futures.append(future)
        return await asyncio.wrap_future(future)

    async def drain(self) -> None:
        for future in self._futures:
            future.cancel()
        await asyncio.to_thread(concurrent.futures.wait, self._futures)


class Conductor:
    """Processes batches of documents: download, extract, chunk, store.

    :param database: the SQLite file (opened for each batch, created when missing), an
        open :class:`Database` (used as is, not closed), or ``None`` for no persistence.
    :param fetch: download settings (default :class:`FetchConfig()`); ``concurrency`` is
        how many documents download at once.
    :param limits: sandbox bounds for every extraction and chunking.
    :param workers: threads extracting and chunking at once (default: the CPU count).
    :param chunking: a :class:`ChunkConfig` or its fields as a dict (default
        ``ChunkConfig()``: 512 tokens, no overlap, ``cl100k_base``).
    :param chunk: whether to chunk at all (``Result.chunks`` is ``None`` when not).
    :param plugin_path: plugin directories (default ``$CONDUCTOR_PLUGIN_PATH`` and the
        per-user one, see docs/plugins.md).
    :param pins: format -> plugin name to use for it (default ``$CONDUCTOR_PIN``).
    """

    def __init__(
        self,
        *,
        database: str | os.PathLike[str] | Database | None = "conductor.sqlite",
        fetch: FetchConfig | None = None,
        limits: Limits | None = None,
        workers: int = os.cpu_count() or 1,
        chunking: Mapping[str, Any] | ChunkConfig | None = None,
        chunk: bool = True,
        plugin_path: Iterable[str | os.PathLike[str]] | None = None,
        pins: Mapping[str, str] | None = None,
    ) -> None:
        if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
            raise ValueError(f"workers must be an int >= 1, got {workers!r}")
        self.database = database
        self.fetch = fetch or FetchConfig()
        self.limits = limits or Limits()
        self.workers = workers
        if chunking is None:
            chunking = ChunkConfig()
        elif not isinstance(chunking, ChunkConfig):
            chunking = ChunkConfig(**chunking)
        self.chunking = chunking
        self.chunk = chunk
        self.extractor = Extractor(self.limits, plugin_path=plugin_path, pins=pins)
        self._pool: ThreadPoolExecutor | None = None
        self._pool_lock = threading.Lock()

    # -- the three ways in ------------------------------------------------------------

    def process_documents(
        self,
        items: Iterable[Mapping[str, Any]],
        *,
        progress: Progress | None = None,
        cancel: threading.Event | None = None,
    ) -> list[Result]:
        """Processes every item and returns one :class:`Result` per item, in input order.

        Each item is a mapping with ``"url"`` or ``"path"``, and optionally ``"type"``
        (a hint only: the bytes' magic decides) and ``"source"`` (a vendor name, stored
        with the URL). A malformed item gets an error result; no document's failure
        raises.

        :param progress: called with each result as it finishes (in the loop's thread).
        :param cancel: when set, downloads in flight stop, extractions not yet started
            are skipped, finished results are kept, and every unfinished input gets a
            :class:`CancelledError` result.
        :raises DatabaseError: the database cannot be opened.
        """
        return asyncio.run(self.aprocess_documents(items, progress=progress, cancel=cancel))

    async def aprocess_documents(
        self,
        items: Iterable[Mapping[str, Any]],
        *,
        progress: Progress | None = None,
        cancel: threading.Event | None = None,
    ) -> list[Result]:
        """:meth:`process_documents` in the running event loop."""
        events = () if cancel is None else (cancel,)
        results: list[Result] = []
        async with contextlib.aclosing(self._run(list(items), events)) as run:
            async for result in run:
                if progress is not None:
                    progress(result)
                results.append(result)
        results.sort(key=lambda r: r.index)
        return results

    def iter_documents(
        self,
        items: Iterable[Mapping[str, Any]],
        *,
        progress: Progress | None = None,
        cancel: threading.Event | None = None,
    ) -> Iterator[Result]:
        """Yields each item's :class:`Result` as it finishes (not in input order; see
        ``Result.index``). The batch runs in a background thread; closing the generator
        early cancels what is left of it."""
        batch = list(items)
        stop = threading.Event()
        events = (stop,) if cancel is None else (stop, cancel)
        out: queue.Queue[Result | BaseException | None] = queue.Queue()

        async def drive() -> None:
            async with contextlib.aclosing(self._run(batch, events)) as run:
                async for result in run:
                    if progress is not None:
                        progress(result)
                    out.put(result)

        def target() -> None:
            try:
                asyncio.run(drive())
            except BaseException as e:  # handed to the consumer
                out.put(e)
            else:
                out.put(None)

        thread = threading.Thread(target=target, name="conductor-batch", daemon=True)
        thread.start()
        try:
            while True:
                got = out.get()
                if got is None:
                    return
                if isinstance(got, BaseException):
                    raise got
                yield got
        finally:
            stop.set()
            thread.join()

    # -- the core ---------------------------------------------------------------------

    async def _run(
        self, items: list[Mapping[str, Any]], events: tuple[threading.Event, ...]
    ) -> AsyncGenerator[Result, None]:
        """Yields one result per item as each finishes."""

        def cancelled() -> bool:
            return any(e.is_set() for e in events)

        jobs: list[Job] = []
        for index, item in enumerate(items):
            job = parse_item(index, item)
            if isinstance(job, Result):
                yield job
            else:
                jobs.append(job)
        if not jobs:
            return
        db, own_db = self._open_database()
        batch = Batch(db, cancelled)
        pool = _BatchPool(self._worker_pool())
        tasks: dict[asyncio.Task[Result], Job] = {}
        try:
            async with contextlib.AsyncExitStack() as stack:
                fetcher: Fetcher | None = None
                if any(job.url is not None for job in jobs):
                    fetcher = await stack.enter_async_context(Fetcher(self.fetch))
                # downloaded documents waiting for a worker hold temp files: bound them
                slots = asyncio.Semaphore(self.fetch.concurrency + 2 * self.workers)
                for job in jobs:
                    coro = self._one(job, batch, fetcher, pool, slots)
                    tasks[asyncio.create_task(coro)] = job
                pending = set(tasks)
                stopping = False
                while pending:
                    done, pending = await asyncio.wait(
                        pending, timeout=_POLL_S, return_when=asyncio.FIRST_COMPLETED
                    )
                    for task in done:
                        yield outcome(task, tasks[task])
                    if not stopping and cancelled():
                        stopping = True
                        for task in pending:
                            if not tasks[task].committed:
                                task.cancel()
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await pool.drain()
            if own_db and db is not None:
                db.close()

    def _worker_pool(self) -> ThreadPoolExecutor:
        """The worker threads, kept across batches: each keeps its sandbox runners and its
        chunker instance (whose tokenizer costs 70-180 ms to build) for the next batch."""
        with self._pool_lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix="conductor-worker")
            return self._pool

    def close(self) -> None:
        """Stops the worker threads (a later batch starts new ones)."""
        with self._pool_lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> Conductor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _open_database(self) -> tuple[Database | None, bool]:
        if self.database is None or isinstance(self.database, Database):
            return self.database, False
        return Database(self.database), True

    async def _one(
        self,
        job: Job,
        batch: Batch,
        fetcher: Fetcher | None,
        pool: _BatchPool,
        slots: asyncio.Semaphore,
    ) -> Result:
        """One input, start to end; every failure becomes an error result."""
        timings: dict[str, float] = {}
        try:
            if job.url is None:
                job.committed = True
                return await pool.run(self._work, job, batch, None, None, timings)
            assert fetcher is not None
            async with slots:
                record = None
                if batch.db is not None:
                    record = await asyncio.to_thread(batch.db.lookup_url, job.url)
                start = time.monotonic()
                fetched = await fetcher.fetch(
                    job.url,
                    etag=None if record is None else record.etag,
                    last_modified=None if record is None else record.last_modified,
                )
                timings["download_s"] = time.monotonic() - start
                try:
                    job.committed = True
                    job.stage = "extract"
                    return await pool.run(self._work, job, batch, fetched, record, timings)
                finally:
                    fetched.discard()
        except ConductorError as e:
            return await asyncio.to_thread(self._failed, job, batch, e, timings)
        except Exception as e:
            error = unexpected(job, e)
            return await asyncio.to_thread(self._failed, job, batch, error, timings)

    # -- in a worker thread -----------------------------------------------------------

    def _work(
        self,
        job: Job,
        batch: Batch,
        fetched: Fetched | None,
        record: UrlRecord | None,
        timings: dict[str, float],
    ) -> Result:
        try:
            if batch.cancelled():
                raise CancelledError(
                    "the batch was cancelled before this document was extracted",
                    document=job.source,
                    stage="extract",
                )
            if fetched is not None and fetched.not_modified:
                return self._not_modified(job, batch, fetched, record, timings)
            return self._process(job, batch, fetched, timings)
        except ConductorError as e:
            return self._failed(job, batch, e, timings)
        except Exception as e:
            return self._failed(job, batch, unexpected(job, e), timings)

    def _not_modified(
        self,
        job: Job,
        batch: Batch,
        fetched: Fetched,
        record: UrlRecord | None,
        timings: dict[str, float],
    ) -> Result:
        db = batch.db
        assert db is not None
        assert record is not None
        assert job.url is not None
        job.stage = "store"
        start = time.monotonic()
        document = db.load_document(record.sha256)
        if document is None:
            raise DatabaseError(
                f"the server answered 304 for {job.url}, but its document "
                f"{record.sha256[:12]} is no longer stored",
                document=db.path,
            )
        chunks = db.load_chunks(record.sha256) if self.chunk else None
        db.touch_url(job.url, fetched_at=time.time())
        db.clear_failure(job.source)
        timings["store_s"] = time.monotonic() - start
        return success(job, document, chunks, timings, cached=True, not_modified=True)

    def _process(
        self, job: Job, batch: Batch, fetched: Fetched | None, timings: dict[str, float]
    ) -> Result:
        db = batch.db
        if fetched is not None:
            assert fetched.path is not None
            assert fetched.sha256 is not None
            path, sha256 = fetched.path, fetched.sha256
        else:
            assert job.path is not None
            job.stage = "read"
            path, sha256 = Path(job.path), hash_file(job.path)
        with batch.lock_for(sha256):
            hit = batch.memo.get(sha256)
            if hit is None and db is not None and db.has_document(sha256):
                stored = db.load_document(sha256)
                if stored is not None:
                    hit = (stored, db.load_chunks(sha256))
            cached = hit is not None
            fresh_chunks = False
            if hit is not None:
                document, chunks = hit
                if self.chunk and not chunks and document.text.strip():
                    chunks, fresh_chunks = self._chunk(job, document, timings), True
            else:
                job.stage = "extract"
                start = time.monotonic()
                media_type = fetched.content_type if fetched is not None else None
                document = self.extractor.extract(path, name=job.source, media_type=media_type)
                timings["extract_s"] = time.monotonic() - start
                chunks = self._chunk(job, document, timings) if self.chunk else None
                fresh_chunks = chunks is not None
            batch.memo[sha256] = (document, chunks)
            if db is not None:
                job.stage = "store"
                start = time.monotonic()
                self._store(db, job, document, chunks if fresh_chunks else None, fetched, cached)
                timings["store_s"] = time.monotonic() - start
        return success(job, document, chunks if self.chunk else None, timings, cached=cached)

    def _chunk(self, job: Job, document: Document, timings: dict[str, float]) -> list[Chunk]:
        job.stage = "chunk"
        start = time.monotonic()
        config = self.chunking
        chunks = self.extractor.chunk(
            document,
            max_tokens=config.max_tokens,
            overlap_tokens=config.overlap_tokens,
            encoding=config.encoding,
            respect_paragraphs=config.respect_paragraphs,
        )
        timings["chunk_s"] = time.monotonic() - start
        return chunks

    def _store(
        self,
        db: Database,
        job: Job,
        document: Document,
        chunks: list[Chunk] | None,
        fetched: Fetched | None,
        cached: bool,
    ) -> None:
        """Saves what is new: the document unless it was loaded, new chunks, the URL."""
        now = time.time()
        url = None if fetched is None else job.url
        if cached and chunks is None:
            if url is None:
                db.clear_failure(job.source)
                return
            assert fetched is not None
            known = db.lookup_url(url)
            if (
                known is not None
                and known.sha256 == document.sha256
                and (known.etag, known.last_modified) == (fetched.etag, fetched.last_modified)
            ):
                db.touch_url(url, fetched_at=now)
                db.clear_failure(job.source)
                return
        db.save_document(
            document,
            url=url,
            source=job.vendor,
            etag=None if fetched is None else fetched.etag,
            last_modified=None if fetched is None else fetched.last_modified,
            fetched_at=None if fetched is None else now,
            extracted_at=now,
            chunks=chunks,
        )
        db.clear_failure(job.source)

    def _failed(
        self, job: Job, batch: Batch, error: ConductorError, timings: dict[str, float]
    ) -> Result:
        """The error result; the failure is recorded unless it is a cancellation."""
        db = batch.db
        if db is not None and not isinstance(error, CancelledError):
            try:
                previous = next((f.attempts for f in db.failures() if f.key == job.source), 0)
                now = time.time()
                wait = min(RETRY_MAX_S, RETRY_BASE_S * 2 ** min(previous, 32))
                db.record_failure(
                    job.source,
                    url=job.url,
                    stage=error.stage,
                    kind=error.kind,
                    message=error.message,
                    next_retry_at=now + wait,
                    failed_at=now,
                )
            except ConductorError as e:
                log.warning("could not record the failure of %s: %s", job.source, e)
        return Result(job.source, False, index=job.index, error=error, timings=timings)


__all__ = ["Conductor", "Progress"]
