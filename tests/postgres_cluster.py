"""A throwaway PostgreSQL cluster for the tests of the shared-database store: Debian's postgresql package,
`initdb` into a temporary folder (as the `postgres` user when the tests run as root, which initdb refuses), on a
free port, stopped when the tests end. DASHSNAP_TEST_DATABASE_URL names a server to use instead."""
from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _binaries() -> str:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda path: int(path.split("/")[4]))
    if not found:
        raise RuntimeError("PostgreSQL is not installed: apt-get install postgresql (the README's test command "
                           "does)")
    return os.path.dirname(found[-1])


def _as_owner(command: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


class Cluster:
    """A running server: `url` names its maintenance database; `stop()` and `start()` it (as a restart would)."""

    def __init__(self, url: str, start=None, stop=None):
        self.url = url
        self._start, self._stop = start, stop

    def stop(self) -> None:
        self._stop("fast")

    def start(self) -> None:
        self._start()


@contextmanager
def cluster() -> Iterator[Cluster]:
    """A running throwaway cluster (or the server DASHSNAP_TEST_DATABASE_URL names, which cannot be restarted)."""
    if os.environ.get("DASHSNAP_TEST_DATABASE_URL"):
        yield Cluster(os.environ["DASHSNAP_TEST_DATABASE_URL"])
        return
    binaries = _binaries()
    folder = tempfile.mkdtemp(prefix="dashsnap-postgres-")
    os.chmod(folder, 0o755)
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres")
    data, port = os.path.join(folder, "cluster"), free_port()
    subprocess.run(_as_owner([f"{binaries}/initdb", "-D", data, "-U", "dashsnap", "--auth=trust", "-E", "UTF8",
                              "--locale=C.UTF-8"]), check=True, capture_output=True)

    def start() -> None:
        subprocess.run(_as_owner([f"{binaries}/pg_ctl", "-D", data, "-l", os.path.join(folder, "server.log"), "-w",
                                  "-o", f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 "
                                  "-c max_connections=400", "start"]), check=True, capture_output=True)

    def stop(mode: str) -> None:
        subprocess.run(_as_owner([f"{binaries}/pg_ctl", "-D", data, "-m", mode, "-w", "stop"]), capture_output=True)

    start()
    try:
        yield Cluster(f"postgres://dashsnap@127.0.0.1:{port}/postgres", start, stop)
    finally:
        stop("immediate")
        shutil.rmtree(folder, ignore_errors=True)


def fresh_database(server_url: str) -> str:
    """A new, empty database on the server; its URL."""
    name = f"dashsnap_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server_url, autocommit=True) as connection:
        connection.execute(f"CREATE DATABASE {name}")
    return server_url.rsplit("/", 1)[0] + f"/{name}"


def drop_database(server_url: str, url: str) -> None:
    with psycopg.connect(server_url, autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {url.rsplit('/', 1)[1]} WITH (FORCE)")
