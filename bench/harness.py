"""What the benchmarks share: a real waitress server for an app, a hello-world baseline route on it, and
timed requests reported as p50/p99 and as ratios to that baseline."""
from __future__ import annotations

import base64
import http.client
import statistics
import sys
import threading
import time

from dashsnap.blueprints.responses import json_response
from waitress.server import create_server

AUTH = {"Authorization": "Basic " + base64.b64encode(b"admin:admin").decode(), "Content-Type": "application/json"}
BASELINE = "baseline: GET hello-world route"


def serve(app) -> http.client.HTTPConnection:
    """Serve app (with an added /bench/hello route) on a loopback port; a keep-alive connection to it."""
    app.add_url_rule("/bench/hello", "bench_hello", lambda: json_response({"message": "hello"}))
    server = create_server(app, host="127.0.0.1", port=0, threads=8)
    threading.Thread(target=server.run, daemon=True).start()
    return http.client.HTTPConnection("127.0.0.1", server.effective_port, timeout=120)


def timed(connection: http.client.HTTPConnection, method: str, path: str, body: bytes | None = None,
          count: int = 200) -> list[float]:
    """Milliseconds taken by each of count sequential requests; exits if one does not answer 200."""
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


def report(measurements: dict[str, list[float]], baseline_name: str = BASELINE) -> None:
    """Print p50, p99 and p50 / baseline for each measurement (one of them named baseline_name)."""
    def percentiles(samples: list[float]) -> tuple[float, float]:
        ordered = sorted(samples)
        return statistics.median(ordered), ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]

    baseline = percentiles(measurements[baseline_name])[0]
    print(f"\n{'measurement':56} {'p50 ms':>8} {'p99 ms':>8} {'p50 / baseline':>15}")
    for name, samples in measurements.items():
        p50, p99 = percentiles(samples)
        print(f"{name:56} {p50:8.2f} {p99:8.2f} {p50 / baseline:15.1f}")
