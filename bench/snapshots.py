"""Snapshot API latencies over real HTTP, as ratios to a hello-world route of the same app in the same run.

    .venv/bin/python bench/snapshots.py [--snapshots 2000] [--requests 200]

Serves the app with waitress on a loopback port and a temporary data dir, fills the store, then times
sequential requests from one keep-alive client. Absolute numbers drift between runs and machines; the
ratios to the baseline are what to compare.
"""
from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

from dashsnap.app import create_app
from harness import AUTH, BASELINE, report, serve, timed

FIXTURE = Path(__file__).parent.parent / "tests" / "fixtures" / "dashboards" / "node-exporter-full.json"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--snapshots", type=int, default=2000, help="snapshots in the store before timing")
    parser.add_argument("--requests", type=int, default=200, help="timed requests per measurement")
    options = parser.parse_args()

    with tempfile.TemporaryDirectory() as data_dir:
        connection = serve(create_app({"DASHSNAP_DATA_DIR": data_dir, "DASHSNAP_CLEANUP_INTERVAL": 0}))
        small = json.dumps({"dashboard": {"title": "small", "panels": [{"id": 1}]}}).encode()
        large = json.dumps({"dashboard": json.loads(FIXTURE.read_text())}).encode()
        print(f"filling the store with {options.snapshots} snapshots ...", flush=True)
        timed(connection, "POST", "/api/snapshots", small, options.snapshots)
        connection.request("POST", "/api/snapshots", body=large, headers=AUTH)
        large_key = json.loads(connection.getresponse().read())["key"]
        size = f"{len(large) // 1024} KB"
        report({
            BASELINE: timed(connection, "GET", "/bench/hello", count=options.requests),
            "POST /api/snapshots (small)": timed(connection, "POST", "/api/snapshots", small, options.requests),
            f"POST /api/snapshots ({size})": timed(connection, "POST", "/api/snapshots", large,
                                                   max(20, options.requests // 5)),
            f"GET /api/snapshots/:key ({size})": timed(connection, "GET", f"/api/snapshots/{large_key}",
                                                       count=options.requests),
            "GET /api/dashboard/snapshots (limit 100)": timed(
                connection, "GET", "/api/dashboard/snapshots?limit=100", count=options.requests),
            "GET /api/dashboard/snapshots?query= (no match)": timed(
                connection, "GET", "/api/dashboard/snapshots?query=nothing-matches", count=options.requests),
        })


if __name__ == "__main__":
    main()
