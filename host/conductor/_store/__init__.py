"""Where batches are stored: the :class:`Store` protocol and its two implementations,
the embedded SQLite :class:`conductor._db.Database` (the default, one file) and
:class:`PostgresStore` (one database for many processes and machines, and the home of
the job queue, :mod:`conductor._queue`).

``_protocol`` holds :class:`Store`, ``_postgres`` the PostgreSQL implementation,
``_migrate_pg`` its migration runner (the files in ``conductor/_migrations/postgres``,
one per SQLite migration), ``_open`` :func:`open_store`, which picks one by name.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._open import open_store
from ._protocol import Store
from ._urls import is_postgres_url, redact

if TYPE_CHECKING:
    from ._postgres import PostgresStore


def __getattr__(name: str) -> Any:
    """``PostgresStore`` on first use: psycopg loads only when PostgreSQL is used."""
    if name == "PostgresStore":
        from ._postgres import PostgresStore

        return PostgresStore
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["PostgresStore", "Store", "is_postgres_url", "open_store", "redact"]
