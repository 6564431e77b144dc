"""NUL-safe text for PostgreSQL: its ``text`` type cannot hold U+0000, documents can.

A page's text may contain NUL (a PDF's text layer says what it says), and the SQLite store
keeps it. So that the PostgreSQL store returns exactly what it was given, every string
sent on the store's connections that contains NUL, or starts with the marker below, is
sent as the marker followed by its JSON encoding (NUL becomes ``\\u0000``), and every
``text`` value read that starts with the marker is decoded back. Other strings, nearly
all of them, pass unchanged, so the tables stay readable with plain SQL.
"""

from __future__ import annotations

import json
from typing import Any

from psycopg.adapt import Buffer
from psycopg.types.string import StrBinaryDumper, StrDumperUnknown, TextLoader

MARK = "\ufdd0"
"""A Unicode noncharacter (never in interchanged text) that marks an encoded string."""


def encode(text: str) -> str:
    """``text`` as PostgreSQL can store it (see the module's docstring)."""
    if "\x00" in text or text.startswith(MARK):
        return MARK + json.dumps(text)
    return text


def decode(text: str) -> str:
    """The inverse of :func:`encode`."""
    if text.startswith(MARK):
        decoded = json.loads(text[len(MARK) :])
        if isinstance(decoded, str):
            return decoded
    return text


class _Dumper(StrDumperUnknown):
    def dump(self, obj: str) -> Buffer | None:
        return super().dump(encode(obj))


class _BinaryDumper(StrBinaryDumper):
    def dump(self, obj: str) -> Buffer | None:
        return super().dump(encode(obj))


class _Loader(TextLoader):
    def load(self, data: Buffer) -> bytes | str:
        value = super().load(data)
        return decode(value) if isinstance(value, str) else value


def nul_safe(conn: Any) -> None:
    """Makes ``conn`` (a psycopg connection) send and read strings NUL-safely: the pool's
    ``configure`` callback."""
    conn.adapters.register_dumper(str, _BinaryDumper)
    conn.adapters.register_dumper(str, _Dumper)
    conn.adapters.register_loader("text", _Loader)


__all__ = ["MARK", "decode", "encode", "nul_safe"]
