"""The service's Prometheus metrics (issue 15, item 5), served at `GET /metrics`.

One `Metrics` per runtime, on its own registry (a process may hold several runtimes: tests do).
Batches are counted where their outcome is recorded — the runner's slot threads, in the API
server's process; the worker processes only run plans and answer, so no metric is kept in
them and Prometheus' multiprocess mode is not needed (docs/decisions.md, "Ops").

Labels never name an account or a job unless `job_labels` (TIDEMILL_METRICS_JOB_LABELS) is
set: then the batch counters and histogram carry `account` and `job` too. Units: seconds.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
BATCH_SECONDS = (0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200)
LAG_SECONDS = (0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300)
REQUEST_SECONDS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)


class Metrics:
    """The counters and histograms; gauges read at scrape time through `gauges`."""

    def __init__(self, *, job_labels: bool = False) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.job_labels = job_labels
        names = ("account", "job") if job_labels else ()
        r = self.registry
        self.batches_started = Counter(
            "tidemill_batches_started", "Batches handed to a worker, by engine",
            ("engine", *names), registry=r,
        )  # fmt: skip
        self.batches_finished = Counter(
            "tidemill_batches_finished",
            "Batches whose attempt ended, by final status (Successful, Failed, Canceled) and "
            "engine; 'unplanned' engine: the batch ended before a worker got it",
            ("status", "engine", *names), registry=r,
        )  # fmt: skip
        self.batch_seconds = Histogram(
            "tidemill_batch_duration_seconds",
            "Seconds from a worker getting a batch to its outcome being recorded",
            ("status", "engine", *names), buckets=BATCH_SECONDS, registry=r,
        )  # fmt: skip
        self.exports = Counter(
            "tidemill_exports", "Export outcomes of successful batches, by export type and status",
            ("type", "status"), registry=r,
        )  # fmt: skip
        self.fire_lag = Histogram(
            "tidemill_scheduler_fire_lag_seconds",
            "Seconds between a crontab/loop slot falling due and the scheduler queueing it",
            buckets=LAG_SECONDS, registry=r,
        )  # fmt: skip
        self.requests = Histogram(
            "tidemill_http_request_duration_seconds",
            "API request latency, by method, route template and status code",
            ("method", "route", "status"), buckets=REQUEST_SECONDS, registry=r,
        )  # fmt: skip
        # The request histogram's series by labels: `labels()` takes a lock and builds a key on
        # every call, once per API request (docs/performance.md). A series is never removed.
        self._request_series: dict[tuple[str, str, int], Any] = {}

    # --- recording (cheap; called from the runner's and scheduler's threads) ---------------

    def _names(self, account: int, job: str) -> tuple[str, ...]:
        return (str(account), job) if self.job_labels else ()

    def batch_started(self, engine: str, account: int, job: str) -> None:
        self.batches_started.labels(engine, *self._names(account, job)).inc()

    def batch_finished(
        self, status: str, engine: str, seconds: float | None, account: int, job: str
    ) -> None:
        labels = (status, engine, *self._names(account, job))
        self.batches_finished.labels(*labels).inc()
        if seconds is not None:
            self.batch_seconds.labels(*labels).observe(max(0.0, seconds))

    def exported(self, type_: str, status: str) -> None:
        self.exports.labels(type_.lower(), status).inc()

    def fired(self, lag_seconds: float, count: int = 1) -> None:
        """`count` slots fired `lag_seconds` after they fell due."""
        lag = max(0.0, lag_seconds)
        for _ in range(count):
            self.fire_lag.observe(lag)

    def request(self, method: str, route: str, status: int, seconds: float) -> None:
        key = (method, route, status)
        series = self._request_series.get(key)
        if series is None:
            series = self.requests.labels(method, route, str(status))
            self._request_series[key] = series
        series.observe(seconds)

    # --- exposition ------------------------------------------------------------------------

    def exposition(self, gauges: dict[str, tuple[str, float]] | None = None) -> bytes:
        """The text format (CONTENT_TYPE) of every metric, and of `gauges` (read by the
        caller at scrape time: name -> (help, value))."""
        text = generate_latest(self.registry)
        if gauges:
            extra = CollectorRegistry(auto_describe=False)
            extra.register(_Gauges(gauges))
            text += generate_latest(extra)
        return text


class _Gauges(Collector):
    def __init__(self, gauges: dict[str, tuple[str, float]]) -> None:
        self._gauges = gauges

    def collect(self) -> Iterable[Metric]:
        for name, (text, value) in self._gauges.items():
            yield GaugeMetricFamily(name, text, value=value)

    def describe(self) -> Iterable[Metric]:
        return []
