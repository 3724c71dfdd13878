"""dashsnap served the README way against the ceiling of a bare Flask app on the same waitress, loaded by wrk.

    .venv/bin/python bench/ceiling.py [--duration 5] [--repeats 3] [--dashboards 100000] [--fill-cache DIR]
    .venv/bin/python bench/ceiling.py --quick          # a smoke run: 2 s targets, 1 repeat, small data sets

Starts `app.py` as users do (GF_SERVER_HTTP_PORT, GF_PATHS_DATA) and bench/bare_app.py beside it, loads each
target with wrk (2 threads, 8 connections; 1 connection for the latency rows) for --duration seconds, all
targets once per repeat, and prints the medians over the repeats as ratios to the ceiling measured in the same
run. Data sets are filled in-process through the app's own request handling with fsync skipped (one sync at the
end), so the files and the index are exactly what the server writes, minutes faster. With --fill-cache the
dashboards data dir is kept there and reused by later runs (remove its dashboards-N folder to fill it anew).
"""
from __future__ import annotations

import argparse
import base64
import json
import os
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections import defaultdict
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BASIC = "Basic " + base64.b64encode(b"admin:admin").decode()
AREAS = ("memory disk network latency errors requests nginx postgres redis kafka node cluster edge api billing "
         "search cache queue worker ingress storage backup dns mail vpn gpu power temperature").split()
KINDS = "overview details capacity alerts slo usage trends health".split()
# The searches timed at N dashboards, one connection each.
SEARCHES = {"cpu": "/api/search?query=cpu&limit=100", "prod": "/api/search?tag=prod&limit=100",
            "page2": "/api/search/?type=dash-db&limit=5000&page=2", "tags": "/api/dashboards/tags"}


@dataclass
class Server:
    process: subprocess.Popen
    url: str
    startup_s: float
    started_at: float  # time.perf_counter() at its launch


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start(argv: list[str], port: int, probe: str, log: Path, env: dict | None = None) -> Server:
    """Start a server process; returns once probe answers 200 (start-up time: launch to that answer)."""
    started = time.perf_counter()
    with log.open("wb") as output:
        process = subprocess.Popen(argv, cwd=ROOT, env={**os.environ, **(env or {})}, stdout=output,
                                   stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    while True:
        try:
            with urllib.request.urlopen(url + probe, timeout=5) as answer:
                if answer.status == 200:
                    return Server(process, url, time.perf_counter() - started, started)
        except OSError:
            pass
        if process.poll() is not None:
            sys.exit(f"{' '.join(argv)} exited with {process.returncode}; see {log}")
        time.sleep(0.01)


def start_dashsnap(data_dir: Path, logs: Path) -> Server:
    """A dashsnap server, once it answers; then one signed-in request, so that the password check a process pays
    once (~75 ms of scrypt, as it should cost) is not inside a measurement: wrk's percentiles gave that single
    request the weight of the 99th of a 5 s run at one connection."""
    port = free_port()
    server = start([sys.executable, "app.py"], port, "/api/health", logs / f"dashsnap-{port}.log",
                   {"GF_SERVER_HTTP_PORT": str(port), "GF_PATHS_DATA": str(data_dir)})
    signed_in = urllib.request.Request(server.url + "/api/user", headers={"Authorization": BASIC})
    with urllib.request.urlopen(signed_in, timeout=30) as answer:
        answer.read()
    return server


def stop(server: Server) -> None:
    server.process.terminate()
    try:
        server.process.wait(10)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()


def rss_mb(server: Server) -> float:
    status = Path(f"/proc/{server.process.pid}/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+) kB", status).group(1)) / 1024


def ensure_wrk() -> None:
    if shutil.which("wrk"):
        return
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    subprocess.run([*sudo, "apt-get", "install", "-y", "-q", "wrk"], check=False)
    if not shutil.which("wrk"):
        sys.exit("this benchmark needs wrk: install it (Debian: `sudo apt-get install wrk`) and run it again")


def lua(folder: Path, name: str, *, method: str = "GET", auth: bool = False, body: Path | None = None,
        new_titles: bool = False) -> Path:
    """A wrk script: the method, JSON headers, Basic admin:admin with auth, body's bytes as the body; with
    new_titles, body holds panels and every request saves a dashboard titled `<wrk arg> <thread>-<n>`."""
    lines = [f'wrk.method = "{method}"', 'wrk.headers["Content-Type"] = "application/json"']
    if auth:
        lines.append(f'wrk.headers["Authorization"] = "{BASIC}"')
    if body:
        lines += [f'local file = io.open("{body}", "rb")', 'local body = file:read("*a")', "file:close()"]
        lines.append("wrk.body = body" if not new_titles else """
local threads = 0
function setup(thread) threads = threads + 1; thread:set("id", threads) end
function init(args) prefix = args[1]; sent = 0 end
function request()
  sent = sent + 1
  return wrk.format(nil, nil, nil, '{"overwrite": false, "dashboard": {"title": "' .. prefix .. ' ' .. id ..
    '-' .. sent .. '", "panels": ' .. body .. '}}')
end""")
    path = folder / f"{name}.lua"
    path.write_text("\n".join(lines) + "\n")
    return path


