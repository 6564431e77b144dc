"""Who runs the jobs: :class:`JobRunner`, and the embedded one that runs them in-process.

The API only writes a job's rows and calls :meth:`JobRunner.submit`; the runner claims the
job in the database, runs its documents through the batch pipeline
(:class:`conductor.Conductor`: download, extract, chunk, store), writes each document's
result as it finishes, and ends the job. In queue mode
(:class:`conductor._service._queue_runner.QueueRunner`, PostgreSQL) ``submit`` enqueues
and ``conductor worker`` processes run the documents, behind the same interface.
"""

from __future__ import annotations

import logging
import os
import shutil
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Protocol

from conductor._errors import ConductorError
from conductor._fetch import FetchConfig
from conductor._models import Limits
from conductor._pipeline import Conductor
from conductor._results import ChunkConfig, Result
from conductor._store import Store

from ._metrics import Metrics
from ._store import JobStore

log = logging.getLogger("conductor.service.jobs")

HEARTBEAT_S = 5.0
"""How often a runner says it is alive (``/readyz`` wants one in the last 3 periods)."""


class JobRunner(Protocol):
    """Runs submitted jobs; the API's only way to start or stop one."""

    def start(self) -> None:
        """Starts running, resuming the jobs the database holds as queued or running."""

    def submit(self, job_id: str, passwords: dict[int, str]) -> None:
        """Runs (or enqueues) a job whose rows are written. ``passwords``: document index
        -> password, kept in memory only."""

    def cancel(self, job_id: str) -> None:
        """Stops a job that was cancelled in the database, if it runs here."""

    def close(self) -> None:
        """Stops taking jobs; running ones stay ``running`` and resume at the next start."""

    def alive(self) -> int:
        """How many job runners were seen recently (``/readyz``)."""


