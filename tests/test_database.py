"""The embedded SQLite store (conductor._db): real database files in tmp_path."""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
import threading
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from conductor import (
    Chunk,
    DatabaseError,
    Document,
    ExtractWarning,
    Heading,
    Metadata,
    OutlineEntry,
    Page,
)
from conductor._db import Database, DocumentSummary, FailureRecord, UrlRecord, load_migrations
from conductor._db._migrate import default_migrations, statements

T0 = 1_700_000_000.25
LATEST = len(load_migrations())
"""The schema version of a new database: the number of shipped migrations."""
EXTRA = f"{LATEST + 1:04d}_extra.sql"


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def rich_document(name: str = "packet.pdf", *, seed: str = "rich") -> Document:
    """Every field set, unicode everywhere, and a None wherever one is allowed."""
    return Document(
        source=name,
        format="pdf",
        sha256=sha(seed),
        page_count=3,
        metadata=Metadata(
            title="Zoning — Ordenanza nº 7 «Año 2024» 🏛️",
            author="Ciudad de Mountain View",
            subject=None,
            creator="Word",
            producer=None,
            created="2024-03-01T09:30:00+00:00",
            modified=None,
            page_count=3,
        ),
        pages=[
            Page(1, "1. CALL TO ORDER\nRoll call: Ünal, Nguyễn, 王\x00end", 38, False, None, []),
            Page(
                2,
                "See https://example.org/a and “quoted” text",
                36,
                False,
                None,
                ["https://example.org/a", "https://example.org/ü?x=1&y=2"],
            ),
            Page(3, "", 0, True, "no_text_layer", []),
        ],
        outline=[
            OutlineEntry("Call to order", 1, 1),
            OutlineEntry("Pièces jointes", 2, None),
        ],
        warnings=[
            ExtractWarning("truncated", "page 2 text was cut", 2),
            ExtractWarning("font_map", "no ToUnicode — guessed", None),
        ],
        headings=[Heading("1. CALL TO ORDER", 1, 1, 0), Heading("Anexo β", 2, 3, None)],
        pagination="rendered_page_breaks",
    )


