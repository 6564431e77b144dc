"""The queue's cluster-wide parts with real `conductor worker` processes, a real
PostgreSQL (tests/_postgres.py) and a real HTTP server on 127.0.0.1: the per-host
connection cap all workers share, and large PDFs fanned out into page-range jobs."""

from __future__ import annotations

import math
import os
import re
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest

from _postgres import pg_url
from _server import FaultServer, Hit, Reply
from conductor import Conductor, FetchConfig
from conductor._queue import JobQueue
from conductor._store import PostgresStore
from conductor._worker import WorkerConfig
from test_queue import (
    cli,
    freeze_with_jobs_in_hand,
    jobs,
    json_lines,
    one_worker_id,
    start_worker,
    wait_until,
)

__all__ = ["pg_url"]  # the fixture, imported for pytest

HOLD_S = 0.25
"""How long the server keeps each request open: long enough for requests of two workers
to overlap whenever the cap lets them."""


class InFlight:
    """A route that keeps each request open ``HOLD_S`` and records how many requests were
    open at once (the server answers each request in its own thread)."""

    def __init__(self, body: bytes, hold_s: float = HOLD_S) -> None:
        self.body = body
        self.hold_s = hold_s
        self.open = 0
        self.most = 0
        self.lock = threading.Lock()

    def __call__(self, hit: Hit) -> Reply:
        with self.lock:
            self.open += 1
            self.most = max(self.most, self.open)
        try:
            time.sleep(self.hold_s)
        finally:
            with self.lock:
                self.open -= 1
        return Reply(body=self.body)


def test_connection_cap_holds_across_two_workers(
    pg_url: str, server: FaultServer, make_pdf: Callable[..., bytes]
) -> None:
    """Two workers, each running 3 jobs at once, with --connections 1: the host never
    has two requests open, though each worker on its own would send one and the two
    together two."""
    shared = InFlight(make_pdf(["Minutes\nThe council met."]))  # one tally for the host
    urls = []
    for i in range(10):
        server.route(f"/m/{i}.pdf", shared)
        urls.append(server.url(f"/m/{i}.pdf"))
    Conductor(database=pg_url).submit(urls)
    flags = ("--burst", "--concurrency", "3", "--rate", "inf", "--connections", "1")
    workers = [start_worker(pg_url, *flags) for _ in range(2)]
    outs = []
    for w in workers:
        out, err = w.communicate(timeout=120)
        assert w.returncode == 0, err
        outs.append(json_lines(out))
    assert sorted(line["source"] for out in outs for line in out) == sorted(urls)
    assert all(line["status"] == "succeeded" for out in outs for line in out)
    assert all(outs), "both workers ran jobs: the cap was shared, not idle"
    assert len(server.hits()) == len(urls)
    assert shared.most == 1


def test_killed_worker_frees_its_connection_slot(
    pg_url: str, server: FaultServer, make_pdf: Callable[..., bytes]
) -> None:
    """A worker SIGKILLed while its request holds the host's only slot: PostgreSQL ends
    its session and frees the slot, so another worker downloads from the host, and the
    dead worker's job runs again."""
    release = threading.Event()
    body = make_pdf(["Packet\nItem one."])

    def stuck(hit: Hit) -> Reply:
        release.wait(30)
        return Reply(body=body)

    server.route("/stuck.pdf", stuck)
    server.route("/next.pdf", Reply(body=make_pdf(["Packet two\nItem two."])))
    stuck_url, next_url = server.url("/stuck.pdf"), server.url("/next.pdf")
    flags = ("--rate", "inf", "--connections", "1", "--stalled-after", "3")
    Conductor(database=pg_url).submit([stuck_url])
    victim = start_worker(pg_url, *flags)
    survivor: subprocess.Popen[str] | None = None
    try:
        wait_until("the stuck request", lambda: len(server.hits("/stuck.pdf")) == 1)
        os.kill(victim.pid, signal.SIGKILL)
        victim.communicate(timeout=10)
        release.set()  # the server finishes the dead worker's request into a closed socket
        Conductor(database=pg_url).submit([next_url])
        survivor = start_worker(pg_url, *flags, "--burst")
        out, err = survivor.communicate(timeout=120)
    finally:
        release.set()
        for p in (victim, survivor):
            if p is not None and p.poll() is None:
                p.kill()
                p.communicate()
    assert survivor.returncode == 0, err
    done = {line["source"]: line["status"] for line in json_lines(out)}
    assert done == {stuck_url: "succeeded", next_url: "succeeded"}
    listed = {j["source"]: j for j in jobs(pg_url)}
    assert listed[stuck_url]["attempts"] == 2


def test_worker_config_is_validated() -> None:
    with pytest.raises(ValueError, match="connections must be at least 1"):
        WorkerConfig(connections=0)
    with pytest.raises(ValueError, match="fanout_pages must be 0"):
        WorkerConfig(fanout_pages=-1)
    assert WorkerConfig(fanout_pages=0).fanout_pages == 0  # 0: fan-out off


# -- large documents fan out --------------------------------------------------------------

