"""Search and save latencies at 100,000 dashboards, as ratios to a hello-world route of the same app.

    .venv/bin/python bench/dashboards.py [--dashboards 100000] [--requests 100]

The dashboards are generated and written straight into a temporary data dir in the store's own document
format (saving them one by one through the API would take minutes); the server then builds its index from
those files on start, as it would after a restore, and that time is reported too. Searches and saves are
timed over real HTTP from one keep-alive client.
"""
from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from pathlib import Path

from dashsnap import jsoncodec
from dashsnap.app import create_app
from dashsnap.storage.dashboards import new_record
from dashsnap.storage.slugs import slugify
from harness import BASELINE, report, serve, timed

WORDS = ("cpu memory disk network latency errors requests nginx postgres redis kafka node cluster edge api "
         "billing search cache queue worker ingress storage backup dns mail vpn gpu power temperature").split()
TAGS = [f"team-{n}" for n in range(20)] + ["prod", "staging", "dev", "linux", "windows", "k8s", "sla"]


def generate(data_dir: Path, count: int, seed: int = 7) -> None:
    """Write count dashboards of org 1 with random titles (unique by a number) and tags."""
    rng = random.Random(seed)
    now = "2026-01-01T00:00:00Z"
    folder = data_dir / "orgs" / "1" / "dashboards"
    for number in range(1, count + 1):
        title = f"{' '.join(rng.sample(WORDS, 3)).title()} {number}"
        dashboard = {"title": title, "tags": rng.sample(TAGS, rng.randint(0, 3)), "timezone": "browser",
                     "panels": [{"id": 1, "type": "graph", "title": "p"}], "schemaVersion": 16}
        record = new_record(1, dashboard, dashboard_id=number, version=1, uid=f"u{number}", created=now,
                            created_by="admin", author="admin", now=now)
        path = folder / f"{slugify(title)}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(jsoncodec.dumps(record))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dashboards", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=100, help="timed requests per measurement")
    options = parser.parse_args()
    count = options.requests

    with tempfile.TemporaryDirectory() as data_dir:
        print(f"writing {options.dashboards} dashboards ...", flush=True)
        generate(Path(data_dir), options.dashboards)
        started = time.perf_counter()
        app = create_app({"DASHSNAP_DATA_DIR": data_dir, "DASHSNAP_CLEANUP_INTERVAL": 0})
        print(f"index built from the files on start in {time.perf_counter() - started:.1f} s")
        indexed = app.extensions["dashsnap"].store.dashboards.count()
        assert indexed == options.dashboards, f"only {indexed} dashboards were indexed"
        connection = serve(app)

        def save(number: int) -> bytes:
            return json.dumps({"dashboard": {"id": None, "title": f"Bench Save {number}", "tags": ["bench"]}}).encode()

        saves = iter(range(10**9))
        measurements = {BASELINE: timed(connection, "GET", "/bench/hello", count=count)}
        for name, path in [("search, no filter (limit 100)", "/api/search?limit=100"),
                           ("search query=cpu (limit 100)", "/api/search?query=cpu&limit=100"),
                           ("search query=cpu mem (rare)", "/api/search?query=cpu%20mem"),
                           ("search query=42 (short)", "/api/search?query=42&limit=100"),
                           ("search query with no match", "/api/search?query=zzzz"),
                           ("search tag=sla (limit 100)", "/api/search?tag=sla&limit=100"),
                           ("search tag=sla&tag=prod&query=node", "/api/search?tag=sla&tag=prod&query=node"),
                           ("search page 50 of 1000 hits", "/api/search?limit=1000&page=50"),
                           ("GET /api/dashboards/tags", "/api/dashboards/tags"),
                           ("GET /api/dashboards/uid/:uid", f"/api/dashboards/uid/u{options.dashboards // 2 + 1}")]:
            measurements[name] = timed(connection, "GET", path, count=count)
        measurements["POST /api/dashboards/db (new)"] = [
            timed(connection, "POST", "/api/dashboards/db", save(next(saves)), 1)[0] for _ in range(count)]
        report(measurements)


if __name__ == "__main__":
    main()
