"""The job queue: procrastinate on the store's PostgreSQL database.

``_client`` submits, lists and cancels jobs (:class:`JobQueue`), ``_schema`` creates the
queue's tables, ``_rate`` is the cluster-wide per-host rate limit the workers share,
``_conns`` their cluster-wide per-host connection cap, ``_fanout`` the state of large
documents fanned out into page-range jobs. The worker itself (which runs the
:class:`conductor.Conductor`) is :mod:`conductor._worker`, a layer above the pipeline.
"""

from ._client import (
    JOB_STATUSES,
    QUEUE,
    TASK_NAME,
    Cancelled,
    JobQueue,
    JobRecord,
    JobStatus,
    Submitted,
    make_app,
    require_postgres,
)
from ._conns import ClusterConnectionCap
from ._rate import ClusterRateLimiter
from ._schema import ensure_queue_schema

__all__ = [
    "JOB_STATUSES",
    "QUEUE",
    "TASK_NAME",
    "Cancelled",
    "ClusterConnectionCap",
    "ClusterRateLimiter",
    "JobQueue",
    "JobRecord",
    "JobStatus",
    "Submitted",
    "ensure_queue_schema",
    "make_app",
    "require_postgres",
]