FANOUT_PAGES = 50
"""--fanout-pages in these tests: the 150-page packet is three range jobs."""


def packet(make_pdf: Callable[..., bytes], pages: int = 150) -> bytes:
    """A council packet with a distinct, checkable text on every page."""
    return make_pdf(
        [
            f"Packet page {n}\nItem {n}: staff report on ordinance {1000 + n}."
            for n in range(1, pages + 1)
        ],
        title="Regular Meeting Packet",
    )


def fan_out(url: str, source: str) -> None:
    """One worker takes the job, fans its document out and exits (--max-jobs 1): the
    ranges are queued, none has run."""
    Conductor(database=url).submit([source])
    worker = start_worker(
        url, "--max-jobs", "1", "--rate", "inf", "--fanout-pages", str(FANOUT_PAGES)
    )
    out, err = worker.communicate(timeout=120)
    assert worker.returncode == 0, err
    assert json_lines(out) == []  # no document settled yet
    with psycopg.connect(url) as conn:
        ranges = conn.execute(
            "SELECT first_page, last_page, document IS NULL FROM conductor_fanout_ranges "
            "ORDER BY first_page"
        ).fetchall()
        queued = conn.execute(
            "SELECT count(*) FROM procrastinate_jobs WHERE task_name = 'conductor.range' "
            "AND status = 'todo'"
        ).fetchone()
    assert [r[:2] for r in ranges][:2] == [(1, 50), (51, 100)]
    assert len(ranges) == 3
    assert ranges[2][0] == 101  # the last range is open-ended
    assert all(r[2] for r in ranges)
    assert queued == (3,)


def test_large_pdf_fans_out_and_merges_like_one_piece(
    pg_url: str, server: FaultServer, make_pdf: Callable[..., bytes], tmp_path: Path
) -> None:
    """A 150-page PDF becomes three range jobs; its job reads running until two workers
    ran them and the last one merged; the stored document and chunks equal a one-piece
    `process` run's, and the downloaded bytes and range results are dropped."""
    body = packet(make_pdf)
    server.route("/packet.pdf", Reply(body=body))
    server.route("/small.pdf", Reply(body=make_pdf(["Agenda\n1. Call to order."])))
    big, small = server.url("/packet.pdf"), server.url("/small.pdf")
    fan_out(pg_url, big)
    [parent] = jobs(pg_url)
    assert (parent["source"], parent["status"], parent["error"]) == (big, "running", None)
    assert [j["job_id"] for j in jobs(pg_url, "--status", "running")] == [parent["job_id"]]
    with JobQueue(pg_url) as queue:  # what the HTTP service reads
        assert queue.jobs_by_id([parent["job_id"], 999999])[parent["job_id"]].status == "running"
        assert list(queue.jobs_by_id([parent["job_id"], 999999])) == [parent["job_id"]]
    # submitting it again while its ranges run is a duplicate
    again = json_lines(cli("submit", "--db", pg_url, "--json", big).stdout)
    assert again == [{"job_id": parent["job_id"], "source": big, "status": "duplicate"}]

    Conductor(database=pg_url).submit([small])  # under the threshold: one job, not fanned
    flags = ("--burst", "--rate", "inf", "--fanout-pages", str(FANOUT_PAGES))
    workers = [start_worker(pg_url, *flags) for _ in range(2)]
    lines = []
    for w in workers:
        out, err = w.communicate(timeout=120)
        assert w.returncode == 0, err
        lines += json_lines(out)
    # the packet's line comes once, from the worker that merged it
    assert sorted((x["source"], x["status"]) for x in lines) == [
        (big, "succeeded"),
        (small, "succeeded"),
    ]
    assert {j["source"]: j["status"] for j in jobs(pg_url)} == {
        big: "succeeded",
        small: "succeeded",
    }
    assert len(server.hits("/packet.pdf")) == 1  # range workers read the stored bytes
    with JobQueue(pg_url) as queue:
        assert queue.jobs_by_id([parent["job_id"]])[parent["job_id"]].status == "succeeded"

    reference = Conductor(
        database=tmp_path / "one.sqlite", fetch=FetchConfig(rate_per_domain=math.inf), workers=1
    )
    [one] = reference.process_documents([{"url": big}])
    reference.close()
    assert one.ok
    assert one.document is not None
    assert len(one.document.pages) == 150
    with PostgresStore(pg_url) as store:
        stored = store.load_document(one.document.sha256)
        assert stored == one.document  # the merge equals the one-piece extraction
        assert store.load_chunks(one.document.sha256) == one.chunks
        assert [d.urls for d in store.summary() if d.sha256 == one.document.sha256] == [(big,)]
    assert stored is not None
    assert stored.pages[149].text.startswith("Packet page 150")
    with psycopg.connect(pg_url) as conn:
        row = conn.execute(
            "SELECT state, landed, ranges, body IS NULL FROM conductor_fanouts"
        ).fetchone()
        leftover = conn.execute(
            "SELECT count(*) FROM conductor_fanout_ranges WHERE document IS NOT NULL"
        ).fetchone()
    assert row == ("merged", 3, 3, True)
    assert leftover == (0,)


