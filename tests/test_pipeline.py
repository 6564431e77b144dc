"""The Conductor end to end: real loopback server (tests/_server.py), real plugins, real
SQLite files in tmp_path."""

from __future__ import annotations

import asyncio
import math
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

import pytest

import conductor
from _server import FaultServer, Hit, Reply, Route
from conductor import CancelledError, Conductor, Database, FetchConfig, Result

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
TABLES = ("documents", "pages", "chunks", "sources", "failures")


pytestmark = pytest.mark.usefixtures("private_tempdir")


def fast(**overrides: Any) -> FetchConfig:
    values: dict[str, Any] = {
        "rate_per_domain": math.inf,
        "concurrency": 8,
        "per_domain_connections": 8,
        "max_retries": 1,
        "backoff_base_s": 0.01,
        "backoff_max_s": 0.02,
        "connect_timeout_s": 2.0,
        "read_timeout_s": 10.0,
        "total_timeout_s": 30.0,
    }
    values.update(overrides)
    return FetchConfig(**values)


def with_etag(body: bytes, etag: str, content_type: str = "application/pdf") -> Route:
    """Serves ``body`` with an ETag, and 304 to a matching ``If-None-Match``."""

    def route(hit: Hit) -> Reply:
        if hit.headers.get("if-none-match") == etag:
            return Reply(304, content_type=None, headers={"ETag": etag})
        return Reply(body=body, content_type=content_type, headers={"ETag": etag})

    return route


def counts(db: Path) -> dict[str, int]:
    with sqlite3.connect(db) as conn:
        return {t: conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in TABLES}


def test_mixed_batch_keeps_input_order_and_text(
    server: FaultServer, corpus: Path, make_pdf: Any, tmp_path: Path
) -> None:
    agenda = corpus / "civic" / "agendaminer__mountain-view.pdf"
    docx = corpus / "docx" / "pandoc__headers.docx"
    server.route("/agenda.pdf", Reply(body=agenda.read_bytes()))
    server.route("/headers.docx", Reply(body=docx.read_bytes(), content_type=DOCX))
    server.route("/gen.pdf", Reply(body=make_pdf(["Budget hearing at 7 pm", "Adjourn"])))
    local = tmp_path / "local.pdf"
    local.write_bytes(make_pdf(["Local consent calendar"]))
    items: list[dict[str, Any]] = [
        {"url": server.url("/headers.docx"), "type": "docx", "source": "google_drive"},
        {"path": str(agenda), "type": "docx"},  # the hint is wrong: magic bytes decide
        {"url": server.url("/gen.pdf"), "source": "primegov"},
        {"path": local},
        {"url": server.url("/agenda.pdf"), "type": "pdf"},
        {"nothing": "here"},
        {"path": str(docx)},
    ]
    seen: list[Result] = []
    db = tmp_path / "c.sqlite"
    results = Conductor(database=db, fetch=fast(), workers=3).process_documents(
        items, progress=seen.append
    )
    assert [r.source for r in results[:5]] == [
        server.url("/headers.docx"),
        str(agenda),
        server.url("/gen.pdf"),
        str(local),
        server.url("/agenda.pdf"),
    ]
    assert [r.index for r in results] == list(range(len(items)))
    assert sorted(r.index for r in seen) == list(range(len(items)))  # once per input
    assert [r.ok for r in results] == [True, True, True, True, True, False, True]
    assert [r.format for r in results] == ["docx", "pdf", "pdf", "pdf", "pdf", None, "docx"]
    expected_agenda = conductor.extract(agenda).text
    expected_docx = conductor.extract(docx).text
    texts = [r.document.text if r.document else None for r in results]
    assert texts[0] == texts[6] == expected_docx
    assert texts[1] == texts[4] == expected_agenda
    assert "Budget hearing" in (texts[2] or "")
    assert "Local consent calendar" in (texts[3] or "")
    for r in results:
        if r.ok:
            assert r.chunks
            assert "".join(c.text for c in r.chunks) == r.document.text  # type: ignore[union-attr]
            assert r.error is None
            assert {"extract_s", "store_s"} <= set(r.timings) or r.cached
    # the same bytes twice in a batch are extracted once
    assert sorted([results[1].cached, results[4].cached]) == [False, True]
    assert sorted([results[0].cached, results[6].cached]) == [False, True]
    bad = results[5]
    assert bad.error is not None
    assert (bad.error.kind, bad.error.stage) == ("io_error", "read")
    assert "url" in bad.error.message
    stored = counts(db)
    assert stored["documents"] == 4
    assert stored["sources"] == 3
    with Database(db) as d:
        assert d.lookup_url(server.url("/gen.pdf")).source == "primegov"  # type: ignore[union-attr]
        assert len(d.load_chunks(results[1].sha256 or "")) == len(results[1].chunks or ())


