"""Prometheus metrics of the service (``/metrics``).

In embedded mode the counters and histograms are updated in this process by the runner
that runs the documents. In queue mode the documents run in ``conductor worker``
processes, possibly on other machines: each adds its figures to the database's
``conductor_metrics`` table (:mod:`conductor._metrics_db`), and :class:`_StoredMetrics`
exposes that table at each scrape, under the same names and labels. ``conductor_jobs
{status}`` is read from the database at each scrape in both modes.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector

from conductor._metrics_db import (
    BUCKETS,
    DOCUMENTS,
    FAILURES,
    PAGES,
    STAGE_SECONDS,
    STAGES,
    Sample,
    le,
)
from conductor._metrics_db import labels as label_key
from conductor._results import Result

_HELP = {
    DOCUMENTS: ("Documents processed, by outcome (ok, failed) and format.", ["status", "format"]),
    FAILURES: ("Failed documents, by stage and error kind.", ["stage", "kind"]),
    PAGES: ("Pages of documents processed successfully.", []),
    STAGE_SECONDS: ("Seconds spent per document in each stage.", ["stage"]),
}


class _JobsGauge(Collector):
    """``conductor_jobs{status}``: jobs per status in the database, at scrape time."""

    def __init__(self, counts: Callable[[], Mapping[str, int]]) -> None:
        self._counts = counts

    def collect(self) -> Iterator[Metric]:
        gauge = GaugeMetricFamily(
            "conductor_jobs", "Jobs in the database, by status.", labels=["status"]
        )
        for status, n in self._counts().items():
            gauge.add_metric([status], n)
        yield gauge


class _StoredMetrics(Collector):
    """The workers' figures: the ``conductor_metrics`` table, read at scrape time."""

    def __init__(self, rows: Callable[[], Sequence[Sample]]) -> None:
        self._rows = rows

    def collect(self) -> Iterator[Metric]:
        values: dict[tuple[str, str], dict[str, float]] = defaultdict(dict)
        for name, labels, part, value in self._rows():
            values[(name, labels)][part] = value
        for name in (DOCUMENTS, FAILURES, PAGES):
            text, label_names = _HELP[name]
            counter = CounterMetricFamily(name, text, labels=label_names)
            if name == PAGES and (name, label_key()) not in values:
                counter.add_metric([], 0.0)  # as prometheus-client shows an unused counter
            for (metric, labels), parts in sorted(values.items()):
                if metric == name:
                    given = json.loads(labels)
                    counter.add_metric([given[k] for k in label_names], parts.get("", 0.0))
            yield counter
        text, _ = _HELP[STAGE_SECONDS]
        histogram = HistogramMetricFamily(STAGE_SECONDS, text, labels=["stage"])
        for stage in STAGES:  # every stage's series exists from the start, at 0
            parts = values.get((STAGE_SECONDS, label_key(stage=stage)), {})
            buckets = [(le(b), parts.get(le(b), 0.0)) for b in (*BUCKETS, float("inf"))]
            histogram.add_metric([stage], buckets, parts.get("sum", 0.0))
        yield histogram


class Metrics:
    """The service's metrics, in their own registry (not the process-global one, so two
    apps in one process, as in tests, do not collide).

    :param stored: queue mode: reads the workers' figures from the database (then this
        process counts no document itself).
    """

    def __init__(
        self,
        job_counts: Callable[[], Mapping[str, int]],
        stored: Callable[[], Sequence[Sample]] | None = None,
    ) -> None:
        self.registry = CollectorRegistry()
        self.registry.register(_JobsGauge(job_counts))
        if stored is not None:
            self.registry.register(_StoredMetrics(stored))
            return
        self.documents = Counter(DOCUMENTS, *_HELP[DOCUMENTS], registry=self.registry)
        self.failures = Counter(FAILURES, *_HELP[FAILURES], registry=self.registry)
        self.stage_seconds = Histogram(
            STAGE_SECONDS, *_HELP[STAGE_SECONDS], buckets=BUCKETS, registry=self.registry
        )
        for stage in STAGES:  # every stage's series exists from the start, at 0
            self.stage_seconds.labels(stage)
        self.pages = Counter(PAGES, *_HELP[PAGES], registry=self.registry)

    def observe(self, result: Result) -> None:
        """Counts one finished document, and its stages' seconds."""
        error = None if result.error is None else result.error.to_dict()
        self.document(result.ok, result.format, result.page_count, error)
        for stage in STAGES:
            seconds = result.timings.get(f"{stage}_s")
            if seconds is not None:
                self.stage_seconds.labels(stage).observe(seconds)

    def document(
        self, ok: bool, format: str | None, pages: int | None, error: dict[str, str] | None
    ) -> None:
        """Counts one finished document (embedded mode: in queue mode the workers count)."""
        self.documents.labels("ok" if ok else "failed", format or "unknown").inc()
        if ok:
            self.pages.inc(pages or 0)
        elif error is not None:
            self.failures.labels(error["stage"], error["kind"]).inc()
