"""The PostgreSQL migration runner: the same numbered migrations as SQLite's, in their
PostgreSQL dialect (``conductor/_migrations/postgres``), applied under an advisory lock.

Every version has a file in both directories (a test checks the names match), so a
schema version means the same tables whichever store holds them. Many workers may open
a new database at once: each takes ``pg_advisory_lock`` before reading the version, so
one applies the files and the others find them applied. Each file runs in its own
transaction (PostgreSQL DDL is transactional): a failing file is rolled back whole.
"""

from __future__ import annotations

import time
from importlib.resources.abc import Traversable

import psycopg

from conductor._db import Migration, load_migrations
from conductor._db._migrate import check_version, default_migrations
from conductor._errors import DatabaseError

MIGRATION_LOCK = 0x636F6E64_75637430
"""The advisory lock key (``"conductor0"`` in hex, as a bigint) held while migrating."""

_TABLE = (
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    "version INTEGER PRIMARY KEY NOT NULL, applied_at DOUBLE PRECISION NOT NULL)"
)


def postgres_migrations() -> list[Migration]:
    """The shipped PostgreSQL migrations, sorted by version."""
    root: Traversable = default_migrations().joinpath("postgres")
    return load_migrations(root)


def schema_version(conn: psycopg.Connection[tuple[object, ...]]) -> int:
    """The highest applied version, 0 without ``schema_migrations``."""
    row = conn.execute("SELECT to_regclass('schema_migrations') IS NOT NULL").fetchone()
    if row is None or not row[0]:
        return 0
    got = conn.execute("SELECT COALESCE(MAX(version), 0) FROM schema_migrations").fetchone()
    return 0 if got is None else int(str(got[0]))


def foreign_tables(conn: psycopg.Connection[tuple[object, ...]]) -> list[str]:
    """Tables in the connection's schema that neither conductor nor procrastinate made:
    a database holding them (and no ``schema_migrations``) is another application's."""
    rows = conn.execute(
        "SELECT table_name FROM information_schema.tables "
        "WHERE table_schema = current_schema() AND table_name NOT LIKE 'procrastinate%' "
        "AND table_name NOT LIKE 'conductor%' ORDER BY table_name"
    ).fetchall()
    return [str(r[0]) for r in rows]


def migrate(
    conn: psycopg.Connection[tuple[object, ...]], migrations: list[Migration], *, where: str
) -> int:
    """Applies every migration above the database's version under the advisory lock and
    returns the version reached. ``conn`` must be in autocommit mode.

    :raises DatabaseError: the database is another application's, its version is newer
        than the newest migration, or a migration failed (rolled back).
    """
    known = migrations[-1].version if migrations else 0
    conn.execute("SELECT pg_advisory_lock(%s)", (MIGRATION_LOCK,))
    try:
        current = check_version(schema_version(conn), known, where)
        if current == 0:
            others = foreign_tables(conn)
            if others and "schema_migrations" not in others:
                shown = ", ".join(others[:5]) + (", ..." if len(others) > 5 else "")
                raise DatabaseError(
                    f"not an engagic-conductor database: it holds other tables ({shown})",
                    document=where,
                    hint="give the URL of a conductor database, or of a new one",
                )
        conn.execute(_TABLE)
        for migration in migrations:
            if migration.version <= current:
                continue
            try:
                with conn.transaction():
                    # no parameters: psycopg sends the file as one multi-statement query
                    conn.execute(migration.sql.encode())
                    conn.execute(
                        "INSERT INTO schema_migrations (version, applied_at) VALUES (%s, %s)",
                        (migration.version, time.time()),
                    )
            except psycopg.Error as e:
                raise DatabaseError(
                    f"migration postgres/{migration.name} failed and was rolled back: {e}",
                    document=where,
                ) from e
            current = migration.version
        return current
    finally:
        conn.execute("SELECT pg_advisory_unlock(%s)", (MIGRATION_LOCK,))


__all__ = ["MIGRATION_LOCK", "migrate", "postgres_migrations", "schema_version"]
