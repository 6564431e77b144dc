"""What the Conductor reuses from its database, and what it must not: chunks stored for
another chunking configuration, documents made by another plugin version, schema 0001
databases, failures not due for a retry; and what a batch keeps in memory. Real plugins,
a real loopback server, real SQLite files."""

from __future__ import annotations

import gc
import math
import sqlite3
import weakref
from pathlib import Path
from typing import Any

import pytest

from _server import FaultServer, Hit, Reply, Route
from conductor import Conductor, Database, FetchConfig
from conductor._db import load_migrations

pytestmark = pytest.mark.usefixtures("private_tempdir")


def fast() -> FetchConfig:
    return FetchConfig(
        rate_per_domain=math.inf,
        max_retries=0,
        connect_timeout_s=2.0,
        read_timeout_s=10.0,
        total_timeout_s=30.0,
    )


def long_pdf(make_pdf: Any, seed: str) -> bytes:
    """Two pages of about 700 tokens each: several 512-token chunks, many 64-token ones."""
    pages = []
    for p in range(2):
        lines = [
            f"Item {seed}-{p}-{i}: report on street lights, parking and district {i % 7}."
            for i in range(45)
        ]
        pages.append("\n".join(lines))
    data: bytes = make_pdf(pages)
    return data


def with_etag(body: bytes, etag: str) -> Route:
    def route(hit: Hit) -> Reply:
        if hit.headers.get("if-none-match") == etag:
            return Reply(304, content_type=None, headers={"ETag": etag})
        return Reply(body=body, content_type="application/pdf", headers={"ETag": etag})

    return route


def test_another_chunk_configuration_chunks_again(make_pdf: Any, tmp_path: Path) -> None:
    doc = tmp_path / "agenda.pdf"
    doc.write_bytes(long_pdf(make_pdf, "a"))
    db = tmp_path / "c.sqlite"
    (big,) = Conductor(database=db, workers=1).process_documents([{"path": str(doc)}])
    assert big.ok
    assert not big.cached
    assert big.chunks is not None
    assert max(c.tokens for c in big.chunks) > 64  # the 512-token chunks are big

    small = Conductor(database=db, workers=1, chunking={"max_tokens": 64})
    (r,) = small.process_documents([{"path": str(doc)}])
    assert r.ok
    assert r.cached  # the document is reused ...
    assert r.chunks is not None  # ... its 512-token chunks are not
    assert all(c.tokens <= 64 for c in r.chunks)
    assert len(r.chunks) > len(big.chunks)
    assert "Item a-0-0" in r.chunks[0].text

    # both configurations are stored; each run gets its own back, unchanged
    with Database(db) as d:
        keys = [k for k, _ in d.chunkings(big.sha256 or "")]
    assert len(keys) == 2
    assert any("max_tokens=64;" in k for k in keys)
    assert any("max_tokens=512;" in k for k in keys)
    (again,) = Conductor(database=db, workers=1).process_documents([{"path": str(doc)}])
    assert again.cached
    assert again.chunks == big.chunks
    # a stored document chunks like a fresh one (bound to the Conductor's extractor)
    assert again.document is not None
    assert [c.text for c in again.document.chunk(max_tokens=512)] == [
        c.text for c in big.chunks or []
    ]
    (again,) = small.process_documents([{"path": str(doc)}])
    assert again.chunks == r.chunks

    # overlap, respect_paragraphs and encoding are part of the configuration too
    for other in (
        {"max_tokens": 64, "overlap_tokens": 8},
        {"max_tokens": 64, "respect_paragraphs": False},
        {"max_tokens": 64, "encoding": "o200k_base"},
    ):
        c = Conductor(database=db, workers=1, chunking=other)
        (o,) = c.process_documents([{"path": str(doc)}])
        assert o.cached
        assert o.chunks is not None
        assert all(ch.tokens <= 64 for ch in o.chunks)
    with Database(db) as d:
        assert len(d.chunkings(big.sha256 or "")) == 5


