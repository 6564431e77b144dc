"""The queue's client side: submit sources, list jobs, cancel them.

Jobs are procrastinate jobs of the task :data:`TASK_NAME` in the queue :data:`QUEUE`,
with the source as their only argument and as their queueing lock, in the same
PostgreSQL database as the store: a job's status and its document live side by side.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Literal

import procrastinate
from procrastinate.exceptions import AlreadyEnqueued, ProcrastinateException

from conductor._errors import DatabaseError
from conductor._results import JOB_STATUSES, JobStatus
from conductor._store import PostgresStore, is_postgres_url

from ._schema import ensure_queue_schema

TASK_NAME = "conductor.process"
"""The procrastinate task every job runs (registered by :mod:`conductor._worker`)."""

QUEUE = "conductor"
"""The procrastinate queue the jobs are in."""


# procrastinate's statuses -> ours: a job being aborted still runs until it stops.
_STATUS: dict[str, JobStatus] = {
    "todo": "queued",
    "doing": "running",
    "aborting": "running",
    "succeeded": "succeeded",
    "failed": "failed",
    "cancelled": "cancelled",
    "aborted": "cancelled",
}

_URL = re.compile(r"^https?://", re.IGNORECASE)

# A job whose document was fanned out into page ranges (conductor_fanouts, migration
# 0006) is done for procrastinate once the ranges are queued; for its user it runs until
# the last range lands and the document is merged, fails when a range fails, and is
# cancelled when cancelled before the merge.
_FANOUT_STATUS = (
    "CASE WHEN j.status = 'succeeded' AND f.state = 'running' THEN 'doing' "
    "WHEN j.status = 'succeeded' AND f.state = 'failed' THEN 'failed' "
    "WHEN j.status = 'succeeded' AND f.state = 'cancelled' THEN 'cancelled' "
    "ELSE j.status::text END"
)
_ACTIVE = (
    f"SELECT j.id FROM procrastinate_jobs j LEFT JOIN conductor_fanouts f ON f.job_id = j.id "
    f"WHERE j.task_name = %s AND j.queueing_lock = %s "
    f"AND {_FANOUT_STATUS} IN ('todo', 'doing', 'aborting') ORDER BY j.id LIMIT 1"
)
_JOBS = (
    "SELECT * FROM ("
    f"SELECT j.id, j.args->>'source', {_FANOUT_STATUS} AS status, j.attempts, e.kind, "
    "e.message FROM procrastinate_jobs j "
    "LEFT JOIN conductor_job_errors e ON e.job_id = j.id "
    "LEFT JOIN conductor_fanouts f ON f.job_id = j.id WHERE j.task_name = %s"
    ") AS listed WHERE (%s::text[] IS NULL OR status = ANY(%s::text[])) "
    "AND (%s::bigint[] IS NULL OR id = ANY(%s::bigint[])) ORDER BY id"
)


@dataclass(frozen=True)
class Submitted:
    """One submitted source: ``{"job_id", "source", "status"}`` in ``conductor submit``.

    :param status: ``"queued"`` (a new job) or ``"duplicate"`` (the source was already
        queued or running: ``job_id`` is that job).
    """

    job_id: int
    source: str
    status: Literal["queued", "duplicate"]


@dataclass(frozen=True)
class JobRecord:
    """One job, as ``conductor jobs --json`` prints it.

    :param attempts: how many times a worker started it (a retry or a recovery from a
        dead worker adds one).
    :param error: the last failed attempt's ``"kind: message"``; ``None`` when none failed.
    """

    job_id: int
    source: str
    status: JobStatus
    attempts: int
    error: str | None


@dataclass(frozen=True)
class Cancelled:
    """What ``cancel`` did to one job: ``status`` is its status afterwards (``cancelled``
    for a queued job, ``running`` for one asked to stop, else its final status), or
    ``None`` for an unknown id."""

    job_id: int
    status: JobStatus | None


def require_postgres(database: object, command: str) -> str:
    """``database`` when it is a PostgreSQL URL.

    :raises DatabaseError: it is a SQLite path: the queue needs PostgreSQL.
    """
    if isinstance(database, str) and is_postgres_url(database):
        return database
    where = os.fspath(database) if isinstance(database, (str, os.PathLike)) else repr(database)
    raise DatabaseError(
        f"{command} needs a job queue, and a job queue needs PostgreSQL: give --db "
        "postgresql://USER:PASSWORD@HOST/DBNAME (a SQLite file has no queue)",
        document=str(where),
        hint="`conductor process SOURCE... --db FILE` runs a batch on one machine without a queue",
    )


def make_app(url: str) -> procrastinate.App:
    """The procrastinate app of the queue in ``url`` (not opened)."""
    return procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=url))


class JobQueue:
    """The job queue in a PostgreSQL database, beside the store (opened and migrated with
    it; procrastinate's schema is created the first time).

    :param url: ``postgresql://...``.
    :raises DatabaseError: ``url`` is not a PostgreSQL URL, or the database cannot be
        opened.
    """

    def __init__(self, url: str) -> None:
        self.url = require_postgres(url, "the job queue")
        self.store = PostgresStore(url)
        try:
            with self.store.raw_connection() as conn:
                ensure_queue_schema(conn)
            self._app = procrastinate.App(
                connector=procrastinate.SyncPsycopgConnector(conninfo=url)
            ).open()
        except BaseException:
            self.store.close()
            raise

    def close(self) -> None:
        """Closes the connections. Idempotent."""
        self._app.close()
        self.store.close()

    def __enter__(self) -> JobQueue:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def submit(self, sources: Iterable[str]) -> list[Submitted]:
        """Enqueues one job per source, in order; a source already queued or running (by
        any client) is a duplicate, not a second job.

        :raises DatabaseError: a source is not an http(s) URL (a worker on another machine
            cannot read a local path), or the database failed.
        """
        sources = list(sources)
        for source in sources:
            if not _URL.match(source):
                raise DatabaseError(
                    f"submit takes http(s) URLs, got {source!r}: a worker on another machine "
                    "cannot read a local path",
                    document=source,
                    hint="`conductor process PATH...` processes local files",
                )
        out: list[Submitted] = []
        for source in sources:
            existing = self._active(source)
            if existing is not None:
                out.append(Submitted(existing, source, "duplicate"))
                continue
            deferrer = self._app.configure_task(TASK_NAME, queueing_lock=source, queue=QUEUE)
            try:
                job_id = deferrer.defer(source=source)
            except AlreadyEnqueued:
                # another client queued it between the check above and now
                existing = self._active(source)
                if existing is None:
                    raise DatabaseError(
                        "a duplicate job vanished while submitting", document=source
                    ) from None
                out.append(Submitted(existing, source, "duplicate"))
                continue
            except ProcrastinateException as e:
                raise DatabaseError(f"PostgreSQL (queue): {e}", document=self.store.path) from e
            out.append(Submitted(job_id, source, "queued"))
        return out

    def jobs(self, status: JobStatus | None = None) -> list[JobRecord]:
        """Every job (or those with ``status``), oldest first.

        :raises ValueError: an unknown status.
        """
        wanted: list[str] | None = None
        if status is not None:
            if status not in JOB_STATUSES:
                raise ValueError(f"status must be one of {', '.join(JOB_STATUSES)}")
            wanted = [k for k, v in _STATUS.items() if v == status]
        with self.store.connection() as conn:
            rows = conn.execute(_JOBS, (TASK_NAME, wanted, wanted, None, None)).fetchall()
        return [_record(row) for row in rows]

    def jobs_by_id(self, job_ids: Iterable[int]) -> dict[int, JobRecord]:
        """The jobs of ``job_ids`` that exist, by id, with the status ``jobs`` shows (a
        job whose document was fanned out into page ranges is ``running`` until they
        are merged, though procrastinate has it ``succeeded``)."""
        ids = list(job_ids)
        with self.store.connection() as conn:
            rows = conn.execute(_JOBS, (TASK_NAME, None, None, ids, ids)).fetchall()
        return {record.job_id: record for record in map(_record, rows)}

    def cancel(self, job_ids: Iterable[int]) -> list[Cancelled]:
        """Cancels queued jobs and asks running ones to stop (a worker cancels the
        running task); a finished job keeps its status."""
        out: list[Cancelled] = []
        for job_id in job_ids:
            try:
                self._app.job_manager.cancel_job_by_id(job_id, abort=True)
            except ProcrastinateException as e:
                raise DatabaseError(f"PostgreSQL (queue): {e}", document=self.store.path) from e
            with self.store.connection() as conn:
                # a document fanned out into page ranges: its range jobs find it ended
                conn.execute(
                    "UPDATE conductor_fanouts SET state = 'cancelled', body = NULL "
                    "WHERE job_id = %s AND state = 'running'",
                    (job_id,),
                )
            record = self.jobs_by_id([job_id]).get(job_id)
            out.append(Cancelled(job_id, None if record is None else record.status))
        return out

    def _active(self, source: str) -> int | None:
        with self.store.connection() as conn:
            row = conn.execute(_ACTIVE, (TASK_NAME, source)).fetchone()
        return None if row is None else int(row[0])


def _record(row: tuple[Any, ...]) -> JobRecord:
    job_id, source, status, attempts, kind, message = row
    return JobRecord(
        job_id=int(job_id),
        source=str(source),
        status=_STATUS[status],
        attempts=int(attempts),
        error=None if kind is None else f"{kind}: {message}",
    )


__all__ = [
    "JOB_STATUSES",
    "QUEUE",
    "TASK_NAME",
    "Cancelled",
    "JobQueue",
    "JobRecord",
    "JobStatus",
    "Submitted",
    "make_app",
    "require_postgres",
]
