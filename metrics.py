"""One app's Prometheus metrics, in a registry of its own: never the process-wide one, since several apps may
share a process and a host app may keep its own metrics there. Where Grafana has the same metric, its name and
labels are Grafana's, so dashboards made for monitoring Grafana work; the rest are named dashsnap_*."""
from __future__ import annotations

import logging
from collections.abc import Iterator

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from .storage import STORE_FAILURES, Store

# The classic text format, which generate_latest writes and Grafana serves. Newer clients name version 1.0.0
# as the latest, which Prometheus servers before 3.0 do not know.
TEXT_FORMAT = "text/plain; version=0.0.4; charset=utf-8"

log = logging.getLogger(__name__)


class StoreTotals(Collector):
    """Dashboard and snapshot totals, counted in the index at scrape time (no document is read)."""

    def __init__(self, store: Store):
        self.store = store

    def collect(self) -> Iterator[Metric]:
        try:
            dashboards, snapshots = self.store.dashboards.count(), self.store.snapshots.count()
        except STORE_FAILURES as error:
            # Left out rather than failing the scrape, so the rest of the metrics are still served.
            log.warning("cannot count dashboards and snapshots for /metrics: %s", error)
            return
        yield GaugeMetricFamily("grafana_stat_totals_dashboard", "Dashboards stored.", value=dashboards)
        yield GaugeMetricFamily("dashsnap_stat_totals_snapshot", "Snapshots stored, expired ones not yet swept "
                                "included.", value=snapshots)


class Metrics:
    """The app's registry, with the collectors that feed it."""

    def __init__(self, store: Store):
        self.registry = CollectorRegistry()
        self.registry.register(StoreTotals(store))

    def exposition(self) -> bytes:
        """Every metric in Prometheus' text format (TEXT_FORMAT)."""
        return generate_latest(self.registry)
