"""Per-document metrics pushed through the database, for processes on other machines.

A ``conductor worker`` runs documents for a ``conductor serve`` it never talks to: the
only thing they share is the PostgreSQL database. So each worker adds what one finished
document counts (``conductor_documents_total``, ``conductor_failures_total``,
``conductor_pages_total``, one observation per stage of ``conductor_stage_seconds``) to
the ``conductor_metrics`` table (migration 0007) in one statement, and the server's
``/metrics`` reads the table at each scrape (:mod:`conductor._service._metrics`).
Additions are upserts (``value = value + excluded.value``): any number of workers add at
once, and a restarted server loses nothing. No prometheus-client here: a worker does not
need the service extra.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable

from ._results import Result
from ._store import PostgresStore

STAGES = ("download", "extract", "ocr", "chunk", "store")
"""The stages timed by ``conductor_stage_seconds``: each is a ``<stage>_s`` key of
:attr:`conductor.Result.timings` when that stage ran."""

BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300)
"""Upper bounds of ``conductor_stage_seconds``'s buckets (``+Inf`` is implied)."""

DOCUMENTS, FAILURES, PAGES, STAGE_SECONDS = (
    "conductor_documents",
    "conductor_failures",
    "conductor_pages",
    "conductor_stage_seconds",
)

Sample = tuple[str, str, str, float]
"""One row's addition: (metric, labels as sorted JSON, part, amount). ``part`` is ``""``
for a counter; for a histogram ``"sum"``, ``"count"`` or a bucket's ``le`` (cumulative,
as Prometheus exposes them)."""

_ADD = (
    "INSERT INTO conductor_metrics (name, labels, part, value) VALUES (%s, %s, %s, %s) "
    "ON CONFLICT (name, labels, part) DO UPDATE "
    "SET value = conductor_metrics.value + excluded.value"
)
_READ = "SELECT name, labels, part, value FROM conductor_metrics"


def labels(**values: str) -> str:
    return json.dumps(values, sort_keys=True)


def le(bound: float) -> str:
    """A bucket bound as Prometheus writes it (``0.005``, ``1.0``, ``+Inf``)."""
    return "+Inf" if math.isinf(bound) else repr(float(bound))


def result_samples(result: Result) -> list[Sample]:
    """What one finished document adds (a skipped one adds nothing: it did not run)."""
    if result.skipped:
        return []
    out: list[Sample] = [
        (
            DOCUMENTS,
            labels(status="ok" if result.ok else "failed", format=result.format or "unknown"),
            "",
            1.0,
        )
    ]
    if result.ok:
        out.append((PAGES, labels(), "", float(result.page_count or 0)))
    elif result.error is not None:
        out.append((FAILURES, labels(stage=result.error.stage, kind=result.error.kind), "", 1.0))
    for stage in STAGES:
        seconds = result.timings.get(f"{stage}_s")
        if seconds is None:
            continue
        key = labels(stage=stage)
        out.append((STAGE_SECONDS, key, "sum", seconds))
        out.append((STAGE_SECONDS, key, "count", 1.0))
        out.extend((STAGE_SECONDS, key, le(b), 1.0) for b in (*BUCKETS, math.inf) if seconds <= b)
    return out


def add(store: PostgresStore, samples: Iterable[Sample]) -> None:
    """Adds the samples in one transaction (sorted, so concurrent writers lock the rows
    in the same order and never deadlock).

    :raises DatabaseError: the database failed.
    """
    rows = sorted(samples)
    if not rows:
        return
    with store.connection() as conn, conn.cursor() as cur:
        cur.executemany(_ADD, rows)


def read(store: PostgresStore) -> list[Sample]:
    """Every row of the table.

    :raises DatabaseError: the database failed.
    """
    with store.connection() as conn:
        rows = conn.execute(_READ).fetchall()
    return [(str(n), str(lab), str(p), float(v)) for n, lab, p, v in rows]
