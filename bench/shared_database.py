"""Snapshot creates and reads on PostgreSQL, one server against two behind haproxy, with the data dir's one
server measured in the same run as the baseline.

    .venv/bin/python bench/shared_database.py [--duration 5] [--repeats 3] [--dashboards 100000] [--quick]

Starts a throwaway PostgreSQL cluster (Debian's postgresql, as the tests do), dashsnap as users start it
(`python app.py`, GF_* variables), and loads each target with wrk (2 threads; 8 connections per server, so 16
for two). Prints the medians over the repeats, each as a ratio to the data dir's one server, and the two
servers' ratio to one. Then the search latencies at --dashboards dashboards on PostgreSQL (filled in a data
dir, moved in with `dashsnap export` and `import`), one connection each.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import defaultdict
from contextlib import ExitStack
from pathlib import Path

from ceiling import (
    BASIC,
    ROOT,
    SEARCHES,
    Server,
    ensure_wrk,
    filled_dashboards,
    free_port,
    lua,
    machine,
    panels,
    run_wrk,
    start,
    stop,
    wrk_result,
)

sys.path.insert(0, str(ROOT / "tests"))  # the throwaway cluster and the load balancer the tests use
import postgres_cluster  # noqa: E402
from server_pair import servers_behind_haproxy  # noqa: E402


def start_server(work: Path, *, database: str | None = None, data_dir: Path | None = None) -> Server:
    port = free_port()
    env = {"GF_SERVER_HTTP_PORT": str(port), "GF_PATHS_DATA": str(data_dir or work / f"data-{port}"),
           **({"GF_DATABASE_TYPE": "postgres", "GF_DATABASE_URL": database} if database else {})}
    server = start([sys.executable, "app.py"], port, "/api/health", work / f"dashsnap-{port}.log", env)
    with urllib.request.urlopen(urllib.request.Request(server.url + "/api/user", headers={"Authorization": BASIC}),
                                timeout=30) as answer:
        answer.read()  # the one password check a process pays, outside the measurements
    return server


def snapshot_key(url: str, body: dict) -> str:
    request = urllib.request.Request(url + "/api/snapshots", data=json.dumps(body).encode(), method="POST",
                                     headers={"Authorization": BASIC, "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as answer:
        return json.load(answer)["key"]


def dashsnap_command(*args: str, database: str | None = None) -> None:
    """`python app.py ARGS` (the dashsnap command), on the database when one is given."""
    on_database = {"GF_DATABASE_TYPE": "postgres", "GF_DATABASE_URL": database} if database else {}
    subprocess.run([sys.executable, "app.py", *args], check=True, stdout=subprocess.DEVNULL, cwd=ROOT,
                   env={**os.environ, **on_database})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, help="seconds per target (default 5; --quick: 2)")
    parser.add_argument("--repeats", type=int, help="runs of every target, medians reported (default 3; --quick: 1)")
    parser.add_argument("--dashboards", type=int, help="dashboards for the search rows (default 100000; --quick: "
                                                       "2000; 0 leaves them out)")
    parser.add_argument("--fill-cache", type=Path, help="keep the filled dashboards data dir here, reuse it next time")
    parser.add_argument("--quick", action="store_true", help="a fast smoke run")
    options = parser.parse_args()
    duration = options.duration or (2 if options.quick else 5)
    repeats = options.repeats or (1 if options.quick else 3)
    dashboards = options.dashboards if options.dashboards is not None else (2000 if options.quick else 100_000)
    ensure_wrk()

    with tempfile.TemporaryDirectory(prefix="dashsnap-shared-") as temp, ExitStack() as running, \
            postgres_cluster.cluster() as cluster:
        work = Path(temp)
        small = {"dashboard": {"title": "small", "panels": [{"id": 1}]}, "name": "small"}
        body20k = {"dashboard": {"title": "Bench 20 KB", "panels": panels(20_000)}, "name": "bench"}
        (work / "small.json").write_text(json.dumps(small))
        post_small = lua(work, "post-small", method="POST", auth=True, body=work / "small.json")
        get = lua(work, "get")

        database = postgres_cluster.fresh_database(cluster.url)
        data_dir_one = start_server(work)
        running.callback(stop, data_dir_one)
        database_one = start_server(work, database=database)
        running.callback(stop, database_one)
        pair = running.enter_context(servers_behind_haproxy(database, work / "pair", threads=8))
        topologies = {"data dir, 1 server": (data_dir_one.url, 8), "PostgreSQL, 1 server": (database_one.url, 8),
                      "PostgreSQL, 2 servers behind haproxy": (pair.url.rstrip("/"), 16)}
        keys = {name: snapshot_key(url, body20k) for name, (url, _) in topologies.items()}

        figures: dict[str, list[float]] = defaultdict(list)
        errors: dict[str, int] = defaultdict(int)
        for repeat in range(1, repeats + 1):
            print(f"repeat {repeat} of {repeats} ...", flush=True)
            for name, (url, connections) in topologies.items():
                for target, path, script in (("creates", "/api/snapshots", post_small),
                                             ("reads", f"/api/snapshots/{keys[name]}", get)):
                    result = wrk_result(run_wrk(url + path, script, connections=connections, duration=duration))
                    figures[f"{name}|{target}"].append(result["rps"])
                    figures[f"{name}|{target} p50"].append(result["p50"])
                    errors[name] += int(result["errors"])

        print(f"\n{machine()}; --duration {duration} --repeats {repeats}")
        print("creates: POST /api/snapshots (small); reads: GET /api/snapshots/:key (20 KB); "
              "c=8 per server\n")
        print(f"{'store':40} {'creates/s':>10} {'p50 ms':>7} {'x dd':>6} {'reads/s':>10} {'p50 ms':>7} {'x dd':>6}")
        baseline = {target: statistics.median(figures[f"data dir, 1 server|{target}"])
                    for target in ("creates", "reads")}
        for name in topologies:
            row = f"{name:40}"
            for target in ("creates", "reads"):
                rps = statistics.median(figures[f"{name}|{target}"])
                row += (f" {rps:10.0f} {statistics.median(figures[f'{name}|{target} p50']):7.2f}"
                        f" {rps / baseline[target]:6.2f}")
            print(row + (f"   ({errors[name]} errors)" if errors[name] else ""))
        for target in ("creates", "reads"):
            two = statistics.median(figures[f"PostgreSQL, 2 servers behind haproxy|{target}"])
            one = statistics.median(figures[f"PostgreSQL, 1 server|{target}"])
            print(f"two servers / one on PostgreSQL, {target}: {two / one:.2f} x")
        for server in (data_dir_one, database_one):
            stop(server)

        if dashboards:
            search_database(dashboards, options.fill_cache, work, cluster.url, duration)


def search_database(dashboards: int, cache: Path | None, work: Path, cluster_url: str, duration: int) -> None:
    data_dir = filled_dashboards(dashboards, cache, work)
    database = postgres_cluster.fresh_database(cluster_url)
    started = time.perf_counter()
    dashsnap_command("export", "--data", str(data_dir), str(work / "dashboards.tar.gz"))
    dashsnap_command("import", str(work / "dashboards.tar.gz"), database=database)
    print(f"\nsearch: {dashboards} dashboards moved into PostgreSQL in {time.perf_counter() - started:.0f} s")
    server = start_server(work, database=database)
    try:
        print(f"server start on them: {server.startup_s:.1f} s")
        get_auth = lua(work, "get-auth", auth=True)
        print(f"{'GET':44} {'p50 ms':>7} {'p99 ms':>7}")
        for path in SEARCHES.values():
            result = wrk_result(run_wrk(server.url + path, get_auth, connections=1, threads=1, duration=duration))
            print(f"{path:44} {result['p50']:7.2f} {result['p99']:7.2f}")
    finally:
        stop(server)


if __name__ == "__main__":
    main()