def test_hundred_documents_one_hostile_then_idempotent_rerun(
    server: FaultServer, make_pdf: Any, tmp_path: Path, private_tempdir: Path
) -> None:
    hostile = 57
    items = []
    for i in range(100):
        body = make_pdf([f"Document number {i}", f"Second page of {i}"])
        if i == hostile:
            body = body[: len(body) // 3]  # truncated: the xref and half the objects gone
        server.route(f"/d{i}.pdf", with_etag(body, f'"v{i}"'))
        items.append({"url": server.url(f"/d{i}.pdf"), "source": "test"})
    db = tmp_path / "batch.sqlite"
    conductor_ = Conductor(database=db, fetch=fast(), workers=4)
    start = time.monotonic()
    first = conductor_.process_documents(items)
    elapsed = time.monotonic() - start
    assert len(first) == 100
    assert [r.source for r in first] == [i["url"] for i in items]
    failed = [r for r in first if not r.ok]
    assert [r.index for r in failed] == [hostile]
    error = failed[0].error
    assert isinstance(error, conductor.ConductorError)
    assert error.stage in ("extract", "detect")
    for i, r in enumerate(first):
        if i != hostile:
            assert r.ok
            assert r.page_count == 2
            assert f"Document number {i}" in r.document.pages[0].text  # type: ignore[union-attr]
            assert not r.cached
            assert not r.not_modified
    assert elapsed < 30
    after_first = counts(db)
    assert after_first == {
        "documents": 99,
        "pages": 198,
        "chunks": after_first["chunks"],
        "sources": 99,
        "failures": 1,
    }
    assert after_first["chunks"] >= 99
    with Database(db) as d:
        (record,) = d.failures()
    assert (record.key, record.stage, record.kind, record.attempts) == (
        items[hostile]["url"],
        error.stage,
        error.kind,
        1,
    )
    assert record.next_retry_at is not None
    assert record.next_retry_at > record.last_failed_at

    second = conductor_.process_documents(items)
    assert counts(db) == after_first  # idempotent
    assert [r.ok for r in second] == [r.ok for r in first]
    assert [r.sha256 for r in second] == [r.sha256 for r in first]
    for i, r in enumerate(second):
        if i != hostile:
            assert r.not_modified
            assert r.cached
            assert r.document == first[i].document
            assert r.chunks == first[i].chunks
    # every stored URL was asked conditionally the second time
    conditional = [h for h in server.log[100:] if "if-none-match" in h.headers]
    assert len(conditional) == 99
    # the hostile one's retry is not due: skipped, not downloaded again
    skipped = second[hostile]
    assert skipped.skipped
    assert skipped.error is not None
    assert (skipped.error.kind, skipped.error.stage) == (error.kind, error.stage)
    assert "next retry is due in" in skipped.error.message
    assert [h.path for h in server.log[100:]].count(f"/d{hostile}.pdf") == 0
    with Database(db) as d:
        (record,) = d.failures()
    assert record.attempts == 1
    forced = Conductor(database=db, fetch=fast(), workers=1, retry_failed=True)
    (again,) = forced.process_documents([items[hostile]])
    assert not again.ok
    assert not again.skipped
    with Database(db) as d:
        (record,) = d.failures()
    assert record.attempts == 2
    assert list(private_tempdir.iterdir()) == []


def test_failure_is_cleared_by_a_later_success(
    server: FaultServer, make_pdf: Any, tmp_path: Path
) -> None:
    server.route("/flaky.pdf", Reply(404, b"gone", "text/plain"), Reply(body=make_pdf(["Back"])))
    db = tmp_path / "f.sqlite"
    c = Conductor(database=db, fetch=fast(max_retries=0), workers=1)
    (r,) = c.process_documents([{"url": server.url("/flaky.pdf")}])
    assert r.error is not None
    assert (r.error.kind, r.error.stage) == ("not_found", "download")
    assert counts(db)["failures"] == 1
    # a 404 is permanent: not retried, until forced
    (r,) = c.process_documents([{"url": server.url("/flaky.pdf")}])
    assert r.skipped
    assert r.error is not None
    assert r.error.kind == "not_found"
    assert "not retried automatically" in r.error.message
    assert len(server.log) == 1
    with Database(db) as d:
        (record,) = d.failures()
    assert record.next_retry_at is None
    forced = Conductor(database=db, fetch=fast(max_retries=0), workers=1, retry_failed=True)
    (r,) = forced.process_documents([{"url": server.url("/flaky.pdf")}])
    assert r.ok
    assert counts(db)["failures"] == 0


def test_iter_documents_yields_every_result_and_async_variant(
    server: FaultServer, make_pdf: Any
) -> None:
    for i in range(6):
        server.route(f"/i{i}.pdf", Reply(body=make_pdf([f"iter {i}"])))
    items = [{"url": server.url(f"/i{i}.pdf")} for i in range(6)]
    c = Conductor(database=None, fetch=fast(), workers=2, chunk=False)
    calls: list[int] = []
    got = list(c.iter_documents(items, progress=lambda r: calls.append(r.index)))
    assert sorted(r.index for r in got) == list(range(6))
    assert sorted(calls) == list(range(6))
    assert all(r.ok and r.chunks is None for r in got)
    results = asyncio.run(c.aprocess_documents(items))
    assert [r.source for r in results] == [i["url"] for i in items]
    assert all("iter" in (r.document.text if r.document else "") for r in results)


def test_cancellation_keeps_finished_results(
    server: FaultServer, make_pdf: Any, tmp_path: Path, private_tempdir: Path
) -> None:
    for i in range(3):
        server.route(f"/fast{i}.pdf", Reply(body=make_pdf([f"fast {i}"])))
    for i in range(4):
        server.route(f"/slow{i}.pdf", Reply(body=make_pdf([f"slow {i}"]), stall_s=5.0))
    items = [{"url": server.url(f"/fast{i}.pdf")} for i in range(3)]
    items[1:1] = [{"url": server.url(f"/slow{i}.pdf")} for i in range(4)]
    cancel = threading.Event()
    done: list[Result] = []

    def progress(result: Result) -> None:
        done.append(result)
        if sum(r.ok for r in done) == 3:
            cancel.set()

    db = tmp_path / "cancel.sqlite"
    start = time.monotonic()
    results = Conductor(database=db, fetch=fast(), workers=2).process_documents(
        items, progress=progress, cancel=cancel
    )
    assert time.monotonic() - start < 4.5  # the 5 s stalls were not waited for
    assert [r.source for r in results] == [i["url"] for i in items]
    for r in results:
        if "fast" in r.source:
            assert r.ok
        else:
            assert isinstance(r.error, CancelledError)
            assert (r.error.kind, r.error.stage) == ("cancelled", "download")
    assert len(done) == 7
    assert counts(db)["documents"] == 3
    assert counts(db)["failures"] == 0  # a cancellation is not a failure
    assert list(private_tempdir.iterdir()) == []


def test_cancelled_before_start_and_iterator_closed_early(
    server: FaultServer, make_pdf: Any, tmp_path: Path
) -> None:
    server.route("/x.pdf", Reply(body=make_pdf(["x"])))
    pdf = tmp_path / "p.pdf"
    pdf.write_bytes(make_pdf(["p"]))
    cancel = threading.Event()
    cancel.set()
    c = Conductor(database=None, fetch=fast(), workers=1)
    results = c.process_documents(
        [{"url": server.url("/x.pdf")}, {"path": pdf}, {"path": pdf}], cancel=cancel
    )
    assert [r.error.kind if r.error else None for r in results] == ["cancelled"] * 3
    # closing the generator early cancels the rest and returns promptly
    for i in range(3):
        server.route(f"/s{i}.pdf", Reply(body=make_pdf([f"s{i}"]), stall_s=5.0))
    gen = c.iter_documents([{"path": pdf}] + [{"url": server.url(f"/s{i}.pdf")} for i in range(3)])
    start = time.monotonic()
    first = next(gen)
    assert first.ok
    gen.close()
    assert time.monotonic() - start < 4.5


def test_chunking_config_and_validation(tmp_path: Path, make_pdf: Any) -> None:
    pdf = tmp_path / "long.pdf"
    pdf.write_bytes(make_pdf([f"Item {i}. The council discusses topic {i}." for i in range(20)]))
    c = Conductor(database=None, chunking={"max_tokens": 16}, workers=1)
    (r,) = c.process_documents([{"path": str(pdf)}])
    assert r.chunks is not None
    assert len(r.chunks) > 1
    assert all(ch.tokens <= 16 for ch in r.chunks)
    with pytest.raises(conductor.InvalidConfigError):
        Conductor(database=None, chunking={"max_tokens": 0})
    with pytest.raises(ValueError, match="workers"):
        Conductor(database=None, workers=0)


def test_to_json_line_has_exactly_the_keys(tmp_path: Path, make_pdf: Any) -> None:
    pdf = tmp_path / "a.pdf"
    pdf.write_bytes(make_pdf(["json"]))
    ok, missing = Conductor(database=None, workers=1).process_documents(
        [{"path": str(pdf)}, {"path": str(tmp_path / "missing.pdf")}]
    )
    import json

    keys = ["source", "ok", "sha256", "format", "page_count", "chunks", "error"]
    line = json.loads(ok.to_json_line())
    assert list(line) == keys
    assert (line["ok"], line["format"], line["page_count"], line["chunks"]) == (True, "pdf", 1, 1)
    assert line["error"] is None
    line = json.loads(missing.to_json_line())
    assert list(line) == keys
    assert line["error"]["kind"] == "io_error"
    assert list(line["error"]) == ["kind", "stage", "message"]
