"""How ``conductor serve`` runs: one frozen dataclass, checked on construction."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field

from conductor._fetch import FetchConfig
from conductor._models import Limits
from conductor._store import is_postgres_url

MB = 1024 * 1024


@dataclass(frozen=True)
class ServiceConfig:
    """The server's settings (``conductor serve`` flags).

    :param database: a SQLite file (embedded mode: jobs run in this process) or a
        ``postgresql://`` URL (queue mode: ``conductor worker`` processes run them).
    :param workers: jobs running at once in embedded mode (and synchronous extractions).
    :param api_keys: the accepted keys, in clear (hashed before they are stored); none:
        the keys persisted by an earlier start.
    :param callback_secret: the HMAC key of callback signatures; ``None``: jobs with a
        callback are refused.
    :param max_upload_bytes: request body cap of ``POST /v1/jobs/upload`` (413 beyond).
    :param max_active_jobs: queued or running jobs per API key (429 beyond).
    :param extract_max_bytes: upload cap of the synchronous ``POST /v1/extract``.
    :param extract_timeout_s: its extraction deadline.
    :param spool: where uploads wait for their job (default: ``DATABASE.uploads/``; in
        queue mode a temporary folder, as the bytes go to PostgreSQL at once).
    :param metrics_port: serve ``/metrics`` on this port of ``host`` instead of the API's
        (0: any free port, logged); ``None``: on the API's port.
    """

    database: str = "conductor.sqlite"
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 2
    api_keys: tuple[str, ...] = ()
    callback_secret: bytes | None = field(default=None, repr=False)
    allow_private_callbacks: bool = False
    max_upload_bytes: int = 100 * MB
    max_active_jobs: int = 100
    extract_max_bytes: int = 10 * MB
    extract_timeout_s: float = 30.0
    fetch: FetchConfig = field(default_factory=FetchConfig)
    limits: Limits = field(default_factory=Limits)
    log_format: str = "text"
    callback_retry_base_s: float = 1.0
    spool: str | None = None
    metrics_port: int | None = None

    def __post_init__(self) -> None:
        for name in ("workers", "max_upload_bytes", "max_active_jobs", "extract_max_bytes"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be an integer >= 1, got {value!r}")
        for name in ("port", "metrics_port"):
            value = getattr(self, name)
            if value is not None and not 0 <= value < 65536:
                raise ValueError(f"{name} must be in 0..65535, got {value}")
        if self.metrics_port is not None and self.metrics_port == self.port != 0:
            raise ValueError("metrics_port must differ from port")
        if not 0 < self.extract_timeout_s <= 3600:
            raise ValueError(
                f"extract_timeout_s must be in (0, 3600], got {self.extract_timeout_s}"
            )

    @property
    def postgres(self) -> bool:
        return is_postgres_url(self.database)

    @property
    def upload_spool(self) -> str:
        if self.spool:
            return self.spool
        if self.postgres:  # uploads wait only for the request that writes them to PostgreSQL
            return os.path.join(tempfile.gettempdir(), "conductor-uploads")
        return os.path.abspath(self.database) + ".uploads"