def test_a_304_gets_chunks_of_its_own_configuration(
    server: FaultServer, make_pdf: Any, tmp_path: Path
) -> None:
    server.route("/a.pdf", with_etag(long_pdf(make_pdf, "b"), '"v1"'))
    url = server.url("/a.pdf")
    db = tmp_path / "c.sqlite"
    (first,) = Conductor(database=db, fetch=fast(), workers=1).process_documents([{"url": url}])
    assert first.ok
    small = Conductor(database=db, fetch=fast(), workers=1, chunking={"max_tokens": 64})
    (r,) = small.process_documents([{"url": url}])
    assert r.not_modified
    assert r.chunks is not None
    assert all(c.tokens <= 64 for c in r.chunks)
    assert len(r.chunks) > len(first.chunks or ())
    (r2,) = small.process_documents([{"url": url}])
    assert r2.not_modified
    assert r2.chunks == r.chunks


def test_a_document_made_by_another_plugin_version_is_extracted_again(
    server: FaultServer, make_pdf: Any, tmp_path: Path
) -> None:
    body = make_pdf(["Version check"])
    server.route("/v.pdf", with_etag(body, '"v1"'))
    url = server.url("/v.pdf")
    doc = tmp_path / "v.pdf"
    doc.write_bytes(body)
    db = tmp_path / "c.sqlite"
    c = Conductor(database=db, fetch=fast(), workers=1)
    (first,) = c.process_documents([{"url": url}])
    assert first.ok
    with Database(db) as d:
        origin = d.document_origin(first.sha256 or "")
    assert origin is not None
    fmt, made_by = origin
    assert fmt == "pdf"
    assert made_by is not None
    assert made_by.startswith("pdf ")

    def pretend_older() -> None:
        with sqlite3.connect(db) as conn:
            conn.execute("UPDATE documents SET extractor = 'pdf 0.0.1'")

    # by path: extracted again, and stored as made by the current plugin
    pretend_older()
    (r,) = c.process_documents([{"path": str(doc)}])
    assert r.ok
    assert not r.cached
    with Database(db) as d:
        assert d.document_origin(r.sha256 or "") == ("pdf", made_by)
    (r,) = c.process_documents([{"path": str(doc)}])
    assert r.cached

    # by URL: no conditional GET (a 304 would hand back the old document)
    pretend_older()
    before = len(server.log)
    (r,) = c.process_documents([{"url": url}])
    assert r.ok
    assert not r.not_modified
    assert not r.cached
    assert "if-none-match" not in server.log[before].headers
    with Database(db) as d:
        assert d.document_origin(r.sha256 or "") == ("pdf", made_by)


def test_a_schema_0001_database_upgrades_and_is_chunked_again(
    make_pdf: Any, tmp_path: Path
) -> None:
    first = tmp_path / "m1"
    first.mkdir()
    (only,) = [m for m in load_migrations() if m.version == 1]
    (first / only.name).write_text(only.sql, encoding="utf-8")
    db = tmp_path / "old.sqlite"
    doc = tmp_path / "old.pdf"
    doc.write_bytes(long_pdf(make_pdf, "c"))
    # what an older engagic-conductor stored: one 512-token-ish chunk of unknown config
    Database(db, migrations=first).close()
    made = Conductor(database=None, workers=1).process_documents([{"path": str(doc)}])[0]
    assert made.document is not None
    sha = made.sha256
    with sqlite3.connect(db) as conn:
        conn.execute(
            "INSERT INTO documents (sha256, name, format, page_count, metadata_page_count, "
            "pagination, extracted_at) VALUES (?, 'old.pdf', 'pdf', 2, 2, 'fixed', 1.0)",
            (sha,),
        )
        for page in made.document.pages:
            conn.execute(
                "INSERT INTO pages (sha256, number, text, chars, needs_ocr) VALUES (?, ?, ?, ?, 0)",
                (sha, page.number, page.text, page.chars),
            )
        conn.execute(
            "INSERT INTO chunks (sha256, idx, text, tokens, page_start, page_end, char_start, "
            "char_end) VALUES (?, 0, 'old chunk', 483, 1, 2, 0, 9)",
            (sha,),
        )
    with Database(db) as d:
        assert d.schema_version == len(load_migrations())
        # nothing is lost, and nothing claims a configuration it may not have had
        assert [c.text for c in d.load_chunks(sha or "")] == ["old chunk"]
        assert d.chunkings(sha or "") == [("unknown", 1)]
        assert d.document_origin(sha or "") == ("pdf", None)
    (r,) = Conductor(database=db, workers=1).process_documents([{"path": str(doc)}])
    assert r.ok
    assert not r.cached  # the plugin that made it is unknown: extracted again
    assert r.chunks is not None
    assert "old chunk" not in [c.text for c in r.chunks]
    assert all(c.tokens <= 512 for c in r.chunks)


