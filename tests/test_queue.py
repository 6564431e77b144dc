"""The job queue (procrastinate on PostgreSQL) with real `conductor worker` processes, a
real PostgreSQL (tests/_postgres.py) and a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
import pytest

from _postgres import pg_url
from _server import FaultServer, Reply
from conductor import Conductor, DatabaseError, FetchConfig
from conductor._store import PostgresStore

__all__ = ["pg_url"]  # the fixture, imported for pytest

CONDUCTOR = str(Path(sys.executable).with_name("conductor"))
DOCS = 100
"""Documents through the two-worker run: 100 as the issue asks (35-50 s on a shared
2-core machine, 12.5 s of it the rate limit, 3 s the stalled-worker timeout)."""
RATE = 8.0
"""--rate in the crash test: requests per second to 127.0.0.1 for all workers together."""


def cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [CONDUCTOR, *args], capture_output=True, text=True, input=stdin, timeout=120, check=False
    )


def json_lines(out: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def jobs(url: str, *extra: str) -> list[dict[str, Any]]:
    done = cli("jobs", "--db", url, "--json", *extra)
    assert done.returncode == 0, done.stderr
    return json_lines(done.stdout)


def serve_pdfs(server: FaultServer, make_pdf: Callable[..., bytes], n: int) -> list[str]:
    urls = []
    for i in range(n):
        body = make_pdf(
            [f"Agenda {i}\n1. CALL TO ORDER\nItem {i} of the council meeting.", f"Page two of {i}."]
        )
        server.route(f"/doc/{i}.pdf", Reply(body=body))
        urls.append(server.url(f"/doc/{i}.pdf"))
    return urls


def start_worker(url: str, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [CONDUCTOR, "worker", "--db", url, "--json", *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_until(what: str, check: Callable[[], bool], timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.2)


def one_worker_id(url: str) -> int:
    """The id of the only worker registered in the queue, once it registered."""
    ids: list[int] = []

    def registered() -> bool:
        with psycopg.connect(url) as conn:
            ids[:] = [r[0] for r in conn.execute("SELECT id FROM procrastinate_workers")]
        return len(ids) == 1

    wait_until("the worker to register", registered)
    return ids[0]


def freeze_with_jobs_in_hand(worker: subprocess.Popen[str], url: str, worker_id: int) -> list[int]:
    """Stops ``worker`` (SIGSTOP) at a moment it holds running jobs; returns their ids.
    Stopped, it can neither finish them nor take others, so the ids stay true."""
    while True:
        os.kill(worker.pid, signal.SIGSTOP)
        with psycopg.connect(url) as conn:
            held = [
                r[0]
                for r in conn.execute(
                    "SELECT id FROM procrastinate_jobs WHERE status = 'doing' AND worker_id = %s",
                    (worker_id,),
                )
            ]
        if held:
            return held
        os.kill(worker.pid, signal.SIGCONT)
        time.sleep(0.05)


# -- a SQLite path is refused -------------------------------------------------------------


@pytest.mark.parametrize("command", ["submit", "worker", "jobs", "cancel"])
def test_queue_commands_need_postgres(command: str, tmp_path: Path) -> None:
    args = {"submit": ["https://example.org/a.pdf"], "cancel": ["1"]}.get(command, [])
    done = cli(command, *args, "--db", str(tmp_path / "c.sqlite"), "--json")
    assert done.returncode == 1
    error = json.loads(done.stdout)["error"]
    assert error["kind"] == "database"
    assert "needs PostgreSQL" in error["message"]
    assert "process" in error["message"]  # what to use instead
    assert not (tmp_path / "c.sqlite").exists()


def test_python_submit_needs_postgres(tmp_path: Path) -> None:
    with pytest.raises(DatabaseError, match="needs PostgreSQL"):
        Conductor(database=tmp_path / "c.sqlite").submit(["https://example.org/a.pdf"])


# -- submit, duplicates, jobs, cancel -----------------------------------------------------


def test_submit_duplicates_jobs_and_cancel(pg_url: str) -> None:
    a, b = "http://127.0.0.1:9/a.pdf", "http://127.0.0.1:9/b.pdf"
    done = cli("submit", "--db", pg_url, "--json", a, "-", a, stdin=f"{b}\n\n")
    assert done.returncode == 0, done.stderr
    lines = json_lines(done.stdout)
    assert [(x["source"], x["status"]) for x in lines] == [
        (a, "queued"),
        (b, "queued"),
        (a, "duplicate"),
    ]
    assert set(lines[0]) == {"job_id", "source", "status"}
    assert isinstance(lines[0]["job_id"], int)
    assert lines[2]["job_id"] == lines[0]["job_id"]
    listed = jobs(pg_url)
    assert listed == [
        {
            "job_id": lines[0]["job_id"],
            "source": a,
            "status": "queued",
            "attempts": 0,
            "error": None,
        },
        {
            "job_id": lines[1]["job_id"],
            "source": b,
            "status": "queued",
            "attempts": 0,
            "error": None,
        },
    ]
    cancelled = cli("cancel", "--db", pg_url, "--json", str(lines[1]["job_id"]), "999999")
    assert cancelled.returncode == 1  # one id is unknown
    assert json_lines(cancelled.stdout) == [
        {"job_id": lines[1]["job_id"], "status": "cancelled"},
        {"job_id": 999999, "status": None},
    ]
    assert [j["source"] for j in jobs(pg_url, "--status", "cancelled")] == [b]
    assert [j["source"] for j in jobs(pg_url, "--status", "queued")] == [a]
    # a cancelled source is not queued or running: submitting it again queues it
    again = json_lines(cli("submit", "--db", pg_url, "--json", b).stdout)
    assert again[0]["status"] == "queued"
    assert again[0]["job_id"] != lines[1]["job_id"]


def test_submit_refuses_local_paths(pg_url: str, tmp_path: Path) -> None:
    done = cli("submit", "--db", pg_url, "--json", str(tmp_path / "a.pdf"))
    assert done.returncode == 1
    assert "http(s) URLs" in json.loads(done.stdout)["error"]["message"]


def test_python_submit_and_jobs(pg_url: str) -> None:
    c = Conductor(database=pg_url)
    ids = c.submit(["http://127.0.0.1:9/x.pdf", "http://127.0.0.1:9/y.pdf"])
    assert len(set(ids)) == 2
    assert c.submit(["http://127.0.0.1:9/x.pdf"]) == ids[:1]  # a duplicate: the same job
    assert [(j.job_id, j.status) for j in c.jobs()] == [(ids[0], "queued"), (ids[1], "queued")]
    assert c.jobs("succeeded") == []


# -- workers ------------------------------------------------------------------------------


def test_burst_worker_runs_jobs_and_records_failures(
    pg_url: str, server: FaultServer, make_pdf: Callable[..., bytes]
) -> None:
    (ok,) = serve_pdfs(server, make_pdf, 1)
    missing = server.url("/gone.pdf")  # 404: a permanent failure, not retried
    cancelled = server.url("/doc/never.pdf")
    ids = Conductor(database=pg_url).submit([ok, missing, cancelled])
    assert cli("cancel", "--db", pg_url, str(ids[2])).returncode == 0
    worker = start_worker(pg_url, "--burst", "--rate", "inf")
    out, err = worker.communicate(timeout=120)
    assert worker.returncode == 0, err
    finished = {line["source"]: line for line in json_lines(out)}
    assert set(finished) == {ok, missing}
    listed = {j["source"]: j for j in jobs(pg_url)}
    assert listed[ok]["status"] == "succeeded"
    assert listed[ok]["error"] is None
    assert listed[missing]["status"] == "failed"
    assert listed[missing]["attempts"] == 1
    assert listed[missing]["error"].startswith("not_found: ")
    assert listed[cancelled]["status"] == "cancelled"
    assert server.hits("/doc/never.pdf") == []  # a cancelled job never ran
    with PostgresStore(pg_url) as store:
        [doc] = store.summary()
        assert doc.urls == (ok,)
        assert doc.chunks >= 1


def test_max_jobs_exits_after_n_jobs(
    pg_url: str, server: FaultServer, make_pdf: Callable[..., bytes]
) -> None:
    urls = serve_pdfs(server, make_pdf, 3)
    Conductor(database=pg_url).submit(urls)
    worker = start_worker(pg_url, "--max-jobs", "1", "--rate", "inf")
    out, err = worker.communicate(timeout=120)
    assert worker.returncode == 0, err
    assert len(json_lines(out)) == 1
    statuses = sorted(j["status"] for j in jobs(pg_url))
    assert statuses == ["queued", "queued", "succeeded"]


def test_two_workers_one_killed_store_every_document_once(
    pg_url: str, server: FaultServer, make_pdf: Callable[..., bytes], tmp_path: Path
) -> None:
    """DOCS documents through two workers; one is SIGKILLed while it runs jobs. Every job
    succeeds, each document is stored once with the chunks a one-process `process` run
    makes, the dead worker's jobs ran again, and the host never saw more than RATE
    requests per second from the two together."""
    urls = serve_pdfs(server, make_pdf, DOCS)
    submitted = json_lines(
        cli("submit", "--db", pg_url, "--json", "-", stdin="\n".join(urls)).stdout
    )
    assert [s["status"] for s in submitted] == ["queued"] * DOCS
    resubmitted = json_lines(cli("submit", "--db", pg_url, "--json", *urls[:10]).stdout)
    assert [s["status"] for s in resubmitted] == ["duplicate"] * 10
    assert [s["job_id"] for s in resubmitted] == [s["job_id"] for s in submitted[:10]]

    flags = ("--concurrency", "2", "--rate", str(RATE), "--stalled-after", "3")
    victim = start_worker(pg_url, *flags)
    survivor: subprocess.Popen[str] | None = None
    try:
        victim_id = one_worker_id(pg_url)
        survivor = start_worker(pg_url, *flags, "--burst")
        assert victim.stdout is not None
        for _ in range(5):  # a few jobs done: it is mid-run
            assert victim.stdout.readline()
        orphans = freeze_with_jobs_in_hand(victim, pg_url, victim_id)
        os.kill(victim.pid, signal.SIGKILL)
        victim.communicate(timeout=10)
        _, err = survivor.communicate(timeout=240)
    finally:
        for p in (victim, survivor):
            if p is not None and p.poll() is None:
                p.kill()
                p.communicate()
    assert survivor.returncode == 0, err
    listed = {j["job_id"]: j for j in jobs(pg_url)}
    assert len(listed) == DOCS
    assert {j["status"] for j in listed.values()} == {"succeeded"}
    # the jobs the victim held when it died were recovered and run again
    assert orphans
    for job_id in orphans:
        assert listed[job_id]["attempts"] >= 2, listed[job_id]

    # the cluster's rate, whichever worker sent the requests: on average at most RATE
    # per second, and any two-second window holds at most 2 * RATE (+2 for its edges);
    # two workers each keeping RATE on their own would send twice that
    hits = sorted(h.t for h in server.hits())
    assert (len(hits) - 1) / (hits[-1] - hits[0]) <= RATE * 1.02
    busiest = max(sum(1 for t in hits[i:] if t - start < 2.0) for i, start in enumerate(hits))
    assert busiest <= 2 * RATE + 2, busiest

    fast = FetchConfig(rate_per_domain=math.inf)
    reference = Conductor(database=tmp_path / "one.sqlite", fetch=fast, workers=1)
    results = reference.process_documents([{"url": u} for u in urls])
    reference.close()
    assert all(r.ok for r in results)
    with PostgresStore(pg_url) as store:
        summary = store.summary()
        assert len(summary) == DOCS  # one row per document: none stored twice
        assert sorted(u for d in summary for u in d.urls) == sorted(urls)
        for r in results:
            assert r.document is not None
            assert store.load_chunks(r.document.sha256) == r.chunks
            assert store.load_document(r.document.sha256) == r.document
