"""Queue mode (a ``postgresql://`` database): the server enqueues, ``conductor worker``
processes run.

Each document of a job becomes a job of the queue (:class:`conductor._queue.JobQueue`,
procrastinate: one URL per job, retries, stalled-worker recovery), run by any number of
``conductor worker`` processes on any machines into the same PostgreSQL store. This
runner only enqueues and follows up: a thread reads the queue jobs' statuses, writes each
finished document's result into the service tables (its sha256, format and page count
from the store, its error from the queue's error table), ends the job when its last
document ended, and so queues its callback. Everything it follows is in the database, so
a restarted server picks up where the last one stopped.

The documents' metrics are the workers' (pushed through the database,
:mod:`conductor._metrics_db`); this runner counts none itself.

A document with an upload, a password or a chunking other than the default goes to the
queue with an input row (:mod:`conductor._job_inputs`: the bytes and the password in
PostgreSQL, where any worker reads them; deleted as soon as the document ended or its job
was cancelled) and its chunking as task arguments; the worker writes the document's
sha256 back on that row. Any other document is a plain URL job, shared with an identical
one already queued. (A job with the default chunking is chunked with the workers' own
``--max-tokens`` etc.)
"""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import replace
from typing import Any

from conductor import _job_inputs as job_inputs
from conductor._errors import ConductorError
from conductor._queue import JobQueue
from conductor._results import ChunkConfig

from ._metrics import Metrics
from ._store import JobStore, NewDocument

log = logging.getLogger("conductor.service.queue")

ALIVE_S = 15.0
"""A worker counts as alive (``/readyz``) when it heartbeated this recently."""

_STATUSES = (
    "SELECT j.id, j.status::text, e.kind, e.message, (j.args->>'input_id')::bigint "
    "FROM procrastinate_jobs j "
    "LEFT JOIN conductor_job_errors e ON e.job_id = j.id WHERE j.id = ANY(%s)"
)
_ALIVE = (
    "SELECT COUNT(*) FROM procrastinate_workers "
    "WHERE last_heartbeat > now() - make_interval(secs => %s)"
)
_ENDED = {"succeeded", "failed", "cancelled", "aborted"}


