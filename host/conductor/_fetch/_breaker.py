"""Per-host circuit breakers.

closed --(``threshold`` consecutive failed documents)--> open --(cool-down)--> half-open:
one trial document is let through (others still fail fast) --success--> closed, or
--failure--> open again for another cool-down.

Only failures that say the host is unwell count (``download_failed``, ``timeout``); any
answer from the server (a document, 404, 403, an HTML page) is a success for the breaker.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from conductor._errors import CircuitOpenError

State = Literal["closed", "open", "half_open"]


@dataclass
class _Host:
    failures: int = 0
    open_until: float | None = None
    trial: bool = False


class CircuitBreaker:
    """Breakers for every host, created on first use."""

    def __init__(self, threshold: int, cooldown_s: float, *, clock: Callable[[], float]) -> None:
        self._threshold = threshold
        self._cooldown = cooldown_s
        self._clock = clock
        self._hosts: dict[str, _Host] = {}

    def state(self, host: str) -> State:
        h = self._hosts.get(host)
        if h is None or h.open_until is None:
            return "closed"
        if h.trial or self._clock() >= h.open_until:
            return "half_open"
        return "open"

    def before(self, host: str, url: str) -> bool:
        """Called before a document's first request. Returns True when this call is the
        half-open trial (pass it to :meth:`release` if it ends without an outcome).

        :raises CircuitOpenError: the circuit is open, or half-open with its trial in flight.
        """
        h = self._hosts.get(host)
        if h is None or h.open_until is None or self._threshold == 0:
            return False
        remaining = h.open_until - self._clock()
        if remaining > 0:
            err = CircuitOpenError(
                f"the circuit for {host} is open after {h.failures} consecutive failed "
                f"downloads; no request is sent until {_wall(remaining)} "
                f"(in {remaining:.1f} s)",
                document=url,
            )
            err.retry_after_s = remaining
            raise err
        if h.trial:
            err = CircuitOpenError(
                f"the circuit for {host} is half-open and its trial download is in flight",
                document=url,
            )
            err.retry_after_s = 0.0
            raise err
        h.trial = True
        return True

    def success(self, host: str) -> None:
        self._hosts.pop(host, None)

    def failure(self, host: str) -> None:
        if self._threshold == 0:
            return
        h = self._hosts.setdefault(host, _Host())
        h.failures += 1
        if h.trial or h.failures >= self._threshold:
            h.open_until = self._clock() + self._cooldown
            h.trial = False

    def release(self, host: str, trial: bool) -> None:
        """A document ended without an outcome (cancelled): give its trial back."""
        h = self._hosts.get(host)
        if trial and h is not None:
            h.trial = False


def _wall(remaining: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(time.time() + remaining))


__all__ = ["CircuitBreaker", "State"]
