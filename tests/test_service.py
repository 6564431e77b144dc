"""The HTTP service (``conductor serve``) end to end: a real uvicorn subprocess on 127.0.0.1,
real HTTP clients (httpx), corpus documents served by a real loopback server, a real SQLite
file; the document and chunk objects are compared with what the CLI prints."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from _metrics import require_corpus
from _server import FaultServer, Hit, Reply
from _service import (
    CONDUCTOR,
    DOCX,
    KEY,
    OTHER_KEY,
    PDF,
    SECRET,
    Receiver,
    Server,
    cli_json,
    wait_job,
)


class Docs:
    """The corpus documents on a loopback server, and a gated route whose reply waits
    until the test opens the gate (a job that stays running as long as a test needs)."""

    def __init__(self, server: FaultServer) -> None:
        self.server = server
        self.pdf = require_corpus(PDF)
        self.docx = require_corpus(DOCX)
        self.gate = threading.Event()
        docx_type = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        server.route("/agenda.pdf", Reply(body=self.pdf.read_bytes()))
        server.route("/minutes.docx", Reply(body=self.docx.read_bytes(), content_type=docx_type))
        pdf = self.pdf.read_bytes()

        def gated(hit: Hit) -> Reply:
            self.gate.wait(60)
            return Reply(body=pdf)

        server.route("/gated.pdf", gated)

    def url(self, path: str) -> str:
        return self.server.url(path)

    def wait_for_hits(self, path: str, count: int) -> None:
        """Blocks until the server received ``count`` requests for ``path``."""
        for _ in range(1200):
            if len(self.server.hits(path)) >= count:
                return
            threading.Event().wait(0.05)
        raise AssertionError(f"{path} was requested {len(self.server.hits(path))} times")


@pytest.fixture(scope="module")
def docs() -> Iterator[Docs]:
    with FaultServer() as server:
        d = Docs(server)
        yield d
        d.gate.set()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, docs: Docs) -> Iterator[Server]:
    db = tmp_path_factory.mktemp("service") / "service.sqlite"
    args = ("--allow-private-callbacks", "--max-jobs-per-key", "2", "--max-upload-mb", "1")
    with Server(db, *args, "--extract-max-mb", "1") as s:
        yield s


def submit(client: Any, *urls: str, **extra: Any) -> str:
    response = client.post("/v1/jobs", json={"documents": [{"url": u} for u in urls], **extra})
    assert response.status_code == 202, response.text
    body = response.json()
    assert body == {"job_id": body["job_id"], "status": "queued", "documents": len(urls)}
    job_id: str = body["job_id"]
    return job_id


def test_v1_needs_a_valid_key_and_probes_do_not(server: Server) -> None:
    requests = [
        ("GET", "/v1/jobs/0123", None),
        ("POST", "/v1/jobs", {"documents": [{"url": "http://example.org/a.pdf"}]}),
        ("GET", "/v1/documents/" + "0" * 64, None),
    ]
    for key in (None, "wrong-key-0123456789abcdef"):
        with server.client(key) as client:
            for method, path, body in requests:
                r = client.request(method, path, json=body)
                assert r.status_code == 401, (method, path, r.text)
                assert r.json()["kind"] == "unauthorized"
                assert r.json()["stage"] == "auth"
                assert r.headers["www-authenticate"] == "Bearer"
    with server.client(None) as client:
        basic = client.get("/v1/jobs/0123", headers={"Authorization": f"Basic {KEY}"})
        assert basic.status_code == 401
        assert client.get("/healthz").json() == {"status": "ok"}
        assert client.get("/readyz").json() == {"status": "ready"}
        assert client.get("/metrics").status_code == 200


def test_job_flow_matches_the_cli(server: Server, docs: Docs) -> None:
    with server.client() as client:
        job_id = submit(
            client,
            docs.url("/agenda.pdf"),
            docs.url("/minutes.docx"),
            chunking={"max_tokens": 256, "overlap_tokens": 0, "encoding": "cl100k_base"},
        )
        job = wait_job(client, job_id)
        assert job["status"] == "succeeded", job
        assert job["job_id"] == job_id
        assert job["created_at"].endswith("Z")
        assert job["finished_at"] >= job["created_at"]
        pdf, docx = job["documents"]
        assert pdf["source"] == docs.url("/agenda.pdf")
        assert pdf["sha256"] == hashlib.sha256(docs.pdf.read_bytes()).hexdigest()
        assert (pdf["status"], pdf["format"], pdf["error"]) == ("succeeded", "pdf", None)
        assert docx["sha256"] == hashlib.sha256(docs.docx.read_bytes()).hexdigest()
        assert docx["format"] == "docx"

        # exactly what `conductor extract --json` prints for the same bytes (only the
        # source differs: the CLI names the path, the store the URL it came from)
        stored = client.get(f"/v1/documents/{pdf['sha256']}").json()
        expected = cli_json("extract", str(docs.pdf))
        assert stored == {**expected, "source": pdf["source"]}
        assert stored["page_count"] == pdf["page_count"] == 6
        assert "MOUNTAIN VIEW" in stored["pages"][0]["text"]

        chunks = client.get(f"/v1/documents/{pdf['sha256']}/chunks", params={"max_tokens": 256})
        expected = cli_json("chunk", str(docs.pdf), "--max-tokens", "256")
        assert chunks.json() == {**expected, "source": pdf["source"]}
        assert len(chunks.json()["chunks"]) == pdf["chunks"]
        assert all(c["tokens"] <= 256 for c in chunks.json()["chunks"])
        latest = client.get(f"/v1/documents/{pdf['sha256']}/chunks").json()
        assert latest == chunks.json()

        other = client.get(f"/v1/documents/{pdf['sha256']}/chunks", params={"max_tokens": 77})
        assert other.status_code == 404
        assert other.json()["kind"] == "not_found"
        assert client.get("/v1/documents/" + "ab" * 32).status_code == 404
        assert client.get("/v1/documents/nothex").json()["kind"] == "invalid_argument"


def test_a_job_with_a_failed_document_is_partial(server: Server, docs: Docs) -> None:
    with server.client() as client:
        job = wait_job(client, submit(client, docs.url("/agenda.pdf"), docs.url("/gone.pdf")))
    assert job["status"] == "partial"
    ok, gone = job["documents"]
    assert ok["status"] == "succeeded"
    assert gone["status"] == "failed"
    assert gone["sha256"] is None
    assert gone["error"]["kind"] == "not_found"
    assert gone["error"]["stage"] == "download"
    assert "404" in gone["error"]["message"]


def test_bad_requests_are_typed_422s(server: Server) -> None:
    with server.client() as client:
        bodies: list[Any] = [
            {"documents": [{"path": "/etc/passwd"}]},  # never a server path
            {"documents": [{"url": "file:///etc/passwd"}]},
            {"documents": []},
            {"documents": [{"url": "http://a.example/x.pdf"}], "chunking": {"max_tokens": 0}},
            {
                "documents": [{"url": "http://a.example/x.pdf"}],
                "chunking": {"max_tokens": 10, "overlap_tokens": 10},
            },
            "not json",
        ]
        for body in bodies:
            r = client.post("/v1/jobs", json=body)
            assert r.status_code == 422, (body, r.text)
            assert r.json()["kind"] == "invalid_argument"
            assert r.json()["stage"] == "api"


def test_uploads_and_the_size_cap(server: Server, docs: Docs) -> None:
    with server.client() as client:
        files = [("files", ("minutes.docx", docs.docx.read_bytes()))]
        r = client.post("/v1/jobs/upload", files=files, data={"max_tokens": "64"})
        assert r.status_code == 202, r.text
        job = wait_job(client, r.json()["job_id"])
        assert job["status"] == "succeeded", job
        (doc,) = job["documents"]
        assert doc["source"] == "minutes.docx"
        assert doc["format"] == "docx"
        # bytes never seen before: their stored document is named by the upload's
        # filename, never by the server's spool path
        links = require_corpus("docx/pandoc__links.docx")
        r = client.post(
            "/v1/jobs/upload", files=[("files", ("council links.docx", links.read_bytes()))]
        )
        assert r.status_code == 202, r.text
        (named,) = wait_job(client, r.json()["job_id"])["documents"]
        assert named["source"] == "council links.docx"
        stored = client.get(f"/v1/documents/{named['sha256']}").json()
        assert stored["source"] == "council links.docx"
        assert stored == {**cli_json("extract", str(links)), "source": "council links.docx"}
        chunks = client.get(f"/v1/documents/{doc['sha256']}/chunks", params={"max_tokens": 64})
        assert chunks.status_code == 200
        assert all(c["tokens"] <= 64 for c in chunks.json()["chunks"])

        big = [("files", ("big.pdf", b"%PDF-1.4\n" + b"0" * (1 << 20)))]
        r = client.post("/v1/jobs/upload", files=big)
        assert r.status_code == 413
        assert r.json()["kind"] == "too_large"
        r = client.post("/v1/extract", files={"file": ("big.pdf", big[0][1][1])})
        assert r.status_code == 413


def test_sync_extract_is_the_cli_object(server: Server, docs: Docs) -> None:
    with server.client() as client:
        r = client.post("/v1/extract", files={"file": ("agenda.pdf", docs.pdf.read_bytes())})
        assert r.status_code == 200, r.text
        assert r.json() == {**cli_json("extract", str(docs.pdf)), "source": "agenda.pdf"}
        r = client.post("/v1/extract", files={"file": ("junk.bin", b"\x00\x01 not a document")})
        assert r.status_code == 422
        assert r.json()["kind"] == "unsupported_format"
        assert "junk.bin" in r.json()["message"]


def test_quota_long_poll_and_cancel(server: Server, docs: Docs) -> None:
    docs.gate.clear()
    hits = len(docs.server.hits("/gated.pdf"))
    with server.client() as client:
        first = submit(client, docs.url("/gated.pdf"))
        second = submit(client, docs.url("/gated.pdf"))
        refused = client.post("/v1/jobs", json={"documents": [{"url": docs.url("/agenda.pdf")}]})
        assert refused.status_code == 429
        assert refused.json()["kind"] == "too_many_jobs"
        assert int(refused.headers["retry-after"]) > 0
        # another key has its own quota, and does not see this key's jobs
        with server.client(OTHER_KEY) as other:
            assert other.get(f"/v1/jobs/{first}").status_code == 404
            assert other.delete(f"/v1/jobs/{first}").status_code == 404

        docs.wait_for_hits("/gated.pdf", hits + 2)  # both jobs are downloading
        now = client.get(f"/v1/jobs/{first}", params={"wait": 0}).json()
        assert now["status"] == "running"

        cancelled = client.delete(f"/v1/jobs/{second}")
        assert cancelled.status_code == 200
        assert cancelled.json()["status"] == "cancelled"
        assert cancelled.json()["documents"][0]["status"] == "cancelled"
        assert cancelled.json()["documents"][0]["error"]["kind"] == "cancelled"

        # the long poll returns when the job ends, opened from another thread meanwhile
        threading.Timer(0.2, docs.gate.set).start()
        ended = client.get(f"/v1/jobs/{first}", params={"wait": 60}).json()
        assert ended["status"] == "succeeded"
        assert client.get(f"/v1/jobs/{second}").json()["status"] == "cancelled"
        # an ended job stays as it ended
        assert client.delete(f"/v1/jobs/{first}").json()["status"] == "succeeded"
        assert client.get(f"/v1/jobs/{first}", params={"wait": 61}).status_code == 422


def test_callback_is_signed_and_retried_after_a_500(server: Server, docs: Docs) -> None:
    with Receiver(500, 200).running() as receiver, server.client() as client:
        callback = {"url": receiver.url, "headers": {"X-Token": "abc"}}
        job_id = submit(client, docs.url("/agenda.pdf"), callback=callback)
        first, second = receiver.wait_for(2)
        job = client.get(f"/v1/jobs/{job_id}").json()
    for delivery in (first, second):
        expected = hmac.new(SECRET.encode(), delivery.body, hashlib.sha256).hexdigest()
        assert delivery.headers["x-conductor-signature"] == f"sha256={expected}"
        assert delivery.headers["x-token"] == "abc"
        assert delivery.json() == job
    assert job["status"] == "succeeded"
    assert first.body == second.body


def test_metrics_count_what_ran(server: Server, docs: Docs) -> None:
    with server.client() as client:
        wait_job(client, submit(client, docs.url("/agenda.pdf"), docs.url("/gone.pdf")))
        text = client.get("/metrics").text
    values = {}
    for line in text.splitlines():
        if line.startswith("conductor_"):
            name, _, value = line.rpartition(" ")
            values[name] = float(value)
    assert values['conductor_documents_total{format="pdf",status="ok"}'] >= 1
    assert values['conductor_failures_total{kind="not_found",stage="download"}'] >= 1
    assert values["conductor_pages_total"] >= 6
    assert values['conductor_jobs{status="partial"}'] >= 1
    assert values['conductor_jobs{status="running"}'] == 0
    for stage in ("download", "extract", "chunk", "store"):
        assert values[f'conductor_stage_seconds_count{{stage="{stage}"}}'] >= 1


def test_a_restart_mid_job_loses_no_job(tmp_path: Path, docs: Docs) -> None:
    """SIGKILL while one job downloads and another waits: the next server runs both."""
    docs.gate.clear()
    hits = len(docs.server.hits("/gated.pdf"))
    db = tmp_path / "restart.sqlite"
    args = ("--workers", "1", "--log-format", "json")
    with Server(db, *args) as first, first.client() as client:
        running = submit(client, docs.url("/gated.pdf"))
        waiting = submit(client, docs.url("/agenda.pdf"))
        # without --allow-private-callbacks, a loopback callback is refused
        private = client.post(
            "/v1/jobs",
            json={
                "documents": [{"url": docs.url("/agenda.pdf")}],
                "callback": {"url": "http://127.0.0.1:9/hook"},
            },
        )
        assert private.status_code == 422
        assert "loopback" in private.json()["message"]
        docs.wait_for_hits("/gated.pdf", hits + 1)
        assert client.get(f"/v1/jobs/{waiting}").json()["status"] == "queued"
        first.kill()
    # --log-format json: one object per line, with the job id (and the document)
    records = [json.loads(line) for line in first.lines if line.startswith("{")]
    started = [r for r in records if r["message"].startswith("job started")]
    assert [r["job_id"] for r in started] == [running]

    docs.gate.set()
    sha256 = hashlib.sha256(docs.pdf.read_bytes()).hexdigest()
    with Server(db, *args) as second, second.client() as client:
        for job_id in (running, waiting):
            job = wait_job(client, job_id)
            assert job["status"] == "succeeded", job
            assert job["documents"][0]["sha256"] == sha256
    records = [json.loads(line) for line in second.lines if line.startswith("{")]
    done = [r for r in records if r["message"].startswith("document done")]
    assert {(r["job_id"], r["document"]) for r in done} == {
        (running, docs.url("/gated.pdf")),
        (waiting, docs.url("/agenda.pdf")),
    }
    assert len(docs.server.hits("/gated.pdf")) == hits + 2  # downloaded again after the kill
    assert "resuming 1 job(s)" in second.log


def test_serve_without_keys_says_so(tmp_path: Path) -> None:
    out = subprocess.run(
        [str(CONDUCTOR), "serve", "--db", str(tmp_path / "k.sqlite"), "--port", "0"],
        capture_output=True,
        text=True,
        timeout=60,
        env={k: v for k, v in os.environ.items() if not k.startswith("CONDUCTOR_API")},
    )
    assert out.returncode == 1
    assert "no API keys" in out.stderr
    assert "Traceback" not in out.stderr
