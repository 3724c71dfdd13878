"""Two dashsnap servers, each its own process (`python app.py`, as the README runs it) with a data dir of its own,
on one PostgreSQL database, behind Debian's haproxy dealing requests round-robin: one address, as Grafana's
high-availability setup puts it."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from conftest import ServerProcess, free_port

APP = Path(__file__).parent.parent / "app.py"
HAPROXY = """\
global
    maxconn 512
defaults
    mode http
    timeout connect 5s
    timeout client 120s
    timeout server 120s
    retry-on conn-failure
    retries 2
    option redispatch
frontend dashsnap
    bind 127.0.0.1:{port}
    default_backend servers
backend servers
    balance roundrobin
{servers}
"""


@dataclass
class Pair:
    url: str  # the load balancer's address, with a trailing slash
    servers: list[ServerProcess]
    ports: list[int]

    def server_url(self, number: int) -> str:
        return f"http://127.0.0.1:{self.ports[number]}/"


def _wait_until_listening(port: int, timeout: float = 15) -> None:
    ends = time.monotonic() + timeout
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if time.monotonic() > ends:
                raise
            time.sleep(0.02)


def start_server(database_url: str, folder: Path, port: int, root_url: str, *, threads: int = 4) -> ServerProcess:
    env = {**{key: value for key, value in os.environ.items() if not key.startswith(("GF_", "DASHSNAP_"))},
           "GF_SERVER_HTTP_ADDR": "127.0.0.1", "GF_SERVER_HTTP_PORT": str(port), "GF_SERVER_ROOT_URL": root_url,
           "GF_PATHS_DATA": str(folder / "data"), "GF_SERVER_THREADS": str(threads),
           "GF_DATABASE_TYPE": "postgres", "GF_DATABASE_URL": database_url}
    folder.mkdir(parents=True, exist_ok=True)
    return ServerProcess([sys.executable, str(APP)], cwd=folder, env=env, log=folder / "server.log")


@contextmanager
def servers_behind_haproxy(database_url: str, folder: Path, *, port: int | None = None,
                           threads: int = 4) -> Iterator[Pair]:
    """Start both servers (at once, as a deploy would), then haproxy in front of them on port (a free one when
    None); stop them all when the block ends."""
    if shutil.which("haproxy") is None:
        raise RuntimeError("haproxy is not installed: apt-get install haproxy (the README's test command does)")
    port = port or free_port()
    root_url, ports = f"http://127.0.0.1:{port}/", [free_port(), free_port()]
    with ThreadPoolExecutor(2) as starting:
        started = [starting.submit(start_server, database_url, folder / f"server-{number}", ports[number], root_url,
                                   threads=threads) for number in range(2)]
    servers = [future.result() for future in started if future.exception() is None]
    balancer = None
    try:
        for future in started:
            future.result()  # the first failure to start, raised
        config = folder / "haproxy.cfg"
        config.write_text(HAPROXY.format(port=port, servers="\n".join(
            f"    server dashsnap-{number} 127.0.0.1:{server_port}" for number, server_port in enumerate(ports))))
        with (folder / "haproxy.log").open("wb") as log:
            balancer = subprocess.Popen(["haproxy", "-db", "-f", str(config)], stdout=log, stderr=subprocess.STDOUT)
        _wait_until_listening(port)
        yield Pair(root_url, servers, ports)
    finally:
        if balancer is not None:
            balancer.terminate()
            balancer.wait(10)
        for server in servers:
            if server.process.poll() is None:
                server.stop()
