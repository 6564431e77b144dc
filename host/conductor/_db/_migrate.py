"""The schema migration runner: numbered ``.sql`` files, applied in order, once each.

A migration is a file ``NNNN_name.sql`` (``0001_init.sql``) in the migrations directory,
``conductor/_migrations`` unless another is given. Versions are 1, 2, 3, ... with no gaps
or repeats. The runner keeps ``schema_migrations(version, applied_at)`` and, under one
write lock (``BEGIN IMMEDIATE``, so two processes opening a new database cannot both apply
a file), applies each file not yet recorded, each in its own transaction: a failing file
is rolled back whole and leaves the database at the version before it. A database whose
version is above the newest file is refused: this code does not know its schema.

The files run with ``PRAGMA foreign_keys = ON`` (a pragma that cannot change inside a
transaction), so a future migration that rebuilds a referenced table must drop and
recreate in an order the foreign keys allow.
"""

from __future__ import annotations

import os
import re
import sqlite3
import time
from dataclasses import dataclass
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path

from conductor._errors import DatabaseError

MigrationsDir = Traversable | str | os.PathLike[str]
"""Where migrations are read from: a directory path, or a package resource directory."""

_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


@dataclass(frozen=True)
class Migration:
    """One numbered migration file."""

    version: int
    name: str
    sql: str


def default_migrations() -> Traversable:
    """The migrations shipped with the package (``conductor/_migrations``)."""
    return files("conductor").joinpath("_migrations")


def load_migrations(directory: MigrationsDir | None = None) -> list[Migration]:
    """The migrations in ``directory`` (default: the package's), sorted by version.

    :raises DatabaseError: a ``.sql`` file whose name is not ``NNNN_name.sql``, a version
        that repeats, or versions that are not 1, 2, 3, ... without gaps.
    """
    root = default_migrations() if directory is None else directory
    if not isinstance(root, Traversable):
        root = Path(root)
    where = str(root)
    if not root.is_dir():
        raise DatabaseError("migrations directory not found", document=where)
    found: dict[int, Migration] = {}
    for entry in root.iterdir():
        if not entry.name.endswith(".sql"):
            continue
        match = _NAME.match(entry.name)
        if match is None:
            raise DatabaseError(
                f"migration file {entry.name!r} is not named NNNN_name.sql", document=where
            )
        version = int(match.group(1))
        if version in found:
            raise DatabaseError(
                f"migrations {found[version].name!r} and {entry.name!r} share version {version}",
                document=where,
            )
        found[version] = Migration(version, entry.name, entry.read_text(encoding="utf-8"))
    versions = sorted(found)
    if versions != list(range(1, len(versions) + 1)):
        raise DatabaseError(
            f"migration versions must be 1, 2, 3, ... without gaps, found {versions}",
            document=where,
        )
    return [found[v] for v in versions]


def statements(sql: str) -> list[str]:
    """``sql`` split into complete statements (semicolons inside strings, comments and
    trigger bodies do not split), so a file can run statement by statement inside one
    transaction; ``executescript`` would commit the open transaction first (Python 3.11).
    Pieces that are only comments are dropped; an unterminated last statement is kept
    (with a ``;``) for SQLite to report."""
    out: list[str] = []
    buf = ""
    for part in sql.split(";"):
        buf += part + ";"
        if sqlite3.complete_statement(buf):
            out.append(buf.strip())
            buf = ""
    if buf.strip():
        out.append(buf.strip())
    return [s for s in out if not _only_comments(s.rstrip(";"))]


def _only_comments(sql: str) -> bool:
    without = re.sub(r"--[^\n]*|/\*.*?\*/", "", sql, flags=re.DOTALL)
    return not without.strip()


def schema_version(conn: sqlite3.Connection) -> int:
    """The highest applied version, 0 for a database without ``schema_migrations``."""
    exists = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'"
    ).fetchone()
    if exists is None:
        return 0
    row = conn.execute("SELECT COALESCE(MAX(version), 0) FROM schema_migrations").fetchone()
    return int(row[0])


def migrate(conn: sqlite3.Connection, migrations: list[Migration], *, where: str) -> int:
    """Applies every migration above the database's version, each in its own transaction,
    and returns the version reached. An up-to-date database is only read (no write lock).
    ``conn`` must be in autocommit mode (``isolation_level=None``) with no transaction
    open; ``where`` names the database in errors.

    :raises DatabaseError: the database's version is newer than the newest migration, or a
        migration failed (that migration is rolled back; earlier ones stay applied).
    """
    known = migrations[-1].version if migrations else 0
    current = check_version(schema_version(conn), known, where)
    for migration in migrations:
        if migration.version <= current:
            continue
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                "version INTEGER PRIMARY KEY NOT NULL, applied_at REAL NOT NULL)"
            )
            # Another process may have migrated since the read above.
            if migration.version > check_version(schema_version(conn), known, where):
                _apply(conn, migration, where)
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
        current = schema_version(conn)
    return current


def check_version(current: int, known: int, where: str) -> int:
    """``current``, unless it is newer than ``known`` (refused)."""
    if current > known:
        raise newer_schema_error(current, known, where)
    return current


def older_read_only_error(current: int, known: int, where: str, *, how: str) -> DatabaseError:
    """A database one migration or more behind, opened read-only (so not upgraded);
    ``how`` says how to open it for writing with this store."""
    return DatabaseError(
        f"the database's schema version is {current}, older than this "
        f"engagic-conductor's ({known}), and it was opened read-only",
        document=where,
        hint=f"open it once for writing to upgrade it ({how})",
    )


def newer_schema_error(current: int, known: int, where: str) -> DatabaseError:
    """A database written by a newer engagic-conductor (either store: one message)."""
    return DatabaseError(
        f"the database's schema version is {current}, newer than the newest this "
        f"engagic-conductor knows ({known})",
        document=where,
        hint="open it with the newer engagic-conductor that wrote it, or use another database file",
    )


def _apply(conn: sqlite3.Connection, migration: Migration, where: str) -> None:
    try:
        for statement in statements(migration.sql):
            conn.execute(statement)
    except sqlite3.Error as e:
        raise DatabaseError(
            f"migration {migration.name} failed and was rolled back: {e}", document=where
        ) from e
    conn.execute(
        "INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)",
        (migration.version, time.time()),
    )
