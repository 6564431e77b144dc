"""Per-host rate limiting: a token bucket with a burst of one (requests to one host are
spaced at least ``1 / rate`` seconds apart), shared by every request, retries included."""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable


class RateLimiter:
    """Hands out send times per host. Reservation-based, so concurrent callers for one host
    queue in call order without a lock (nothing awaits between reading and booking a slot);
    a caller cancelled while waiting leaves its slot unused, which only ever slows a host
    down, never speeds it up."""

    def __init__(
        self,
        rate_for: Callable[[str], float],
        *,
        clock: Callable[[], float],
        sleep: Callable[[float], Awaitable[object]],
    ) -> None:
        self._rate_for = rate_for
        self._clock = clock
        self._sleep = sleep
        self._next: dict[str, float] = {}

    async def acquire(self, host: str) -> float:
        """Waits until a request to ``host`` may be sent; returns the seconds waited."""
        rate = self._rate_for(host)
        if math.isinf(rate):
            return 0.0
        now = self._clock()
        slot = max(now, self._next.get(host, now))
        self._next[host] = slot + 1.0 / rate
        wait = slot - now
        if wait > 0:
            await self._sleep(wait)
        return wait

    def defer(self, host: str, seconds: float) -> None:
        """No request to ``host`` before ``seconds`` from now (a ``Retry-After``)."""
        until = self._clock() + seconds
        self._next[host] = max(self._next.get(host, until), until)


__all__ = ["RateLimiter"]
