"""The two databases the job tables live in, behind one small interface: a transaction
yielding a connection whose ``execute`` takes ``?`` placeholders (SQLite's), and the
clause that locks a row read before it is updated (PostgreSQL's ``FOR UPDATE``; SQLite
has one writer at a time anyway)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import Any, Protocol

import psycopg

from conductor._db import Database
from conductor._errors import DatabaseError
from conductor._store import PostgresStore


class Conn(Protocol):
    """What the job store calls on a connection (sqlite3's shape)."""

    def execute(self, sql: str, params: Sequence[Any] = (), /) -> Any: ...

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]], /) -> Any: ...


class Tables(Protocol):
    path: str
    lock_row: str

    def transaction(self, *, write: bool) -> AbstractContextManager[Conn]: ...

    def close(self) -> None: ...


class SqliteTables:
    """The pipeline's own :class:`Database`: its connection, its lock and its
    transactions (``BEGIN IMMEDIATE`` to write), so the job tables and the documents are
    written through one connection, one transaction at a time."""

    lock_row = ""

    def __init__(self, database: Database) -> None:
        self.database = database
        self.path = database.path

    def close(self) -> None:
        """Nothing: the database's owner closes it."""

    def transaction(self, *, write: bool) -> AbstractContextManager[Conn]:
        return self.database._transaction(write=write)


class _Postgres:
    """A psycopg connection taking ``?`` placeholders (none of the job store's SQL has a
    literal ``?`` or ``%``)."""

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self._conn = conn

    def execute(self, sql: str, params: Sequence[Any] = (), /) -> Any:
        return self._conn.execute(sql.replace("?", "%s").encode(), params)

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]], /) -> Any:
        with self._conn.cursor() as cur:
            cur.executemany(sql.replace("?", "%s").encode(), rows)


class PostgresTables:
    """The connection pool of the :class:`PostgresStore` the jobs share a database with."""

    lock_row = " FOR UPDATE"

    def __init__(self, store: PostgresStore) -> None:
        self.store = store
        self.path = store.path  # the URL without its password

    def close(self) -> None:
        """Nothing: the store's owner closes it."""

    @contextmanager
    def transaction(self, *, write: bool) -> Iterator[Conn]:
        try:
            with self.store.connection() as conn, conn.transaction():
                yield _Postgres(conn)
        except psycopg.Error as e:
            raise DatabaseError(f"PostgreSQL: {e}", document=self.path) from e