def test_failed_range_fails_the_document(
    pg_url: str, server: FaultServer, make_pdf: Callable[..., bytes]
) -> None:
    """Range jobs that cannot read their bytes: the document's job fails once, with the
    typed error of the first range that failed, naming its pages; nothing is stored."""
    server.route("/packet.pdf", Reply(body=packet(make_pdf)))
    big = server.url("/packet.pdf")
    fan_out(pg_url, big)
    with psycopg.connect(pg_url) as conn:
        # what a range worker reads is no longer a PDF (a damaged copy in the database)
        conn.execute("UPDATE conductor_fanouts SET body = %s", (b"%PDF-1.7\n" + b"\x00" * 4096,))
    worker = start_worker(pg_url, "--burst", "--rate", "inf", "--fanout-pages", str(FANOUT_PAGES))
    out, err = worker.communicate(timeout=120)
    assert worker.returncode == 0, err
    [line] = json_lines(out)
    assert (line["source"], line["status"]) == (big, "failed")
    [parent] = jobs(pg_url)
    assert parent["status"] == "failed"
    assert parent["error"] == line["error"]
    kind, message = parent["error"].split(": ", 1)
    assert kind == "corrupt"
    assert re.match(r"pages (1-50|51-100|101-\d+): ", message), message
    with PostgresStore(pg_url) as store:
        assert store.summary() == []


def test_killed_range_worker_loses_nothing(
    pg_url: str, server: FaultServer, make_pdf: Callable[..., bytes]
) -> None:
    """A worker SIGKILLed while it extracts a range: the range's job is recovered and run
    by another worker, the document is merged and stored once with every page."""
    server.route("/packet.pdf", Reply(body=packet(make_pdf)))
    big = server.url("/packet.pdf")
    fan_out(pg_url, big)
    flags = ("--rate", "inf", "--fanout-pages", str(FANOUT_PAGES), "--stalled-after", "3")
    victim = start_worker(pg_url, *flags)
    survivor: subprocess.Popen[str] | None = None
    try:
        held = freeze_with_jobs_in_hand(victim, pg_url, one_worker_id(pg_url))
        os.kill(victim.pid, signal.SIGKILL)
        victim.communicate(timeout=10)
        survivor = start_worker(pg_url, *flags, "--burst")
        out, err = survivor.communicate(timeout=120)
    finally:
        for p in (victim, survivor):
            if p is not None and p.poll() is None:
                p.kill()
                p.communicate()
    assert survivor.returncode == 0, err
    assert [(x["source"], x["status"]) for x in json_lines(out)] == [(big, "succeeded")]
    assert [j["status"] for j in jobs(pg_url)] == ["succeeded"]
    with psycopg.connect(pg_url) as conn:
        rows = conn.execute(
            "SELECT id, task_name, status::text, attempts FROM procrastinate_jobs "
            "WHERE id = ANY(%s)",
            (held,),
        ).fetchall()
        fanout = conn.execute("SELECT state, landed, ranges FROM conductor_fanouts").fetchone()
    assert [(r[1], r[2]) for r in rows] == [("conductor.range", "succeeded")]
    assert rows[0][3] >= 2  # it ran again
    assert fanout == ("merged", 3, 3)
    with PostgresStore(pg_url) as store:
        [summary] = store.summary()
        document = store.load_document(summary.sha256)
    assert document is not None
    assert [p.text.split("\n", 1)[0] for p in document.pages] == [
        f"Packet page {n}" for n in range(1, 151)
    ]


def test_cancel_a_fanned_out_document(
    pg_url: str, server: FaultServer, make_pdf: Callable[..., bytes]
) -> None:
    """Cancelling a job whose ranges are queued: it reads cancelled, its range jobs end
    without extracting, nothing is stored and the stored bytes are dropped."""
    server.route("/packet.pdf", Reply(body=packet(make_pdf)))
    big = server.url("/packet.pdf")
    fan_out(pg_url, big)
    [parent] = jobs(pg_url)
    done = cli("cancel", "--db", pg_url, "--json", str(parent["job_id"]))
    assert done.returncode == 0, done.stderr
    assert json_lines(done.stdout) == [{"job_id": parent["job_id"], "status": "cancelled"}]
    worker = start_worker(pg_url, "--burst", "--rate", "inf", "--fanout-pages", str(FANOUT_PAGES))
    out, err = worker.communicate(timeout=120)
    assert worker.returncode == 0, err
    assert json_lines(out) == []
    assert [j["status"] for j in jobs(pg_url)] == ["cancelled"]
    with PostgresStore(pg_url) as store:
        assert store.summary() == []
    with psycopg.connect(pg_url) as conn:
        row = conn.execute("SELECT state, landed, body IS NULL FROM conductor_fanouts").fetchone()
    assert row == ("cancelled", 0, True)
    # no longer queued or running: submitting it again queues a new job
    [again] = json_lines(cli("submit", "--db", pg_url, "--json", big).stdout)
    assert again["status"] == "queued"