class EmbeddedRunner:
    """Runs jobs in this process on ``workers`` threads (each job's documents on the
    pipeline's own thread pool); one per database file.

    :param spool: where uploads are kept until their job ends.
    :param on_end: called with a job id when a job ended (to wake the callback sender).
    """

    def __init__(
        self,
        store: JobStore,
        database: Store,
        metrics: Metrics,
        *,
        workers: int,
        fetch: FetchConfig,
        limits: Limits,
        spool: str,
        on_end: Callable[[str], None] = lambda job_id: None,
    ) -> None:
        self.store = store
        self.database = database
        self.metrics = metrics
        self.fetch = fetch
        self.limits = limits
        self.spool = spool
        self.on_end = on_end
        self.name = f"embedded-{os.getpid()}"
        self._pool = ThreadPoolExecutor(workers, thread_name_prefix="conductor-job")
        self._conductors: dict[ChunkConfig, Conductor] = {}
        self._lock = threading.Lock()
        self._cancels: dict[str, threading.Event] = {}
        self._passwords: dict[str, dict[int, str]] = {}
        self._stop = threading.Event()
        self._beat = threading.Thread(target=self._heartbeat, name="conductor-beat", daemon=True)

    def start(self) -> None:
        # One embedded runner per database: whatever is "running" was this runner's
        # before it stopped (or was killed), and starts again.
        resumed = self.store.requeue()
        self.store.heartbeat(self.name)
        self._beat.start()
        for job_id in self.store.unfinished():
            self._pool.submit(self.run_job, job_id)
        if resumed:
            log.info("resuming %d job(s) that were running when the server stopped", resumed)

    def submit(self, job_id: str, passwords: dict[int, str]) -> None:
        if passwords:
            with self._lock:
                self._passwords[job_id] = passwords
        self._pool.submit(self.run_job, job_id)

    def cancel(self, job_id: str) -> None:
        with self._lock:
            event = self._cancels.get(job_id)
        if event is not None:
            event.set()  # the running job stops, and discards its uploads as it ends
        else:
            discard_uploads(self.spool, job_id)

    def close(self) -> None:
        self._stop.set()
        with self._lock:
            events = list(self._cancels.values())
        for event in events:
            event.set()
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._beat.join(HEARTBEAT_S + 1)
        with self._lock:
            conductors, self._conductors = list(self._conductors.values()), {}
        for conductor in conductors:
            conductor.close()

    def alive(self) -> int:
        return self.store.workers_seen(time.time() - 3 * HEARTBEAT_S)

    def _heartbeat(self) -> None:
        while not self._stop.wait(HEARTBEAT_S):
            try:
                self.store.heartbeat(self.name)
            except ConductorError as e:
                log.warning("heartbeat failed: %s", e)

    def _conductor(self, config: ChunkConfig) -> Conductor:
        """One Conductor per chunking configuration, kept: each keeps its worker threads
        and their warm chunker instances for the next job."""
        with self._lock:
            conductor = self._conductors.get(config)
            if conductor is None:
                conductor = Conductor(
                    database=self.database,
                    fetch=self.fetch,
                    limits=self.limits,
                    chunking=config,
                    retry_failed=True,  # a job is an explicit request: always try
                )
                self._conductors[config] = conductor
            return conductor

    def run_job(self, job_id: str) -> None:
        """Claims a queued job, runs its unfinished documents and ends it."""
        if self._stop.is_set():
            return
        try:
            if not self.store.claim(job_id, self.name):
                return  # cancelled meanwhile, or another runner has it
            self._run(job_id)
        except Exception as e:
            log.exception("job failed", extra={"job_id": job_id})
            error = {
                "kind": "plugin_failure",
                "stage": "internal",
                "message": f"{type(e).__name__}: {e}",
            }
            if isinstance(e, ConductorError):
                error = e.to_dict()
            try:
                self._ended(job_id, error)
            except ConductorError:
                log.exception("could not end the job", extra={"job_id": job_id})

    def _run(self, job_id: str) -> None:
        job = self.store.job(job_id)
        if job is None:
            return
        cancel = threading.Event()
        with self._lock:
            self._cancels[job_id] = cancel
            passwords = self._passwords.pop(job_id, {})
        try:
            todo = [d for d in job.documents if d.status == "queued"]
            items: list[dict[str, str]] = []
            for d in todo:
                item = {"url": d.url} if d.url is not None else {"path": d.upload or ""}
                if d.url is None:
                    item["name"] = d.source  # the uploaded filename, not the spool path
                if d.type:
                    item["type"] = d.type
                if d.vendor:
                    item["source"] = d.vendor
                if d.idx in passwords:
                    item["password"] = passwords[d.idx]
                items.append(item)
            log.info(
                "job started: %d document(s)",
                len(items),
                extra={"job_id": job_id, "status": "running"},
            )

            def progress(result: Result) -> None:
                doc = todo[result.index]
                self._record(job_id, doc.idx, doc.source, result)

            if items:
                self._conductor(job.chunking).process_documents(
                    items, progress=progress, cancel=cancel
                )
            if self._stop.is_set():
                return  # shutting down: the job stays running and resumes at the next start
            self._ended(job_id, None)
        finally:
            with self._lock:
                self._cancels.pop(job_id, None)

    def _record(self, job_id: str, idx: int, source: str, result: Result) -> None:
        error = None if result.error is None else result.error.to_dict()
        if result.error is not None and result.error.kind == "cancelled":
            return  # the job was cancelled: the document already says so
        self.store.record_document(
            job_id,
            idx,
            ok=result.ok,
            sha256=result.sha256,
            format=result.format,
            page_count=result.page_count,
            chunks=None if result.chunks is None else len(result.chunks),
            error=error,
        )
        self.metrics.observe(result)
        extra = {"job_id": job_id, "document": source, "status": "ok" if result.ok else "failed"}
        if error is not None:
            extra.update(kind=error["kind"], stage=error["stage"])
            log.info("document failed: %s", error["message"], extra=extra)
        else:
            log.info("document done: %s pages", result.page_count, extra=extra)

    def _ended(self, job_id: str, error: dict[str, str] | None) -> None:
        job = self.store.finish(job_id, error=error)
        if job is None:  # cancelled: its end was written by the cancel
            job = self.store.job(job_id)
        discard_uploads(self.spool, job_id)
        if job is not None:
            log.info("job ended", extra={"job_id": job_id, "status": job.status})
        self.on_end(job_id)


def upload_dir(spool: str, job_id: str) -> str:
    """The directory holding a job's uploaded files until it ends."""
    return os.path.join(spool, job_id)


def discard_uploads(spool: str, job_id: str) -> None:
    shutil.rmtree(upload_dir(spool, job_id), ignore_errors=True)
