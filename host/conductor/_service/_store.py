"""The service's job state in the database (tables of migration ``0005_service.sql``).

Everything a job is lives in these rows: its documents, each document's result as soon as
it finishes, its status, its callback outbox row. A server that restarts, or another
process reading the same database, sees every job as it is; nothing is only in memory
(but documents' passwords, which are never stored).

One :class:`JobStore` wraps the database the pipeline's store opened and migrated first
(:mod:`conductor._service._sql`: the SQLite :class:`Database`'s own connection and
transactions, or the PostgreSQL store's pool), used from the API's threads, the job
runner and the callback sender; every method is one transaction.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from conductor._db import Database
from conductor._results import ChunkConfig
from conductor._store import PostgresStore

from ._sql import Conn, PostgresTables, SqliteTables, Tables

_STATUS = "SELECT status FROM service_jobs WHERE id = ?"

TERMINAL = frozenset({"succeeded", "failed", "partial", "cancelled"})
"""Job statuses that do not change any more."""
JOB_STATUSES = ("queued", "running", "succeeded", "failed", "partial", "cancelled")


@dataclass(frozen=True)
class NewDocument:
    """A document of a job being submitted: a URL, or an upload's spool file.

    :param input_id: queue mode: its ``conductor_job_inputs`` row (an upload's bytes, a
        password), when it has one.
    """

    source: str
    url: str | None = None
    upload: str | None = None
    type: str | None = None
    vendor: str | None = None
    input_id: int | None = None


@dataclass
class JobDocument:
    """One document of a job, as stored."""

    idx: int
    source: str
    url: str | None
    upload: str | None
    type: str | None
    vendor: str | None
    status: str
    sha256: str | None = None
    format: str | None = None
    page_count: int | None = None
    chunks: int | None = None
    error: dict[str, str] | None = None
    queue_job: int | None = None
    """Queue mode: the queue job running it (not part of the API's object)."""
    input_id: int | None = None
    """Queue mode: its ``conductor_job_inputs`` row, if any (not part of the API's object)."""

    def to_dict(self) -> dict[str, Any]:
        """One element of the job object's ``documents``."""
        return {
            "source": self.source,
            "status": self.status,
            "sha256": self.sha256,
            "format": self.format,
            "page_count": self.page_count,
            "chunks": self.chunks,
            "error": self.error,
        }


@dataclass
class Job:
    """A job and its documents, as stored."""

    id: str
    owner: str
    status: str
    created_at: float
    finished_at: float | None
    chunking: ChunkConfig
    callback_url: str | None
    callback_headers: dict[str, str]
    documents: list[JobDocument] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """The job object of ``GET /v1/jobs/{id}`` (and of its callback)."""
        return {
            "job_id": self.id,
            "status": self.status,
            "created_at": _iso(self.created_at),
            "finished_at": None if self.finished_at is None else _iso(self.finished_at),
            "documents": [d.to_dict() for d in self.documents],
        }


@dataclass(frozen=True)
class Callback:
    """A pending row of the callback outbox."""

    job_id: str
    url: str
    headers: dict[str, str]
    body: str
    attempts: int


def _iso(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class JobStore:
    """The service tables (migration 0005) of a SQLite file or a PostgreSQL database.

    :raises DatabaseError: from every method, when the database fails (naming it).
    """

    def __init__(self, tables: Tables) -> None:
        self.path = tables.path
        self._tables = tables
        with self._read() as c:  # says now, not at the first request, when they are missing
            c.execute("SELECT 1 FROM service_jobs LIMIT 1")

    @classmethod
    def sqlite(cls, database: Database) -> JobStore:
        return cls(SqliteTables(database))

    @classmethod
    def postgres(cls, store: PostgresStore) -> JobStore:
        return cls(PostgresTables(store))

    def close(self) -> None:
        self._tables.close()

    # -- jobs -------------------------------------------------------------------------

    def create_job(
        self,
        job_id: str,
        owner: str,
        documents: Sequence[NewDocument],
        chunking: ChunkConfig,
        callback_url: str | None,
        callback_headers: dict[str, str],
    ) -> None:
        with self._write() as c:
            c.execute(
                "INSERT INTO service_jobs (id, owner, status, created_at, max_tokens, "
                "overlap_tokens, encoding, callback_url, callback_headers) "
                "VALUES (?, ?, 'queued', ?, ?, ?, ?, ?, ?)",
                (
                    job_id,
                    owner,
                    time.time(),
                    chunking.max_tokens,
                    chunking.overlap_tokens,
                    chunking.encoding,
                    callback_url,
                    json.dumps(callback_headers),
                ),
            )
            c.executemany(
                "INSERT INTO service_job_documents (job_id, idx, source, url, upload, type, "
                "vendor, status, input_id) VALUES (?, ?, ?, ?, ?, ?, ?, 'queued', ?)",
                [
                    (job_id, i, d.source, d.url, d.upload, d.type, d.vendor, d.input_id)
                    for i, d in enumerate(documents)
                ],
            )

    def active_jobs(self, owner: str) -> int:
        """How many of ``owner``'s jobs are queued or running."""
        with self._read() as c:
            row = c.execute(
                "SELECT COUNT(*) FROM service_jobs WHERE owner = ? "
                "AND status IN ('queued', 'running')",
                (owner,),
            ).fetchone()
        return int(row[0])

    def job(self, job_id: str) -> Job | None:
        with self._read() as c:
            return _load_job(c, job_id)

    def status_counts(self) -> dict[str, int]:
        """Jobs per status (every status present, 0 when none)."""
        with self._read() as c:
            rows = c.execute("SELECT status, COUNT(*) FROM service_jobs GROUP BY status")
            found = {r[0]: int(r[1]) for r in rows}
        return {s: found.get(s, 0) for s in JOB_STATUSES}

    def unfinished(self) -> list[str]:
        """Queued and running jobs, oldest first (what a starting runner resumes)."""
        with self._read() as c:
            rows = c.execute(
                "SELECT id FROM service_jobs WHERE status IN ('queued', 'running') "
                "ORDER BY created_at, id"
            ).fetchall()
        return [r[0] for r in rows]

    def claim(self, job_id: str, runner: str) -> bool:
        """Marks a queued job running for ``runner``; ``False`` when it is not queued."""
        with self._write() as c:
            cur = c.execute(
                "UPDATE service_jobs SET status = 'running', started_at = ?, runner = ? "
                "WHERE id = ? AND status = 'queued'",
                (time.time(), runner, job_id),
            )
            return bool(cur.rowcount == 1)

    def requeue(self, runner: str | None = None) -> int:
        """Puts running jobs (of ``runner``, or all) back in the queue: their process
        died. Returns how many."""
        with self._write() as c:
            if runner is None:
                cur = c.execute(
                    "UPDATE service_jobs SET status = 'queued' WHERE status = 'running'"
                )
            else:
                cur = c.execute(
                    "UPDATE service_jobs SET status = 'queued' "
                    "WHERE status = 'running' AND runner = ?",
                    (runner,),
                )
            return int(cur.rowcount)

    def record_document(
        self,
        job_id: str,
        idx: int,
        *,
        ok: bool,
        sha256: str | None,
        format: str | None,
        page_count: int | None,
        chunks: int | None,
        error: dict[str, str] | None,
    ) -> None:
        """A document's result; ignored unless it is still queued (a cancelled job's
        documents stay cancelled)."""
        with self._write() as c:
            c.execute(
                "UPDATE service_job_documents SET status = ?, sha256 = ?, format = ?, "
                "page_count = ?, chunks = ?, error_kind = ?, error_stage = ?, "
                "error_message = ? WHERE job_id = ? AND idx = ? AND status = 'queued'",
                (
                    "succeeded" if ok else "failed",
                    sha256,
                    format,
                    page_count,
                    chunks,
                    *_error_columns(error),
                    job_id,
                    idx,
                ),
            )

    def set_queue_jobs(self, job_id: str, queue_jobs: dict[int, int]) -> None:
        """Queue mode: the queue job running each document (index -> queue job id)."""
        with self._write() as c:
            c.executemany(
                "UPDATE service_job_documents SET queue_job = ? WHERE job_id = ? AND idx = ?",
                [(q, job_id, idx) for idx, q in queue_jobs.items()],
            )

    def following(self) -> list[tuple[str, int, str, int | None]]:
        """Queue mode: ``(job_id, idx, url, queue_job)`` of every unfinished document of
        a running job (``queue_job`` ``None``: not enqueued yet; ``url`` an upload's name
        for an upload)."""
        with self._read() as c:
            rows = c.execute(
                "SELECT d.job_id, d.idx, COALESCE(d.url, d.source), d.queue_job "
                "FROM service_job_documents d "
                "JOIN service_jobs j ON j.id = d.job_id WHERE j.status = 'running' "
                "AND d.status = 'queued' ORDER BY j.created_at, d.job_id, d.idx"
            ).fetchall()
        return [(r[0], int(r[1]), r[2], None if r[3] is None else int(r[3])) for r in rows]

    def running_jobs(self) -> list[str]:
        with self._read() as c:
            rows = c.execute("SELECT id FROM service_jobs WHERE status = 'running'").fetchall()
        return [r[0] for r in rows]

    def finish(self, job_id: str, *, error: dict[str, str] | None = None) -> Job | None:
        """Ends a running job: documents still queued fail with ``error`` (or a
        ``cancelled`` one), the status follows from its documents (all succeeded:
        ``succeeded``; none: ``failed``; some: ``partial``), and its callback goes to the
        outbox, in one transaction. ``None`` when the job was not running (cancelled)."""
        with self._write() as c:
            row = c.execute(_STATUS + self._tables.lock_row, (job_id,)).fetchone()
            if row is None or row[0] != "running":
                return None
            missing = error or {
                "kind": "plugin_failure",
                "stage": "internal",
                "message": "the job ended without a result for this document",
            }
            c.execute(
                "UPDATE service_job_documents SET status = 'failed', error_kind = ?, "
                "error_stage = ?, error_message = ? WHERE job_id = ? AND status = 'queued'",
                (*_error_columns(missing), job_id),
            )
            counts = dict(
                c.execute(
                    "SELECT status, COUNT(*) FROM service_job_documents WHERE job_id = ? "
                    "GROUP BY status",
                    (job_id,),
                ).fetchall()
            )
            ok, total = counts.get("succeeded", 0), sum(counts.values())
            status = "succeeded" if ok == total else "failed" if ok == 0 else "partial"
            return _end(c, job_id, status)

    def cancel(self, job_id: str) -> Job | None:
        """Cancels a queued or running job (its unfinished documents become
        ``cancelled``) and queues its callback; the job as it is now (unchanged when it
        had already ended), ``None`` when there is no such job."""
        with self._write() as c:
            row = c.execute(_STATUS + self._tables.lock_row, (job_id,)).fetchone()
            if row is None:
                return None
            if row[0] in TERMINAL:
                return _load_job(c, job_id)
            c.execute(
                "UPDATE service_job_documents SET status = 'cancelled', error_kind = 'cancelled', "
                "error_stage = 'api', error_message = ? WHERE job_id = ? AND status = 'queued'",
                (f"job {job_id}: cancelled by DELETE /v1/jobs/{job_id}", job_id),
            )
            return _end(c, job_id, "cancelled")

    # -- callbacks --------------------------------------------------------------------

    def due_callbacks(self, now: float, limit: int = 20) -> list[Callback]:
        with self._read() as c:
            rows = c.execute(
                "SELECT job_id, url, headers, body, attempts FROM service_callbacks "
                "WHERE status = 'pending' AND next_attempt_at <= ? "
                "ORDER BY next_attempt_at LIMIT ?",
                (now, limit),
            ).fetchall()
        return [Callback(r[0], r[1], json.loads(r[2]), r[3], int(r[4])) for r in rows]

    def callback_done(self, job_id: str, *, delivered: bool, error: str | None) -> None:
        """A final outcome: delivered, or given up (``error`` says why)."""
        with self._write() as c:
            c.execute(
                "UPDATE service_callbacks SET status = ?, attempts = attempts + 1, "
                "last_error = ?, delivered_at = ? WHERE job_id = ?",
                (
                    "delivered" if delivered else "failed",
                    error,
                    time.time() if delivered else None,
                    job_id,
                ),
            )

    def callback_retry(self, job_id: str, *, at: float, error: str) -> None:
        with self._write() as c:
            c.execute(
                "UPDATE service_callbacks SET attempts = attempts + 1, next_attempt_at = ?, "
                "last_error = ? WHERE job_id = ?",
                (at, error, job_id),
            )

    def callback_state(self, job_id: str) -> tuple[str, int, str | None] | None:
        """``(status, attempts, last_error)`` of a job's callback."""
        with self._read() as c:
            row = c.execute(
                "SELECT status, attempts, last_error FROM service_callbacks WHERE job_id = ?",
                (job_id,),
            ).fetchone()
        return None if row is None else (row[0], int(row[1]), row[2])

    # -- keys and heartbeats ----------------------------------------------------------

    def replace_keys(self, hashes: Sequence[str]) -> None:
        """The persisted key hashes become exactly ``hashes``."""
        now = time.time()
        with self._write() as c:
            c.execute("DELETE FROM service_api_keys")
            c.executemany(
                "INSERT INTO service_api_keys (key_hash, added_at) VALUES (?, ?)",
                [(h, now) for h in sorted(set(hashes))],
            )

    def key_hashes(self) -> frozenset[str]:
        with self._read() as c:
            return frozenset(r[0] for r in c.execute("SELECT key_hash FROM service_api_keys"))

    def heartbeat(self, name: str) -> None:
        with self._write() as c:
            c.execute(
                "INSERT INTO service_workers (name, seen_at) VALUES (?, ?) "
                "ON CONFLICT (name) DO UPDATE SET seen_at = excluded.seen_at",
                (name, time.time()),
            )

    def workers_seen(self, since: float) -> int:
        """How many runners sent a heartbeat at or after ``since``."""
        with self._read() as c:
            row = c.execute(
                "SELECT COUNT(*) FROM service_workers WHERE seen_at >= ?", (since,)
            ).fetchone()
        return int(row[0])

    # -- plumbing ---------------------------------------------------------------------

    def _read(self) -> AbstractContextManager[Conn]:
        return self._tables.transaction(write=False)

    def _write(self) -> AbstractContextManager[Conn]:
        return self._tables.transaction(write=True)


def _error_columns(error: dict[str, str] | None) -> tuple[str | None, str | None, str | None]:
    if error is None:
        return None, None, None
    return error["kind"], error["stage"], error["message"]


def _end(c: Conn, job_id: str, status: str) -> Job:
    """Sets a job's final status and, when it has a callback URL, its outbox row (the
    body is the job object as it is now)."""
    c.execute(
        "UPDATE service_jobs SET status = ?, finished_at = ? WHERE id = ?",
        (status, time.time(), job_id),
    )
    job = _load_job(c, job_id)
    assert job is not None
    if job.callback_url is not None:
        c.execute(
            "INSERT INTO service_callbacks (job_id, url, headers, body, status, "
            "next_attempt_at) VALUES (?, ?, ?, ?, 'pending', ?) ON CONFLICT (job_id) DO NOTHING",
            (
                job_id,
                job.callback_url,
                json.dumps(job.callback_headers),
                json.dumps(job.to_dict(), ensure_ascii=False),
                time.time(),
            ),
        )
    return job


def _load_job(c: Conn, job_id: str) -> Job | None:
    row = c.execute(
        "SELECT id, owner, status, created_at, finished_at, max_tokens, overlap_tokens, "
        "encoding, callback_url, callback_headers FROM service_jobs WHERE id = ?",
        (job_id,),
    ).fetchone()
    if row is None:
        return None
    docs = c.execute(
        "SELECT idx, source, url, upload, type, vendor, status, sha256, format, page_count, "
        "chunks, error_kind, error_stage, error_message, queue_job, input_id "
        "FROM service_job_documents "
        "WHERE job_id = ? ORDER BY idx",
        (job_id,),
    ).fetchall()
    return Job(
        id=row[0],
        owner=row[1],
        status=row[2],
        created_at=row[3],
        finished_at=row[4],
        chunking=ChunkConfig(row[5], row[6], row[7]),
        callback_url=row[8],
        callback_headers=json.loads(row[9]),
        documents=[
            JobDocument(
                idx=d[0],
                source=d[1],
                url=d[2],
                upload=d[3],
                type=d[4],
                vendor=d[5],
                status=d[6],
                sha256=d[7],
                format=d[8],
                page_count=d[9],
                chunks=d[10],
                error=None if d[11] is None else {"kind": d[11], "stage": d[12], "message": d[13]},
                queue_job=d[14],
                input_id=d[15],
            )
            for d in docs
        ],
    )
