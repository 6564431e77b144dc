"""API keys: read from ``--api-keys-file`` or ``$CONDUCTOR_API_KEYS``, kept and persisted
only as sha256 hashes, checked on every ``/v1`` request (``Authorization: Bearer KEY``)."""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Iterable
from pathlib import Path

from conductor._errors import ReadError

KEYS_ENV = "CONDUCTOR_API_KEYS"
"""Comma- or whitespace-separated API keys."""
SECRET_ENV = "CONDUCTOR_CALLBACK_SECRET"
"""The HMAC key that signs callbacks."""
MIN_KEY_LENGTH = 16


def key_hash(key: str) -> str:
    """What is stored of a key, and what a job's ``owner`` is."""
    return hashlib.sha256(key.encode()).hexdigest()


def read_keys(path: str | None, environ: dict[str, str] | None = None) -> list[str]:
    """The keys of ``path`` (one per line; blank lines and ``#`` comments skipped) and
    of ``$CONDUCTOR_API_KEYS``.

    :raises ReadError: the file cannot be read, or a key is shorter than 16 characters.
    """
    env = os.environ if environ is None else environ
    keys = env.get(KEYS_ENV, "").replace(",", " ").split()
    if path is not None:
        text = _read(path, "--api-keys-file")
        keys += [
            line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")
        ]
    short = [k for k in keys if len(k) < MIN_KEY_LENGTH]
    if short:
        raise ReadError(
            f"{len(short)} API key(s) shorter than {MIN_KEY_LENGTH} characters",
            document=path or KEYS_ENV,
            stage="serve",
            hint="use long random keys (python3 -c 'import secrets; print(secrets.token_hex(32))')",
        )
    return keys


def read_secret(path: str | None, environ: dict[str, str] | None = None) -> bytes | None:
    """The callback secret: ``--callback-secret-file`` (its content, stripped), else
    ``$CONDUCTOR_CALLBACK_SECRET``; ``None`` when neither is set."""
    env = os.environ if environ is None else environ
    if path is not None:
        secret = _read(path, "--callback-secret-file").strip()
    else:
        secret = env.get(SECRET_ENV, "").strip()
    return secret.encode() if secret else None


def _read(path: str, flag: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise ReadError(
            f"cannot read {flag} {path}: {getattr(e, 'strerror', None) or e}",
            document=path,
            stage="serve",
        ) from e


class KeyRing:
    """The accepted keys' hashes; :meth:`owner` answers a presented key."""

    def __init__(self, hashes: Iterable[str]) -> None:
        self._hashes = frozenset(hashes)

    def __len__(self) -> int:
        return len(self._hashes)

    def owner(self, presented: str) -> str | None:
        """The key's hash when it is accepted, else ``None``. Compared in constant time
        (the hash of a wrong key says nothing about a right one)."""
        digest = key_hash(presented)
        found = None
        for known in self._hashes:
            if hmac.compare_digest(known, digest):
                found = known
        return found