def run_wrk(url: str, script: Path, *, connections: int = 8, threads: int = 2, duration: int,
            args: tuple[str, ...] = ()) -> subprocess.Popen:
    argv = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--latency", "-s", str(script), url]
    return subprocess.Popen([*argv, *(["--", *args] if args else [])], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)


def wrk_result(process: subprocess.Popen) -> dict[str, float]:
    """rps, p50 and p99 (ms), and errors (non-2xx answers and socket errors) from wrk --latency output."""
    output = process.communicate()[0]
    if process.returncode:
        sys.exit(f"wrk failed:\n{output}")
    unit_ms = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}
    percentiles = {int(share): float(value) * unit_ms[unit]
                   for share, value, unit in re.findall(r"^\s+(\d+)%\s+([\d.]+)(us|ms|s|m)\s*$", output, re.M)}
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    return {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)), "p50": percentiles[50],
            "p99": percentiles[99], "errors": (int(non_2xx.group(1)) if non_2xx else 0)
            + (sum(map(int, socket_errors.groups())) if socket_errors else 0)}


def panels(size: int) -> list[dict]:
    """Graph panels adding up to about size bytes of JSON."""
    def panel(number: int) -> dict:
        return {"id": number, "type": "timeseries", "title": f"Panel {number}",
                "gridPos": {"h": 8, "w": 12, "x": 12 * (number % 2), "y": 8 * number},
                "targets": [{"refId": "A", "expr": f'rate(node_cpu_seconds_total{{instance="host-{number}"}}[5m])'}]}
    return [panel(number) for number in range(1, max(1, size // len(json.dumps(panel(1)))) + 1)]


def generated_dashboard(number: int, rng: random.Random) -> dict:
    """A dashboard with a varied title (about 1% contain "cpu") and tags (about 10% carry "prod")."""
    area = "cpu" if rng.random() < 0.01 else rng.choice(AREAS)
    tags = ["prod" if rng.random() < 0.1 else rng.choice(["staging", "dev"]), f"team-{rng.randrange(20)}"]
    return {"title": f"{area.title()} {rng.choice(KINDS)} {rng.choice(AREAS)} {number}", "tags": tags,
            "panels": [{"id": 1, "type": "graph", "title": "p"}], "schemaVersion": 16}


@contextmanager
def filling(data_dir: Path):
    """A poster into data_dir through the app's own request handling, with fsync skipped (the files are the
    server's own, only not durable one by one); one sync at the end."""
    from dashsnap.app import create_app

    client = create_app({"DASHSNAP_DATA_DIR": str(data_dir), "DASHSNAP_CLEANUP_INTERVAL": 0}).test_client()

    def post(path: str, document: dict) -> dict:
        answer = client.post(path, json=document, headers={"Authorization": BASIC})
        if answer.status_code != 200:
            sys.exit(f"filling: POST {path} answered {answer.status_code}: {answer.get_data(as_text=True)}")
        return answer.get_json()

    fsync, os.fsync = os.fsync, lambda fd: None
    try:
        yield post
    finally:
        os.fsync = fsync
        os.sync()


def filled_dashboards(count: int, cache: Path | None, work: Path) -> Path:
    """A data dir with count generated dashboards in org 1: the cached one, else filled (and cached)."""
    home = (cache or work) / f"dashboards-{count}"
    data_dir, done = home / "data", home / "filled.json"
    if done.exists():
        print(f"dashboards: reusing {data_dir} ({done.read_text().strip()})", flush=True)
        return data_dir
    shutil.rmtree(home, ignore_errors=True)  # what an interrupted fill left
    print(f"dashboards: filling {data_dir} with {count} ...", flush=True)
    started, rng = time.perf_counter(), random.Random(7)
    with filling(data_dir) as post:
        for number in range(1, count + 1):
            post("/api/dashboards/db", {"dashboard": generated_dashboard(number, rng), "overwrite": False})
            if number % 10_000 == 0:
                print(f"  {number} in {time.perf_counter() - started:.0f} s", flush=True)
    done.write_text(json.dumps({"dashboards": count, "commit": git("rev-parse", "--short", "HEAD"),
                                "filled": time.strftime("%Y-%m-%d %H:%M")}) + "\n")
    return data_dir


def durable_writes_per_s(folder: Path, size: int = 20_000, threads: int = 8, seconds: float = 3.0) -> float:
    """What the file system allows: threads each writing new size-byte files durably (temp file, fsync,
    os.replace, fsync of the folder), all in one folder; writes per second."""
    folder.mkdir()
    data, counts, deadline = os.urandom(size // 2).hex().encode(), [0] * threads, time.perf_counter() + seconds

    def write(thread: int) -> None:
        while time.perf_counter() < deadline:
            temp = folder / f".tmp-{thread}"
            with open(temp, "wb") as file:
                file.write(data)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temp, folder / f"{thread}-{counts[thread]}.json")
            directory = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
            os.fsync(directory)
            os.close(directory)
            counts[thread] += 1

    workers = [threading.Thread(target=write, args=(thread,)) for thread in range(threads)]
    started = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    rate = sum(counts) / (time.perf_counter() - started)
    shutil.rmtree(folder)
    return rate


def git(*args: str) -> str:
    run = subprocess.run(["git", "--no-optional-locks", *args], cwd=ROOT, capture_output=True, text=True)
    return run.stdout.strip()


def machine() -> str:
    cpu = re.search(r"^model name\s*:\s*(.+)$", Path("/proc/cpuinfo").read_text(), re.M)
    cores = subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip()
    changes = " + uncommitted changes" if git("status", "--porcelain", "--untracked-files=no") else ""
    return (f"{time.strftime('%Y-%m-%d %H:%M')}, nproc {cores}, {cpu.group(1) if cpu else 'unknown CPU'}, "
            f"load {os.getloadavg()[0]:.1f} at start, commit {git('rev-parse', '--short', 'HEAD')}{changes}")


# (what, dashsnap figure, ceiling figure, target, holds(ratio, dashsnap figure))
RATIO_ROWS = [
    ("GET /api/health vs /hello, rps", "health.rps", "hello.rps", "ratio >= 0.85", lambda r, v: r >= 0.85),
    ("GET /api/snapshots/:key 20 KB vs /hello, rps", "snap20k.rps", "hello.rps", "ratio >= 0.7",
     lambda r, v: r >= 0.7),
    ("GET /api/snapshots/:key 20 KB vs /hello, p99 ms", "snap20k.p99", "hello.p99", "ratio <= 2",
     lambda r, v: r <= 2),
    ("GET /api/snapshots/:key 1 MB vs /bytes/<same size>, rps", "snap1m.rps", "bytes.rps", "ratio >= 0.7",
     lambda r, v: r >= 0.7),
    ("POST /api/snapshots 20 KB vs POST /echo, rps", "post20k.rps", "echo.rps", "ratio >= 0.8",
     lambda r, v: r >= 0.8),
    ("POST /api/snapshots 20 KB vs POST /echo, p99 ms", "post20k.p99", "echo.p99", "ratio <= 3",
     lambda r, v: r <= 3),
    ("GET /api/dashboard/snapshots?limit=100 vs /hello, rps", "list.rps", "hello.rps", "ratio >= 0.5",
     lambda r, v: r >= 0.5),
    ("GET /dashboard/snapshot/:key 20 KB vs /hello, rps", "page.rps", "hello.rps", "ratio >= 0.5",
     lambda r, v: r >= 0.5),
    ("POST /api/dashboards/db 20 KB, 8 writers, saves/s vs durable 20 KB writes/s by 8 threads", "dashboards.rps",
     "durable.rps", ">= 600 saves/s", lambda r, v: v >= 600),
    ("POST /api/snapshots small: 2 servers on one data dir (c=4 each) vs 1 server (c=8), rps", "pair.rps",
     "alone.rps", "ratio >= 1.6", lambda r, v: r >= 1.6),
]
# (what, figure, unit, holds(figure), target)
LATENCY_ROWS = [
    ("GET /api/search?query=cpu&limit=100 p50", "cpu.p50", "ms", lambda v: v < 3, "< 3 ms"),
    ("GET /api/search?query=cpu&limit=100 p99", "cpu.p99", "ms", lambda v: v < 10, "< 10 ms"),
    ("GET /api/search?tag=prod&limit=100 p50", "prod.p50", "ms", lambda v: v < 3, "< 3 ms"),
    ("GET /api/search?tag=prod&limit=100 p99", "prod.p99", "ms", lambda v: v < 10, "< 10 ms"),
    ("GET /api/search/?type=dash-db&limit=5000&page=2 p50", "page2.p50", "ms", lambda v: True, ""),
    ("GET /api/search/?type=dash-db&limit=5000&page=2 p99", "page2.p99", "ms", lambda v: v < 40, "< 40 ms"),
    ("GET /api/dashboards/tags p50", "tags.p50", "ms", lambda v: v < 3, "< 3 ms"),
    ("GET /api/dashboards/tags p99", "tags.p99", "ms", lambda v: True, ""),
    ("start-up: process start to first 200 from /api/health", "startup.s", "s", lambda v: v < 2, "< 2 s"),
    ("start-up: process start to a first search answered (after one sign-in)", "searchable.s", "s", lambda v: True,
     ""),
    ("server RSS after the searches", "rss.mb", "MB", lambda v: v <= 200, "<= 200 MB"),
]


def report(figures: dict[str, list[float]], errors: dict[str, int], targets: dict[str, str], header: str,
           dashboards: int) -> None:
    def median(key: str) -> float:
        return statistics.median(figures[key])

    def holds(ok: bool, *keys: str) -> str:
        failed = sum(errors[key.split(".")[0]] for key in keys)
        return f"FAIL ({failed} failed requests)" if failed else "PASS" if ok else "FAIL"

    print(f"\n{header}\n\n| what | dashsnap | ceiling | ratio | target | holds |\n|---|---|---|---|---|---|")
    for what, ours, ceiling, target, check in RATIO_ROWS:
        ratio = median(ours) / median(ceiling)
        print(f"| {what} | {median(ours):.1f} | {median(ceiling):.1f} | {ratio:.2f} | {target} | "
              f"{holds(check(ratio, median(ours)), ours, ceiling)} |")
    print(f"\n| at {dashboards:,} dashboards (c=1) | dashsnap | target | holds |\n|---|---|---|---|")
    for what, key, unit, check, target in LATENCY_ROWS:
        print(f"| {what} | {median(key):.2f} {unit} | {target or '-'} | "
              f"{holds(check(median(key)), key) if target else '-'} |")
    print("\n| every target (medians) | rps | p50 ms | p99 ms | failed requests |\n|---|---|---|---|---|")
    for name, target in targets.items():
        print(f"| {name}: {target} | {median(name + '.rps'):.1f} | {median(name + '.p50'):.2f} | "
              f"{median(name + '.p99'):.2f} | {errors[name]} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, help="seconds per target (default 5; --quick: 2)")
    parser.add_argument("--repeats", type=int, help="runs of every target, medians reported (default 3; --quick: 1)")
    parser.add_argument("--dashboards", type=int,
                        help="dashboards stored for the latency rows (default 100000; --quick: 2000)")
    parser.add_argument("--snapshots", type=int, help="snapshots stored for the list row (default 2000; --quick: 200)")
    parser.add_argument("--fill-cache", type=Path, help="keep the filled dashboards data dir here, reuse it next time")
    parser.add_argument("--quick", action="store_true", help="a fast smoke run with small sizes")
    options = parser.parse_args()
    quick = options.quick
    duration = options.duration or (2 if quick else 5)
    repeats = options.repeats or (1 if quick else 3)
    dashboards = options.dashboards or (2000 if quick else 100_000)
    snapshot_count = options.snapshots or (200 if quick else 2000)
    ensure_wrk()
    header = (f"{machine()}; --duration {duration} --repeats {repeats} --dashboards {dashboards} "
              f"--snapshots {snapshot_count}")

    with tempfile.TemporaryDirectory(prefix="dashsnap-ceiling-") as temp, ExitStack() as servers:
        work = Path(temp)
        big_data = filled_dashboards(dashboards, options.fill_cache, work)
        reads_data, writes_data = work / "reads", work / "writes"
        small = {"dashboard": {"title": "small", "panels": [{"id": 1}]}, "name": "small"}
        body20k = {"dashboard": {"title": "Bench 20 KB", "panels": panels(20_000)}, "name": "bench"}
        print(f"snapshots: filling {reads_data} with {snapshot_count} small, one 20 KB, one 1 MB ...", flush=True)
        with filling(reads_data) as post:
            for _ in range(snapshot_count):
                post("/api/snapshots", small)
            key20k = post("/api/snapshots", body20k)["key"]
            key1m = post("/api/snapshots", {"dashboard": {"title": "Bench 1 MB", "panels": panels(1_000_000)},
                                            "name": "bench"})["key"]

        def serving(server: Server) -> Server:
            servers.callback(stop, server)
            return server

        reads, writes, second = (serving(start_dashsnap(data, work)) for data in (reads_data, writes_data, writes_data))
        stored = work / "stored.json"
        with urllib.request.urlopen(f"{reads.url}/api/snapshots/{key1m}") as answer:
            stored.write_bytes(answer.read())
        bare_port = free_port()
        bare = serving(start([sys.executable, "bench/bare_app.py", str(bare_port), str(stored)], bare_port, "/hello",
                             work / "bare.log"))
        (work / "20k.json").write_text(json.dumps(body20k))
        (work / "small.json").write_text(json.dumps(small))
        (work / "panels.json").write_text(json.dumps(panels(20_000)))
        get, get_auth = lua(work, "get"), lua(work, "get-auth", auth=True)
        post20k = lua(work, "post20k", method="POST", auth=True, body=work / "20k.json")
        post_small = lua(work, "post-small", method="POST", auth=True, body=work / "small.json")
        new_dashboards = lua(work, "dashboards", method="POST", auth=True, body=work / "panels.json", new_titles=True)
        print(f"stored: 20 KB snapshot body {len(json.dumps(body20k))} bytes, 1 MB snapshot answer "
              f"{stored.stat().st_size} bytes", flush=True)

        figures: dict[str, list[float]] = defaultdict(list)
        errors: dict[str, int] = defaultdict(int)
        targets: dict[str, str] = {}  # name: what wrk loaded

        def record(name: str, result: dict[str, float], target: str) -> None:
            targets[name] = target
            for figure in ("rps", "p50", "p99"):
                figures[f"{name}.{figure}"].append(result[figure])
            errors[name] += int(result["errors"])

        def load(name: str, what: str, url: str, script: Path, **wrk_options) -> None:
            record(name, wrk_result(run_wrk(url, script, duration=duration, **wrk_options)),
                   f"{what}, c={wrk_options.get('connections', 8)}")

        for repeat in range(1, repeats + 1):
            print(f"repeat {repeat} of {repeats} ...", flush=True)
            load("hello", "bare GET /hello", f"{bare.url}/hello", get)
            load("health", "GET /api/health", f"{reads.url}/api/health", get)
            load("snap20k", "GET /api/snapshots/:key (20 KB)", f"{reads.url}/api/snapshots/{key20k}", get)
            load("page", "GET /dashboard/snapshot/:key (20 KB)", f"{reads.url}/dashboard/snapshot/{key20k}", get)
            load("list", "GET /api/dashboard/snapshots?limit=100", f"{reads.url}/api/dashboard/snapshots?limit=100",
                 get_auth)
            load("bytes", "bare GET /bytes/<1 MB>", f"{bare.url}/bytes/{stored.stat().st_size}", get)
            load("snap1m", "GET /api/snapshots/:key (1 MB)", f"{reads.url}/api/snapshots/{key1m}", get)
            load("echo", "bare POST /echo (20 KB)", f"{bare.url}/echo", post20k)
            load("post20k", "POST /api/snapshots (20 KB)", f"{writes.url}/api/snapshots", post20k)
            load("dashboards", "POST /api/dashboards/db (20 KB, new titles)", f"{writes.url}/api/dashboards/db",
                 new_dashboards, args=(f"Bench r{repeat}",))
            figures["durable.rps"].append(durable_writes_per_s(work / "durable", seconds=min(3.0, duration)))
            load("alone", "POST /api/snapshots (small), 1 server", f"{writes.url}/api/snapshots", post_small)
            pair = [run_wrk(f"{server.url}/api/snapshots", post_small, connections=4, threads=1, duration=duration)
                    for server in (writes, second)]
            results = [wrk_result(process) for process in pair]
            record("pair", {"rps": sum(r["rps"] for r in results), "p50": max(r["p50"] for r in results),
                            "p99": max(r["p99"] for r in results), "errors": sum(r["errors"] for r in results)},
                   "POST /api/snapshots (small), 2 servers on one data dir, c=4 each (rps summed; worse p50, p99)")

            big = start_dashsnap(big_data, work)
            try:
                figures["startup.s"].append(big.startup_s)
                # The search catalog loads in the background from start-up on; the first search waits for it.
                first_search = urllib.request.Request(big.url + "/api/search?limit=1", headers={"Authorization": BASIC})
                with urllib.request.urlopen(first_search, timeout=30) as answer:
                    answer.read()
                figures["searchable.s"].append(time.perf_counter() - big.started_at)
                for name, path in SEARCHES.items():
                    load(name, f"GET {path}", big.url + path, get_auth, connections=1, threads=1)
                figures["rss.mb"].append(rss_mb(big))
            finally:
                stop(big)

    report(figures, errors, targets, header, dashboards)


if __name__ == "__main__":
    main()
