"""Large documents fanned out into page-range jobs: their state in PostgreSQL
(``conductor_fanouts`` and ``conductor_fanout_ranges``, migration 0006).

A worker that downloads a PDF over the page threshold stores its bytes and one row per
page range here, and queues one :data:`RANGE_TASK` job per range. Whichever worker runs
a range stores the range's document in its row and, in the same transaction, counts it
in ``landed``; the transaction that brings ``landed`` to ``ranges`` is the one whose
worker merges, chunks and stores the document (the row lock on the fanout row orders
concurrent landings, so exactly one sees the last count). Nothing lives in a worker's
memory: a worker killed mid-range leaves its job to be recovered and run again, and a
range that already landed is not counted twice.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any, Literal

from conductor._db._records import document_from_rows, document_row, page_row
from conductor._models import Document
from conductor._store import PostgresStore

RANGE_TASK = "conductor.range"
"""The procrastinate task of a page-range job (registered by :mod:`conductor._worker`)."""

FanoutState = Literal["running", "merged", "failed", "cancelled"]

_PAGE_COLUMNS = ("sha256", "number", "text", "chars", "needs_ocr", "ocr_reason", "links", "ocr")


@dataclass(frozen=True)
class Fanout:
    """A fanned-out document as a range job needs it."""

    job_id: int
    source: str
    sha256: str
    body: bytes | None
    """The downloaded bytes; ``None`` once merged or failed."""
    content_type: str | None
    etag: str | None
    last_modified: str | None
    ranges: int
    landed: int
    state: FanoutState


def document_json(document: Document) -> str:
    """``document`` as the JSON of its store rows (the one serialization the stores use)."""
    pages = [
        dict(zip(_PAGE_COLUMNS, page_row(document.sha256, p), strict=True)) for p in document.pages
    ]
    return json.dumps(
        {"document": document_row(document, 0.0), "pages": pages},
        ensure_ascii=False,
        separators=(",", ":"),
    )


def document_from_json(text: str) -> Document:
    """The :class:`Document` :func:`document_json` wrote."""
    data: dict[str, Any] = json.loads(text)
    return document_from_rows(data["document"], data["pages"])


def create_fanout(
    store: PostgresStore,
    job_id: int,
    source: str,
    sha256: str,
    body: bytes,
    ranges: list[tuple[int, int]],
    *,
    content_type: str | None,
    etag: str | None,
    last_modified: str | None,
) -> bool:
    """Records a fanout and its ranges in one transaction; ``False`` when the job already
    has one (its first attempt fanned out before the worker died): its ranges stand."""
    with store.connection() as conn:
        inserted = conn.execute(
            "INSERT INTO conductor_fanouts (job_id, source, sha256, body, content_type, etag, "
            "last_modified, ranges, created_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) "
            "ON CONFLICT (job_id) DO NOTHING",
            (
                job_id,
                source,
                sha256,
                body,
                content_type,
                etag,
                last_modified,
                len(ranges),
                time.time(),
            ),
        ).rowcount
        if not inserted:
            return False
        with conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO conductor_fanout_ranges (job_id, first_page, last_page) "
                "VALUES (%s, %s, %s)",
                [(job_id, first, last) for first, last in ranges],
            )
    return True


def load_fanout(store: PostgresStore, job_id: int, *, body: bool = True) -> Fanout | None:
    """The fanout of parent job ``job_id`` (without its bytes unless ``body``)."""
    column = "body" if body else "NULL::bytea"
    with store.connection() as conn:
        row = conn.execute(
            f"SELECT job_id, source, sha256, {column}, content_type, etag, last_modified, "
            "ranges, landed, state FROM conductor_fanouts WHERE job_id = %s",
            (job_id,),
        ).fetchone()
    if row is None:
        return None
    return Fanout(
        int(row[0]),
        row[1],
        row[2],
        None if row[3] is None else bytes(row[3]),
        row[4],
        row[5],
        row[6],
        int(row[7]),
        int(row[8]),
        row[9],
    )


def land_range(store: PostgresStore, job_id: int, first_page: int, document: Document) -> bool:
    """Stores a range's document and counts it, in one transaction; ``True`` when every
    range has landed and the fanout still waits for its merge (then the caller merges).

    The fanout row is locked first (``FOR UPDATE``): two workers landing the last two
    ranges at once are ordered, and only the second sees them all. A range that landed
    already (its job ran again after its worker died) is not counted again.
    """
    with store.connection() as conn:
        row = conn.execute(
            "SELECT ranges, landed, state FROM conductor_fanouts WHERE job_id = %s FOR UPDATE",
            (job_id,),
        ).fetchone()
        if row is None or row[2] != "running":
            return False
        ranges, landed = int(row[0]), int(row[1])
        stored = conn.execute(
            "UPDATE conductor_fanout_ranges SET document = %s "
            "WHERE job_id = %s AND first_page = %s AND document IS NULL",
            (document_json(document), job_id, first_page),
        ).rowcount
        if stored:
            landed += 1
            conn.execute(
                "UPDATE conductor_fanouts SET landed = %s WHERE job_id = %s", (landed, job_id)
            )
    return landed == ranges


def pending_ranges(store: PostgresStore, job_id: int) -> list[tuple[int, int]]:
    """The ranges of ``job_id``'s fanout that have not landed, in page order."""
    with store.connection() as conn:
        rows = conn.execute(
            "SELECT first_page, last_page FROM conductor_fanout_ranges "
            "WHERE job_id = %s AND document IS NULL ORDER BY first_page",
            (job_id,),
        ).fetchall()
    return [(int(a), int(b)) for a, b in rows]


def range_documents(store: PostgresStore, job_id: int) -> list[Document]:
    """Every landed range's document, in page order."""
    with store.connection() as conn:
        rows = conn.execute(
            "SELECT document FROM conductor_fanout_ranges WHERE job_id = %s "
            "AND document IS NOT NULL ORDER BY first_page",
            (job_id,),
        ).fetchall()
    return [document_from_json(r[0]) for r in rows]


def finish_fanout(store: PostgresStore, job_id: int, state: Literal["merged", "failed"]) -> bool:
    """Ends a running fanout as ``state`` and drops its bytes and range results (the
    document is in the store now, or failed); ``False`` when it was not running."""
    with store.connection() as conn:
        ended = conn.execute(
            "UPDATE conductor_fanouts SET state = %s, body = NULL "
            "WHERE job_id = %s AND state = 'running'",
            (state, job_id),
        ).rowcount
        if ended:
            conn.execute(
                "UPDATE conductor_fanout_ranges SET document = NULL WHERE job_id = %s", (job_id,)
            )
    return bool(ended)


__all__ = [
    "RANGE_TASK",
    "Fanout",
    "FanoutState",
    "create_fanout",
    "document_from_json",
    "document_json",
    "finish_fanout",
    "land_range",
    "load_fanout",
    "pending_ranges",
    "range_documents",
]
