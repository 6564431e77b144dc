"""Per-host politeness for the whole cluster: one row per host in PostgreSQL."""

from __future__ import annotations

import asyncio
import math

import psycopg

from conductor._errors import DatabaseError
from conductor._store import redact

# One statement books the next slot for the host and returns how long to wait for it:
# the row lock serializes concurrent bookings from every worker on every machine, and
# PostgreSQL's clock is the only clock involved, so machines' clocks may disagree.
_BOOK = (
    "INSERT INTO conductor_host_slots AS s (host, next_at) "
    "VALUES (%(host)s, extract(epoch FROM clock_timestamp()) + %(interval)s) "
    "ON CONFLICT (host) DO UPDATE SET next_at = "
    "GREATEST(s.next_at, extract(epoch FROM clock_timestamp())) + %(interval)s "
    "RETURNING next_at - %(interval)s - extract(epoch FROM clock_timestamp())"
)


class ClusterRateLimiter:
    """Spaces requests to one host at least ``1 / rate`` seconds apart across every
    worker sharing the database (a token bucket with a burst of one, as the local
    :class:`conductor._fetch._limiter.RateLimiter`, with its state in
    ``conductor_host_slots``, migration 0004). A booked slot is used or lost: a worker
    that dies after booking only slows the host down, never speeds it up.

    :param url: the PostgreSQL database (the queue's).
    :param rate: requests per second per host; ``math.inf`` turns the limit off.
    """

    def __init__(self, url: str, rate: float) -> None:
        self.url = url
        self.rate = rate
        self._conn: psycopg.AsyncConnection[tuple[float]] | None = None
        self._lock = asyncio.Lock()

    async def acquire(self, host: str) -> float:
        """Waits until a request to ``host`` may start; returns the seconds waited.

        :raises DatabaseError: the database cannot be reached.
        """
        if math.isinf(self.rate):
            return 0.0
        try:
            async with self._lock:  # one connection, one booking at a time
                if self._conn is None or self._conn.closed:
                    self._conn = await psycopg.AsyncConnection.connect(self.url, autocommit=True)
                cur = await self._conn.execute(_BOOK, {"host": host, "interval": 1.0 / self.rate})
                row = await cur.fetchone()
        except psycopg.Error as e:
            raise DatabaseError(
                f"PostgreSQL (rate limit): {str(e).strip()}", document=redact(self.url)
            ) from e
        wait = 0.0 if row is None else max(0.0, float(row[0]))
        if wait > 0:
            await asyncio.sleep(wait)
        return wait

    async def aclose(self) -> None:
        """Closes the connection."""
        if self._conn is not None:
            await self._conn.close()
            self._conn = None


__all__ = ["ClusterRateLimiter"]
