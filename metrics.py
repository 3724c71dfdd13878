"""One app's Prometheus metrics, in a registry of its own: never the process-wide one, since several apps may
share a process and a host app may keep its own metrics there. Where Grafana has the same metric, its name and
labels are Grafana's, so dashboards made for monitoring Grafana work; the rest are named dashsnap_*."""
from __future__ import annotations

import logging
from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from .storage import Store, store_failures

# The classic text format, which generate_latest writes and Grafana serves. Newer clients name version 1.0.0
# as the latest, which Prometheus servers before 3.0 do not know.
TEXT_FORMAT = "text/plain; version=0.0.4; charset=utf-8"
# Grafana's buckets for request durations, in seconds.
REQUEST_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5)

log = logging.getLogger(__name__)


class StoreTotals(Collector):
    """Dashboard and snapshot totals, counted in the index at scrape time (no document is read)."""

    def __init__(self, store: Store):
        self.store = store

    def collect(self) -> Iterator[Metric]:
        try:
            dashboards, snapshots = self.store.dashboards.count(), self.store.snapshots.count()
        except store_failures() as error:
            # Left out rather than failing the scrape, so the rest of the metrics are still served.
            log.warning("cannot count dashboards and snapshots for /metrics: %s", error)
            return
        yield GaugeMetricFamily("grafana_stat_totals_dashboard", "Dashboards stored.", value=dashboards)
        yield GaugeMetricFamily("dashsnap_stat_totals_snapshot", "Snapshots stored, expired ones not yet swept "
                                "included.", value=snapshots)


class Metrics:
    """The registry and the instruments the request hooks and the error handler record into."""

    def __init__(self, store: Store):
        self.registry = CollectorRegistry()
        self.request_duration = Histogram(
            "grafana_http_request_duration_seconds", "Time to answer a request, by route, status code and method.",
            ["handler", "status_code", "method"], buckets=REQUEST_BUCKETS, registry=self.registry)
        self.store_errors = Counter(
            "dashsnap_store_errors", "Storage failures that ended a request with 500, by exception class.",
            ["error_type"], registry=self.registry)
        self.registry.register(StoreTotals(store))
        self._store = store
        self._exposed = self.registry
        # Each (handler, status code, method)'s series, so that a request skips labels()' checks and lock.
        self._request_series: dict[tuple[str, int, str], Histogram] = {}

    def observe_request(self, handler: str, method: str, status_code: int, seconds: float) -> None:
        series = self._request_series.get((handler, status_code, method))
        if series is None:
            series = self.request_duration.labels(handler=handler, status_code=str(status_code), method=method)
            self._request_series[handler, status_code, method] = series
        series.observe(seconds)

    def count_store_error(self, error: BaseException) -> None:
        self.store_errors.labels(error_type=type(error).__name__).inc()

    def include_every_process_in(self, path: str) -> None:
        """Answer with the requests and errors of every process that records into path, this one's included: the
        workers of one server, which prometheus_client's multiprocess mode (PROMETHEUS_MULTIPROC_DIR=path as it
        is imported) has each write its values there. Whichever worker a scrape reaches, it gets the server's
        totals, and those of a worker that ended stay counted."""
        self._exposed = CollectorRegistry()
        MultiProcessCollector(self._exposed, path)
        self._exposed.register(StoreTotals(self._store))

    def exposition(self) -> bytes:
        """Every metric in Prometheus' text format (TEXT_FORMAT)."""
        return generate_latest(self._exposed)
