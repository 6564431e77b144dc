"""The queue's worker: runs :mod:`conductor._queue` jobs through a :class:`Conductor`.

One worker process runs up to ``concurrency`` jobs at once in one event loop: each job is
one source downloaded (through the cluster-wide per-host rate limit and connection cap),
then extracted, chunked and stored by the same pipeline, sandbox and limits as
``conductor process``, into the PostgreSQL store the queue lives in; a PDF over
``fanout_pages`` pages is fanned out into page-range jobs instead (:mod:`conductor._fanout`).
Beside procrastinate's own worker loop, two side tasks run:

- **stalled-job recovery**: every worker heartbeats (procrastinate's
  ``update_heartbeat_interval``); a job left ``doing`` by a worker whose heartbeat is older
  than ``stalled_s`` (killed, its machine gone) is put back in the queue by any live
  worker, and runs again. Storing is an upsert keyed by the document's sha256, so a
  document whose worker died after storing it is still stored once.
- **the exit rule**: ``max_jobs`` stops the worker after that many jobs (a supervisor
  starts a fresh process: memory growth in long-lived workers is the usual complaint);
  ``burst`` stops it when nothing is queued (due now) or running anywhere, which also
  waits out the recovery of a dead worker's jobs.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import time
import urllib.parse
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from procrastinate import JobContext, RetryStrategy
from procrastinate.exceptions import AlreadyEnqueued, ProcrastinateException
from procrastinate.worker import Worker

from . import _metrics_db as metrics_db
from ._errors import ConductorError
from ._fanout import Fanned, Fanouts, RangeFailed
from ._fetch import FetchConfig
from ._job_inputs import InputRunner
from ._models import Limits
from ._pipeline import Conductor
from ._queue import (
    QUEUE,
    TASK_NAME,
    ClusterConnectionCap,
    ClusterRateLimiter,
    ensure_queue_schema,
    make_app,
    require_postgres,
)
from ._queue._fanout import RANGE_TASK
from ._results import ChunkConfig, Result
from ._store import PostgresStore
from ._worker_config import WorkerConfig

TRANSIENT_KINDS = frozenset({"download_failed", "timeout", "circuit_open", "database", "io_error"})
"""Failures that may pass by themselves (the network, a busy server or database, a
deadline on a loaded machine): the job is retried. Every other kind (``not_found``,
``corrupt``, ``encrypted``, ``too_large``, ...) says the same thing on every attempt."""


class TransientJobError(Exception):
    """A job's document failed in a way that may pass: procrastinate retries the job."""


class PermanentJobError(Exception):
    """A job's document failed in a way that trying again cannot fix."""


MAX_ATTEMPTS = 3
"""Attempts of a job (or a page range) whose failure may pass, before it fails."""

RETRY = RetryStrategy(
    max_attempts=MAX_ATTEMPTS, wait=5, exponential_wait=2, retry_exceptions={TransientJobError}
)
"""A job whose document failed for a reason that may pass (:data:`TRANSIENT_KINDS`) runs
again after 7 s, then 9 s: three attempts in all. Any other failure is not retried
(:class:`PermanentJobError` is outside ``retry_exceptions``)."""


@dataclass(frozen=True)
class JobOutcome:
    """One job this worker finished: ``{"job_id", "source", "status", "error"}``."""

    job_id: int
    source: str
    status: str
    error: str | None


@dataclass
class WorkerReport:
    """What a worker did before it exited."""

    succeeded: int = 0
    failed: int = 0
    recovered: list[int] = field(default_factory=list)
    """Jobs of dead workers this worker queued again."""


_ACTIVE = (
    "SELECT count(*) FROM procrastinate_jobs WHERE task_name = ANY(%s) AND queue_name = %s AND "
    "(status IN ('doing', 'aborting') OR (status = 'todo' AND "
    "(scheduled_at IS NULL OR scheduled_at <= now())))"
)
_BURST_CHECK_S = 0.25
"""How often a ``--burst`` worker looks whether the queue is empty (one small query)."""
_SET_ERROR = (
    "INSERT INTO conductor_job_errors (job_id, kind, message, at) VALUES (%s, %s, %s, %s) "
    "ON CONFLICT (job_id) DO UPDATE SET kind = excluded.kind, message = excluded.message, "
    "at = excluded.at"
)


