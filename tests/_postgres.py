"""A real PostgreSQL for the store and queue tests: a fresh database per test.

The server is ``$CONDUCTOR_TEST_PG`` (a URL to a database the role may connect to; the
role needs CREATEDB), default the one scripts/setup.sh starts and creates:
postgresql://conductor:conductor@127.0.0.1:5432/conductor_test. Without a reachable
server a test skips visibly on a developer machine and fails under CI
(:func:`_metrics.missing_input`).
"""

from __future__ import annotations

import os
import time
import urllib.parse
import uuid
from collections.abc import Iterator

import psycopg
import pytest

from _metrics import missing_input

DEFAULT_URL = "postgresql://conductor:conductor@127.0.0.1:5432/conductor_test"


def server_url() -> str:
    """The URL tests create their databases through."""
    return os.environ.get("CONDUCTOR_TEST_PG", DEFAULT_URL)


def with_database(url: str, name: str) -> str:
    """``url`` pointing at the database ``name`` instead."""
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit(parts._replace(path=f"/{name}"))


@pytest.fixture
def pg_url() -> Iterator[str]:
    """The URL of a new, empty database, dropped after the test."""
    admin = server_url()
    name = f"conductor_t_{uuid.uuid4().hex[:12]}"
    try:
        with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'CREATE DATABASE "{name}"'.encode())
    except psycopg.OperationalError as e:
        missing_input(
            f"PostgreSQL is not reachable at {admin} ({str(e).strip().splitlines()[0]}); "
            "run scripts/setup.sh or set CONDUCTOR_TEST_PG"
        )
    try:
        yield with_database(admin, name)
    finally:
        _drop(admin, name)


def _drop(admin: str, name: str, attempts: int = 50) -> None:
    """Drops the test's database. FORCE ends our own sessions on it (a killed worker's
    pool), but not an autovacuum worker's, which runs as the superuser and refuses with
    InsufficientPrivilege (seen in CI after a test that wrote many rows): it finishes on
    its own within moments, so try again."""
    for attempt in range(attempts):
        try:
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'.encode())
            return
        except psycopg.errors.InsufficientPrivilege:
            if attempt == attempts - 1:
                raise
            time.sleep(0.2)


def table_counts(url: str, tables: tuple[str, ...]) -> dict[str, int]:
    """Rows per table, read with a connection of its own."""
    with psycopg.connect(url) as conn:
        out = {}
        for t in tables:
            row = conn.execute(f"SELECT COUNT(*) FROM {t}".encode()).fetchone()
            assert row is not None
            out[t] = int(row[0])
        return out
