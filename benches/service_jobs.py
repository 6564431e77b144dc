#!/usr/bin/env python3
"""100 one-document jobs through the HTTP service vs the same 100 documents as one batch.

Documents: the civic corpus PDFs with a text layer, cycled (scans would time OCR).

- service: a ``conductor serve`` process (embedded mode, a fresh SQLite file per run, rate
  limit off; started as the tests start it, tests/_service.py); the client submits 100
  jobs of one PDF each (``POST /v1/jobs``), then long-polls each until it ends. Jobs
  per second over the whole run; each job's latency is its ``finished_at -
  created_at`` as the server recorded them (p50, p95).
- queue: the same through ``conductor serve --db postgresql://...`` (a fresh database per
  run on the tests' server, tests/_postgres.py), the documents run by 2 ``conductor
  worker --burst`` processes started once every job is submitted.
- batch: ``Conductor.process_documents`` on the same 100 URLs in one process (the
  pipeline without the API, jobs table and per-job overhead): the anchor.

The 100 documents are unique (trailing comments), and every run of every contender starts
from an empty database, so nothing is reused from a stored extraction.

Usage: ``.venv/bin/python benches/service_jobs.py [--jobs 100] [--runs 3]
[--only service queue batch]``
Results also go to benches/results/service_jobs-<time>.json.
"""

from __future__ import annotations

import contextlib
import statistics
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import harness
from _metrics import corpus_dir, manifest, manifest_field
from _service import CONDUCTOR, Server
from batch_pipeline import serve
from harness import Contender, Section

SERVICE = "conductor serve (SQLite)"
QUEUE = "conductor serve + 2 workers (PostgreSQL)"
BATCH = "Conductor.process_documents"


def _seconds(stamp: str) -> float:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


@dataclass
class ServiceJobs(Contender):
    """Each run: a fresh server and database, ``jobs`` one-document jobs. With
    ``queue_workers``, queue mode: a fresh PostgreSQL database, and that many ``conductor
    worker --burst`` processes started once every job is submitted."""

    urls: list[str] = field(default_factory=list)
    tmp: Path = Path()
    queue_workers: int = 0
    latencies: list[float] = field(default_factory=list)

    def run(self, timeout: float) -> None:
        with contextlib.ExitStack() as stack:
            if self.queue_workers:
                try:
                    db = stack.enter_context(_postgres_database())
                except Exception as e:  # no server: this row says so, the others run
                    self.error = f"no PostgreSQL for queue mode: {e}".splitlines()[0]
                    return
            else:
                db = str(self.tmp / f"service-{time.monotonic_ns()}.sqlite")
            server = stack.enter_context(Server(db, "--max-jobs-per-key", "1000"))
            client = stack.enter_context(server.client())
            start = time.perf_counter()
            ids = []
            for url in self.urls:
                r = client.post("/v1/jobs", json={"documents": [{"url": url, "type": "pdf"}]})
                r.raise_for_status()
                ids.append(r.json()["job_id"])
            for _ in range(self.queue_workers):
                stack.enter_context(_worker(db))
            jobs = []
            for job_id in ids:
                while True:
                    job = client.get(f"/v1/jobs/{job_id}", params={"wait": 60}).json()
                    if job["status"] not in ("queued", "running"):
                        break
                    if time.perf_counter() - start > timeout:
                        self.error = f"timed out after {timeout:g} s"
                        return
                jobs.append(job)
            elapsed = time.perf_counter() - start
        failed = [j for j in jobs if j["status"] != "succeeded"]
        if failed:
            self.error = f"{len(failed)} job(s) did not succeed: {failed[0]}"
            return
        self.seconds.append(elapsed)
        self.latencies += [_seconds(j["finished_at"]) - _seconds(j["created_at"]) for j in jobs]
        cuts = statistics.quantiles(self.latencies, n=20)
        self.info.update(
            jobs=len(self.urls),
            jobs_per_s=round(len(self.urls) / statistics.median(self.seconds), 2),
            p50_s=round(statistics.median(self.latencies), 3),
            p95_s=round(cuts[18], 3),
        )