def run_worker(
    url: str,
    config: WorkerConfig | None = None,
    *,
    fetch: FetchConfig | None = None,
    limits: Limits | None = None,
    chunking: Mapping[str, Any] | ChunkConfig | None = None,
    plugin_path: Iterable[str | os.PathLike[str]] | None = None,
    pins: Mapping[str, str] | None = None,
    ocr: Mapping[str, Any] | None = None,
    on_job: Callable[[JobOutcome], None] | None = None,
) -> WorkerReport:
    """Runs a worker on the queue in ``url`` until its exit rule (or SIGINT/SIGTERM: the
    jobs running finish first) and returns what it did.

    ``fetch``, ``limits``, ``chunking``, ``plugin_path``, ``pins`` and ``ocr`` (its
    ``ocr``, ``ocr_languages``, ``ocr_dpi``, ``fallback`` arguments) are the
    :class:`Conductor`'s; ``config.rate`` replaces ``fetch.rate_per_domain`` and
    ``config.connections`` ``fetch.per_domain_connections``.

    :param on_job: called with each finished job (in the worker's event loop).
    :raises DatabaseError: ``url`` is not PostgreSQL, or the database cannot be opened.
    """
    return asyncio.run(
        arun_worker(
            url,
            config,
            fetch=fetch,
            limits=limits,
            chunking=chunking,
            plugin_path=plugin_path,
            pins=pins,
            ocr=ocr,
            on_job=on_job,
        )
    )


