"""The :class:`PostgresStore`: the :class:`Store` on PostgreSQL, for many processes on
many machines (psycopg 3 with a connection pool)."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from types import TracebackType
from typing import Any

import psycopg
import psycopg_pool
from psycopg.rows import dict_row

from conductor._db import ChunkingKey, DocumentSummary, FailureRecord, UrlRecord
from conductor._db import _database as sqlite
from conductor._db._migrate import newer_schema_error, older_read_only_error
from conductor._db._records import (
    UNKNOWN_CHUNKING,
    chunk_from_row,
    chunk_row,
    document_from_rows,
    document_row,
    page_row,
)
from conductor._errors import DatabaseError
from conductor._models import Chunk, Document

from ._migrate_pg import migrate, postgres_migrations, schema_version
from ._text import nul_safe
from ._urls import is_postgres_url, redact


def _pg(sql: str) -> str:
    """A statement of the SQLite store in psycopg's placeholders: ``?`` -> ``%s``, ``:name``
    -> ``%(name)s`` (the statements are the same SQL otherwise: one place for each)."""
    return re.sub(r":([a-z_][a-z0-9_]*)", r"%(\1)s", sql.replace("?", "%s"))


# The document row is upserted first in a save: its row lock, held to the commit, makes
# concurrent saves of one document (two workers, one document) run one after the other,
# so the replacement of its pages and chunks below never interleaves with another's.
_UPSERT_DOCUMENT = _pg(sqlite.UPSERT_DOCUMENT)
_PAGE_COLUMNS = (
    "sha256",
    "number",
    "text",
    "chars",
    "needs_ocr",
    "ocr_reason",
    "links",
    "ocr",
)  # the order of page_row
_UPSERT_PAGE = (
    f"INSERT INTO pages ({', '.join(_PAGE_COLUMNS)}) "
    f"VALUES ({', '.join('%s' for _ in _PAGE_COLUMNS)}) ON CONFLICT (sha256, number) DO UPDATE "
    "SET " + ", ".join(f"{c} = excluded.{c}" for c in _PAGE_COLUMNS[2:])
)
_INSERT_CHUNK = _pg(sqlite.INSERT_CHUNK)
_UPSERT_CHUNKING = (
    "INSERT INTO chunkings (sha256, key, max_tokens, overlap_tokens, encoding, "
    "respect_paragraphs, chunker, chunked_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s) "
    "ON CONFLICT (sha256, key) DO UPDATE SET chunked_at = excluded.chunked_at RETURNING id"
)
_LATEST_CHUNKING = _pg(sqlite.LATEST_CHUNKING)
_UPSERT_SOURCE = _pg(sqlite.UPSERT_SOURCE)
_UPSERT_FAILURE = _pg(sqlite.UPSERT_FAILURE) + " RETURNING attempts"
_URL_COLUMNS = sqlite.URL_COLUMNS
_FAILURE_COLUMNS = sqlite.FAILURE_COLUMNS
_SUMMARY = (
    "SELECT d.sha256, d.name, d.format, d.page_count, d.title, "
    "(SELECT COUNT(*) FROM chunks c WHERE c.chunking = "
    "(SELECT k.id FROM chunkings k WHERE k.sha256 = d.sha256 "
    "ORDER BY k.chunked_at DESC, k.id DESC LIMIT 1)) AS chunks, "
    "(SELECT COUNT(*) FROM pages p WHERE p.sha256 = d.sha256 AND p.needs_ocr = 1) "
    "AS ocr_pages, d.extractor, d.extracted_at, "
    "(SELECT array_agg(s.url ORDER BY s.url) FROM sources s WHERE s.sha256 = d.sha256) "
    "AS urls, (SELECT MAX(s.fetched_at) FROM sources s WHERE s.sha256 = d.sha256) AS fetched "
    "FROM documents d ORDER BY d.extracted_at, d.sha256"
)

Conn = psycopg.Connection[Any]


class PostgresStore:
    """The store in a PostgreSQL database, shared by any number of processes and machines.

    The same tables and meaning as the SQLite :class:`conductor._db.Database` (the
    PostgreSQL dialect of the same migrations, applied under an advisory lock when
    opened). Every write is an ``ON CONFLICT`` upsert inside one transaction that first
    locks the document's row, so two workers saving the same document store it once.

    Threads: a connection pool (``max_connections``); each call borrows one connection
    for one transaction.

    :param url: ``postgresql://user:password@host:port/dbname`` (any libpq URL).
    :param read_only: for ``conductor show``: nothing is migrated or written (every
        transaction is read-only); the schema must be up to date.
    :param max_connections: the pool's size.
    :param connect_timeout_s: how long to wait for the server when opening.
    :raises DatabaseError: the server cannot be reached or refuses the login, the
        database is another application's, its schema is newer than this code knows (or,
        read-only, older), or a migration failed.
    """

    def __init__(
        self,
        url: str,
        *,
        read_only: bool = False,
        max_connections: int = 8,
        connect_timeout_s: float = 10.0,
    ) -> None:
        self.url = url
        self.path = redact(url)
        self.read_only = read_only
        self._lock = threading.Lock()
        known = postgres_migrations()
        newest = known[-1].version if known else 0
        timeout = max(1, round(connect_timeout_s))
        options = "-c default_transaction_read_only=on" if read_only else ""
        try:
            with psycopg.connect(
                url, autocommit=True, connect_timeout=timeout, options=options
            ) as conn:
                if read_only:
                    current = schema_version(conn)
                    if current != newest:
                        raise _version_error(current, newest, self.path)
                else:
                    migrate(conn, known, where=self.path)
        except psycopg.Error as e:
            raise DatabaseError(
                f"cannot open the PostgreSQL database: {_first_line(e)}",
                document=self.path,
                hint="check the URL, that the server runs and accepts this user "
                "(pg_hba.conf), and that the database exists",
            ) from e
        kwargs: dict[str, Any] = {"connect_timeout": timeout}
        if read_only:
            kwargs["options"] = options
        self._pool: psycopg_pool.ConnectionPool[Conn] | None = psycopg_pool.ConnectionPool(
            url,
            min_size=1,
            max_size=max(1, max_connections),
            kwargs=kwargs,
            timeout=connect_timeout_s,
            open=True,
            name="conductor-store",
            configure=nul_safe,
        )

    def close(self) -> None:
        """Closes the pool; later calls raise :class:`DatabaseError`. Idempotent."""
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.close()

    def __enter__(self) -> PostgresStore:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"PostgresStore({self.path!r})"

    @property
    def schema_version(self) -> int:
        """The highest migration applied to the database."""
        with self._transaction() as conn:
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
        chunking: ChunkingKey | None = None,
        extractor: str | None = None,
    ) -> None:
        """See :meth:`conductor._db.Database.save_document`: the same rows, upserted."""
        sha = doc.sha256
        with self._transaction(write=True) as conn, conn.cursor() as cur:
            cur.execute(_UPSERT_DOCUMENT, document_row(doc, extracted_at, extractor))
            old = cur.execute(
                "SELECT text FROM pages WHERE sha256 = %s ORDER BY number", (sha,)
            ).fetchall()
            if [r[0] for r in old] != [p.text for p in doc.pages]:
                cur.execute("DELETE FROM chunkings WHERE sha256 = %s", (sha,))
            numbers = [p.number for p in doc.pages]
            cur.execute(
                "DELETE FROM pages WHERE sha256 = %s AND NOT (number = ANY(%s))", (sha, numbers)
            )
            if doc.pages:
                cur.executemany(_UPSERT_PAGE, [page_row(sha, p) for p in doc.pages])
            if chunks is not None:
                key = UNKNOWN_CHUNKING if chunking is None else chunking.key
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
                row = cur.execute(_UPSERT_CHUNKING, (sha, key, *settings, time.time())).fetchone()
                if row is None:  # RETURNING always returns the row
                    raise DatabaseError("the chunking row was not returned", document=self.path)
                chunking_id = int(row[0])
                cur.execute("DELETE FROM chunks WHERE chunking = %s", (chunking_id,))
                if chunks:
                    cur.executemany(_INSERT_CHUNK, [chunk_row(chunking_id, sha, c) for c in chunks])
            if url is not None:
                cur.execute(_UPSERT_SOURCE, (url, sha, source, etag, last_modified, fetched_at))

    def has_document(self, sha256: str) -> bool:
        """Whether a document with this sha256 is stored."""
        with self._transaction() as conn:
            row = conn.execute("SELECT 1 FROM documents WHERE sha256 = %s", (sha256,))
            return row.fetchone() is not None

    def load_document(self, sha256: str) -> Document | None:
        """The stored document, equal to the one saved last; ``None`` when not stored."""
        with self._transaction() as conn, conn.cursor(row_factory=dict_row) as cur:
            row = cur.execute("SELECT * FROM documents WHERE sha256 = %s", (sha256,)).fetchone()
            if row is None:
                return None
            pages = cur.execute(
                "SELECT * FROM pages WHERE sha256 = %s ORDER BY number", (sha256,)
            ).fetchall()
        return document_from_rows(row, list(pages))

    def document_origin(self, sha256: str) -> tuple[str, str | None] | None:
        """(format, extractor) of the stored document; ``None`` when not stored."""
        with self._transaction() as conn:
            row = conn.execute(
                "SELECT format, extractor FROM documents WHERE sha256 = %s", (sha256,)
            ).fetchone()
        return None if row is None else (row[0], row[1])

    def load_chunks(self, sha256: str, chunking: ChunkingKey | None = None) -> list[Chunk]:
        """The chunks made with ``chunking`` (default: the latest stored); ``[]`` when none."""
        found = self.find_chunks(sha256, chunking)
        return [] if found is None else found

    def find_chunks(self, sha256: str, chunking: ChunkingKey | None = None) -> list[Chunk] | None:
        """Like :meth:`load_chunks`, but ``None`` when no chunks were stored for it."""
        with self._transaction() as conn, conn.cursor(row_factory=dict_row) as cur:
            if chunking is None:
                row = cur.execute(_LATEST_CHUNKING, (sha256,)).fetchone()
            else:
                row = cur.execute(
                    "SELECT id FROM chunkings WHERE sha256 = %s AND key = %s",
                    (sha256, chunking.key),
                ).fetchone()
            if row is None:
                return None
            rows = cur.execute(
                "SELECT * FROM chunks WHERE chunking = %s ORDER BY idx", (row["id"],)
            ).fetchall()
        return [chunk_from_row(r) for r in rows]

    def chunkings(self, sha256: str) -> list[tuple[str, int]]:
        """The document's stored chunk sets, latest first: (configuration key, chunks)."""
        with self._transaction() as conn:
            rows = conn.execute(
                "SELECT k.key, (SELECT COUNT(*) FROM chunks c WHERE c.chunking = k.id) "
                "FROM chunkings k WHERE k.sha256 = %s ORDER BY k.chunked_at DESC, k.id DESC",
                (sha256,),
            ).fetchall()
        return [(r[0], int(r[1])) for r in rows]

    def find_documents(self, prefix: str) -> list[str]:
        """The stored sha256s that start with ``prefix`` (a hex prefix), sorted."""
        prefix = prefix.lower()
        if not prefix or any(c not in "0123456789abcdef" for c in prefix):
            return []
        with self._transaction() as conn:
            # hex only, so no LIKE wildcard can be in it
            rows = conn.execute(
                "SELECT sha256 FROM documents WHERE sha256 LIKE %s ORDER BY sha256",
                (prefix + "%",),
            ).fetchall()
        return [r[0] for r in rows]

    def summary(self) -> list[DocumentSummary]:
        """Every stored document, oldest extraction first (what ``conductor show`` lists)."""
        with self._transaction() as conn, conn.cursor(row_factory=dict_row) as cur:
            rows = cur.execute(_SUMMARY).fetchall()
        return [
            DocumentSummary(
                sha256=d["sha256"],
                name=d["name"],
                format=d["format"],
                page_count=d["page_count"],
                title=d["title"],
                chunks=int(d["chunks"]),
                urls=tuple(d["urls"] or ()),
                fetched_at=d["fetched"],
                extracted_at=d["extracted_at"],
                ocr_pages=int(d["ocr_pages"]),
                extractor=d["extractor"],
            )
            for d in rows
        ]

    # -- URLs -----------------------------------------------------------------------------

    def lookup_url(self, url: str) -> UrlRecord | None:
        """What is stored about ``url`` (for a conditional GET); ``None`` when unknown."""
        with self._transaction() as conn:
            row = conn.execute(
                f"SELECT {_URL_COLUMNS} FROM sources WHERE url = %s", (url,)
            ).fetchone()
        return None if row is None else UrlRecord(*row)

    def touch_url(self, url: str, *, fetched_at: float) -> None:
        """Records a fetch that changed nothing (``304 Not Modified``).

        :raises KeyError: ``url`` is not stored.
        """
        with self._transaction(write=True) as conn:
            cur = conn.execute(
                "UPDATE sources SET fetched_at = %s WHERE url = %s", (fetched_at, url)
            )
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
        """See :meth:`conductor._db.Database.record_failure`."""
        now = time.time() if failed_at is None else failed_at
        with self._transaction(write=True) as conn:
            row = conn.execute(
                _UPSERT_FAILURE, (key, url, stage, kind, message, now, now, next_retry_at)
            ).fetchone()
        return 1 if row is None else int(row[0])

    def clear_failure(self, key: str) -> None:
        """Forgets the failures of ``key`` (after it succeeded); nothing when none."""
        with self._transaction(write=True) as conn:
            conn.execute("DELETE FROM failures WHERE key = %s", (key,))

    def failures(self) -> list[FailureRecord]:
        """Every recorded failure, oldest first."""
        with self._transaction() as conn:
            rows = conn.execute(
                f"SELECT {_FAILURE_COLUMNS} FROM failures ORDER BY first_failed_at, key"
            ).fetchall()
        return [FailureRecord(*r) for r in rows]

    # -- plumbing -------------------------------------------------------------------------

    @contextmanager
    def connection(self) -> Iterator[Conn]:
        """A pooled connection in one transaction (committed when the block ends, rolled
        back on an exception), with psycopg errors wrapped into :class:`DatabaseError`."""
        with self._transaction(write=not self.read_only) as conn:
            yield conn

    @contextmanager
    def raw_connection(self) -> Iterator[Conn]:
        """A new connection outside the pool, in autocommit mode (for schema changes under
        an advisory lock), closed when the block ends."""
        try:
            with psycopg.connect(self.url, autocommit=True) as conn:
                yield conn
        except psycopg.Error as e:
            raise DatabaseError(f"PostgreSQL: {_first_line(e)}", document=self.path) from e

    @contextmanager
    def _transaction(self, *, write: bool = False) -> Iterator[Conn]:
        pool = self._pool
        if pool is None:
            raise DatabaseError(
                "the database is closed", document=self.path, hint="open a new PostgresStore"
            )
        if write and self.read_only:
            raise DatabaseError(
                "the database was opened read-only",
                document=self.path,
                hint="open it with PostgresStore(url) to write",
            )
        try:
            with pool.connection() as conn:
                yield conn
        except (psycopg.Error, psycopg_pool.PoolTimeout) as e:
            raise DatabaseError(f"PostgreSQL: {_first_line(e)}", document=self.path) from e


def _first_line(error: Exception) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def _version_error(current: int, newest: int, where: str) -> DatabaseError:
    if current > newest:
        return newer_schema_error(current, newest, where)
    if current == 0:
        return DatabaseError(
            "not an engagic-conductor database: it has no conductor schema",
            document=where,
            hint="run `conductor process --db URL` first",
        )
    return older_read_only_error(current, newest, where, how="`conductor process --db URL`")


__all__ = ["PostgresStore", "is_postgres_url", "redact"]
