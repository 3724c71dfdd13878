"""Snapshot API latencies over real HTTP, as ratios to a hello-world route of the same app in the same run.

    .venv/bin/python bench/snapshots.py [--snapshots 2000] [--requests 200]

Serves the app with waitress on a loopback port and a temporary data dir, fills the store, then times
sequential requests from one keep-alive client. Absolute numbers drift between runs and machines; the
ratios to the baseline are what to compare.
"""
from __future__ import annotations

import argparse
import base64
import http.client
import json
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

from waitress.server import create_server

from dashsnap.app import create_app
from dashsnap.blueprints.responses import json_response

FIXTURE = Path(__file__).parent.parent / "tests" / "fixtures" / "dashboards" / "node-exporter-full.json"
AUTH = {"Authorization": "Basic " + base64.b64encode(b"admin:admin").decode(), "Content-Type": "application/json"}


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


def timed(connection: http.client.HTTPConnection, method: str, path: str, body: bytes | None,
          count: int) -> list[float]:
    samples = []
    for _ in range(count):
        started = time.perf_counter()
        connection.request(method, path, body=body, headers=AUTH)
        response = connection.getresponse()
        response.read()
        samples.append((time.perf_counter() - started) * 1000)
        if response.status != 200:
            sys.exit(f"{method} {path} answered {response.status}")
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--snapshots", type=int, default=2000, help="snapshots in the store before timing")
    parser.add_argument("--requests", type=int, default=200, help="timed requests per measurement")
    options = parser.parse_args()

    with tempfile.TemporaryDirectory() as data_dir:
        app = create_app({"DASHSNAP_DATA_DIR": data_dir, "DASHSNAP_CLEANUP_INTERVAL": 0})
        app.add_url_rule("/bench/hello", "hello", lambda: json_response({"message": "hello"}))
        server = create_server(app, host="127.0.0.1", port=0, threads=8)
        threading.Thread(target=server.run, daemon=True).start()
        connection = http.client.HTTPConnection("127.0.0.1", server.effective_port, timeout=60)

        small = json.dumps({"dashboard": {"title": "small", "panels": [{"id": 1}]}}).encode()
        large = json.dumps({"dashboard": json.loads(FIXTURE.read_text())}).encode()
        print(f"filling the store with {options.snapshots} snapshots ...", flush=True)
        timed(connection, "POST", "/api/snapshots", small, options.snapshots)
        connection.request("POST", "/api/snapshots", body=large, headers=AUTH)
        large_key = json.loads(connection.getresponse().read())["key"]

        measurements = {
            "baseline: GET hello-world route": timed(connection, "GET", "/bench/hello", None, options.requests),
            "POST /api/snapshots (small)": timed(connection, "POST", "/api/snapshots", small, options.requests),
            f"POST /api/snapshots ({len(large) // 1024} KB)": timed(
                connection, "POST", "/api/snapshots", large, max(20, options.requests // 5)),
            f"GET /api/snapshots/:key ({len(large) // 1024} KB)": timed(
                connection, "GET", f"/api/snapshots/{large_key}", None, options.requests),
            "GET /api/dashboard/snapshots (limit 100)": timed(
                connection, "GET", "/api/dashboard/snapshots?limit=100", None, options.requests),
            "GET /api/dashboard/snapshots?query= (no match)": timed(
                connection, "GET", "/api/dashboard/snapshots?query=nothing-matches", None, options.requests),
        }
        baseline = percentiles(measurements["baseline: GET hello-world route"])[0]
        print(f"\n{'measurement':50} {'p50 ms':>8} {'p99 ms':>8} {'p50 / baseline':>15}")
        for name, samples in measurements.items():
            p50, p99 = percentiles(samples)
            print(f"{name:50} {p50:8.2f} {p99:8.2f} {p50 / baseline:15.1f}")
        connection.close()
        server.close()


if __name__ == "__main__":
    main()
