"""procrastinate's schema beside the store's tables, created once per database under the
store's migration lock (conductor's own queue tables are migration 0004)."""

from __future__ import annotations

from typing import Any

import psycopg
from procrastinate.schema import SchemaManager

from conductor._store._migrate_pg import MIGRATION_LOCK


def ensure_queue_schema(conn: psycopg.Connection[Any]) -> None:
    """Creates procrastinate's schema when ``procrastinate_jobs`` is missing, under the
    advisory lock every migration takes, so workers starting together on a new database
    create it once. ``conn`` must be in autocommit mode."""
    conn.execute("SELECT pg_advisory_lock(%s)", (MIGRATION_LOCK,))
    try:
        row = conn.execute("SELECT to_regclass('procrastinate_jobs') IS NULL").fetchone()
        if row is not None and row[0]:
            with conn.transaction():
                conn.execute(SchemaManager.get_schema().encode())
    finally:
        conn.execute("SELECT pg_advisory_unlock(%s)", (MIGRATION_LOCK,))


__all__ = ["ensure_queue_schema"]
