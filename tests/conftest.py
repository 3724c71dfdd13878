"""Fixtures: every test gets a fresh data dir, a real store, and real auth."""
from __future__ import annotations

import base64
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from dashsnap.app import create_app
from dashsnap.blueprints.context import EXTENSION
from waitress.server import create_server

# Debian's Chromium, which the browser tests drive (tests marked `browser`).
CHROMIUM = Path("/usr/bin/chromium")


def pytest_report_header(config) -> str:
    """The Chromium the browser tests run on: its releases change what a page may do under its CSP."""
    if not CHROMIUM.exists():
        return f"chromium: {CHROMIUM} is missing (the browser tests fail)"
    # stdout only: Debian's launcher script prints shell noise on stderr.
    version = subprocess.run([str(CHROMIUM), "--version"], capture_output=True, text=True, timeout=60).stdout
    return f"chromium: {version.strip() or 'no version (it printed nothing)'} at {CHROMIUM}"


def basic(login: str = "admin", password: str = "admin") -> dict[str, str]:
    token = base64.b64encode(f"{login}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


ADMIN = basic()


def pytest_collection_modifyitems(config, items) -> None:
    """With DASHSNAP_TEST_STORE=postgres (see make_app), the tests about the data dir's own files do not apply."""
    if os.environ.get("DASHSNAP_TEST_STORE") != "postgres":
        return
    skip = pytest.mark.skip(reason="about the data dir's files, or apps on stores of their own")
    for item in items:
        if item.get_closest_marker("data_dir_only"):
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _no_grafana_environment(monkeypatch):
    """GF_* variables of the machine running the tests must not change what the tests build."""
    import os

    for name in [name for name in os.environ if name.startswith("GF_")]:
        monkeypatch.delenv(name)


@pytest.fixture
def make_app(request, tmp_path: Path) -> Iterator[Callable]:
    """Build an app on a data dir under tmp_path (the same dir unless data_dir is given). With
    DASHSNAP_TEST_STORE=postgres, every app of a test shares one fresh PostgreSQL database instead, so that the
    API's tests run against that store."""
    shared = {}
    if os.environ.get("DASHSNAP_TEST_STORE") == "postgres":
        shared = on_postgres(request.getfixturevalue("make_database")())
    made = []

    def make(data_dir: Path | None = None, **settings):
        made.append(create_app({"TESTING": True, "DASHSNAP_DATA_DIR": str(data_dir or tmp_path / "data"),
                                "DASHSNAP_CLEANUP_INTERVAL": 0, "DASHSNAP_ROOT_URL": "http://dashsnap.test/",
                                **shared, **settings}))
        return made[-1]

    yield make
    for app in made:
        close_store(app)


def close_store(app) -> None:
    """Give back an app's store connections (a test's database is dropped after it)."""
    app.extensions[EXTENSION].store.close()


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator:
    """A throwaway PostgreSQL server (see postgres_cluster.py)."""
    import postgres_cluster

    with postgres_cluster.cluster() as running:
        yield running


@pytest.fixture(scope="session")
def postgres_server(postgres_cluster) -> str:
    """The URL of the throwaway server's maintenance database."""
    return postgres_cluster.url


@pytest.fixture
def make_database(postgres_server) -> Iterator[Callable[[], str]]:
    """Make new, empty databases on the test server (dropped after the test); each call answers one's URL."""
    import postgres_cluster

    made = []

    def make() -> str:
        made.append(postgres_cluster.fresh_database(postgres_server))
        return made[-1]

    yield make
    for url in made:
        postgres_cluster.drop_database(postgres_server, url)


def on_postgres(url: str) -> dict[str, object]:
    """The settings of an app whose store is the PostgreSQL database at url."""
    return {"DASHSNAP_DATABASE_TYPE": "postgres", "DASHSNAP_DATABASE_URL": url}


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def make_key(client) -> Callable[..., str]:
    """Create an API key with a role in the caller's org (org 1 by default) and return it."""
    counter = iter(range(1, 10_000))

    def make(role: str = "Admin", *, headers: dict | None = None, **fields) -> str:
        body = {"name": f"key-{next(counter)}", "role": role, **fields}
        response = client.post("/api/auth/keys", json=body, headers=headers or ADMIN)
        assert response.status_code == 200, response.get_json()
        return response.get_json()["key"]

    return make


_OPENED: list[list[Path]] = []  # the lists of the opened_files fixtures now recording


def _record_opens(event: str, args: tuple) -> None:
    if event == "open" and _OPENED and isinstance(args[0], (str, bytes, Path)):
        for opened in _OPENED:
            opened.append(Path(args[0].decode() if isinstance(args[0], bytes) else args[0]))


sys.addaudithook(_record_opens)  # audit hooks cannot be removed: this one records only while a test asks


@pytest.fixture
def opened_files() -> Iterator[list[Path]]:
    """Every file this process opens while the test runs (by any means: open, os.open, Path.read_bytes)."""
    opened: list[Path] = []
    _OPENED.append(opened)
    yield opened
    _OPENED.remove(opened)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def serve(app, port: int = 0) -> tuple[str, Callable[[], None]]:
    """Run app on a real waitress server on a loopback port (ephemeral by default); (base url, stop)."""
    server = create_server(app, host="127.0.0.1", port=port, threads=4)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()

    def close_every_channel() -> None:
        # Runs in the server's own loop thread (closing from another thread races its loop): once the
        # listener, kept-alive connections and the trigger are closed, the loop ends.
        for channel in list(server._map.values()):
            if channel is not server.trigger:
                channel.close()
        server.trigger.close()

    def stop() -> None:
        # Not pull_trigger(close_every_channel): it queues the thunk, then writes to wake the loop, and a worker's
        # own wake-up in between can let the loop run the thunk first, closing the pipe that write is for. The
        # loop runs thunks under the trigger's lock, so under it the write comes first.
        with server.trigger.lock:
            server.trigger.thunks.append(close_every_channel)
            server.trigger._physical_pull()
        thread.join(timeout=5)
        # The worker threads outlive the loop unless told to end; each holds its own index connection open.
        server.task_dispatcher.shutdown()

    return f"http://127.0.0.1:{server.effective_port}", stop


class ServerProcess:
    """A dashsnap server in a child process (the command, `python app.py` or the binary), its output copied to
    log. Made once it listens: it waits for the line the server logs once its socket is bound (no polling)."""

    LISTENING = b" dashsnap on http://"

    def __init__(self, argv: list[str], *, cwd: Path, env: dict[str, str], log: Path, timeout: float = 60,
                 **popen):
        self.log = log
        self.process = subprocess.Popen(argv, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                        **popen)
        self._listening, self._said = threading.Event(), threading.Event()
        self._output, self._more_output = b"", threading.Condition()
        self._copier = threading.Thread(target=self._copy_output, daemon=True)
        self._copier.start()
        self._said.wait(timeout)
        if not self._listening.is_set():
            self.process.kill()
            self.stop()
            raise AssertionError(f"the server did not start: {log.read_text()}")

    def _copy_output(self) -> None:
        with self.log.open("wb") as log, self.process.stdout as output:
            for line in output:
                log.write(line)
                log.flush()
                with self._more_output:
                    self._output += line
                    self._more_output.notify_all()
                if self.LISTENING in line:
                    self._listening.set()
                    self._said.set()
        self._said.set()  # it ended without listening

    def wait_for(self, text: bytes, timeout: float = 30) -> bool:
        """Whether the server writes text to its output within timeout seconds."""
        with self._more_output:
            return self._more_output.wait_for(lambda: text in self._output, timeout)

    def stop(self, timeout: float = 15) -> int:
        """SIGTERM, then its exit status once it has ended and its output is all in the log."""
        self.process.terminate()
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            raise
        finally:
            self._copier.join(timeout=timeout)
        return self.process.returncode


@pytest.fixture
def live_server(app) -> Iterator[str]:
    url, stop = serve(app)
    yield url
    stop()


@pytest.fixture
def make_user(app) -> Callable[..., dict[str, str]]:
    """Create a user with a role in an org (creating the org when it is new); returns its Basic header."""
    from dashsnap.security import hash_password

    store = app.extensions["dashsnap"].store

    def make(login: str, role: str = "Viewer", org_id: int = 1) -> dict[str, str]:
        while store.orgs.get(org_id) is None:
            store.orgs.create(f"Org {org_id}.{login}")
        store.users.create(login=login, email=f"{login}@example.test", name=login,
                           password_hash=hash_password("secret"), is_server_admin=False,
                           org_roles={org_id: role})
        return basic(login, "secret")

    return make


class RecordingServer:
    """A real HTTP server on a loopback port (a stand-in upstream): records every request as {method, path,
    body, headers} in `seen`, and answers what respond(request, its own url) returns: (status, headers, body)."""

    def __init__(self, respond: Callable[[dict, str], tuple[int, dict[str, str], bytes]]):
        import http.server

        recorder = self
        self.seen: list[dict] = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def _answer(self):
                length = int(self.headers.get("Content-Length") or 0)
                request = {"method": self.command, "path": self.path,
                           "body": self.rfile.read(length) if length else b"",
                           "headers": {name.lower(): value for name, value in self.headers.items()}}
                recorder.seen.append(request)
                status, headers, body = respond(request, recorder.url)
                self.send_response(status)
                for name, value in {"Content-Length": str(len(body)), **headers}.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_PUT = do_DELETE = _answer

            def log_message(self, *args):
                pass

        class Server(http.server.ThreadingHTTPServer):
            # Handler threads are joined on close, so none outlives its test; a client that gave up (a proxy
            # timeout test) is expected, not an error. Printing its traceback from a thread while the next test
            # builds an app trips a CPython 3.11 race in ast.parse.
            daemon_threads = False

            def handle_error(self, request, client_address):
                if not isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
                    super().handle_error(request, client_address)

        self.server = Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