async def arun_worker(
    url: str,
    config: WorkerConfig | None = None,
    *,
    fetch: FetchConfig | None = None,
    limits: Limits | None = None,
    chunking: Mapping[str, Any] | ChunkConfig | None = None,
    plugin_path: Iterable[str | os.PathLike[str]] | None = None,
    pins: Mapping[str, str] | None = None,
    ocr: Mapping[str, Any] | None = None,
    on_job: Callable[[JobOutcome], None] | None = None,
) -> WorkerReport:
    """:func:`run_worker` in the running event loop."""
    require_postgres(url, "conductor worker")
    config = config or WorkerConfig()
    # the store's migrations and the queue's schema, applied once for the whole cluster
    store = await asyncio.to_thread(PostgresStore, url, max_connections=config.concurrency + 2)
    try:
        await asyncio.to_thread(_ensure_queue_schema, store)
    except BaseException:
        store.close()
        raise
    fetch = dataclasses.replace(
        fetch or FetchConfig(),
        rate_per_domain=config.rate,
        per_domain_connections=config.connections,
    )
    plugins = None if plugin_path is None else list(plugin_path)  # read once per Conductor

    def make_conductor(chunking: Mapping[str, Any] | ChunkConfig | None) -> Conductor:
        return Conductor(
            database=store,
            fetch=fetch,
            limits=limits,
            workers=max(1, min(config.concurrency, os.cpu_count() or 1)),
            chunking=chunking,
            plugin_path=plugins,
            pins=pins,
            retry_failed=True,  # a job is an explicit request: never "not due yet"
            **dict(ocr or {}),
        )

    try:
        conductor = make_conductor(chunking)
    except BaseException:
        store.close()
        raise
    limiter = ClusterRateLimiter(url, config.rate)
    cap = ClusterConnectionCap(url, config.connections)
    conductor.download_gate = cap.hold

    def make_input_conductor(chunking: ChunkConfig) -> Conductor:
        made = make_conductor(chunking)
        made.download_gate = cap.hold
        return made

    # service jobs carrying a chunking, a password or an upload (conductor._job_inputs)
    inputs = InputRunner(store, make_input_conductor)
    report = WorkerReport()
    running = 0
    app = make_app(url)
    worker: Worker | None = None

    jobs_done = 0

    def finished(outcome: JobOutcome | None) -> None:
        """Counts a job this worker ran; ``outcome`` is the document's, when the job
        decided it (a range that is not the last one, or a job that fanned its document
        out, decides nothing yet)."""
        nonlocal jobs_done
        jobs_done += 1
        if outcome is not None:
            if outcome.status == "succeeded":
                report.succeeded += 1
            else:
                report.failed += 1
            if on_job is not None:
                on_job(outcome)
        if config.max_jobs is not None and jobs_done >= config.max_jobs and worker is not None:
            worker.stop()  # type: ignore[no-untyped-call]  # procrastinate leaves it untyped

    async def settle(job_id: int, source: str, result: Result) -> JobOutcome:
        """Records a document's result on its job (the error, or none), and adds it to
        the metrics the server shows (a metrics write that fails fails no document)."""
        with contextlib.suppress(ConductorError):
            await asyncio.to_thread(metrics_db.add, store, metrics_db.result_samples(result))
        if result.ok:
            await asyncio.to_thread(_clear_error, store, job_id)
            return JobOutcome(job_id, source, "succeeded", None)
        error = result.error
        kind = "plugin_failure" if error is None else error.kind
        message = "failed" if error is None else error.message
        await asyncio.to_thread(_set_error, store, job_id, kind, message)
        return JobOutcome(job_id, source, "failed", f"{kind}: {message}")

    async def queue_range(parent: int, first: int, last: int) -> None:
        deferrer = app.configure_task(RANGE_TASK, queue=QUEUE, queueing_lock=f"{parent}:{first}")
        # already queued: a first attempt queued it before its worker died
        with contextlib.suppress(AlreadyEnqueued):
            await deferrer.defer_async(parent=parent, first=first, last=last)

    fanouts = Fanouts(conductor, store, config.fanout_pages, queue_range)

    @app.task(name=TASK_NAME, queue=QUEUE, retry=RETRY, pass_context=True)
    async def process(
        context: JobContext,
        source: str,
        chunking: dict[str, Any] | None = None,
        input_id: int | None = None,
    ) -> None:
        nonlocal running
        running += 1
        job_id = context.job.id
        assert job_id is not None
        try:
            host = urllib.parse.urlsplit(source).hostname or ""
            if host or input_id is None:  # an upload (named by its file) downloads nothing
                await limiter.acquire(host)
            got: Result | Fanned
            if input_id is not None:
                got = await inputs.run(source, chunking or {}, input_id)
            else:
                got = await fanouts.process(job_id, source)
            if isinstance(got, Fanned):  # its last range's worker settles it
                await asyncio.to_thread(_clear_error, store, job_id)
                finished(None)
                return
            outcome = await settle(job_id, source, got)
            finished(outcome)
            if outcome.error is None:
                return
            kind = outcome.error.split(":", 1)[0]
            if kind in TRANSIENT_KINDS:
                raise TransientJobError(outcome.error)
            raise PermanentJobError(outcome.error)
        except ConductorError as e:  # the store or the rate limit's database failed
            await _try_set_error(store, job_id, e.kind, e.message)
            finished(JobOutcome(job_id, source, "failed", f"{e.kind}: {e.message}"))
            raise TransientJobError(f"{e.kind}: {e.message}") from e
        finally:
            running -= 1

    @app.task(name=RANGE_TASK, queue=QUEUE, retry=RETRY, pass_context=True)
    async def extract_range(context: JobContext, parent: int, first: int, last: int) -> None:
        nonlocal running
        running += 1
        try:
            try:
                result = await fanouts.run_range(parent, first, last)
            except RangeFailed as e:
                error = e.error
                text = f"{error.kind}: {error.message}"
                retried = error.kind in TRANSIENT_KINDS and context.job.attempts < MAX_ATTEMPTS
                if retried:
                    finished(None)
                    raise TransientJobError(text) from e
                # the first range to fail fails the document; the others find it ended
                outcome = None
                if await fanouts.fail(parent):
                    await asyncio.to_thread(_set_error, store, parent, error.kind, error.message)
                    outcome = JobOutcome(parent, e.source, "failed", text)
                finished(outcome)
                raise PermanentJobError(text) from e
            if result is None:
                finished(None)
                return
            finished(await settle(parent, result.source, result))
        except ConductorError as e:  # the database failed: the range runs again
            finished(None)
            raise TransientJobError(f"{e.kind}: {e.message}") from e
        finally:
            running -= 1

    try:
        async with app.open_async():
            worker = Worker(
                app=app,
                queues=[QUEUE],
                concurrency=config.concurrency,
                wait=True,
                fetch_job_polling_interval=config.poll_s,
                abort_job_polling_interval=config.poll_s,
                update_heartbeat_interval=config.heartbeat_s,
                stalled_worker_timeout=config.stalled_s,
                install_signal_handlers=True,
            )
            run = worker.run()  # type: ignore[no-untyped-call]  # procrastinate leaves it untyped
            loop_task = asyncio.create_task(run, name="conductor-worker")
            side = [asyncio.create_task(_recover(app, config, report), name="recover")]
            if config.burst:
                side.append(
                    asyncio.create_task(_burst_exit(worker, store, config, lambda: running))
                )
            try:
                await loop_task
            finally:
                for task in side:
                    task.cancel()
                await asyncio.gather(*side, return_exceptions=True)
    finally:
        await limiter.aclose()
        await cap.aclose()
        conductor.close()
        inputs.close()
        store.close()
    return report


