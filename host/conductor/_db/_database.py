"""The :class:`Database`: documents, pages, chunks, URLs and failures in one SQLite file."""

from __future__ import annotations

import errno
import os
import sqlite3
import threading
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from types import TracebackType

from conductor._errors import DatabaseError
from conductor._models import Chunk, Document

from ._migrate import (
    Migration,
    MigrationsDir,
    check_version,
    load_migrations,
    migrate,
    older_read_only_error,
)
from ._migrate import schema_version as _schema_version
from ._records import (
    DOCUMENT_COLUMNS,
    UNKNOWN_CHUNKING,
    ChunkingKey,
    DocumentSummary,
    FailureRecord,
    UrlRecord,
    chunk_from_row,
    chunk_row,
    document_from_rows,
    document_row,
    page_row,
)

UPSERT_DOCUMENT = (
    f"INSERT INTO documents ({', '.join(DOCUMENT_COLUMNS)}) "
    f"VALUES ({', '.join(':' + c for c in DOCUMENT_COLUMNS)}) "
    "ON CONFLICT (sha256) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in DOCUMENT_COLUMNS if c != "sha256")
)
# Not INSERT OR REPLACE: that deletes the old row first, and the delete would cascade to
# the document's sources, pages and chunks.
_INSERT_PAGE = (
    "INSERT INTO pages (sha256, number, text, chars, needs_ocr, ocr_reason, links, ocr) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)
INSERT_CHUNK = (
    "INSERT INTO chunks (chunking, sha256, idx, text, tokens, page_start, page_end, section, "
    "char_start, char_end) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_INSERT_CHUNKING = (
    "INSERT INTO chunkings (sha256, key, max_tokens, overlap_tokens, encoding, "
    "respect_paragraphs, chunker, chunked_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)
LATEST_CHUNKING = (
    "SELECT id FROM chunkings WHERE sha256 = ? ORDER BY chunked_at DESC, id DESC LIMIT 1"
)
UPSERT_SOURCE = (
    "INSERT INTO sources (url, sha256, source, etag, last_modified, fetched_at) "
    "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (url) DO UPDATE SET sha256 = excluded.sha256, "
    "source = excluded.source, etag = excluded.etag, "
    "last_modified = excluded.last_modified, fetched_at = excluded.fetched_at"
)
URL_COLUMNS = "url, sha256, source, etag, last_modified, fetched_at"
UPSERT_FAILURE = (
    "INSERT INTO failures (key, url, stage, kind, message, attempts, first_failed_at, "
    "last_failed_at, next_retry_at) VALUES (?, ?, ?, ?, ?, 1, ?, ?, ?) "
    "ON CONFLICT (key) DO UPDATE SET url = excluded.url, stage = excluded.stage, "
    "kind = excluded.kind, message = excluded.message, attempts = failures.attempts + 1, "
    "last_failed_at = excluded.last_failed_at, next_retry_at = excluded.next_retry_at"
)
FAILURE_COLUMNS = (
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
    :param read_only: open for reading only (``conductor show``): nothing is created,
        migrated or written; the file must exist and be an up-to-date conductor database.
    :raises DatabaseError: the file cannot be opened (the message says why: no such
        file or directory, a directory, permission denied) or is not a database, it is
        another application's SQLite database, its schema is newer than this code knows
        (or, read-only, older), or a migration failed.
    """

    def __init__(
        self,
        path: str | os.PathLike[str] = "conductor.sqlite",
        *,
        migrations: MigrationsDir | None = None,
        busy_timeout_s: float = 30.0,
        read_only: bool = False,
    ) -> None:
        self.path = os.fspath(path)
        self.read_only = read_only
        self._lock = threading.RLock()
        self._conn: sqlite3.Connection | None = None
        known = load_migrations(migrations)
        _check_openable(self.path, read_only)
        try:
            if read_only:
                # mode=ro: SQLite never creates nor writes the file (nor converts it to WAL)
                uri = f"file:{urllib.parse.quote(os.path.abspath(self.path))}?mode=ro"
                conn = sqlite3.connect(
                    uri,
                    uri=True,
                    timeout=busy_timeout_s,
                    isolation_level=None,
                    check_same_thread=False,
                )
            else:
                conn = sqlite3.connect(
                    self.path,
                    timeout=busy_timeout_s,
                    isolation_level=None,
                    check_same_thread=False,
                )
        except sqlite3.Error as e:
            raise _open_error(self.path, read_only, e) from e
        try:
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA foreign_keys = ON")
            _check_ours(conn, self.path, known, read_only)
            if not read_only:
                _enable_wal(conn, busy_timeout_s)
                conn.execute("PRAGMA synchronous = NORMAL")
                migrate(conn, known, where=self.path)
        except sqlite3.Error as e:
            conn.close()
            raise _open_error(self.path, read_only, e) from e
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
            return _schema_version(conn)

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
        chunking: ChunkingKey | None = None,
        extractor: str | None = None,
    ) -> None:
        """Stores ``doc`` under ``doc.sha256``, in one transaction.

        The document row is inserted or updated (the latest save wins), its pages are
        replaced, and ``url``, when given, now points at this document with the new
        validators. ``chunks``, when given, replace those stored under ``chunking`` (the
        configuration that made them; ``None``: unknown, which no configuration finds);
        chunks under other configurations are kept while the pages' text is unchanged
        and dropped when it changed (they were made from other text).

        :param url: the URL the bytes came from; ``None`` for a local file.
        :param source: the source name (``"primegov"``) stored with the URL.
        :param etag: the response's ``ETag``, for the next conditional GET.
        :param last_modified: the response's ``Last-Modified``, verbatim.
        :param fetched_at: when the bytes were downloaded (Unix seconds).
        :param extracted_at: when the document was extracted (Unix seconds).
        :param chunking: what made ``chunks``.
        :param extractor: the plugin that extracted ``doc`` (``"pdf 0.2.0"``).
        """
        sha = doc.sha256
        with self._transaction(write=True) as conn:
            old = conn.execute(
                "SELECT text FROM pages WHERE sha256 = ? ORDER BY number", (sha,)
            ).fetchall()
            if [r[0] for r in old] != [p.text for p in doc.pages]:
                conn.execute("DELETE FROM chunkings WHERE sha256 = ?", (sha,))
            conn.execute(UPSERT_DOCUMENT, document_row(doc, extracted_at, extractor))
            conn.execute("DELETE FROM pages WHERE sha256 = ?", (sha,))
            conn.executemany(_INSERT_PAGE, [page_row(sha, p) for p in doc.pages])
            if chunks is not None:
                key = UNKNOWN_CHUNKING if chunking is None else chunking.key
                # the chunks go with their chunking row (ON DELETE CASCADE)
                conn.execute("DELETE FROM chunkings WHERE sha256 = ? AND key = ?", (sha, key))
                settings = (
                    (None, None, None, None, None)
                    if chunking is None
                    else (
                        chunking.max_tokens,
                        chunking.overlap_tokens,
                        chunking.encoding,
                        int(chunking.respect_paragraphs),
                        chunking.chunker,
                    )
                )
                cur = conn.execute(_INSERT_CHUNKING, (sha, key, *settings, time.time()))
                chunking_id = cur.lastrowid
                assert chunking_id is not None
                conn.executemany(INSERT_CHUNK, [chunk_row(chunking_id, sha, c) for c in chunks])
            if url is not None:
                conn.execute(UPSERT_SOURCE, (url, sha, source, etag, last_modified, fetched_at))

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

    def document_origin(self, sha256: str) -> tuple[str, str | None] | None:
        """The stored document's format and the plugin that extracted it (``"pdf
        0.2.0"``; ``None`` when unknown: stored before migration 0002); ``None`` when
        the document is not stored."""
        with self._transaction(write=False) as conn:
            row = conn.execute(
                "SELECT format, extractor FROM documents WHERE sha256 = ?", (sha256,)
            ).fetchone()
        return None if row is None else (row[0], row[1])

    def load_chunks(self, sha256: str, chunking: ChunkingKey | None = None) -> list[Chunk]:
        """The document's chunks in index order: those made with ``chunking``, or (without
        it) the latest stored; ``[]`` when none."""
        found = self.find_chunks(sha256, chunking)
        return [] if found is None else found

    def find_chunks(self, sha256: str, chunking: ChunkingKey | None = None) -> list[Chunk] | None:
        """Like :meth:`load_chunks`, but ``None`` when no chunks were stored for it
        (``[]``: it was chunked into nothing, e.g. a document without text)."""
        with self._transaction(write=False) as conn:
            if chunking is None:
                row = conn.execute(LATEST_CHUNKING, (sha256,)).fetchone()
            else:
                row = conn.execute(
                    "SELECT id FROM chunkings WHERE sha256 = ? AND key = ?",
                    (sha256, chunking.key),
                ).fetchone()
            if row is None:
                return None
            rows = conn.execute(
                "SELECT * FROM chunks WHERE chunking = ? ORDER BY idx", (row[0],)
            ).fetchall()
        return [chunk_from_row(r) for r in rows]

    def chunkings(self, sha256: str) -> list[tuple[str, int]]:
        """The document's stored chunk sets, latest first: (configuration key, chunks)."""
        with self._transaction(write=False) as conn:
            rows = conn.execute(
                "SELECT k.key, (SELECT COUNT(*) FROM chunks c WHERE c.chunking = k.id) "
                "FROM chunkings k WHERE k.sha256 = ? ORDER BY k.chunked_at DESC, k.id DESC",
                (sha256,),
            ).fetchall()
        return [(r[0], int(r[1])) for r in rows]

    def find_documents(self, prefix: str) -> list[str]:
        """The stored sha256s that start with ``prefix`` (a hex prefix), sorted."""
        prefix = prefix.lower()
        if not prefix or any(c not in "0123456789abcdef" for c in prefix):
            return []
        with self._transaction(write=False) as conn:
            rows = conn.execute(
                "SELECT sha256 FROM documents WHERE substr(sha256, 1, ?) = ? ORDER BY sha256",
                (len(prefix), prefix),
            ).fetchall()
        return [r[0] for r in rows]

    def summary(self) -> list[DocumentSummary]:
        """Every stored document, oldest extraction first (what ``conductor show`` lists)."""
        with self._transaction(write=False) as conn:
            docs = conn.execute(
                "SELECT d.sha256, d.name, d.format, d.page_count, d.title, "
                "(SELECT COUNT(*) FROM chunks c WHERE c.chunking = "
                "(SELECT k.id FROM chunkings k WHERE k.sha256 = d.sha256 "
                "ORDER BY k.chunked_at DESC, k.id DESC LIMIT 1)) AS chunks, "
                "(SELECT COUNT(*) FROM pages p WHERE p.sha256 = d.sha256 AND p.needs_ocr) "
                "AS ocr_pages, d.extractor, "
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
                ocr_pages=d["ocr_pages"],
                extractor=d["extractor"],
            )
            for d in docs
        ]

    # -- URLs -----------------------------------------------------------------------------

    def lookup_url(self, url: str) -> UrlRecord | None:
        """What is stored about ``url`` (for a conditional GET); ``None`` when unknown."""
        with self._transaction(write=False) as conn:
            row = conn.execute(
                f"SELECT {URL_COLUMNS} FROM sources WHERE url = ?", (url,)
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
            conn.execute(UPSERT_FAILURE, (key, url, stage, kind, message, now, now, next_retry_at))
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
                f"SELECT {FAILURE_COLUMNS} FROM failures ORDER BY first_failed_at, key"
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
            if write and self.read_only:
                raise DatabaseError(
                    "the database was opened read-only",
                    document=self.path,
                    hint="open it with Database(path) to write",
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


def _check_openable(path: str, read_only: bool) -> None:
    """Says what is wrong before SQLite does: its "unable to open database file" does
    not say whether the file, its directory or a permission is missing."""
    directory = os.path.dirname(os.path.abspath(path))
    problem = hint = None
    if os.path.isdir(path):
        problem, hint = "it is a directory", "give the path of a database file"
    elif not os.path.isdir(directory):
        problem = f"no such directory: {directory}"
        hint = "create the directory first, or give another path"
    elif read_only and not os.path.exists(path):
        problem, hint = "no such file", "run `conductor process` first, or give --db"
    if problem is not None:
        raise DatabaseError(f"cannot open the database: {problem}", document=path, hint=hint)


def _open_error(path: str, read_only: bool, error: sqlite3.Error) -> DatabaseError:
    """The error for a database that failed to open, saying why when the OS can."""
    text = str(error)
    if "not a database" in text:
        return DatabaseError(
            "cannot open the database: the file is not a database (not an SQLite file)",
            document=path,
            hint="give the path of a conductor database, or a new file",
        )
    directory = os.path.dirname(os.path.abspath(path)) or "."
    why = text
    try:
        # Repeat what SQLite tried with plain OS calls, for their errno.
        with open(path, "rb" if read_only or os.path.exists(path) else "ab"):
            pass
        if not read_only and not os.access(directory, os.W_OK):
            raise PermissionError(errno.EACCES, "Permission denied", directory)
        if not read_only and not os.access(path, os.W_OK):
            raise PermissionError(errno.EACCES, "Permission denied", path)
    except OSError as e:
        why = (e.strerror or str(e)).lower()
        if e.filename and os.fspath(e.filename) != path:
            why += f": {e.filename}"
    hint = (
        "check the permissions of the file and its directory (SQLite also writes "
        "journal files beside it)"
        if "permission" in why
        else None
    )
    return DatabaseError(f"cannot open the database: {why}", document=path, hint=hint)


def _check_ours(
    conn: sqlite3.Connection, path: str, known: list[Migration], read_only: bool
) -> None:
    """Refuses another application's database (tables but no ``schema_migrations``):
    migrating it would add our tables to it. Read-only, also a new or old one."""
    tables = {
        r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    }
    ours = "schema_migrations" in tables
    if tables and not ours:
        shown = ", ".join(sorted(tables)[:5]) + (", ..." if len(tables) > 5 else "")
        raise DatabaseError(
            f"not an engagic-conductor database: it holds other tables ({shown})",
            document=path,
            hint="give the path of a conductor database, or of a new file",
        )
    if not read_only:
        return
    if not tables:
        raise DatabaseError(
            "not an engagic-conductor database: it is empty",
            document=path,
            hint="run `conductor process` first, or give --db",
        )
    newest = known[-1].version if known else 0
    current = check_version(_schema_version(conn), newest, path)
    if current < newest:
        raise older_read_only_error(
            current, newest, path, how="`conductor process --db FILE` or Database(path)"
        )
