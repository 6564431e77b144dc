#!/usr/bin/env python3
"""The same loopback documents through `process` (SQLite, PostgreSQL) and the job queue.

- process, SQLite: ``conductor process URL... --db FILE --rate inf`` (a fresh file per run).
- process, PostgreSQL: the same with ``--db postgresql://...`` (a fresh database per run).
- queue, 1 worker / 2 workers: ``conductor submit`` of every URL, then that many
  ``conductor worker --burst --concurrency 2 --rate inf`` processes started together;
  timed from the submit to the last worker's exit (a fresh database per run).

Every row is whole processes (start-up, component compilation and all) with ``--ocr
off`` (the pipeline and the queue are measured, not tesseract); documents per second is
the batch's size over the median wall time. The documents are batch_pipeline.py's
unique civic PDFs; the PostgreSQL server is ``$CONDUCTOR_TEST_PG`` (default: the one
scripts/setup.sh starts). On one machine two workers share its cores: the row says what a
worker process costs, not what a second machine adds.

Usage: ``.venv/bin/python benches/workers_queue.py [--docs 100] [--runs 3]``
Results also go to benches/results/workers_queue-<time>.json.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.parse
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import harness
from batch_pipeline import serve
from harness import Contender, Section

CONDUCTOR = Path(sys.executable).parent / "conductor"
PG = os.environ.get(
    "CONDUCTOR_TEST_PG", "postgresql://conductor:conductor@127.0.0.1:5432/conductor_test"
)
TABLE = "documents from a loopback server, end to end"
ANCHOR = "process, SQLite"
OCR_OFF = ("--ocr", "off")  # the pipeline and the queue, not tesseract
WORKER_FLAGS = ("--concurrency", "2", "--rate", "inf", *OCR_OFF)


@contextmanager
def fresh_postgres() -> Iterator[str]:
    """A new database on the server, dropped afterwards; yields its URL."""
    import psycopg

    name = f"conductor_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"'.encode())
    try:
        yield urllib.parse.urlunsplit(urllib.parse.urlsplit(PG)._replace(path=f"/{name}"))
    finally:
        with psycopg.connect(PG, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'.encode())


def _check(done: subprocess.CompletedProcess[bytes], what: str) -> None:
    if done.returncode != 0:
        tail = done.stderr.decode(errors="replace").strip()[-300:]
        raise RuntimeError(f"{what}: exit {done.returncode}: {tail}")


@dataclass(kw_only=True)
class QueueRun(Contender):
    """One way of running the batch; ``workers`` 0 means ``conductor process``."""

    urls: list[str] = field(default_factory=list)
    tmp: Path = Path()
    postgres: bool = False
    workers: int = 0
    worker_flags: tuple[str, ...] = ()
    """More ``conductor worker`` flags (fanout_queue.py's ``--fanout-pages``)."""

    def run(self, timeout: float) -> None:
        try:
            self.seconds.append(self._once(timeout))
        except (RuntimeError, subprocess.TimeoutExpired) as e:
            self.error = str(e)

    def _once(self, timeout: float) -> float:
        if not self.postgres:
            db = str(self.tmp / f"bench-{time.monotonic_ns()}.sqlite")
            start = time.perf_counter()
            _check(self._process(db, timeout), "process")
            return time.perf_counter() - start
        with fresh_postgres() as url:
            start = time.perf_counter()
            if self.workers == 0:
                _check(self._process(url, timeout), "process")
                return time.perf_counter() - start
            submit = subprocess.run(
                [str(CONDUCTOR), "submit", "--db", url, "-"],
                input="\n".join(self.urls).encode(),
                capture_output=True,
                timeout=timeout,
                check=False,
            )
            _check(submit, "submit")
            procs = [
                subprocess.Popen(
                    [
                        str(CONDUCTOR),
                        "worker",
                        "--db",
                        url,
                        "--burst",
                        *WORKER_FLAGS,
                        *self.worker_flags,
                    ],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.PIPE,
                )
                for _ in range(self.workers)
            ]
            for p in procs:
                _, err = p.communicate(timeout=timeout)
                _check(subprocess.CompletedProcess(p.args, p.returncode, b"", err), "worker")
            return time.perf_counter() - start

    def _process(self, db: str, timeout: float) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(
            [str(CONDUCTOR), "process", *self.urls, "--db", db, "--rate", "inf", *OCR_OFF],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            timeout=timeout,
            check=False,
        )


def _docs_per_second(count: int) -> Callable[[Sequence[Contender]], list[str]]:
    def after(contenders: Sequence[Contender]) -> list[str]:
        lines = []
        for c in contenders:
            median = c.summary()["median_s"]
            if median:
                lines.append(f"{c.name}: {count / median:.1f} docs/s")
        return lines

    return after


def section(urls: list[str], tmp: Path) -> Section:
    rows: list[Contender] = [
        QueueRun(name=ANCHOR, table=TABLE, urls=urls, tmp=tmp),
        QueueRun(name="process, PostgreSQL", table=TABLE, urls=urls, tmp=tmp, postgres=True),
        QueueRun(name="queue, 1 worker", table=TABLE, urls=urls, tmp=tmp, postgres=True, workers=1),
        QueueRun(
            name="queue, 2 workers", table=TABLE, urls=urls, tmp=tmp, postgres=True, workers=2
        ),
    ]
    after = _docs_per_second(len(urls))
    return Section(
        name="workers",
        title=f"workers: {len(urls)} documents through process and the job queue",
        contenders=rows,
        anchors={TABLE: ANCHOR},
        notes=[
            "whole processes, fresh database per run, --ocr off; workers: --burst --concurrency 2"
        ],
        after=after,
    )


def main() -> None:
    parser = harness.arguments(__doc__ or "", runs=3, timeout=600)
    parser.add_argument("--docs", type=int, default=100)
    args = parser.parse_args()
    with harness.scratch() as tmp, serve(tmp, args.docs) as urls:
        harness.measure_and_write(
            "workers_queue", section(urls, tmp), args.runs, args.timeout, docs=args.docs
        )


if __name__ == "__main__":
    main()
