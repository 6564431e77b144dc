"""Opening a store by its name: a ``postgresql://`` URL or a SQLite file path."""

from __future__ import annotations

import os

from conductor._db import Database

from ._protocol import Store
from ._urls import is_postgres_url


def open_store(target: str | os.PathLike[str], *, read_only: bool = False) -> Store:
    """The store ``target`` names: a :class:`PostgresStore` for a ``postgresql://`` (or
    ``postgres://``) URL, else the SQLite :class:`Database` file at that path.

    :param read_only: open for reading only (``conductor show``).
    :raises DatabaseError: the store cannot be opened (see each implementation).
    """
    if is_postgres_url(target):
        assert isinstance(target, str)
        # Imported here: psycopg loads only for a PostgreSQL store.
        from ._postgres import PostgresStore

        return PostgresStore(target, read_only=read_only)
    return Database(target, read_only=read_only)


__all__ = ["open_store"]
