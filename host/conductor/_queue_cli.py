"""The queue's commands of ``conductor`` (the parser and dispatch are in :mod:`conductor._cli`).

``conductor submit SOURCE... --db URL [--json]``: one job per source (URLs; ``-`` reads
one per line from stdin); a line per source, with ``--json``
``{"job_id": int, "source": str, "status": "queued"|"duplicate"}``.

``conductor worker --db URL [--concurrency N] [--rate R] [--connections N] [--burst]
[--max-jobs N] [--stalled-after S] [--fanout-pages N]``: runs jobs (and the chunk and
limit flags of ``process``); a line per finished document, with
``--json`` ``{"job_id", "source", "status", "error"}``.

``conductor jobs --db URL [--status S] [--json]``: a line per job, with ``--json``
``{"job_id", "source", "status", "attempts", "error"}``.

``conductor cancel --db URL JOB_ID... [--json]``: a line per job, with ``--json``
``{"job_id", "status"}`` (``status`` ``null``: no such job). Exit 1 when any id is unknown.

With a SQLite path as ``--db``, each fails with a ``database`` error saying that a queue
needs PostgreSQL and that ``process`` runs a batch on one machine.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from ._fetch import FetchConfig
from ._models import Limits
from ._results import JOB_STATUSES, ChunkConfig
from ._worker_config import WorkerConfig

if TYPE_CHECKING:
    from ._worker import JobOutcome

QUEUE_COMMANDS = ("submit", "worker", "jobs", "cancel")

_DB_HELP = "the PostgreSQL database of the queue and the store: postgresql://USER:PASS@HOST/DB"


@dataclass(frozen=True)
class WorkerSettings:
    """What the shared ``process`` flags of ``worker`` parsed to (by :mod:`conductor._cli`)."""

    limits: Limits
    chunking: ChunkConfig
    pins: Mapping[str, str] | None
    rate: float | None
    ocr: Mapping[str, Any]


def add_queue_commands(
    commands: Any, process_flags: Callable[[argparse.ArgumentParser], None]
) -> None:
    """Adds submit, worker, jobs and cancel; ``process_flags`` adds ``process``'s chunk,
    limit and ``--rate`` flags (to ``worker``)."""
    sub = commands.add_parser("submit", help="queue documents for workers (PostgreSQL)")
    sub.add_argument("sources", nargs="+", metavar="SOURCE", help="URLs; - for stdin")
    sub.add_argument("--db", default="conductor.sqlite", help=_DB_HELP)
    sub.add_argument("--json", action="store_true", help="one JSON line per source")
    work = commands.add_parser("worker", help="run queued jobs: download, extract, chunk, store")
    work.add_argument("--db", default="conductor.sqlite", help=_DB_HELP)
    work.add_argument("--concurrency", type=int, default=1, help="jobs at once (default 1)")
    work.add_argument(
        "--connections",
        type=int,
        default=WorkerConfig.connections,
        metavar="N",
        help="requests in flight to one host, for all workers together (default 2)",
    )
    work.add_argument("--burst", action="store_true", help="exit when the queue is empty")
    work.add_argument("--max-jobs", type=int, help="exit after N jobs (a supervisor restarts)")
    work.add_argument("--json", action="store_true", help="one JSON line per finished job")
    work.add_argument(
        "--stalled-after",
        type=float,
        default=WorkerConfig.stalled_s,
        metavar="S",
        help="run again a job whose worker sent no heartbeat for S seconds (default 20)",
    )
    work.add_argument(
        "--fanout-pages",
        type=int,
        default=WorkerConfig.fanout_pages,
        metavar="N",
        help="split a PDF of more than N pages into page-range jobs for any worker "
        f"(default {WorkerConfig.fanout_pages}; 0: off)",
    )
    process_flags(work)
    jobs = commands.add_parser("jobs", help="list the queue's jobs")
    jobs.add_argument("--db", default="conductor.sqlite", help=_DB_HELP)
    jobs.add_argument("--status", choices=JOB_STATUSES, help="only jobs with this status")
    jobs.add_argument("--json", action="store_true", help="one JSON line per job")
    cancel = commands.add_parser("cancel", help="cancel queued jobs, stop running ones")
    cancel.add_argument("job_ids", nargs="+", type=int, metavar="JOB_ID")
    cancel.add_argument("--db", default="conductor.sqlite", help=_DB_HELP)
    cancel.add_argument("--json", action="store_true", help="one JSON line per job")


def queue_main(
    args: argparse.Namespace, sources: list[str], settings: Callable[[], WorkerSettings]
) -> int:
    """Runs one queue command; returns the exit status. ``sources`` are submit's, read
    (stdin included); ``settings`` parses worker's shared flags."""
    # The queue and the worker load procrastinate and psycopg: only for these commands.
    from ._queue import JobQueue, require_postgres

    url = require_postgres(args.db, f"conductor {args.command}")
    if args.command == "worker":
        return _worker(args, url, settings())
    with JobQueue(url) as queue:
        if args.command == "submit":
            for s in queue.submit(sources):
                _line(args.json, asdict(s), f"{s.status} job {s.job_id}: {s.source}")
            return 0
        if args.command == "jobs":
            for j in queue.jobs(args.status):
                error = f"  {j.error}" if j.error else ""
                text = f"{j.job_id}  {j.status:<9}  {j.attempts}x  {j.source}{error}"
                _line(args.json, asdict(j), text)
            return 0
        unknown = 0
        for c in queue.cancel(args.job_ids):
            unknown += c.status is None
            _line(args.json, asdict(c), f"job {c.job_id}: {c.status or 'no such job'}")
        return 1 if unknown else 0


def _worker(args: argparse.Namespace, url: str, settings: WorkerSettings) -> int:
    from ._worker import run_worker

    if args.concurrency < 1:
        raise ValueError(f"--concurrency must be at least 1, got {args.concurrency}")
    config = WorkerConfig(
        concurrency=args.concurrency,
        rate=FetchConfig().rate_per_domain if settings.rate is None else settings.rate,
        connections=args.connections,
        fanout_pages=args.fanout_pages,
        burst=args.burst,
        max_jobs=args.max_jobs,
        heartbeat_s=min(WorkerConfig.heartbeat_s, args.stalled_after / 4),
        stalled_s=args.stalled_after,
    )

    def on_job(outcome: JobOutcome) -> None:
        error = f"  {outcome.error}" if outcome.error else ""
        text = f"job {outcome.job_id} {outcome.status}: {outcome.source}{error}"
        _line(args.json, asdict(outcome), text)

    report = run_worker(
        url,
        config,
        limits=settings.limits,
        chunking=settings.chunking,
        pins=settings.pins,
        ocr=settings.ocr,
        on_job=on_job,
    )
    if not args.json:
        print(
            f"worker done: {report.succeeded} succeeded, {report.failed} failed, "
            f"{len(report.recovered)} recovered from stalled workers",
            file=sys.stderr,
        )
    return 0


def _line(as_json: bool, record: dict[str, Any], text: str) -> None:
    print(json.dumps(record, ensure_ascii=False) if as_json else text, flush=True)


__all__ = ["QUEUE_COMMANDS", "WorkerSettings", "add_queue_commands", "queue_main"]
