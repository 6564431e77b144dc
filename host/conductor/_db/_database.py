"""The :class:`Database`: documents, pages, chunks, URLs and failures in one SQLite file."""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from types import TracebackType

from conductor._errors import DatabaseError
from conductor._models import Chunk, Document

from ._migrate import MigrationsDir, load_migrations, migrate, schema_version
from ._records import (
    DOCUMENT_COLUMNS,
    DocumentSummary,
    FailureRecord,
    UrlRecord,
    chunk_from_row,
    chunk_row,
    document_from_rows,
    document_row,
    page_row,
)

_UPSERT_DOCUMENT = (
    f"INSERT INTO documents ({', '.join(DOCUMENT_COLUMNS)}) "
    f"VALUES ({', '.join(':' + c for c in DOCUMENT_COLUMNS)}) "
    "ON CONFLICT (sha256) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in DOCUMENT_COLUMNS if c != "sha256")
)
# Not INSERT OR REPLACE: that deletes the old row first, and the delete would cascade to
# the document's sources, pages and chunks.
_INSERT_PAGE = (
    "INSERT INTO pages (sha256, number, text, chars, needs_ocr, ocr_reason, links) "
    "VALUES (?, ?, ?, ?, ?, ?, ?)"
)
_INSERT_CHUNK = (
    "INSERT INTO chunks (sha256, idx, text, tokens, page_start, page_end, section, "
    "char_start, char_end) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_UPSERT_SOURCE = (
    "INSERT INTO sources (url, sha256, source, etag, last_modified, fetched_at) "
    "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (url) DO UPDATE SET sha256 = excluded.sha256, "
    "source = excluded.source, etag = excluded.etag, "
    "last_modified = excluded.last_modified, fetched_at = excluded.fetched_at"
)
_URL_COLUMNS = "url, sha256, source, etag, last_modified, fetched_at"
_UPSERT_FAILURE = (
    "INSERT INTO failures (key, url, stage, kind, message, attempts, first_failed_at, "
    "last_failed_at, next_retry_at) VALUES (?, ?, ?, ?, ?, 1, ?, ?, ?) "
    "ON CONFLICT (key) DO UPDATE SET url = excluded.url, stage = excluded.stage, "
    "kind = excluded.kind, message = excluded.message, attempts = attempts + 1, "
    "last_failed_at = excluded.last_failed_at, next_retry_at = excluded.next_retry_at"
)
_FAILURE_COLUMNS = (
    "key, url, stage, kind, message, attempts, first_failed_at, last_failed_at, next_retry_at"
)


