"""Queue mode with what a plain URL job cannot carry: an upload, a password and a
chunking of the job's own reach a separate ``conductor worker`` process through
PostgreSQL (``conductor_job_inputs``); the password is in no listing and its row is gone
once the job ended. Real PostgreSQL, real processes, a loopback document server."""

from __future__ import annotations

import json
import subprocess

import psycopg

from _metrics import require_corpus
from _postgres import pg_url
from _server import FaultServer, Reply
from _service import CONDUCTOR, Server, cli_json, wait_job

__all__ = ["pg_url"]  # the fixture, imported for pytest

LOCKED = "pdf-edge/pysample__libreoffice-writer-password.pdf"
PASSWORD = "openpassword"
UPLOAD = "docx/pandoc__links.docx"


def _inputs(url: str) -> list[tuple[str, bytes | None, str | None]]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT name, body, password FROM conductor_job_inputs ORDER BY id"
        ).fetchall()
    return [(n, None if b is None else bytes(b), p) for n, b, p in rows]


def test_uploads_passwords_and_chunking_reach_a_worker(pg_url: str) -> None:
    locked = require_corpus(LOCKED)
    upload = require_corpus(UPLOAD)
    with FaultServer() as docs, Server(pg_url) as server, server.client() as client:
        docs.route("/locked.pdf", Reply(body=locked.read_bytes()))
        url = docs.url("/locked.pdf")
        r = client.post(
            "/v1/jobs",
            json={
                "documents": [{"url": url, "password": PASSWORD}],
                "chunking": {"max_tokens": 40, "overlap_tokens": 0, "encoding": "o200k_base"},
            },
        )
        assert r.status_code == 202, r.text
        locked_job = r.json()["job_id"]
        files = [("files", ("council links.docx", upload.read_bytes()))]
        r = client.post("/v1/jobs/upload", files=files, data={"max_tokens": "48"})
        assert r.status_code == 202, r.text
        upload_job = r.json()["job_id"]
        # a cancelled job's input (here a password) goes with the cancel
        r = client.post("/v1/jobs", json={"documents": [{"url": url, "password": "other"}]})
        assert r.status_code == 202, r.text
        cancelled = client.delete(f"/v1/jobs/{r.json()['job_id']}")
        assert cancelled.json()["status"] == "cancelled", cancelled.text

        # queued: the bytes and the password wait in PostgreSQL for any worker, and the
        # password is in no queue listing
        assert _inputs(pg_url) == [
            (url, None, PASSWORD),
            ("council links.docx", upload.read_bytes(), None),
        ]
        listing = subprocess.run(
            [str(CONDUCTOR), "jobs", "--db", pg_url, "--json"],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        ).stdout
        listed = sorted((j["source"], j["status"]) for j in map(json.loads, listing.splitlines()))
        assert listed == [("council links.docx", "queued"), (url, "cancelled"), (url, "queued")]
        assert PASSWORD not in listing
        assert "other" not in listing

        worker = subprocess.run(
            [str(CONDUCTOR), "worker", "--db", pg_url, "--rate", "inf", "--burst"],
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert worker.returncode == 0, worker.stderr[-3000:]
        assert PASSWORD not in worker.stdout + worker.stderr

        job = wait_job(client, locked_job)
        assert job["status"] == "succeeded", job
        (doc,) = job["documents"]
        assert (doc["format"], doc["page_count"]) == ("pdf", 1)
        stored = client.get(f"/v1/documents/{doc['sha256']}").json()
        assert "Lorem ipsum dolor sit amet" in stored["pages"][0]["text"]
        # chunked with the job's configuration, not the worker's default
        params = {"max_tokens": 40, "encoding": "o200k_base"}
        chunks = client.get(f"/v1/documents/{doc['sha256']}/chunks", params=params).json()
        assert len(chunks["chunks"]) == doc["chunks"] > 1
        assert all(c["tokens"] <= 40 for c in chunks["chunks"])

        job = wait_job(client, upload_job)
        assert job["status"] == "succeeded", job
        (doc,) = job["documents"]
        assert doc["source"] == "council links.docx"
        stored = client.get(f"/v1/documents/{doc['sha256']}").json()
        assert stored == {**cli_json("extract", str(upload)), "source": "council links.docx"}
        chunks = client.get(f"/v1/documents/{doc['sha256']}/chunks", params={"max_tokens": 48})
        assert len(chunks.json()["chunks"]) == doc["chunks"]

        # both documents ended: their bytes and the password are gone
        assert _inputs(pg_url) == []