@contextlib.contextmanager
def _postgres_database() -> Iterator[str]:
    """A new database on the tests' PostgreSQL server, dropped afterwards."""
    import psycopg

    from _postgres import server_url, with_database

    admin, name = server_url(), f"conductor_bench_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"'.encode())
    try:
        yield with_database(admin, name)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'.encode())


@contextlib.contextmanager
def _worker(url: str) -> Iterator[None]:
    """A ``conductor worker --burst`` (it exits once nothing is queued or running)."""
    cmd = [str(CONDUCTOR), "worker", "--db", url, "--rate", "inf", "--burst"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield
    finally:
        try:
            proc.wait(120)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@dataclass
class Batch(Contender):
    """Each run: a fresh database, one batch of the same URLs."""

    urls: list[str] = field(default_factory=list)
    tmp: Path = Path()

    def run(self, timeout: float) -> None:
        from conductor import Conductor, FetchConfig

        urls = self.urls
        db = self.tmp / f"batch-{time.monotonic_ns()}.sqlite"
        fetch = FetchConfig(rate_per_domain=10_000.0)
        start = time.perf_counter()
        with Conductor(database=db, fetch=fetch) as conductor:
            results = conductor.process_documents([{"url": u, "type": "pdf"} for u in urls])
        elapsed = time.perf_counter() - start
        if not all(r.ok for r in results):
            self.error = "a document failed"
            return
        self.seconds.append(elapsed)
        self.info.update(docs_per_s=round(len(urls) / statistics.median(self.seconds), 2))


def _after(contenders: Any) -> list[str]:
    lines = []
    for c in contenders:
        if c.name in (SERVICE, QUEUE) and c.error is None and c.info:
            lines.append(
                f"{c.name}: {c.info['jobs_per_s']} jobs/s, latency p50 {c.info['p50_s']} s, "
                f"p95 {c.info['p95_s']} s (created_at -> finished_at)"
            )
        if c.name == BATCH and c.error is None and c.info:
            lines.append(f"batch: {c.info['docs_per_s']} documents/s")
    return lines


def text_layer_pdfs() -> list[Path]:
    """The civic corpus PDFs with a text layer (scans would measure OCR, not the API)."""
    corpus = corpus_dir()
    rows = manifest(corpus)
    return [
        corpus / name
        for name, row in sorted(rows.items())
        if name.startswith("civic/")
        and name.endswith(".pdf")
        and manifest_field(row.get("notes", ""), "pdftotext_chars") not in (None, "0")
    ]


def section(urls: list[str], tmp: Path, only: tuple[str, ...] = ()) -> Section:
    jobs = len(urls)
    table = f"{jobs} one-document jobs (civic PDFs) from a loopback server"
    return Section(
        name="service",
        title=f"HTTP service: {jobs} one-document jobs through the API, embedded mode",
        contenders=[
            c
            for key, c in (
                ("service", ServiceJobs(name=SERVICE, table=table, urls=urls, tmp=tmp)),
                (
                    "queue",
                    ServiceJobs(name=QUEUE, table=table, urls=urls, tmp=tmp, queue_workers=2),
                ),
                ("batch", Batch(name=BATCH, table=table, urls=urls, tmp=tmp)),
            )
            if not only or key in only
        ],
        anchors={table: BATCH},
        notes=[
            "service: a fresh server and database per run (SQLite, or PostgreSQL with 2 "
            "conductor worker --burst processes started once the 100 jobs are submitted)",
            "every run of either side starts from an empty database",
        ],
        after=_after,
    )


def main() -> None:
    parser = harness.arguments(__doc__ or "", runs=3, timeout=600)
    parser.add_argument("--jobs", type=int, default=100)
    parser.add_argument("--only", nargs="+", choices=("service", "queue", "batch"), default=())
    args = parser.parse_args()
    with harness.scratch() as tmp, serve(tmp, args.jobs, text_layer_pdfs()) as urls:
        harness.measure_and_write(
            "service_jobs",
            section(urls, tmp, tuple(args.only)),
            args.runs,
            args.timeout,
            jobs=args.jobs,
        )


if __name__ == "__main__":
    main()
