"""The service's metrics when documents run elsewhere: ``conductor worker`` processes push
their figures through PostgreSQL and ``conductor serve``'s ``/metrics`` shows them (here
on its own ``--metrics-port``), with OCR time as its own stage. Real PostgreSQL, real
processes, a loopback document server, a real tesseract on a scanned page."""

from __future__ import annotations

import re
import subprocess
import time

import httpx

from _metrics import require_corpus, require_tool
from _postgres import pg_url
from _scans import scanned_pdf
from _server import FaultServer, Reply
from _service import CONDUCTOR, PDF, Server, wait_job

__all__ = ["pg_url"]  # the fixture, imported for pytest

_METRICS_AT = re.compile(r"metrics on (http://127\.0\.0\.1:\d+/metrics)")


def _sample(text: str, name: str, **labels: str) -> float:
    """The value of one series in a Prometheus exposition (labels in any order)."""
    for line in text.splitlines():
        if line.startswith("#") or not line.startswith(name):
            continue
        series, _, value = line.rpartition(" ")
        got = dict(re.findall(r'(\w+)="([^"]*)"', series))
        if series.split("{")[0] == name and got == labels:
            return float(value)
    raise AssertionError(f"no {name}{labels} in:\n{text}")


def test_workers_metrics_reach_the_servers_metrics_port(pg_url: str) -> None:
    pdf = require_corpus(PDF)
    require_tool("tesseract")
    require_tool("pdftoppm")
    scan = scanned_pdf(pdf, [1], dpi=150)
    with FaultServer() as docs:
        docs.route("/agenda.pdf", Reply(body=pdf.read_bytes()))
        docs.route("/scan.pdf", Reply(body=scan))
        urls = [docs.url("/agenda.pdf"), docs.url("/scan.pdf"), docs.url("/gone.pdf")]
        with Server(pg_url, "--metrics-port", "0") as server, server.client() as client:
            found = _METRICS_AT.search(server.log)
            assert found, server.log
            metrics_url = found.group(1)
            # the API's port no longer shows them; the metrics port does, before any job
            assert client.get("/metrics").status_code == 404
            before = httpx.get(metrics_url, timeout=30).text
            assert _sample(before, "conductor_stage_seconds_count", stage="ocr") == 0.0

            r = client.post("/v1/jobs", json={"documents": [{"url": u} for u in urls]})
            assert r.status_code == 202, r.text
            worker = subprocess.run(
                [str(CONDUCTOR), "worker", "--db", pg_url, "--rate", "inf", "--burst"],
                capture_output=True,
                text=True,
                timeout=240,
            )
            assert worker.returncode == 0, worker.stderr[-3000:]
            job = wait_job(client, r.json()["job_id"])
            assert job["status"] == "partial", job
            ok, scanned, gone = job["documents"]
            assert (ok["page_count"], scanned["page_count"]) == (6, 1)
            assert gone["error"]["kind"] == "not_found"

            text = httpx.get(metrics_url, timeout=30).text
            assert _sample(text, "conductor_documents_total", status="ok", format="pdf") == 2
            assert (
                _sample(text, "conductor_documents_total", status="failed", format="unknown") == 1
            )
            assert (
                _sample(text, "conductor_failures_total", stage="download", kind="not_found") == 1
            )
            assert _sample(text, "conductor_pages_total") == 7
            # both PDFs were downloaded, extracted, chunked and stored; only the scan OCRed
            for stage in ("download", "extract", "chunk", "store"):
                assert _sample(text, "conductor_stage_seconds_count", stage=stage) >= 2, stage
            assert _sample(text, "conductor_stage_seconds_count", stage="ocr") == 1
            ocr_s = _sample(text, "conductor_stage_seconds_sum", stage="ocr")
            assert ocr_s > 0
            inf = _sample(text, "conductor_stage_seconds_bucket", stage="ocr", le="+Inf")
            assert inf == 1
            assert 'conductor_jobs{status="partial"} 1.0' in text

        # a new server shows the same figures: they live in the database, not in a process
        with Server(pg_url) as again, again.client() as client:
            deadline = time.monotonic() + 30
            while (r := client.get("/metrics")).status_code != 200:
                assert time.monotonic() < deadline
            assert _sample(r.text, "conductor_pages_total") == 7
            assert _sample(r.text, "conductor_stage_seconds_sum", stage="ocr") == ocr_s
