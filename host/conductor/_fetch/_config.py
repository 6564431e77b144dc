"""The download configuration: one frozen dataclass, validated on construction."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

DEFAULT_USER_AGENT = "engagic-conductor/0.1 (+civic document pipeline)"


@dataclass(frozen=True)
class FetchConfig:
    """How documents are downloaded. Times are in seconds, rates in requests per second.

    Rate limits, connection caps and circuit breakers are per host (``a.example.org`` and
    ``b.example.org`` are two hosts); ``domain_rates`` keys match a host exactly or as a
    parent domain (``"legistar.com"`` covers ``city.legistar.com``), the longest key wins.
    A rate of ``math.inf`` turns the limit off.
    """

    concurrency: int = 5
    """Documents downloading at once (``Fetcher.fetch`` calls beyond it wait)."""
    per_domain_connections: int = 2
    """Requests in flight to one host at once."""
    rate_per_domain: float = 0.5
    """Requests per second to one host (token bucket, burst 1), retries included; engagic
    spaces its requests 1.5-7.2 s per vendor."""
    domain_rates: Mapping[str, float] = field(default_factory=dict)
    """Per-host (or parent domain) overrides of ``rate_per_domain``."""
    max_retries: int = 4
    """Retries after the first attempt, on connect errors, timeouts, resets, truncated
    bodies, 429 and 5xx."""
    backoff_base_s: float = 0.5
    backoff_max_s: float = 30.0
    """Retry ``n`` (from 0) waits ``uniform(0, min(backoff_max_s, backoff_base_s * 2**n))``
    (exponential backoff with full jitter) unless the server sent ``Retry-After``."""
    retry_after_cap_s: float = 120.0
    """The longest ``Retry-After`` honoured; longer values wait this long."""
    connect_timeout_s: float = 10.0
    read_timeout_s: float = 30.0
    """The longest wait for any bytes of a response (and for a write)."""
    total_timeout_s: float = 300.0
    """One ``fetch`` call, every retry, redirect and wait included."""
    max_redirects: int = 5
    max_bytes: int = 200 * 1024 * 1024
    """Body size cap, checked against Content-Length and while streaming."""
    circuit_failures: int = 5
    """Consecutive failed documents on one host that open its circuit."""
    circuit_cooldown_s: float = 60.0
    """How long an open circuit fails fast before one trial request is let through."""
    google_token: str | None = None
    """OAuth bearer token, sent to ``*.google.com`` and ``*.googleusercontent.com`` only."""
    user_agent: str = DEFAULT_USER_AGENT
    connect_to: Mapping[str, str] = field(default_factory=dict)
    """``host -> origin`` (``"http://127.0.0.1:8080"``) to connect to instead, like curl's
    ``--connect-to``: the URL, the Host header, rate limits, breakers and the Google token
    rule keep the original host. For tests and local mirrors."""

    def __post_init__(self) -> None:
        for name in ("concurrency", "per_domain_connections"):
            if getattr(self, name) < 1:
                raise ValueError(f"FetchConfig.{name} must be >= 1")
        for name in ("max_retries", "max_redirects", "max_bytes", "circuit_failures"):
            if getattr(self, name) < 0:
                raise ValueError(f"FetchConfig.{name} must be >= 0")
        _positive("rate_per_domain", self.rate_per_domain)
        for host, rate in self.domain_rates.items():
            _positive(f"domain_rates[{host!r}]", rate)
        for name in (
            "backoff_base_s",
            "backoff_max_s",
            "retry_after_cap_s",
            "connect_timeout_s",
            "read_timeout_s",
            "total_timeout_s",
            "circuit_cooldown_s",
        ):
            value = getattr(self, name)
            if not value >= 0 or math.isnan(value):
                raise ValueError(f"FetchConfig.{name} must be >= 0, not {value!r}")
        for host, origin in self.connect_to.items():
            parts = urlsplit(origin)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise ValueError(
                    f"FetchConfig.connect_to[{host!r}] must be an http(s) origin, not {origin!r}"
                )

    def rate_for(self, host: str) -> float:
        """The request rate for ``host``: the longest matching ``domain_rates`` key, else
        ``rate_per_domain``."""
        host = host.lower()
        best: tuple[int, float] | None = None
        for key, rate in self.domain_rates.items():
            key = key.lower().lstrip(".")
            if (host == key or host.endswith("." + key)) and (best is None or len(key) > best[0]):
                best = (len(key), rate)
        return self.rate_per_domain if best is None else best[1]


def _positive(name: str, value: float) -> None:
    if not value > 0:
        raise ValueError(f"FetchConfig.{name} must be > 0 (math.inf for no limit), not {value!r}")


__all__ = ["DEFAULT_USER_AGENT", "FetchConfig"]
