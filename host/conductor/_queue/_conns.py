"""Per-host connection cap for the whole cluster: PostgreSQL advisory locks.

A request to a host holds one of the host's ``per_host`` slots; slot ``i`` of host ``h``
is the session-level advisory lock ``(hashtext('conductor-host:' || h), i)``. A lock
belongs to the worker's database session, so a worker that is killed (or whose machine
is gone) frees its slots the moment PostgreSQL sees its connection close: there is no
lease to expire and nothing to clean up.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import psycopg

from conductor._errors import DatabaseError
from conductor._store import redact

_KEY = "conductor-host:"
"""Prefix of the hashed host: the two-int advisory key space is shared with any other
user of the database, the prefix keeps conductor's keys apart from theirs."""
_TAKE = "SELECT pg_try_advisory_lock(hashtext(%s), %s)"
_GIVE = "SELECT pg_advisory_unlock(hashtext(%s), %s)"

POLL_S = 0.05
"""How often a request waiting for a slot tries again (one small query per try)."""


class ClusterConnectionCap:
    """At most ``per_host`` requests in flight to one host across every worker sharing
    the database.

    Session advisory locks are re-entrant within a session, so the slots this process
    holds are also tracked here: two requests of one worker never share a slot.

    :param url: the PostgreSQL database (the queue's).
    :param per_host: requests in flight to one host, for all workers together.
    """

    def __init__(self, url: str, per_host: int) -> None:
        if per_host < 1:
            raise ValueError(f"per_host must be at least 1, got {per_host}")
        self.url = url
        self.per_host = per_host
        self._conn: psycopg.AsyncConnection[tuple[bool]] | None = None
        self._lock = asyncio.Lock()
        self._held: set[tuple[str, int]] = set()

    @contextlib.asynccontextmanager
    async def hold(self, host: str) -> AsyncIterator[int]:
        """Holds a slot of ``host`` (waiting for one) for the ``async with`` block;
        yields the slot's number.

        :raises DatabaseError: the database cannot be reached.
        """
        slot = await self._take(host)
        try:
            yield slot
        finally:
            await self._give(host, slot)

    async def _take(self, host: str) -> int:
        while True:
            async with self._lock:  # one connection: one statement at a time
                for slot in range(self.per_host):
                    if (host, slot) in self._held:
                        continue
                    if await self._try(_TAKE, host, slot):
                        self._held.add((host, slot))
                        return slot
            await asyncio.sleep(POLL_S)

    async def _give(self, host: str, slot: int) -> None:
        async with self._lock:
            self._held.discard((host, slot))
            # a lost connection already freed every lock it held
            with contextlib.suppress(DatabaseError):
                await self._try(_GIVE, host, slot)

    async def _try(self, query: str, host: str, slot: int) -> bool:
        try:
            if self._conn is None or self._conn.closed:
                # a new session holds none of the old one's locks
                self._held.clear()
                self._conn = await psycopg.AsyncConnection.connect(self.url, autocommit=True)
            cur = await self._conn.execute(query, (_KEY + host, slot))
            row = await cur.fetchone()
        except psycopg.Error as e:
            raise DatabaseError(
                f"PostgreSQL (connection cap): {str(e).strip()}", document=redact(self.url)
            ) from e
        return bool(row is not None and row[0])

    async def aclose(self) -> None:
        """Closes the connection, which frees every slot still held."""
        if self._conn is not None:
            await self._conn.close()
            self._conn = None
        self._held.clear()


__all__ = ["ClusterConnectionCap"]