def chunks_of(doc: Document, n: int = 3) -> list[Chunk]:
    text = doc.text
    step = max(1, len(text) // n)
    out = []
    for i in range(n):
        start, end = i * step, len(text) if i == n - 1 else (i + 1) * step
        section = None if i == 0 else "1. CALL TO ORDER"
        out.append(Chunk(i, text[start:end], end - start, 1, min(i + 1, 3), section, start, end))
    return out


def save(db: Database, doc: Document, url: str | None = None, **kw: object) -> None:
    args: dict[str, object] = {
        "url": url,
        "source": "primegov" if url else None,
        "etag": None,
        "last_modified": None,
        "fetched_at": T0 if url else None,
        "extracted_at": T0 + 1,
    }
    args.update(kw)
    db.save_document(doc, **args)  # type: ignore[arg-type]


def counts(path: Path) -> dict[str, int]:
    with sqlite3.connect(path) as conn:
        return {
            t: conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
            for t in ("documents", "sources", "pages", "chunks", "failures", "schema_migrations")
        }


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "conductor.sqlite"


@pytest.fixture
def db(db_path: Path) -> Iterator[Database]:
    with Database(db_path) as database:
        yield database


# -- documents ----------------------------------------------------------------------------


def test_rich_document_and_chunks_round_trip(db: Database) -> None:
    doc = rich_document()
    chunks = chunks_of(doc)
    save(db, doc, "https://example.org/packet.pdf", chunks=chunks)

    assert db.has_document(doc.sha256)
    assert db.load_document(doc.sha256) == doc
    assert db.load_chunks(doc.sha256) == chunks
    # Also through a fresh connection: nothing lived only in memory.
    db.close()
    with Database(db.path) as again:
        loaded = again.load_document(doc.sha256)
        assert loaded == doc
        assert loaded is not None
        assert loaded.to_dict() == doc.to_dict()
        assert loaded.pages[0].text.endswith("王\x00end")
        assert again.load_chunks(doc.sha256) == chunks


def test_missing_document(db: Database) -> None:
    assert not db.has_document(sha("nothing"))
    assert db.load_document(sha("nothing")) is None
    assert db.load_chunks(sha("nothing")) == []


def test_minimal_document_round_trips(db: Database) -> None:
    doc = Document("empty.docx", "docx", sha("empty"), 0, Metadata())
    save(db, doc, chunks=[])
    assert db.load_document(doc.sha256) == doc
    assert db.load_chunks(doc.sha256) == []


def test_saving_twice_is_idempotent(db: Database, db_path: Path) -> None:
    doc = rich_document()
    for _ in range(2):
        save(db, doc, "https://example.org/p.pdf", chunks=chunks_of(doc))
    assert counts(db_path) == {
        "documents": 1,
        "sources": 1,
        "pages": 3,
        "chunks": 3,
        "failures": 0,
        "schema_migrations": LATEST,
    }
    assert db.load_document(doc.sha256) == doc


def test_resave_replaces_pages_and_chunks_and_keeps_chunks_when_not_given(
    db: Database, db_path: Path
) -> None:
    doc = rich_document()
    save(db, doc, chunks=chunks_of(doc, 3))
    renamed = replace(doc, source="renamed.pdf")
    save(db, renamed, extracted_at=T0 + 10)
    assert db.load_chunks(doc.sha256) == chunks_of(doc, 3)  # chunks=None keeps them
    fewer = replace(doc, pages=doc.pages[:1], source="renamed.pdf")
    save(db, fewer, extracted_at=T0 + 50)
    assert db.load_document(doc.sha256) == fewer
    # other text: the chunks made from the old text are dropped with it
    assert db.find_chunks(doc.sha256) is None
    save(db, fewer, chunks=chunks_of(doc, 2))
    assert db.load_chunks(doc.sha256) == chunks_of(doc, 2)
    save(db, fewer, chunks=[])
    assert db.load_chunks(doc.sha256) == []
    assert counts(db_path)["pages"] == 1


def test_a_failed_save_changes_nothing(db: Database, db_path: Path) -> None:
    doc = rich_document()
    save(db, doc, "https://example.org/a", chunks=chunks_of(doc))
    before = counts(db_path)
    bad = [*chunks_of(doc), chunks_of(doc)[0]]  # a repeated index breaks the primary key
    changed = replace(doc, pages=doc.pages[:1])
    with pytest.raises(DatabaseError) as info:
        save(db, changed, "https://example.org/b", chunks=bad)
    assert info.value.kind == "database"
    assert info.value.stage == "store"
    assert "UNIQUE" in info.value.message
    assert info.value.document == str(db_path)
    assert counts(db_path) == before
    assert db.load_document(doc.sha256) == doc
    assert db.lookup_url("https://example.org/b") is None
    # The connection is still usable afterwards.
    save(db, changed, "https://example.org/b")
    assert db.lookup_url("https://example.org/b") is not None


# -- URLs ---------------------------------------------------------------------------------


def test_two_urls_reach_one_document(db: Database, db_path: Path) -> None:
    doc = rich_document()
    save(db, doc, "https://a.example/x.pdf", etag='"a1"', fetched_at=T0)
    save(db, replace(doc, source="y.pdf"), "https://b.example/y.pdf", fetched_at=T0 + 9)
    assert counts(db_path)["documents"] == 1
    assert counts(db_path)["sources"] == 2
    a = db.lookup_url("https://a.example/x.pdf")
    b = db.lookup_url("https://b.example/y.pdf")
    assert a is not None
    assert b is not None
    assert a.sha256 == b.sha256 == doc.sha256
    assert (a.etag, b.etag) == ('"a1"', None)
    [entry] = db.summary()
    assert entry.urls == ("https://a.example/x.pdf", "https://b.example/y.pdf")
    assert entry.fetched_at == T0 + 9
    assert entry.name == "y.pdf"  # the latest save names it


def test_lookup_and_touch_url(db: Database) -> None:
    url = "https://example.org/agenda?id=7&view=ViewFile"
    assert db.lookup_url(url) is None
    doc = rich_document()
    save(
        db,
        doc,
        url,
        source="granicus",
        etag='W/"abc"',
        last_modified="Wed, 21 Oct 2015 07:28:00 GMT",
        fetched_at=T0,
    )
    expected = UrlRecord(
        url, doc.sha256, "granicus", 'W/"abc"', "Wed, 21 Oct 2015 07:28:00 GMT", T0
    )
    assert db.lookup_url(url) == expected
    db.touch_url(url, fetched_at=T0 + 3600.5)
    assert db.lookup_url(url) == replace(expected, fetched_at=T0 + 3600.5)
    with pytest.raises(KeyError):
        db.touch_url("https://example.org/never-fetched", fetched_at=T0)


def test_a_url_that_now_serves_other_bytes_moves(db: Database) -> None:
    old, new = rich_document(seed="v1"), rich_document(seed="v2")
    save(db, old, "https://example.org/agenda.pdf", etag='"1"')
    save(db, new, "https://example.org/agenda.pdf", etag='"2"')
    record = db.lookup_url("https://example.org/agenda.pdf")
    assert record is not None
    assert (record.sha256, record.etag) == (new.sha256, '"2"')
    assert db.has_document(old.sha256)  # still stored, reached by no URL now


# -- failures -----------------------------------------------------------------------------


def test_failures_count_attempts_and_clear(db: Database) -> None:
    url = "https://example.org/broken.pdf"
    common = {"url": url, "stage": "download", "kind": "http_error"}
    assert db.record_failure(url, **common, message="503", next_retry_at=T0 + 60, failed_at=T0) == 1
    assert (
        db.record_failure(
            url, **common, message="503 again", next_retry_at=T0 + 180, failed_at=T0 + 60
        )
        == 2
    )
    assert (
        db.record_failure(
            "/tmp/local.pdf",
            url=None,
            stage="extract",
            kind="corrupt",
            message="bad xref",
            next_retry_at=None,
            failed_at=T0 + 1,
        )
        == 1
    )
    assert db.failures() == [
        FailureRecord(url, url, "download", "http_error", "503 again", 2, T0, T0 + 60, T0 + 180),
        FailureRecord(
            "/tmp/local.pdf", None, "extract", "corrupt", "bad xref", 1, T0 + 1, T0 + 1, None
        ),
    ]
    assert db.record_failure(url, **common, message="x", next_retry_at=None) == 3
    db.clear_failure(url)
    db.clear_failure(url)  # clearing twice is fine
    assert [f.key for f in db.failures()] == ["/tmp/local.pdf"]
    assert db.record_failure(url, **common, message="again", next_retry_at=None) == 1


# -- summary ------------------------------------------------------------------------------


def test_summary(db: Database) -> None:
    assert db.summary() == []
    first = rich_document("first.pdf", seed="first")
    second = replace(
        rich_document("second.docx", seed="second"),
        format="docx",
        metadata=Metadata(page_count=3),
    )
    save(db, second, extracted_at=T0 + 20)  # a local file: no URL
    save(db, first, "https://example.org/1.pdf", fetched_at=T0, chunks=chunks_of(first, 4))
    assert db.summary() == [
        DocumentSummary(
            first.sha256,
            "first.pdf",
            "pdf",
            3,
            "Zoning — Ordenanza nº 7 «Año 2024» 🏛️",
            4,
            ("https://example.org/1.pdf",),
            T0,
            T0 + 1,
            ocr_pages=1,  # rich_document's page 3 has no text layer
        ),
        DocumentSummary(second.sha256, "second.docx", "docx", 3, None, 0, (), None, T0 + 20, 1),
    ]


# -- the file -----------------------------------------------------------------------------


def test_pragmas(db: Database, db_path: Path) -> None:
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db._conn is not None
    assert db._conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert db._conn.execute("PRAGMA busy_timeout").fetchone()[0] == 30_000


def test_foreign_keys_cascade(db: Database, db_path: Path) -> None:
    doc = rich_document()
    save(db, doc, "https://example.org/a", chunks=chunks_of(doc))
    assert db._conn is not None
    with db._lock:
        db._conn.execute("DELETE FROM documents WHERE sha256 = ?", (doc.sha256,))
    after = counts(db_path)
    assert after.pop("schema_migrations") == LATEST
    assert after == dict.fromkeys(after, 0)


def test_closed_database_raises(db_path: Path) -> None:
    db = Database(db_path)
    db.close()
    db.close()
    with pytest.raises(DatabaseError, match="closed"):
        db.has_document(sha("x"))


def test_not_a_database_is_a_database_error(tmp_path: Path) -> None:
    path = tmp_path / "junk.sqlite"
    path.write_bytes(b"this is not sqlite, just some bytes" * 100)
    with pytest.raises(DatabaseError) as info:
        Database(path)
    assert info.value.document == str(path)
    assert "not a database" in info.value.message


def test_missing_directory_is_a_database_error(tmp_path: Path) -> None:
    with pytest.raises(DatabaseError, match=r"no such directory: .*/no/such") as info:
        Database(tmp_path / "no" / "such" / "dir.sqlite")
    assert "unable to open" not in str(info.value)


# -- migrations ---------------------------------------------------------------------------


def test_migrations_apply_once(db_path: Path) -> None:
    with Database(db_path) as db:
        assert db.schema_version == LATEST
    with sqlite3.connect(db_path) as conn:
        first = conn.execute("SELECT version, applied_at FROM schema_migrations").fetchall()
    with Database(db_path) as db:
        assert db.schema_version == LATEST
    with sqlite3.connect(db_path) as conn:
        again = conn.execute("SELECT version, applied_at FROM schema_migrations").fetchall()
    assert first == again
    assert [v for v, _ in first] == list(range(1, LATEST + 1))


def extra_migrations(tmp_path: Path, sql: str) -> Path:
    """The shipped migrations plus one more (:data:`EXTRA`) with ``sql``."""
    directory = tmp_path / "migrations"
    directory.mkdir()
    for migration in load_migrations():
        (directory / migration.name).write_text(migration.sql, encoding="utf-8")
    (directory / EXTRA).write_text(sql, encoding="utf-8")
    return directory


def test_a_new_migration_applies_to_an_existing_database(db_path: Path, tmp_path: Path) -> None:
    with Database(db_path) as db:
        save(db, rich_document(), "https://example.org/a")
    migrations = extra_migrations(
        tmp_path,
        "-- a note; with a semicolon in a comment\n"
        "ALTER TABLE documents ADD COLUMN note TEXT DEFAULT 'a;b';\n"
        "CREATE TRIGGER documents_note AFTER INSERT ON documents BEGIN\n"
        "  UPDATE documents SET note = 'new' WHERE sha256 = NEW.sha256;\n"
        "END;\n"
        "-- trailing comment\n",
    )
    with Database(db_path, migrations=migrations) as db:
        assert db.schema_version == LATEST + 1
        assert db.load_document(rich_document().sha256) == rich_document()
        save(db, rich_document(seed="other"))
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("SELECT version FROM schema_migrations").fetchall() == [
            (v,) for v in range(1, LATEST + 2)
        ]
        notes = conn.execute("SELECT note FROM documents ORDER BY note").fetchall()
        assert notes == [("a;b",), ("new",)]
    with Database(db_path, migrations=migrations) as db:  # reopening applies nothing
        assert db.schema_version == LATEST + 1


def test_a_fresh_database_gets_every_migration(db_path: Path, tmp_path: Path) -> None:
    migrations = extra_migrations(tmp_path, "CREATE TABLE extra (x INTEGER);")
    with Database(db_path, migrations=migrations) as db:
        assert db.schema_version == LATEST + 1
    assert counts(db_path)["schema_migrations"] == LATEST + 1


def test_a_newer_database_is_refused(db_path: Path, tmp_path: Path) -> None:
    migrations = extra_migrations(tmp_path, "CREATE TABLE extra (x INTEGER);")
    Database(db_path, migrations=migrations).close()
    with pytest.raises(DatabaseError) as info:
        Database(db_path)
    err = info.value
    assert (err.kind, err.stage) == ("database", "store")
    assert f"schema version is {LATEST + 1}" in err.message
    assert f"({LATEST})" in err.message
    assert err.to_dict()["kind"] == "database"


def test_a_failing_migration_is_rolled_back(db_path: Path, tmp_path: Path) -> None:
    Database(db_path).close()
    migrations = extra_migrations(
        tmp_path, "CREATE TABLE half (x INTEGER);\nINSERT INTO no_such_table VALUES (1);\n"
    )
    with pytest.raises(
        DatabaseError, match=rf"{LATEST + 1:04d}_extra\.sql failed and was rolled back"
    ):
        Database(db_path, migrations=migrations)
    with sqlite3.connect(db_path) as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
    assert "half" not in tables
    with Database(db_path) as db:
        assert db.schema_version == LATEST


@pytest.mark.parametrize(
    ("files", "match"),
    [
        ({"1_init.sql": ""}, "NNNN_name.sql"),
        ({"0001_a.sql": "", "0001_b.sql": ""}, "share version 1"),
        ({"0001_a.sql": "", "0003_c.sql": ""}, "without gaps"),
        ({"0002_a.sql": ""}, "without gaps"),
    ],
)
def test_bad_migration_directories_are_refused(
    tmp_path: Path, files: dict[str, str], match: str
) -> None:
    for name, sql in files.items():
        (tmp_path / name).write_text(sql)
    (tmp_path / "README.md").write_text("not a migration")  # other files are ignored
    with pytest.raises(DatabaseError, match=match):
        load_migrations(tmp_path)
    with pytest.raises(DatabaseError, match="not found"):
        load_migrations(tmp_path / "missing")


def test_shipped_migrations() -> None:
    shipped = load_migrations()
    assert [m.name for m in shipped][:4] == [
        "0001_init.sql",
        "0002_chunk_provenance.sql",
        "0003_page_ocr.sql",
        "0004_queue.sql",
    ]
    assert default_migrations().joinpath("0001_init.sql").is_file()
    assert load_migrations(Path(str(default_migrations()))) == shipped


def test_statement_splitting() -> None:
    sql = "CREATE TABLE a (x TEXT DEFAULT ';'); -- c;\n/* d; */ INSERT INTO a VALUES ('e;f')"
    assert statements(sql) == [
        "CREATE TABLE a (x TEXT DEFAULT ';');",
        "-- c;\n/* d; */ INSERT INTO a VALUES ('e;f');",  # the last ; is added
    ]
    assert statements("-- only a comment\n") == []


# -- threads ------------------------------------------------------------------------------


def _write_from_threads(
    make_db: Callable[[int], Database], db_path: Path, threads: int = 4, per: int = 25
) -> None:
    """``threads`` threads each save ``per`` documents (and record one failure per
    document, under keys shared by all threads) through ``make_db(thread number)``."""
    errors: list[BaseException] = []
    barrier = threading.Barrier(threads)

    def work(t: int) -> None:
        try:
            db = make_db(t)
            barrier.wait()
            for i in range(per):
                doc = rich_document(f"t{t}-{i}.pdf", seed=f"{t}-{i}")
                save(db, doc, f"https://example.org/{t}/{i}.pdf", chunks=chunks_of(doc))
                db.record_failure(
                    f"k{i}", url=None, stage="s", kind="k", message="m", next_retry_at=None
                )
                assert db.has_document(doc.sha256)
        except BaseException as e:  # reported below
            errors.append(e)

    workers = [threading.Thread(target=work, args=(t,)) for t in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert errors == []
    n = threads * per
    assert counts(db_path) == {
        "documents": n,
        "sources": n,
        "pages": 3 * n,
        "chunks": 3 * n,
        "failures": per,
        "schema_migrations": LATEST,
    }
    with Database(db_path) as db:
        assert len(db.summary()) == n
        assert {f.attempts for f in db.failures()} == {threads}
        doc = rich_document("t3-24.pdf", seed="3-24")
        assert db.load_document(doc.sha256) == doc


def test_concurrent_writes_through_one_database(db: Database, db_path: Path) -> None:
    _write_from_threads(lambda t: db, db_path)


def test_concurrent_writes_through_one_database_per_thread(db_path: Path) -> None:
    """Separate connections, as separate processes would have: SQLite's own locking (WAL,
    BEGIN IMMEDIATE, busy timeout) keeps them apart."""
    Database(db_path).close()
    opened: list[Database] = []

    def make(t: int) -> Database:
        opened.append(Database(db_path))
        return opened[-1]

    try:
        _write_from_threads(make, db_path)
    finally:
        for database in opened:
            database.close()


def test_concurrent_first_open_migrates_once(tmp_path: Path) -> None:
    path = tmp_path / "new.sqlite"
    errors: list[BaseException] = []

    def work() -> None:
        try:
            Database(path).close()
        except BaseException as e:
            errors.append(e)

    workers = [threading.Thread(target=work) for _ in range(4)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert errors == []
    assert counts(path)["schema_migrations"] == LATEST


def test_copied_database_file_opens(db: Database, db_path: Path, tmp_path: Path) -> None:
    save(db, rich_document(), "https://example.org/a")
    db.close()  # checkpoints the WAL into the main file
    copy = tmp_path / "copy.sqlite"
    shutil.copy(db_path, copy)
    with Database(copy) as again:
        assert again.load_document(rich_document().sha256) == rich_document()
