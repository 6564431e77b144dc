"""Telling a PostgreSQL URL from a SQLite path, and hiding its password: kept apart from
:mod:`._postgres` so that deciding which store to open does not import psycopg (80 ms of
every ``conductor`` command's start)."""

from __future__ import annotations

import urllib.parse


def is_postgres_url(target: object) -> bool:
    """Whether ``target`` names a PostgreSQL database (``postgresql://`` or
    ``postgres://``) rather than a SQLite file."""
    return isinstance(target, str) and target.startswith(("postgresql://", "postgres://"))


def redact(url: str) -> str:
    """``url`` without its password, for messages and logs (a file path: as it is)."""
    if not is_postgres_url(url):
        return url
    parts = urllib.parse.urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)
    user = netloc[0].split(":", 1)[0]
    return urllib.parse.urlunsplit(parts._replace(netloc=f"{user}:***@{netloc[1]}"))