@pytest.mark.parametrize("database", ["file", None])
def test_a_batch_does_not_keep_consumed_documents(
    make_pdf: Any, tmp_path: Path, database: str | None
) -> None:
    paths = []
    for i in range(4):
        p = tmp_path / f"d{i}.pdf"
        p.write_bytes(make_pdf([f"Document {i}"]))
        paths.append(p)
    db = tmp_path / "m.sqlite" if database else None
    c = Conductor(database=db, workers=1)
    refs: list[weakref.ref[Any]] = []
    alive_before_end = []
    for result in c.iter_documents([{"path": str(p)} for p in paths]):
        assert result.ok
        refs.append(weakref.ref(result.document))
        del result
        gc.collect()
        # the iterator's frame still holds the newest until the next one
        alive_before_end.append(sum(r() is not None for r in refs[:-1]))
    # each consumed document is gone before the batch ends
    assert alive_before_end == [0, 0, 0, 0]


def test_duplicates_in_a_batch_are_extracted_once(make_pdf: Any, tmp_path: Path) -> None:
    p = tmp_path / "same.pdf"
    p.write_bytes(make_pdf(["Same bytes"]))
    for db in (tmp_path / "d.sqlite", None):
        c = Conductor(database=db, workers=1)
        results = c.process_documents([{"path": str(p)}, {"path": str(p)}])
        assert [r.ok for r in results] == [True, True]
        assert [r.cached for r in results] == [False, True]
        assert results[0].document == results[1].document
        assert results[0].chunks == results[1].chunks


def test_failures_are_retried_only_when_due(tmp_path: Path) -> None:
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(b"%PDF-1.7\n garbage with no xref at all")
    unsupported = tmp_path / "notes.xyz"
    unsupported.write_bytes(b"\x00\x01\x02 not any format")
    db = tmp_path / "f.sqlite"
    items = [{"path": str(bad)}, {"path": str(unsupported)}]
    c = Conductor(database=db, workers=1)
    first = c.process_documents(items)
    assert [r.ok for r in first] == [False, False]
    assert first[1].error is not None
    assert first[1].error.kind == "unsupported_format"
    with Database(db) as d:
        records = {f.key: f for f in d.failures()}
    assert records[str(bad)].next_retry_at is not None  # transient: retried later
    assert records[str(unsupported)].next_retry_at is None  # permanent

    second = c.process_documents(items)
    assert [r.skipped for r in second] == [True, True]
    assert [r.error.kind for r in second if r.error] == [
        first[0].error.kind if first[0].error else "",
        "unsupported_format",
    ]
    with Database(db) as d:
        assert [f.attempts for f in d.failures()] == [1, 1]

    # once due, the transient one is tried again; the permanent one stays skipped
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE failures SET next_retry_at = 1.0 WHERE next_retry_at IS NOT NULL")
    third = c.process_documents(items)
    assert [r.skipped for r in third] == [False, True]
    forced = Conductor(database=db, workers=1, retry_failed=True).process_documents(items)
    assert [r.skipped for r in forced] == [False, False]
    with Database(db) as d:
        attempts = {f.key: f.attempts for f in d.failures()}
    assert attempts == {str(bad): 3, str(unsupported): 2}


def test_an_html_agenda_page_by_url_is_a_document(
    server: FaultServer, corpus: Path, dropin_dir: Path, tmp_path: Path
) -> None:
    page = (corpus / "html" / "cityscrapersca__lawa_0.html").read_bytes()
    server.route("/agenda", Reply(body=page, content_type="text/html; charset=utf-8"))
    c = Conductor(database=tmp_path / "h.sqlite", fetch=fast(), workers=1, plugin_path=[dropin_dir])
    (r,) = c.process_documents([{"url": server.url("/agenda")}])
    assert r.ok, r.error
    assert r.format == "html"
    assert r.document is not None
    assert "Los Angeles International Airport" in r.document.text
    assert r.chunks
    with Database(tmp_path / "h.sqlite") as d:
        assert d.document_origin(r.sha256 or "") is not None
        assert d.failures() == []