class QueueRunner:
    """Enqueues jobs' documents and follows them until they end.

    :param poll_s: how often the queue's statuses are read.
    """

    def __init__(
        self,
        store: JobStore,
        queue: JobQueue,
        metrics: Metrics,
        *,
        on_end: Any = lambda job_id: None,
        poll_s: float = 0.25,
    ) -> None:
        self.store = store
        self.queue = queue
        self.metrics = metrics
        self.on_end = on_end
        self.poll_s = poll_s
        self.name = f"queue-{os.getpid()}"
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._lock = threading.Lock()  # one enqueue at a time (the loop and the API)
        self._thread = threading.Thread(target=self._loop, name="conductor-follow", daemon=True)

    def start(self) -> None:
        # Jobs a stopped server had queued, or claimed before it enqueued them all.
        for job_id in self.store.unfinished():
            self._enqueue(job_id)
        self._thread.start()

    def stage(
        self, documents: list[NewDocument], passwords: dict[int, str], chunking: ChunkConfig
    ) -> list[NewDocument]:
        """The documents, those that need it with an input row written (an upload's
        bytes read from its spool file, a password, or just a place for the result of a
        chunking of their own), before the job's rows are.

        :raises DatabaseError: the database failed.
        """
        out = []
        for i, d in enumerate(documents):
            if d.upload is None and i not in passwords and chunking == ChunkConfig():
                out.append(d)
                continue
            body = None
            if d.upload is not None:
                with open(d.upload, "rb") as f:
                    body = f.read()
            input_id = job_inputs.create_input(
                self.queue.store, d.source, body=body, password=passwords.get(i)
            )
            out.append(replace(d, upload=None, input_id=input_id))
        return out

    def submit(self, job_id: str, passwords: dict[int, str]) -> None:
        self._enqueue(job_id)  # passwords went to input rows (stage)
        self._wake.set()

    def cancel(self, job_id: str) -> None:
        job = self.store.job(job_id)
        if job is None:
            return
        ids = [d.queue_job for d in job.documents if d.queue_job is not None]
        if ids:
            self.queue.cancel(ids)
        # what a cancelled document no longer needs (its password first of all)
        inputs = [d.input_id for d in job.documents if d.input_id is not None]
        job_inputs.delete_inputs(self.queue.store, inputs)

    def close(self) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(10)

    def alive(self) -> int:
        """Workers that heartbeated in the last :data:`ALIVE_S` seconds."""
        with self.queue.store.connection() as conn:
            row = conn.execute(_ALIVE, (ALIVE_S,)).fetchone()
        return 0 if row is None else int(row[0])

    def _enqueue(self, job_id: str) -> None:
        """Enqueues every document of the job not enqueued yet, and marks it running.
        A URL already queued by another job is followed, not queued twice."""
        with self._lock:
            self.store.claim(job_id, self.name)
            job = self.store.job(job_id)
            if job is None or job.status != "running":
                return
            todo = [d for d in job.documents if d.status == "queued" and d.queue_job is None]
            if not todo:
                return
            plain = [d for d in todo if d.input_id is None]
            submitted = self.queue.submit([d.url or "" for d in plain])
            queued = {d.idx: s.job_id for d, s in zip(plain, submitted, strict=True)}
            for d in todo:
                if d.input_id is not None:
                    source = d.url or d.source
                    queued[d.idx] = job_inputs.defer(self.queue, source, job.chunking, d.input_id)
            self.store.set_queue_jobs(job_id, queued)
            log.info("job enqueued: %d document(s)", len(todo), extra={"job_id": job_id})

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self._follow()
            except ConductorError as e:
                log.warning("following the queue failed: %s", e)
            except Exception:
                log.exception("following the queue failed")
            self._wake.wait(self.poll_s)
            self._wake.clear()

    def _follow(self) -> None:
        docs = self.store.following()
        ids = sorted({q for *_, q in docs if q is not None})
        states: dict[int, tuple[str, str | None, str | None, int | None]] = {}
        if ids:
            with self.queue.store.connection() as conn:
                for qid, status, kind, message, input_id in conn.execute(
                    _STATUSES, (ids,)
                ).fetchall():
                    states[int(qid)] = (status, kind, message, input_id)
            self._overlay_fanouts(states)
        for job_id, idx, url, queue_job in docs:
            if queue_job is None:
                self._enqueue(job_id)
                continue
            state = states.get(queue_job)
            if state is None or state[0] not in _ENDED:
                continue
            self._record(job_id, idx, url, *state)
        for job_id in self.store.running_jobs():
            job = self.store.job(job_id)
            if job is not None and all(d.status != "queued" for d in job.documents):
                self.store.finish(job_id)
                log.info("job ended", extra={"job_id": job_id})
                self.on_end(job_id)

    def _overlay_fanouts(
        self, states: dict[int, tuple[str, str | None, str | None, int | None]]
    ) -> None:
        """A document fanned out into page-range jobs has its queue job ``succeeded`` as
        soon as the ranges are queued: the queue's own view (:meth:`JobQueue.jobs_by_id`:
        running until the ranges are merged, failed when one failed) decides instead."""
        done = [qid for qid, state in states.items() if state[0] == "succeeded"]
        if not done:
            return
        for qid, record in self.queue.jobs_by_id(done).items():
            if record.status != "succeeded":
                kind, _, message = (record.error or "").partition(": ")
                states[qid] = (record.status, kind or None, message or None, states[qid][3])

    def _record(
        self,
        job_id: str,
        idx: int,
        url: str,
        status: str,
        kind: str | None,
        message: str | None,
        input_id: int | None,
    ) -> None:
        sha256 = fmt = pages = chunks = error = None
        if status == "succeeded":
            store = self.queue.store
            made: tuple[str, int | None] | None
            if input_id is not None:  # the worker wrote its result on the input row
                made = job_inputs.input_result(store, input_id)
            else:
                record = store.lookup_url(url)
                made = None if record is None else (record.sha256, None)
            document = None if made is None else store.load_document(made[0])
            if made is None or document is None:
                status, kind, message = "failed", "database", "the worker stored no document"
            else:
                sha256, fmt, pages = document.sha256, document.format, document.page_count
                chunks = made[1]
                if chunks is None:
                    chunks = len(store.load_chunks(document.sha256))
        if status != "succeeded":
            cancelled = status in ("cancelled", "aborted")
            error = {
                "kind": "cancelled" if cancelled else kind or "plugin_failure",
                "stage": "worker",
                "message": f"{url}: {message or status}",
            }
        ok = error is None
        self.store.record_document(
            job_id,
            idx,
            ok=ok,
            sha256=sha256,
            format=fmt,
            page_count=pages,
            chunks=chunks,
            error=error,
        )
        if input_id is not None:  # the document ended: its bytes and password go
            job_inputs.delete_inputs(self.queue.store, [input_id])
        extra = {"job_id": job_id, "document": url, "status": "ok" if ok else "failed"}
        log.info("document %s", "done" if ok else "failed", extra=extra)
