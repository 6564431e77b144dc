"""How a queue worker runs (:class:`WorkerConfig`): apart from :mod:`conductor._worker`,
which imports procrastinate and psycopg, so that the CLI can build its ``worker`` options
and their defaults without loading them (~130 ms of every command's start)."""

from __future__ import annotations

from dataclasses import dataclass

FANOUT_PAGES = 200
"""The default page threshold: a PDF with more pages is split into ranges of about this
many pages (never under :data:`conductor._parallel.MIN_RANGE_PAGES`). Below it, one
worker extracts faster than the round trip of the bytes through the database and a
parse per range costs."""


@dataclass(frozen=True)
class WorkerConfig:
    """How a worker runs.

    :param concurrency: jobs at once in this process.
    :param rate: requests per second to each host, for all workers together (shared
        through PostgreSQL); ``math.inf`` for no limit.
    :param connections: requests in flight to one host, for all workers together
        (PostgreSQL advisory locks, freed when a worker's session ends).
    :param burst: exit when nothing is queued or running.
    :param max_jobs: exit after this many jobs (``None``: never).
    :param heartbeat_s: how often the worker tells the database it is alive.
    :param stalled_s: a running job whose worker has not heartbeated for this long is
        queued again (keep it a few heartbeats long).
    :param poll_s: how often the database is polled for new jobs (besides LISTEN/NOTIFY)
        and for the burst exit.
    :param fanout_pages: a PDF showing more pages is split into page-range jobs of about
        this many pages for any worker (:mod:`conductor._fanout`); 0 turns it off.
    """

    concurrency: int = 1
    rate: float = 0.5
    connections: int = 2
    burst: bool = False
    max_jobs: int | None = None
    heartbeat_s: float = 5.0
    stalled_s: float = 20.0
    poll_s: float = 1.0
    fanout_pages: int = FANOUT_PAGES

    def __post_init__(self) -> None:
        if self.concurrency < 1:
            raise ValueError(f"concurrency must be at least 1, got {self.concurrency}")
        if not self.rate > 0:
            raise ValueError(f"rate must be above 0, got {self.rate}")
        if self.connections < 1:
            raise ValueError(f"connections must be at least 1, got {self.connections}")
        if self.fanout_pages < 0:
            raise ValueError(f"fanout_pages must be 0 (off) or more, got {self.fanout_pages}")
        if self.max_jobs is not None and self.max_jobs < 1:
            raise ValueError(f"max_jobs must be at least 1, got {self.max_jobs}")
        if not 0 < self.heartbeat_s < self.stalled_s:
            raise ValueError("heartbeat_s must be above 0 and below stalled_s")
