"""The :class:`Conductor`: a batch of URLs and paths -> documents and chunks in SQLite.

Downloads run concurrently in an asyncio loop (:class:`conductor._fetch.Fetcher`);
extraction, chunking and storing run in a thread pool (one shared, thread-safe
:class:`Extractor`: each worker thread keeps its own runners and chunker instance, and
every document gets a fresh ``Store``), so all cores work while downloads continue.
Documents are content-addressed: bytes whose sha256 is stored (or was seen earlier in the
batch) are loaded, not extracted again, unless another version of the plugin made them
(then they are extracted again); stored chunks are reused only when the same chunking
configuration and chunker version made them. A URL that is stored is fetched with a
conditional GET, and a 304 loads the stored document. Every failure is recorded in the
database's ``failures`` table with a next retry time (none for permanent failures) and
cleared by a later success; a later batch skips inputs whose retry is not due.
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
from typing import TYPE_CHECKING, Any

from ._db import ChunkingKey, UrlRecord
from ._errors import (
    CancelledError,
    ConductorError,
    DatabaseError,
)
from ._extract import Extractor
from ._fetch import FetchConfig, Fetched, Fetcher
from ._fetch._client import HostGate
from ._jobs import (
    Batch,
    Job,
    due,
    hash_file,
    not_due,
    outcome,
    parse_item,
    retry_at,
    success,
    unexpected,
)
from ._models import Chunk, Document, Limits
from ._ocr import OcrOptions, PageProgress
from ._results import ChunkConfig, Result
from ._store import Store, open_store

if TYPE_CHECKING:
    from ._queue import JobRecord, JobStatus

log = logging.getLogger("conductor.pipeline")

Progress = Callable[[Result], None]

RETRY_BASE_S = 300.0
"""A failed input's first retry is due this long after it failed; each further failure
in a row doubles the wait, up to :data:`RETRY_MAX_S`. Permanent failures
(:data:`conductor._jobs.PERMANENT_KINDS`) get no retry time."""
RETRY_MAX_S = 7 * 24 * 3600.0
_POLL_S = 0.05
"""How often the loop looks at the ``cancel`` events."""


class _BatchPool:
    """One batch's view of the shared worker pool: what it submitted and is not finished,
    so that the batch ends only when none of its work is left running (cancelled work
    never starts). A finished future is forgotten: it holds its result's document."""

    def __init__(self, pool: ThreadPoolExecutor) -> None:
        self._pool = pool
        self._futures: set[concurrent.futures.Future[Result]] = set()

    async def run(self, fn: Callable[..., Result], *args: Any) -> Result:
        future = self._pool.submit(fn, *args)
        self._futures.add(future)
        try:
            return await asyncio.wrap_future(future)
        finally:
            if future.done():
                self._futures.discard(future)

    async def drain(self) -> None:
        for future in self._futures:
            future.cancel()
        await asyncio.to_thread(concurrent.futures.wait, self._futures)


