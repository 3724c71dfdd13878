"""Snapshot bodies of real dashboards with generated data in the panels the snapshot page draws, as Grafana puts it
in `snapshotData`: old `{target, datapoints}` series for `graph` panels, data frames for `timeseries` panels, one
value for stats and gauges, rows for tables. Shared by the browser tests and the page-load benchmark."""
from __future__ import annotations

import copy
import json
import math
from collections.abc import Iterator
from pathlib import Path

FIXTURES = Path(__file__).parent / "fixtures" / "dashboards"
STARTED_MS = 1_795_392_000_000  # 2026-11-23 00:00:00 UTC
STEP_MS = 60_000
GRAPH_SERIES = ("load 1m", "load 5m")
TIMESERIES_SERIES = ("cpu", "steal")
# A stat's value by its unit, so that each reads as the real thing would (16 GiB of RAM, 8 cores, ...).
STAT_VALUES = {"bytes": 16 * 1024**3, "percent": 42.5, "percentunit": 0.425, "s": 93_600, "short": 8}
TABLE_ROWS = [("web-1", 0.41), ("web-2", 0.37), ("db-1", 0.88), ("cache-1", 0.12), ("queue-1", 0.25)]


def fixture_dashboard(name: str = "node-exporter-full.json") -> dict:
    return json.loads((FIXTURES / name).read_text())


def panels_of(dashboard: dict) -> Iterator[dict]:
    """Every panel of a dashboard, those inside rows (collapsed ones keep theirs) included."""
    for panel in dashboard.get("panels", []):
        yield panel
        yield from panel.get("panels", [])


def wave(seed: int, points: int) -> list[float]:
    return [round(50 + 40 * math.sin((index + seed * 7) / 9) + 5 * math.sin(index / 2), 2) for index in range(points)]


def times(points: int) -> list[int]:
    return [STARTED_MS + index * STEP_MS for index in range(points)]


def datapoints_series(seed: int, points: int) -> list[dict]:
    return [{"target": name, "datapoints": [[value, at] for value, at in zip(wave(seed + offset, points),
                                                                              times(points))]}
            for offset, name in enumerate(GRAPH_SERIES)]


def time_frame(seed: int, points: int) -> list[dict]:
    fields = [{"name": "Time", "type": "time", "values": times(points)}]
    fields += [{"name": name, "type": "number", "values": wave(seed + offset, points)}
               for offset, name in enumerate(TIMESERIES_SERIES)]
    return [{"fields": fields}]


def stat_frame(unit: str) -> list[dict]:
    return [{"fields": [{"name": "Time", "type": "time", "values": [STARTED_MS]},
                        {"name": "Value", "type": "number", "values": [STAT_VALUES.get(unit, 42)]}]}]


def table_frame() -> list[dict]:
    return [{"fields": [{"name": "host", "type": "string", "values": [host for host, _ in TABLE_ROWS]},
                        {"name": "load", "type": "number", "values": [load for _, load in TABLE_ROWS]}]}]


def unit_of(panel: dict) -> str:
    return panel.get("fieldConfig", {}).get("defaults", {}).get("unit") or panel.get("format") or "none"


def with_data(dashboard: dict, points: int = 120, chart_without_data_every: int = 0) -> dict:
    """A copy of dashboard with snapshotData in every graph, timeseries, stat, gauge and table panel; with
    chart_without_data_every=N, every Nth chart is left without data (it shows "No data")."""
    dashboard = copy.deepcopy(dashboard)
    charts = 0
    for seed, panel in enumerate(panels_of(dashboard)):
        kind = panel.get("type")
        if kind in ("graph", "timeseries"):
            charts += 1
            if chart_without_data_every and charts % chart_without_data_every == 0:
                panel["snapshotData"] = []
            elif kind == "graph":
                panel["snapshotData"] = datapoints_series(seed, points)
            else:
                panel["snapshotData"] = time_frame(seed, points)
        elif kind in ("stat", "singlestat", "gauge"):
            panel["snapshotData"] = stat_frame(unit_of(panel))
        elif kind == "table":
            panel["snapshotData"] = table_frame()
    return dashboard
