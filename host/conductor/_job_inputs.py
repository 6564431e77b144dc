"""What a queue job of the HTTP service carries besides a URL: its chunking, a password,
an upload's bytes (``conductor_job_inputs``, migration 0007).

A plain queue job (``conductor submit``) has only its URL as argument. A service job may
also need a chunking of its own, a password, or bytes a client uploaded to the server,
which a worker on another machine must be able to read: the server writes them to an
input row (:func:`create_input`) and queues the task with ``chunking`` and ``input_id``
arguments (:func:`defer`); the worker runs it with :class:`InputRunner` and writes the
document's sha256 and chunk count back on the row; the server reads them
(:func:`input_result`) and deletes the row (:func:`delete_inputs`) once the document
ended or its job was cancelled.

Why a row and not an encrypted argument: procrastinate's arguments are shown by
``conductor jobs`` and kept after the job ends, and an encryption key would have to be
handed to every worker; a row that the job only names, deleted when the work ends, keeps
the password out of every listing and bounds its lifetime, with nothing new to configure.
Such jobs have no queueing lock (two uploads or two chunkings of one URL are two jobs)
and are not fanned out into page ranges.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from procrastinate.exceptions import ProcrastinateException

from ._errors import DatabaseError, ReadError
from ._pipeline import Conductor
from ._queue import QUEUE, TASK_NAME, JobQueue
from ._results import ChunkConfig, Result
from ._store import PostgresStore


@dataclass(frozen=True)
class JobInput:
    """One input row: ``body`` is an upload's bytes (``None`` for a URL)."""

    id: int
    name: str
    body: bytes | None = field(repr=False)
    password: str | None = field(repr=False)


def chunking_arg(config: ChunkConfig) -> dict[str, Any]:
    """A chunking as a queue job's argument (JSON)."""
    return {
        "max_tokens": config.max_tokens,
        "overlap_tokens": config.overlap_tokens,
        "encoding": config.encoding,
    }


def create_input(
    store: PostgresStore, name: str, *, body: bytes | None = None, password: str | None = None
) -> int:
    """A new input row's id.

    :raises DatabaseError: the database failed.
    """
    with store.connection() as conn:
        row = conn.execute(
            "INSERT INTO conductor_job_inputs (name, body, password, created_at) "
            "VALUES (%s, %s, %s, %s) RETURNING id",
            (name, body, password, time.time()),
        ).fetchone()
    assert row is not None  # RETURNING always answers one row
    return int(row[0])


def defer(queue: JobQueue, source: str, chunking: ChunkConfig, input_id: int) -> int:
    """Queues a job for ``source`` (a URL, or an upload's name) with its chunking and
    input row; its queue job id.

    :raises DatabaseError: the database failed.
    """
    deferrer = queue._app.configure_task(TASK_NAME, queue=QUEUE)
    try:
        job_id: int = deferrer.defer(
            source=source, chunking=chunking_arg(chunking), input_id=input_id
        )
    except ProcrastinateException as e:
        raise DatabaseError(f"PostgreSQL (queue): {e}", document=queue.store.path) from e
    return job_id


def load_input(store: PostgresStore, input_id: int) -> JobInput | None:
    with store.connection() as conn:
        row = conn.execute(
            "SELECT id, name, body, password FROM conductor_job_inputs WHERE id = %s",
            (input_id,),
        ).fetchone()
    if row is None:
        return None
    body = None if row[2] is None else bytes(row[2])
    return JobInput(int(row[0]), str(row[1]), body, row[3])


def set_result(store: PostgresStore, input_id: int, sha256: str | None, chunks: int | None) -> None:
    with store.connection() as conn:
        conn.execute(
            "UPDATE conductor_job_inputs SET sha256 = %s, chunks = %s WHERE id = %s",
            (sha256, chunks, input_id),
        )


def input_result(store: PostgresStore, input_id: int) -> tuple[str, int | None] | None:
    """``(sha256, chunks)`` the worker wrote back, or ``None`` when it wrote none."""
    with store.connection() as conn:
        row = conn.execute(
            "SELECT sha256, chunks FROM conductor_job_inputs WHERE id = %s", (input_id,)
        ).fetchone()
    if row is None or row[0] is None:
        return None
    return str(row[0]), None if row[1] is None else int(row[1])


def delete_inputs(store: PostgresStore, input_ids: Iterable[int]) -> None:
    ids = list(input_ids)
    if ids:
        with store.connection() as conn:
            conn.execute("DELETE FROM conductor_job_inputs WHERE id = ANY(%s)", (ids,))


class InputRunner:
    """The worker's side: runs a job that carries a chunking and an input row, with one
    :class:`Conductor` per chunking (made by ``make``, kept for the next job)."""

    def __init__(self, store: PostgresStore, make: Callable[[ChunkConfig], Conductor]) -> None:
        self.store = store
        self.make = make
        self._conductors: dict[ChunkConfig, Conductor] = {}

    def _conductor(self, config: ChunkConfig) -> Conductor:
        conductor = self._conductors.get(config)
        if conductor is None:
            conductor = self._conductors[config] = self.make(config)
        return conductor

    async def run(self, source: str, chunking: dict[str, Any], input_id: int) -> Result:
        """The document's result (its sha256 and chunk count written back on success).

        :raises DatabaseError: the database failed.
        """
        found = await asyncio.to_thread(load_input, self.store, input_id)
        if found is None:  # the server deleted it: the job was cancelled or ended
            error = ReadError(
                "this job's input is gone (its service job was cancelled or ended)",
                document=source,
            )
            return Result(source, False, error=error)
        conductor = self._conductor(ChunkConfig(**chunking))
        item: dict[str, str] = {"url": source}
        path = None
        if found.body is not None:
            fd, path = tempfile.mkstemp(prefix="conductor-upload-")
            with os.fdopen(fd, "wb") as out:
                out.write(found.body)
            item = {"path": path, "name": found.name}
        if found.password:
            item["password"] = found.password
        try:
            (result,) = await conductor.aprocess_documents([item])
        finally:
            if path is not None:
                os.unlink(path)
        if result.ok:
            chunks = None if result.chunks is None else len(result.chunks)
            await asyncio.to_thread(set_result, self.store, input_id, result.sha256, chunks)
        return result

    def close(self) -> None:
        for conductor in self._conductors.values():
            conductor.close()
        self._conductors.clear()
