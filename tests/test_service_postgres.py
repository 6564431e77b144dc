"""The HTTP service in queue mode: ``conductor serve --db postgresql://...`` only enqueues,
a separate ``conductor worker`` process runs the documents. A real PostgreSQL
(tests/_postgres.py), real processes, a loopback document server and callback receiver."""

from __future__ import annotations

import hashlib
import hmac
import json
import subprocess
import time
from collections.abc import Callable

from _metrics import require_corpus
from _postgres import pg_url
from _server import FaultServer, Reply
from _service import CONDUCTOR, PDF, SECRET, Receiver, Server, cli_json, wait_job
from test_queue import start_worker
from test_queue_cluster import FANOUT_PAGES, packet

__all__ = ["pg_url"]  # the fixture, imported for pytest


def test_queue_mode_server_enqueues_and_a_worker_runs(pg_url: str) -> None:
    pdf = require_corpus(PDF)
    with FaultServer() as docs, Receiver(200).running() as receiver:
        docs.route("/agenda.pdf", Reply(body=pdf.read_bytes()))
        with Server(pg_url, "--allow-private-callbacks") as first, first.client() as client:
            # no worker yet: not ready, and the job waits in the queue
            ready = client.get("/readyz")
            assert ready.status_code == 503
            assert ready.json()["kind"] == "not_ready"
            urls = [docs.url("/agenda.pdf"), docs.url("/gone.pdf")]
            r = client.post(
                "/v1/jobs",
                json={"documents": [{"url": u} for u in urls], "callback": {"url": receiver.url}},
            )
            assert r.status_code == 202, r.text
            job_id = r.json()["job_id"]
            assert client.get(f"/v1/jobs/{job_id}").json()["status"] == "running"
            first.kill()  # the server dies; the job is in the database and the queue

        worker = subprocess.run(
            [str(CONDUCTOR), "worker", "--db", pg_url, "--rate", "inf", "--burst", "--json"],
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert worker.returncode == 0, worker.stderr[-3000:]
        ran = [json.loads(line) for line in worker.stdout.splitlines() if line.startswith("{")]
        assert sorted(j["source"] for j in ran) == urls

        # a new server follows the job up where the killed one stopped
        with Server(pg_url, "--allow-private-callbacks") as second, second.client() as client:
            job = wait_job(client, job_id)
            assert job["status"] == "partial", job
            ok, gone = job["documents"]
            assert ok["sha256"] == hashlib.sha256(pdf.read_bytes()).hexdigest()
            assert (ok["status"], ok["format"], ok["page_count"]) == ("succeeded", "pdf", 6)
            assert ok["chunks"] >= 1
            assert gone["status"] == "failed"
            assert gone["error"]["kind"] == "not_found"
            assert urls[1] in gone["error"]["message"]

            stored = client.get(f"/v1/documents/{ok['sha256']}").json()
            assert stored == {**cli_json("extract", str(pdf)), "source": ok["source"]}
            chunks = client.get(f"/v1/documents/{ok['sha256']}/chunks").json()
            assert len(chunks["chunks"]) == ok["chunks"]

            (delivery,) = receiver.wait_for(1)
            expected = hmac.new(SECRET.encode(), delivery.body, hashlib.sha256).hexdigest()
            assert delivery.headers["x-conductor-signature"] == f"sha256={expected}"
            assert delivery.json() == job

            metrics = client.get("/metrics").text
            assert 'conductor_documents_total{format="pdf",status="ok"} 1.0' in metrics
            assert 'conductor_jobs{status="partial"} 1.0' in metrics


def test_a_fanned_out_document_ends_when_its_ranges_are_merged(
    pg_url: str, make_pdf: Callable[..., bytes]
) -> None:
    """procrastinate has a fanned-out document's job succeeded once its page ranges are
    queued; the service must follow the queue's own view and end the job only after the
    ranges ran and were merged."""
    body = packet(make_pdf)
    with FaultServer() as docs:
        docs.route("/packet.pdf", Reply(body=body))
        url = docs.url("/packet.pdf")
        fanout = ("--rate", "inf", "--fanout-pages", str(FANOUT_PAGES))
        with Server(pg_url) as server, server.client() as client:
            r = client.post("/v1/jobs", json={"documents": [{"url": url}]})
            assert r.status_code == 202, r.text
            job_id = r.json()["job_id"]
            # One worker takes the document, queues its ranges and exits: none has run.
            head = start_worker(pg_url, "--max-jobs", "1", *fanout)
            _, err = head.communicate(timeout=120)
            assert head.returncode == 0, err[-3000:]
            time.sleep(1.0)  # several of the server's follow-up rounds
            job = client.get(f"/v1/jobs/{job_id}").json()
            assert (job["status"], job["documents"][0]["status"]) == ("running", "queued"), job

            rest = start_worker(pg_url, "--burst", *fanout)
            _, err = rest.communicate(timeout=120)
            assert rest.returncode == 0, err[-3000:]
            job = wait_job(client, job_id)
            assert job["status"] == "succeeded", job
            (document,) = job["documents"]
            assert document["sha256"] == hashlib.sha256(body).hexdigest()
            assert (document["page_count"], document["format"]) == (150, "pdf")
            text = client.get(f"/v1/documents/{document['sha256']}").json()
            assert text["pages"][149]["text"].startswith("Packet page 150")