class Database:
    """The embedded store: one SQLite file in WAL mode, migrated when opened.

    Documents are keyed by the sha256 of their bytes, so saving the same bytes again
    (another run, another URL) updates one row instead of adding one; every URL that
    served them is a row of ``sources``. Each method is one transaction: a save writes the
    document, its pages, its chunks and its URL together or not at all.

    Threads: one connection, shared (``check_same_thread=False``), and a lock held for
    each call, so calls from several threads run one at a time in this process and never
    see ``database is locked`` from each other. SQLite allows one writer at a time anyway,
    and a save is short next to an extraction. Other processes (``conductor show`` during
    a run) read alongside in WAL mode; writers wait up to ``busy_timeout_s`` for each other.
    ``synchronous = NORMAL``: a power cut may lose the last transactions, never corrupt.

    :param path: the database file, created when missing (its directory must exist).
    :param migrations: where the ``NNNN_name.sql`` migrations are (default: the package's).
    :param busy_timeout_s: how long to wait for another process's write lock.
    :raises DatabaseError: the file cannot be opened or is not a database, its schema is
        newer than this code knows, or a migration failed.
    """

    def __init__(
        self,
        path: str | os.PathLike[str] = "conductor.sqlite",
        *,
        migrations: MigrationsDir | None = None,
        busy_timeout_s: float = 30.0,
    ) -> None:
        self.path = os.fspath(path)
        self._lock = threading.RLock()
        self._conn: sqlite3.Connection | None = None
        with self._errors():
            conn = sqlite3.connect(
                self.path, timeout=busy_timeout_s, isolation_level=None, check_same_thread=False
            )
            try:
                conn.row_factory = sqlite3.Row
                conn.execute("PRAGMA foreign_keys = ON")
                _enable_wal(conn, busy_timeout_s)
                conn.execute("PRAGMA synchronous = NORMAL")
                migrate(conn, load_migrations(migrations), where=self.path)
            except BaseException:
                conn.close()
                raise
        self._conn = conn

    def close(self) -> None:
        """Closes the connection; later calls raise :class:`DatabaseError`. Idempotent."""
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def __enter__(self) -> Database:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Database({self.path!r})"

    @property
    def schema_version(self) -> int:
        """The highest migration applied to the file."""
        with self._transaction(write=False) as conn:
            return schema_version(conn)

    # -- documents ------------------------------------------------------------------------

    def save_document(
        self,
        doc: Document,
        *,
        url: str | None,
        source: str | None,
        etag: str | None,
        last_modified: str | None,
        fetched_at: float | None,
        extracted_at: float,
        chunks: list[Chunk] | None = None,
    ) -> None:
        """Stores ``doc`` under ``doc.sha256``, in one transaction.

        The document row is inserted or updated (the latest save wins), its pages are
        replaced, its chunks too when ``chunks`` is given (``None`` keeps those stored),
        and ``url``, when given, now points at this document with the new validators.

        :param url: the URL the bytes came from; ``None`` for a local file.
        :param source: the source name (``"primegov"``) stored with the URL.
        :param etag: the response's ``ETag``, for the next conditional GET.
        :param last_modified: the response's ``Last-Modified``, verbatim.
        :param fetched_at: when the bytes were downloaded (Unix seconds).
        :param extracted_at: when the document was extracted (Unix seconds).
        """
        sha = doc.sha256
        with self._transaction(write=True) as conn:
            conn.execute(_UPSERT_DOCUMENT, document_row(doc, extracted_at))
            conn.execute("DELETE FROM pages WHERE sha256 = ?", (sha,))
            conn.executemany(_INSERT_PAGE, [page_row(sha, p) for p in doc.pages])
            if chunks is not None:
                conn.execute("DELETE FROM chunks WHERE sha256 = ?", (sha,))
                conn.executemany(_INSERT_CHUNK, [chunk_row(sha, c) for c in chunks])
            if url is not None:
                conn.execute(_UPSERT_SOURCE, (url, sha, source, etag, last_modified, fetched_at))

    def has_document(self, sha256: str) -> bool:
        """Whether a document with this sha256 is stored."""
        with self._transaction(write=False) as conn:
            row = conn.execute("SELECT 1 FROM documents WHERE sha256 = ?", (sha256,))
            return row.fetchone() is not None

    def load_document(self, sha256: str) -> Document | None:
        """The stored document, equal to the one saved last; ``None`` when not stored."""
        with self._transaction(write=False) as conn:
            row = conn.execute("SELECT * FROM documents WHERE sha256 = ?", (sha256,)).fetchone()
            if row is None:
                return None
            pages = conn.execute(
                "SELECT * FROM pages WHERE sha256 = ? ORDER BY number", (sha256,)
            ).fetchall()
        return document_from_rows(row, pages)

    def load_chunks(self, sha256: str) -> list[Chunk]:
        """The document's stored chunks in index order (``[]`` when none)."""
        with self._transaction(write=False) as conn:
            rows = conn.execute(
                "SELECT * FROM chunks WHERE sha256 = ? ORDER BY idx", (sha256,)
            ).fetchall()
        return [chunk_from_row(r) for r in rows]

    def summary(self) -> list[DocumentSummary]:
        """Every stored document, oldest extraction first (what ``conductor show`` lists)."""
        with self._transaction(write=False) as conn:
            docs = conn.execute(
                "SELECT d.sha256, d.name, d.format, d.page_count, d.title, "
                "(SELECT COUNT(*) FROM chunks c WHERE c.sha256 = d.sha256) AS chunks, "
                "d.extracted_at FROM documents d ORDER BY d.extracted_at, d.sha256"
            ).fetchall()
            sources = conn.execute("SELECT sha256, url, fetched_at FROM sources ORDER BY url")
            urls: dict[str, list[str]] = {}
            fetched: dict[str, float] = {}
            for sha, url, fetched_at in sources:
                urls.setdefault(sha, []).append(url)
                if fetched_at is not None:
                    fetched[sha] = max(fetched_at, fetched.get(sha, fetched_at))
        return [
            DocumentSummary(
                sha256=d["sha256"],
                name=d["name"],
                format=d["format"],
                page_count=d["page_count"],
                title=d["title"],
                chunks=d["chunks"],
                urls=tuple(urls.get(d["sha256"], ())),
                fetched_at=fetched.get(d["sha256"]),
                extracted_at=d["extracted_at"],
            )
            for d in docs
        ]

    # -- URLs -----------------------------------------------------------------------------

    def lookup_url(self, url: str) -> UrlRecord | None:
        """What is stored about ``url`` (for a conditional GET); ``None`` when unknown."""
        with self._transaction(write=False) as conn:
            row = conn.execute(
                f"SELECT {_URL_COLUMNS} FROM sources WHERE url = ?", (url,)
            ).fetchone()
        return None if row is None else UrlRecord(*row)

    def touch_url(self, url: str, *, fetched_at: float) -> None:
        """Records a fetch that changed nothing (``304 Not Modified``).

        :raises KeyError: ``url`` is not stored (a 304 answers a conditional GET, which
            only a stored URL gets).
        """
        with self._transaction(write=True) as conn:
            cur = conn.execute("UPDATE sources SET fetched_at = ? WHERE url = ?", (fetched_at, url))
            if cur.rowcount == 0:
                raise KeyError(url)

    # -- failures -------------------------------------------------------------------------

    def record_failure(
        self,
        key: str,
        *,
        url: str | None,
        stage: str,
        kind: str,
        message: str,
        next_retry_at: float | None,
        failed_at: float | None = None,
    ) -> int:
        """Records a failed attempt at ``key`` (the input's URL or path) and returns how
        many attempts have failed in a row (1 the first time). A repeat replaces stage,
        kind, message and next retry and keeps the first failure's time.

        :param next_retry_at: when to try again (Unix seconds); ``None`` for never.
        :param failed_at: when it failed; default now.
        """
        now = time.time() if failed_at is None else failed_at
        with self._transaction(write=True) as conn:
            conn.execute(_UPSERT_FAILURE, (key, url, stage, kind, message, now, now, next_retry_at))
            row = conn.execute("SELECT attempts FROM failures WHERE key = ?", (key,)).fetchone()
            return int(row[0])

    def clear_failure(self, key: str) -> None:
        """Forgets the failures of ``key`` (after it succeeded); nothing when none."""
        with self._transaction(write=True) as conn:
            conn.execute("DELETE FROM failures WHERE key = ?", (key,))

    def failures(self) -> list[FailureRecord]:
        """Every recorded failure, oldest first."""
        with self._transaction(write=False) as conn:
            rows = conn.execute(
                f"SELECT {_FAILURE_COLUMNS} FROM failures ORDER BY first_failed_at, key"
            ).fetchall()
        return [FailureRecord(*r) for r in rows]

    # -- plumbing -------------------------------------------------------------------------

    @contextmanager
    def _errors(self) -> Iterator[None]:
        """Wraps ``sqlite3`` errors into :class:`DatabaseError` naming the file."""
        try:
            yield
        except sqlite3.Error as e:
            raise DatabaseError(f"SQLite: {e}", document=self.path) from e

    @contextmanager
    def _transaction(self, *, write: bool) -> Iterator[sqlite3.Connection]:
        """Holds the lock and one transaction: ``BEGIN IMMEDIATE`` to write (the write lock
        up front, so a busy database waits instead of failing on the first write), a
        deferred ``BEGIN`` to read (one consistent snapshot). Rolls back on any exception."""
        with self._lock, self._errors():
            conn = self._conn
            if conn is None:
                raise DatabaseError(
                    "the database is closed", document=self.path, hint="open a new Database"
                )
            conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            try:
                yield conn
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise


def _enable_wal(conn: sqlite3.Connection, timeout_s: float) -> None:
    """Switches a connection to WAL, waiting out other connections doing the same.

    SQLite does not call the busy handler while another connection is switching a new file
    to WAL or recovering its WAL, so two processes opening a fresh database at once can
    get "database is locked" at once, whatever the timeout; retry until the timeout.
    """
    deadline = time.monotonic() + timeout_s
    delay = 0.005
    while True:
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as e:
            if "locked" not in str(e) or time.monotonic() + delay > deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 0.2)
