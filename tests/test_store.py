"""The Store protocol, run against both implementations: SQLite (a file in tmp_path) and
PostgreSQL (a fresh database on a real server, see tests/_postgres.py)."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import psycopg
import pytest

from _postgres import pg_url, server_url, table_counts, with_database
from conductor import Conductor, DatabaseError, Document, Metadata
from conductor._db import Database, DocumentSummary, FailureRecord, UrlRecord, load_migrations
from conductor._db._migrate import default_migrations
from conductor._store import PostgresStore, Store, open_store
from conductor._store._migrate_pg import postgres_migrations
from conductor._store._text import MARK, decode, encode
from test_database import T0, chunks_of, rich_document, save, sha

__all__ = ["pg_url"]  # the fixture, imported for pytest

CONDUCTOR = str(Path(sys.executable).with_name("conductor"))
TABLES = ("documents", "sources", "pages", "chunks", "failures", "schema_migrations")
LATEST = len(load_migrations())


class Backend:
    """One store to test: its name for ``open_store`` and a row counter of its own."""

    def __init__(self, kind: str, target: str) -> None:
        self.kind = kind
        self.target = target

    def open(self, **kw: Any) -> Store:
        return open_store(self.target, **kw)

    def counts(self) -> dict[str, int]:
        if self.kind == "postgres":
            return table_counts(self.target, TABLES)
        with sqlite3.connect(self.target) as conn:
            return {t: conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in TABLES}


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    if request.param == "postgres":
        return Backend("postgres", request.getfixturevalue("pg_url"))
    return Backend("sqlite", str(tmp_path / "conductor.sqlite"))


@pytest.fixture
def store(backend: Backend) -> Iterator[Store]:
    with backend.open() as s:
        yield s


# -- documents ----------------------------------------------------------------------------


def test_rich_document_and_chunks_round_trip(store: Store, backend: Backend) -> None:
    doc = rich_document()
    assert "\x00" in doc.pages[0].text  # PostgreSQL text cannot hold NUL: encoded
    chunks = chunks_of(doc)
    save(store, doc, "https://example.org/packet.pdf", chunks=chunks)
    assert store.has_document(doc.sha256)
    assert store.load_document(doc.sha256) == doc
    assert store.load_chunks(doc.sha256) == chunks
    store.close()
    with backend.open() as again:  # nothing lived only in memory
        loaded = again.load_document(doc.sha256)
        assert loaded is not None
        assert loaded.to_dict() == doc.to_dict()
        assert loaded.pages[0].text.endswith("王\x00end")
        assert again.load_chunks(doc.sha256) == chunks
        assert again.schema_version == LATEST


def test_missing_and_minimal_documents(store: Store) -> None:
    assert not store.has_document(sha("nothing"))
    assert store.load_document(sha("nothing")) is None
    assert store.load_chunks(sha("nothing")) == []
    assert store.document_origin(sha("nothing")) is None
    doc = Document("empty.docx", "docx", sha("empty"), 0, Metadata())
    save(store, doc, chunks=[])
    assert store.load_document(doc.sha256) == doc
    assert store.find_chunks(doc.sha256) == []


def test_saving_twice_is_idempotent(store: Store, backend: Backend) -> None:
    doc = rich_document()
    for _ in range(2):
        save(store, doc, "https://example.org/p.pdf", chunks=chunks_of(doc), extractor="pdf 1")
    assert backend.counts() == {
        "documents": 1,
        "sources": 1,
        "pages": 3,
        "chunks": 3,
        "failures": 0,
        "schema_migrations": LATEST,
    }
    assert store.document_origin(doc.sha256) == ("pdf", "pdf 1")


def test_resave_replaces_pages_and_chunks(store: Store, backend: Backend) -> None:
    doc = rich_document()
    save(store, doc, chunks=chunks_of(doc, 3))
    save(store, replace(doc, source="renamed.pdf"), extracted_at=T0 + 10)
    assert store.load_chunks(doc.sha256) == chunks_of(doc, 3)  # chunks=None keeps them
    fewer = replace(doc, pages=doc.pages[:1], source="renamed.pdf")
    save(store, fewer, extracted_at=T0 + 50)
    assert store.load_document(doc.sha256) == fewer
    assert store.find_chunks(doc.sha256) is None  # made from other text: dropped
    save(store, fewer, chunks=chunks_of(doc, 2))
    assert store.load_chunks(doc.sha256) == chunks_of(doc, 2)
    assert store.chunkings(doc.sha256) == [("unknown", 2)]
    assert backend.counts()["pages"] == 1


def test_a_failed_save_changes_nothing(store: Store, backend: Backend) -> None:
    doc = rich_document()
    save(store, doc, "https://example.org/a", chunks=chunks_of(doc))
    before = backend.counts()
    bad = [*chunks_of(doc), chunks_of(doc)[0]]  # a repeated index breaks the primary key
    with pytest.raises(DatabaseError) as info:
        save(store, replace(doc, pages=doc.pages[:1]), "https://example.org/b", chunks=bad)
    assert (info.value.kind, info.value.stage) == ("database", "store")
    assert "password" not in str(info.value.document)
    assert backend.counts() == before
    assert store.load_document(doc.sha256) == doc
    assert store.lookup_url("https://example.org/b") is None
    save(store, doc, "https://example.org/b")  # still usable
    assert store.lookup_url("https://example.org/b") is not None


def test_urls(store: Store, backend: Backend) -> None:
    doc = rich_document()
    save(store, doc, "https://a.example/x.pdf", etag='"a1"', fetched_at=T0)
    save(store, replace(doc, source="y.pdf"), "https://b.example/y.pdf", fetched_at=T0 + 9)
    assert backend.counts()["documents"] == 1
    a = store.lookup_url("https://a.example/x.pdf")
    assert a == UrlRecord("https://a.example/x.pdf", doc.sha256, "primegov", '"a1"', None, T0)
    store.touch_url("https://a.example/x.pdf", fetched_at=T0 + 3600.5)
    assert store.lookup_url("https://a.example/x.pdf") == replace(a, fetched_at=T0 + 3600.5)
    with pytest.raises(KeyError):
        store.touch_url("https://example.org/never-fetched", fetched_at=T0)
    new = rich_document(seed="v2")
    save(store, new, "https://a.example/x.pdf", etag='"2"')  # the URL now serves other bytes
    moved = store.lookup_url("https://a.example/x.pdf")
    assert moved is not None
    assert (moved.sha256, moved.etag) == (new.sha256, '"2"')
    assert store.has_document(doc.sha256)


def test_failures_count_attempts_and_clear(store: Store) -> None:
    url = "https://example.org/broken.pdf"
    common = {"url": url, "stage": "download", "kind": "download_failed"}
    assert (
        store.record_failure(url, **common, message="503", next_retry_at=T0 + 60, failed_at=T0) == 1
    )
    assert (
        store.record_failure(url, **common, message="again", next_retry_at=None, failed_at=T0 + 6)
        == 2
    )
    assert store.failures() == [
        FailureRecord(url, url, "download", "download_failed", "again", 2, T0, T0 + 6, None)
    ]
    store.clear_failure(url)
    store.clear_failure(url)
    assert store.failures() == []


def test_summary_and_find(store: Store) -> None:
    assert store.summary() == []
    first = rich_document("first.pdf", seed="first")
    second = replace(rich_document("second.docx", seed="second"), format="docx")
    save(store, second, extracted_at=T0 + 20)
    save(store, first, "https://example.org/1.pdf", fetched_at=T0, chunks=chunks_of(first, 4))
    title = first.metadata.title
    assert store.summary() == [
        DocumentSummary(
            first.sha256,
            "first.pdf",
            "pdf",
            3,
            title,
            4,
            ("https://example.org/1.pdf",),
            T0,
            T0 + 1,
            1,
        ),
        DocumentSummary(second.sha256, "second.docx", "docx", 3, title, 0, (), None, T0 + 20, 1),
    ]
    assert store.find_documents(first.sha256[:6]) == [first.sha256]
    assert store.find_documents("") == []
    assert store.find_documents("zz%") == []


def test_encoded_text_is_exact() -> None:
    for text in ["plain", "", "a\x00b", MARK, MARK + "x", '"\x00"\\', "\x00" * 3]:
        assert decode(encode(text)) == text
        assert "\x00" not in encode(text)
    assert encode("plain text") == "plain text"  # the common case is stored as is


def test_read_only_refuses_writes(store: Store, backend: Backend) -> None:
    save(store, rich_document())
    with backend.open(read_only=True) as ro:
        assert len(ro.summary()) == 1
        with pytest.raises(DatabaseError, match="read-only"):
            save(ro, rich_document(seed="other"))


def test_concurrent_saves_of_one_document_store_it_once(backend: Backend) -> None:
    """Eight writers, each with its own store (own connections), save the same document
    with different chunks at once: one document, its pages once, one chunk set."""
    backend.open().close()  # migrated before the race
    doc = rich_document()
    errors: list[BaseException] = []
    start = threading.Barrier(8)

    def work(n: int) -> None:
        try:
            with backend.open() as s:
                start.wait()
                for i in range(5):
                    save(s, doc, f"https://example.org/{n}", chunks=chunks_of(doc, 1 + (n + i) % 3))
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    counts = backend.counts()
    assert (counts["documents"], counts["pages"], counts["sources"]) == (1, 3, 8)
    with backend.open() as s:
        assert s.load_document(doc.sha256) == doc
        [(_, n)] = s.chunkings(doc.sha256)
        assert counts["chunks"] == n


# -- the pipeline and the CLI on both -----------------------------------------------------


def test_pipeline_and_show_on_both(
    backend: Backend, make_pdf: Callable[..., bytes], tmp_path: Path
) -> None:
    pdf = tmp_path / "agenda.pdf"
    pdf.write_bytes(make_pdf(["1. CALL TO ORDER\nThe council met.", "2. MINUTES\nApproved."]))
    c = Conductor(database=backend.target, workers=1)
    (first,) = c.process_documents([{"path": str(pdf)}])
    (again,) = c.process_documents([{"path": str(pdf)}])
    c.close()
    assert first.ok
    assert again.ok
    assert again.cached
    assert first.chunks == again.chunks
    assert first.document is not None
    out = subprocess.run(
        [CONDUCTOR, "show", "--db", backend.target, "--json"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    shown = json.loads(out.stdout)
    [entry] = shown["documents"]
    assert entry["sha256"] == first.document.sha256
    assert entry["chunks"] == len(first.chunks or [])
    text = subprocess.run(
        [CONDUCTOR, "show", "--db", backend.target], capture_output=True, text=True, check=True
    ).stdout
    assert text.startswith("1 document in ")
    assert first.document.sha256[:12] in text
    if backend.kind == "postgres":  # the URL is shown without its password
        assert ":conductor@" not in text
        assert ":***@" in text


# -- PostgreSQL only ----------------------------------------------------------------------


def test_postgres_migrations_mirror_sqlite() -> None:
    sqlite_names = [m.name for m in load_migrations(default_migrations())]
    assert [m.name for m in postgres_migrations()] == sqlite_names


def test_concurrent_first_opens_migrate_once(pg_url: str) -> None:
    errors: list[BaseException] = []

    def work() -> None:
        try:
            PostgresStore(pg_url).close()
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=work) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert table_counts(pg_url, ("schema_migrations",)) == {"schema_migrations": LATEST}


def test_another_applications_database_is_refused(pg_url: str) -> None:
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("CREATE TABLE invoices (id int)")
    with pytest.raises(DatabaseError, match=r"not an engagic-conductor database.*invoices"):
        PostgresStore(pg_url)


def test_unreachable_or_refused_postgres_is_a_database_error(pg_url: str) -> None:
    wrong = pg_url.replace("conductor:conductor@", "conductor:wrong-secret@", 1)
    with pytest.raises(DatabaseError) as info:
        PostgresStore(wrong)
    assert "cannot open the PostgreSQL database" in info.value.message
    assert "wrong-secret" not in str(info.value)
    assert "***" in str(info.value.document)
    with pytest.raises(DatabaseError, match="cannot open"):
        PostgresStore(with_database(server_url(), "no_such_database_here"))


def test_read_only_postgres_without_schema_is_refused(pg_url: str) -> None:
    with pytest.raises(DatabaseError, match="not an engagic-conductor database"):
        open_store(pg_url, read_only=True)


def test_sqlite_database_satisfies_the_protocol(tmp_path: Path) -> None:
    store: Store = Database(tmp_path / "x.sqlite")  # mypy checks the protocol here
    store.close()