async def _recover(app: Any, config: WorkerConfig, report: WorkerReport) -> None:
    """Queues again the jobs of workers whose heartbeat stopped (every third of
    ``stalled_s``). Two live workers may both see a stalled job: the second retry
    fails on a job no longer ``doing`` and is ignored."""
    while True:
        await asyncio.sleep(config.stalled_s / 3)
        try:
            stalled = [
                job
                for task in (TASK_NAME, RANGE_TASK)
                for job in await app.job_manager.get_stalled_jobs(
                    queue=QUEUE, task_name=task, seconds_since_heartbeat=config.stalled_s
                )
            ]
            for job in stalled:
                with contextlib.suppress(ProcrastinateException):
                    await app.job_manager.retry_job(job)
                    report.recovered.append(job.id)
        except ProcrastinateException:
            continue  # the database is away: try again next round


async def _burst_exit(
    worker: Worker, store: PostgresStore, config: WorkerConfig, running: Callable[[], int]
) -> None:
    """Stops the worker once nothing is due or running anywhere (a job a worker fetched
    is ``doing`` in the database before it runs, so the count sees it)."""
    while True:
        await asyncio.sleep(min(config.poll_s, _BURST_CHECK_S))
        active = await asyncio.to_thread(_active_jobs, store)
        if active == 0 and running() == 0:
            worker.stop()  # type: ignore[no-untyped-call]  # procrastinate leaves it untyped
            return


def _ensure_queue_schema(store: PostgresStore) -> None:
    with store.raw_connection() as conn:
        ensure_queue_schema(conn)


def _active_jobs(store: PostgresStore) -> int:
    with store.connection() as conn:
        row = conn.execute(_ACTIVE, ([TASK_NAME, RANGE_TASK], QUEUE)).fetchone()
    return 0 if row is None else int(row[0])


def _set_error(store: PostgresStore, job_id: int, kind: str, message: str) -> None:
    with store.connection() as conn:
        conn.execute(_SET_ERROR, (job_id, kind, message, time.time()))


async def _try_set_error(store: PostgresStore, job_id: int, kind: str, message: str) -> None:
    with contextlib.suppress(ConductorError):
        await asyncio.to_thread(_set_error, store, job_id, kind, message)


def _clear_error(store: PostgresStore, job_id: int) -> None:
    with store.connection() as conn:
        conn.execute("DELETE FROM conductor_job_errors WHERE job_id = %s", (job_id,))


__all__ = [
    "RETRY",
    "TRANSIENT_KINDS",
    "JobOutcome",
    "PermanentJobError",
    "TransientJobError",
    "WorkerConfig",
    "WorkerReport",
    "arun_worker",
    "run_worker",
]
