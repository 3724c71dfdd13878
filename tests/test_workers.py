"""`[server] workers`: several serving processes on one port and one data dir, watched from outside through /proc
(which processes listen on the port, which are still alive), never through anything the API says."""
from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests
from conftest import ADMIN, ServerProcess, free_port
from test_cli import DASHSNAP, run

pytestmark = pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="watches processes through /proc")


def start(tmp_path: Path, port: int, workers: str = "2", **env: str) -> ServerProcess:
    (tmp_path / "tmp").mkdir(exist_ok=True)  # TMPDIR: where the workers keep their metrics while they run
    environ = {**{k: v for k, v in os.environ.items() if not k.startswith("GF_")},
               "GF_SERVER_HTTP_ADDR": "127.0.0.1", "GF_SERVER_HTTP_PORT": str(port), "GF_SERVER_WORKERS": workers,
               "GF_PATHS_DATA": str(tmp_path / "data"), "TMPDIR": str(tmp_path / "tmp"), **env}
    # A session of its own, as a server started from a terminal has: Ctrl-C signals the whole group.
    return ServerProcess([str(DASHSNAP)], cwd=tmp_path, env=environ, log=tmp_path / "server.log",
                         start_new_session=True)


@pytest.fixture
def port() -> int:
    return free_port()


@pytest.fixture
def server(tmp_path, port) -> Iterator[ServerProcess]:
    server = start(tmp_path, port)
    yield server
    server.stop()


