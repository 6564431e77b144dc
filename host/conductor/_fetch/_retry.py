"""Retry policy: what is retried, how long to wait, and ``Retry-After`` parsing."""

from __future__ import annotations

import random
import time
from email.utils import parsedate_to_datetime

import httpx

RETRYABLE_ERRORS: tuple[type[Exception], ...] = (
    httpx.TimeoutException,
    httpx.NetworkError,
    httpx.RemoteProtocolError,
)
"""Transport failures worth another attempt: timeouts, connect errors, resets, a peer that
closed before the whole body (httpx raises RemoteProtocolError for a short body)."""


def is_retryable_status(status: int) -> bool:
    """429 Too Many Requests and every 5xx."""
    return status == 429 or 500 <= status <= 599


def backoff_delay(
    retry: int, base_s: float, max_s: float, rand: random.Random | None = None
) -> float:
    """Full jitter: ``uniform(0, min(max_s, base_s * 2**retry))`` for retry ``0, 1, ...``."""
    ceiling = min(max_s, base_s * 2.0 ** min(retry, 62))
    return (rand or random).uniform(0.0, ceiling)


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` value (delta-seconds or an HTTP date), or
    None when absent or unparseable. Dates in the past give 0."""
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            return None
        seconds = when.timestamp() - (time.time() if now is None else now)
    if seconds != seconds:  # NaN
        return None
    return max(0.0, seconds)


__all__ = ["RETRYABLE_ERRORS", "backoff_delay", "is_retryable_status", "parse_retry_after"]