class Conductor:
    """Processes batches of documents: download, extract, chunk, store.

    :param database: the SQLite file (opened for each batch, created when missing), a
        ``postgresql://`` URL (the :class:`PostgresStore`, and the job queue of
        :meth:`submit`), an open :class:`Store` (used as is, not closed), or ``None`` for
        no persistence.
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
    :param retry_failed: also try inputs whose recorded failure is not due for a retry
        yet, or is permanent (``not_found``, ``unsupported_format``); by default they get
        a ``skipped`` error result without being downloaded or read.
    :param ocr: ``"auto"``, ``"off"`` or ``"force"`` (or :class:`OcrOptions`), with
        ``ocr_languages``, ``ocr_dpi`` and ``ocr_progress``: as for :class:`Extractor`.
    :param fallback: ``"pdfium"``: the fallback engine for PDFs the plugin fails on (see
        :class:`Extractor`).
    """

    def __init__(
        self,
        *,
        database: str | os.PathLike[str] | Store | None = "conductor.sqlite",
        fetch: FetchConfig | None = None,
        limits: Limits | None = None,
        workers: int = os.cpu_count() or 1,
        chunking: Mapping[str, Any] | ChunkConfig | None = None,
        chunk: bool = True,
        plugin_path: Iterable[str | os.PathLike[str]] | None = None,
        pins: Mapping[str, str] | None = None,
        retry_failed: bool = False,
        ocr: str | OcrOptions = "auto",
        ocr_languages: tuple[str, ...] = ("eng",),
        ocr_dpi: int = 300,
        ocr_progress: PageProgress | None = None,
        fallback: str | None = None,
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
        self.retry_failed = retry_failed
        self.extractor = Extractor(
            self.limits,
            plugin_path=plugin_path,
            pins=pins,
            ocr=ocr,
            ocr_languages=ocr_languages,
            ocr_dpi=ocr_dpi,
            ocr_progress=ocr_progress,
            fallback=fallback,
        )
        self._pool: ThreadPoolExecutor | None = None
        self._pool_lock = threading.Lock()
        # set by a queue worker (conductor._worker): the per-host connection cap the whole
        # cluster shares, entered around each request besides FetchConfig's own cap
        self.download_gate: HostGate | None = None

    # -- the three ways in ------------------------------------------------------------

    def process_documents(
        self,
        items: Iterable[Mapping[str, Any]],
        *,
        progress: Progress | None = None,
        cancel: threading.Event | None = None,
    ) -> list[Result]:
        """Processes every item and returns one :class:`Result` per item, in input order.

        Each item is a mapping with ``"url"`` or ``"path"`` (with it, ``"name"`` may name
        the document instead, as an upload's filename), and optionally ``"type"``
        (a hint only: the bytes' magic decides), ``"source"`` (a vendor name, stored
        with the URL) and ``"password"`` (for an encrypted document; passed to the
        plugin only, never logged, stored or shown in a result). A malformed item gets
        an error result; no document's failure raises. An input whose recorded failure
        is ``encrypted`` is tried again at once when its item now has a password.

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
            if db is not None and not self.retry_failed:
                failures = {f.key: f for f in await asyncio.to_thread(db.failures)}
                now = time.time()
                ready = []
                for job in jobs:
                    failure = failures.get(job.source)
                    # a password is what an encrypted failure was waiting for
                    kind = None if failure is None else failure.kind
                    unlocks = job.password is not None and kind == "encrypted"
                    if failure is not None and not due(failure, now) and not unlocks:
                        yield not_due(job, failure, now)
                    else:
                        ready.append(job)
                jobs = ready
            async with contextlib.AsyncExitStack() as stack:
                fetcher: Fetcher | None = None
                html = False
                if any(job.url is not None for job in jobs):
                    fetcher = await stack.enter_async_context(
                        Fetcher(self.fetch, gate=self.download_gate)
                    )
                    # with an HTML plugin, a web page that is not an interstitial is a
                    # document (an agenda page), not a failed download
                    html = await asyncio.to_thread(self._handles, "html")
                # downloaded documents waiting for a worker hold temp files: bound them
                slots = asyncio.Semaphore(self.fetch.concurrency + 2 * self.workers)
                for job in jobs:
                    coro = self._one(job, batch, fetcher, pool, slots, html)
                    tasks[asyncio.create_task(coro)] = job
                pending = set(tasks)
                stopping = False
                while pending:
                    done, pending = await asyncio.wait(
                        pending, timeout=_POLL_S, return_when=asyncio.FIRST_COMPLETED
                    )
                    for task in done:
                        # forgotten once yielded: a task holds its result's document
                        yield outcome(task, tasks.pop(task))
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

    # -- the queue (PostgreSQL) ---------------------------------------------------------

    def submit(self, sources: Iterable[str]) -> list[int]:
        """Queues one job per source (http(s) URLs) for ``conductor worker`` processes on
        any machine, and returns their job ids in order; a source already queued or
        running is not queued again (its job's id is returned).

        :raises DatabaseError: ``database`` is not PostgreSQL (a queue needs it;
            :meth:`process_documents` runs a batch here), or a source is not a URL.
        """
        from ._queue import JobQueue  # procrastinate loads only for the queue

        with JobQueue(self._queue_url("Conductor.submit")) as queue:
            return [s.job_id for s in queue.submit(sources)]

    def jobs(self, status: JobStatus | None = None) -> list[JobRecord]:
        """The queue's jobs (or those with ``status``), oldest first.

        :raises DatabaseError: ``database`` is not PostgreSQL.
        """
        from ._queue import JobQueue

        with JobQueue(self._queue_url("Conductor.jobs")) as queue:
            return queue.jobs(status)

    def _queue_url(self, what: str) -> str:
        from ._queue import require_postgres
        from ._store import PostgresStore

        target = self.database
        return require_postgres(target.url if isinstance(target, PostgresStore) else target, what)

    async def _aprocess_fetched(self, fetched: Fetched, document: Document | None = None) -> Result:
        """One document a queue worker downloaded itself (:mod:`conductor._worker`, which
        looks at the bytes before choosing to fan a large PDF out): extracted, chunked
        and stored as this pipeline does its own downloads; with ``document`` (the merge
        of its page ranges) only chunked and stored. ``fetched.path`` stays the caller's."""
        job = Job(0, fetched.url, fetched.url, None, None, committed=True, stage="extract")
        db, own_db = self._open_database()
        batch = Batch(db, lambda: False)
        pool = _BatchPool(self._worker_pool())
        try:
            if document is None:
                return await pool.run(self._work, job, batch, fetched, None, {})
            return await pool.run(self._store_merged, job, batch, document, fetched)
        finally:
            await pool.drain()
            if own_db and db is not None:
                db.close()

    async def _afailed_download(
        self, url: str, error: ConductorError, timings: dict[str, float]
    ) -> Result:
        """The error result of a download a queue worker made itself, recorded in the
        store's ``failures`` as the pipeline records its own."""
        job = Job(0, url, url, None, None)
        db, own_db = self._open_database()
        try:
            batch = Batch(db, lambda: False)
            return await asyncio.to_thread(self._failed, job, batch, error, timings)
        finally:
            if own_db and db is not None:
                db.close()

    def _store_merged(self, job: Job, batch: Batch, document: Document, fetched: Fetched) -> Result:
        timings: dict[str, float] = {}
        try:
            with batch.lock_for(document.sha256):
                extractor = self._plugin_id(document.format, job)
                return self._finish(job, batch, document, extractor, fetched, timings, cached=False)
        except ConductorError as e:
            return self._failed(job, batch, e, timings)
        except Exception as e:
            return self._failed(job, batch, unexpected(job, e), timings)

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

    def _open_database(self) -> tuple[Store | None, bool]:
        if self.database is None or not isinstance(self.database, (str, os.PathLike)):
            return self.database, False
        return open_store(self.database), True

    async def _one(
        self,
        job: Job,
        batch: Batch,
        fetcher: Fetcher | None,
        pool: _BatchPool,
        slots: asyncio.Semaphore,
        html: bool = False,
    ) -> Result:
        """One input, start to end; every failure becomes an error result. ``html``: an
        HTML page that links to no single document is the document."""
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
                if record is not None:
                    # A 304 would hand back a document an older plugin made: ask for the
                    # body instead, to extract it again.
                    usable = await asyncio.to_thread(self._reusable, job, batch, record.sha256)
                    if not usable:
                        record = None
                start = time.monotonic()
                fetched = await fetcher.fetch(
                    job.url,
                    etag=None if record is None else record.etag,
                    last_modified=None if record is None else record.last_modified,
                    html_documents=html,
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
        with batch.lock_for(record.sha256):
            document = db.load_document(record.sha256)
            origin = db.document_origin(record.sha256)
            if document is None or origin is None:
                raise DatabaseError(
                    f"the server answered 304 for {job.url}, but its document "
                    f"{record.sha256[:12]} is no longer stored",
                    document=db.path,
                )
            return self._finish(
                job, batch, document, origin[1], fetched, timings, cached=True, not_modified=True
            )

    def _process(
        self, job: Job, batch: Batch, fetched: Fetched | None, timings: dict[str, float]
    ) -> Result:
        if fetched is not None:
            assert fetched.path is not None
            assert fetched.sha256 is not None
            path, sha256 = fetched.path, fetched.sha256
        else:
            assert job.path is not None
            job.stage = "read"
            path, sha256 = Path(job.path), hash_file(job.path)
        with batch.lock_for(sha256):
            document, extractor = self._reuse(job, batch, sha256)
            cached = document is not None
            if document is None:
                job.stage = "extract"
                start = time.monotonic()
                media_type = fetched.content_type if fetched is not None else None
                document = self.extractor.extract(
                    path, name=job.source, media_type=media_type, password=job.password
                )
                timings["extract_s"] = time.monotonic() - start
                if document.ocr_seconds is not None:  # OCR is its own stage
                    timings["ocr_s"] = document.ocr_seconds
                    timings["extract_s"] = max(0.0, timings["extract_s"] - document.ocr_seconds)
                extractor = self._plugin_id(document.format, job)
            return self._finish(job, batch, document, extractor, fetched, timings, cached=cached)

    def _reuse(self, job: Job, batch: Batch, sha256: str) -> tuple[Document | None, str | None]:
        """The document of these bytes when it is known and still current, and the plugin
        that made it; ``(None, None)`` when it must be extracted."""
        db = batch.db
        if db is None:
            return batch.alive.get(sha256), None
        if not self._reusable(job, batch, sha256):
            return None, None
        origin = db.document_origin(sha256)
        document = db.load_document(sha256)
        if origin is None or document is None:
            return None, None
        if self._ocr_missing(document):
            log.info("%s: stored document %s lacks OCR, reading it again", job.source, sha256[:12])
            return None, None
        return document, origin[1]

    def _ocr_missing(self, document: Document) -> bool:
        """Whether OCR is on and a stored page that needs it was never tried (a document
        stored with OCR off, or before OCR existed): then it is extracted again. A page
        OCR was tried on and could not read has a warning, and stays as it is."""
        if self.extractor.ocr.mode == "off" or document.format != "pdf":
            return False
        tried = {w.page for w in document.warnings if w.code.startswith("ocr_")}
        return any(p.needs_ocr and p.ocr is None and p.number not in tried for p in document.pages)

    def _reusable(self, job: Job, batch: Batch, sha256: str) -> bool:
        """Whether the stored document of ``sha256`` may be used as it is: stored by this
        batch, or made by the plugin that would extract it now (same name and version).
        When no plugin handles its format any more, the stored one is all there is."""
        db = batch.db
        if db is None or sha256 in batch.stored:
            return db is not None
        origin = db.document_origin(sha256)
        if origin is None:
            return False
        fmt, made_by = origin
        current = self._plugin_id(fmt, job)
        if current is not None and current != made_by:
            log.info(
                "%s: stored document %s was made by %s, extracting it again with %s",
                job.source,
                sha256[:12],
                made_by or "an unknown plugin version",
                current,
            )
            return False
        return True

    def _handles(self, fmt: str) -> bool:
        """Whether some usable plugin handles ``fmt``."""
        try:
            return bool(self.extractor.registry.candidates(fmt))
        except ConductorError:  # pinned to a plugin that is not there
            return False

    def _plugin_id(self, fmt: str, job: Job) -> str | None:
        """``"name version"`` of the plugin extracting ``fmt`` now (loading it if needed);
        ``None`` when no plugin handles it."""
        try:
            spec, _ = self.extractor._load(fmt, document=job.source)
        except ConductorError:
            return None
        info = self.extractor.registry.info(spec)
        version = info.version if info is not None else spec.version
        return f"{spec.name} {version}"

    def _chunking(self) -> ChunkingKey:
        """What chunks made now are stored under: this configuration and the chunker's
        ``"name version"``."""
        info = self.extractor.chunker.info(self.limits)
        return self.chunking.key(f"{info.name} {info.version}")

    def _finish(
        self,
        job: Job,
        batch: Batch,
        document: Document,
        extractor: str | None,
        fetched: Fetched | None,
        timings: dict[str, float],
        *,
        cached: bool,
        not_modified: bool = False,
    ) -> Result:
        """Chunks ``document`` unless its chunks for this configuration are stored, and
        stores what is new. Under the document's lock."""
        # A stored document comes back unbound; the caller's result.document.chunk()
        # should work the same for cache hits as for fresh extractions.
        self.extractor.bind(document)
        db = batch.db
        chunks: list[Chunk] | None = None
        fresh = False
        key: ChunkingKey | None = None
        if self.chunk:
            if db is not None:
                key = self._chunking()
                if cached:
                    chunks = db.find_chunks(document.sha256, key)
                # the bound holds for every result, whatever a stored row says
                if chunks is not None and any(c.tokens > self.chunking.max_tokens for c in chunks):
                    chunks = None
            if chunks is None:
                chunks, fresh = self._chunk(job, document, timings), True
        if db is None:
            batch.alive[document.sha256] = document
        else:
            job.stage = "store"
            start = time.monotonic()
            self._store(
                db, job, document, chunks if fresh else None, key, extractor, fetched, cached
            )
            batch.stored.add(document.sha256)
            timings["store_s"] = time.monotonic() - start
        return success(job, document, chunks, timings, cached=cached, not_modified=not_modified)

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
        db: Store,
        job: Job,
        document: Document,
        chunks: list[Chunk] | None,
        chunking: ChunkingKey | None,
        extractor: str | None,
        fetched: Fetched | None,
        cached: bool,
    ) -> None:
        """Saves what is new: the document unless it was loaded, new chunks (under the
        configuration that made them), the URL."""
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
            chunking=chunking,
            extractor=extractor,
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
                db.record_failure(
                    job.source,
                    url=job.url,
                    stage=error.stage,
                    kind=error.kind,
                    message=error.message,
                    next_retry_at=retry_at(error.kind, previous, now, RETRY_BASE_S, RETRY_MAX_S),
                    failed_at=now,
                )
            except ConductorError as e:
                log.warning("could not record the failure of %s: %s", job.source, e)
        return Result(job.source, False, index=job.index, error=error, timings=timings)


__all__ = ["Conductor", "Progress"]