def wait_until(condition: Callable[[], object], what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"still not {what}"
        time.sleep(0.1)


def children(pid: int) -> set[int]:
    found = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found |= {int(child) for child in (task / "children").read_text().split()}
        except FileNotFoundError:
            continue
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"  # a zombie has ended; only its exit status is left for its parent


def listeners(port: int) -> set[str]:
    """The sockets (as /proc names them, `socket:[inode]`) listening on port."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:
                found.add(f"socket:[{fields[9]}]")
    return found


def workers(server: ServerProcess, port: int) -> set[int]:
    """The server's child processes that hold a socket listening on its port."""
    sockets = listeners(port)
    found = set()
    for child in children(server.process.pid):
        try:
            if any(os.readlink(fd) in sockets for fd in Path(f"/proc/{child}/fd").iterdir()):
                found.add(child)
        except FileNotFoundError:  # it ended meanwhile, or closed that fd
            continue
    return found


@contextmanager
def only(worker: int, among: set[int]) -> Iterator[None]:
    """Stop (SIGSTOP) every worker but one, so that only that one can accept a connection."""
    paused = among - {worker}
    for pid in paused:
        os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        for pid in paused:
            os.kill(pid, signal.SIGCONT)


def health(port: int) -> int:
    # A new connection each time: a kept-alive one stays with the worker that accepted it.
    return requests.get(f"http://127.0.0.1:{port}/api/health", headers={"Connection": "close"}, timeout=30).status_code


def create_snapshots(port: int, count: int, session: requests.Session | None = None) -> list[dict]:
    caller = session or requests
    made = []
    for number in range(count):
        response = caller.post(f"http://127.0.0.1:{port}/api/snapshots", json={"dashboard": {"title": f"s{number}"}},
                               headers=ADMIN if session else {**ADMIN, "Connection": "close"}, timeout=30)
        assert response.status_code == 200, response.text
        made.append(response.json())
    return made


def test_two_workers_each_accept_connections_on_the_one_port(server, port):
    assert "dashsnap on http://127.0.0.1:" in server.log.read_text() and "and 2 workers" in server.log.read_text()
    serving = workers(server, port)
    assert len(serving) == 2
    for worker in serving:
        with only(worker, serving):
            assert health(port) == 200


def test_writes_from_both_workers_at_once_all_land(server, port):
    serving = workers(server, port)
    made = []
    for worker in serving:
        with only(worker, serving):
            made += create_snapshots(port, 10)

    def write_over_one_connection(_) -> list[dict]:
        with requests.Session() as session:
            return create_snapshots(port, 5, session)

    with ThreadPoolExecutor(6) as pool:
        for batch in pool.map(write_over_one_connection, range(6)):
            made += batch

    listed = requests.get(f"http://127.0.0.1:{port}/api/dashboard/snapshots?limit=100", headers=ADMIN, timeout=30)
    assert sorted(snapshot["key"] for snapshot in listed.json()) == sorted(snapshot["key"] for snapshot in made)
    assert len({snapshot["id"] for snapshot in made}) == len(made) == 50


def test_metrics_count_the_requests_of_every_worker_whichever_answers(server, port):
    from prometheus_client.parser import text_string_to_metric_families
    from test_metrics import requests_counted

    serving = workers(server, port)
    for worker in serving:
        with only(worker, serving):
            assert [health(port) for _ in range(3)] == [200] * 3
    for worker in serving:
        with only(worker, serving):
            scraped = requests.get(f"http://127.0.0.1:{port}/metrics", headers={"Connection": "close"}, timeout=30)
        samples: dict[str, list] = {}
        for family in text_string_to_metric_families(scraped.text):
            for sample in family.samples:
                samples.setdefault(sample.name, []).append(sample)
        assert requests_counted(samples, "/api/health", "GET", 200) == 6
        assert samples["dashsnap_stat_totals_snapshot"][0].value == 0  # counted once, not once per worker


def test_sigterm_stops_every_worker_and_the_parent_exits_0(tmp_path, port):
    server = start(tmp_path, port)
    started = children(server.process.pid)
    assert len(workers(server, port)) == 2

    assert server.stop() == 0

    wait_until(lambda: not any(alive(pid) for pid in started), "all ended")
    assert "Traceback" not in server.log.read_text()
    assert list((tmp_path / "tmp").iterdir()) == []  # the workers' metrics went with them


def test_ctrl_c_stops_every_worker_and_the_parent_exits_0(tmp_path, port):
    server = start(tmp_path, port)
    started = children(server.process.pid)
    assert len(workers(server, port)) == 2

    os.killpg(server.process.pid, signal.SIGINT)  # what Ctrl-C in its terminal does: every process of the group

    assert server.process.wait(timeout=60) == 0
    wait_until(lambda: not any(alive(pid) for pid in started), "all ended")
    assert server.stop() == 0
    assert "Traceback" not in server.log.read_text()


def test_a_worker_that_dies_is_replaced(server, port):
    first, second = sorted(workers(server, port))

    os.kill(first, signal.SIGKILL)

    wait_until(lambda: len(workers(server, port) - {second}) == 1, "replaced")
    (replacement,) = workers(server, port) - {second}
    with only(replacement, {replacement, second}):
        assert health(port) == 200
    wait_until(lambda: f"(pid {first}) ended with signal SIGKILL; starting another" in server.log.read_text(),
               "logged")


def test_workers_end_when_the_parent_is_killed(tmp_path, port):
    server = start(tmp_path, port)
    serving = workers(server, port)
    assert len(serving) == 2

    server.process.kill()

    wait_until(lambda: not any(alive(pid) for pid in serving), "ended with their parent")
    server.stop()


@pytest.mark.data_dir_only
def test_expired_snapshots_are_swept_by_one_process(make_app, tmp_path, port):
    from test_snapshots import created

    created(make_app().test_client(), expires=1)  # expired before the server starts
    time.sleep(1.1)
    server = start(tmp_path, port, GF_SNAPSHOTS_CLEANUP_INTERVAL="1")
    try:
        later = create_snapshots(port, 1)[0]
        expiring = requests.post(f"http://127.0.0.1:{port}/api/snapshots", json={"dashboard": {}, "expires": 1},
                                 headers=ADMIN, timeout=30).json()
        snapshots = tmp_path / "data" / "snapshots"
        wait_until(lambda: not list(snapshots.glob(f"*/{expiring['key']}.json")), "swept")
    finally:
        server.stop()
    log = server.log.read_text()
    assert log.count("removed 1 expired snapshot") == 2, log  # the one from before the start, and the later one
    assert [path.stem for path in snapshots.glob("*/*.json")] == [later["key"]]


def test_workers_0_starts_one_per_cpu(tmp_path, port):
    cpus = len(os.sched_getaffinity(0))
    server = start(tmp_path, port, workers="0")
    try:
        assert len(workers(server, port)) == (cpus if cpus > 1 else 0)  # one CPU: the one process serves alone
        assert health(port) == 200
    finally:
        server.stop()


def test_a_negative_worker_count_is_a_bad_setting(tmp_path, monkeypatch):
    monkeypatch.setenv("GF_SERVER_WORKERS", "-1")
    result = run("serve", "--data", str(tmp_path / "data"))
    assert result.exit_code == 2 and "[server] workers" in result.output
    assert not (tmp_path / "data").exists()
