"""Two dashsnap processes on one PostgreSQL database behind haproxy (see server_pair.py): what one writes the other
reads at once, one killed mid-write loses nothing it acknowledged while the other goes on, and a database
restart is answered with 503s until it is back."""
from __future__ import annotations

import base64
import http.client
import json
import os
import signal
import threading
import time
import urllib.parse
from contextlib import closing

import psycopg
import pytest
from conftest import free_port
from server_pair import servers_behind_haproxy, start_server

HEADERS = {"Authorization": "Basic " + base64.b64encode(b"admin:admin").decode(),
           "Content-Type": "application/json"}
DASHBOARD = {"title": "CPU load", "tags": ["prod"], "panels": [{"id": 1, "type": "graph", "title": "x"}]}


def call(url: str, method: str, path: str, body: object = None, headers: dict | None = None,
         ) -> tuple[int, object, http.client.HTTPResponse]:
    """One request on a connection of its own: (status, the JSON answer or None, the response)."""
    address = urllib.parse.urlsplit(url)
    with closing(http.client.HTTPConnection(address.hostname, address.port, timeout=30)) as connection:
        connection.request(method, path, body=None if body is None else json.dumps(body),
                           headers=HEADERS if headers is None else headers)
        response = connection.getresponse()
        data = response.read()
    try:
        return response.status, json.loads(data), response
    except ValueError:
        return response.status, None, response


@pytest.fixture
def pair(make_database, tmp_path):
    with servers_behind_haproxy(make_database(), tmp_path, threads=8) as running:
        yield running


def test_the_load_balancer_deals_requests_to_both_servers(pair):
    for _ in range(6):
        assert call(pair.url, "GET", "/api/search?query=round-robin")[0] == 200
    ends = time.monotonic() + 10  # a request is logged as it ends, and its line copied a moment later
    while min(server.log.read_text().count("path=/api/search") for server in pair.servers) < 3:
        assert time.monotonic() < ends, [server.log.read_text() for server in pair.servers]
        time.sleep(0.05)


def test_what_one_server_saves_the_other_serves_at_once(pair):
    one, other = pair.server_url(0), pair.server_url(1)
    status, saved, _ = call(one, "POST", "/api/dashboards/db", {"dashboard": DASHBOARD})
    assert status == 200
    status, read, _ = call(other, "GET", f"/api/dashboards/uid/{saved['uid']}")
    assert status == 200 and read["dashboard"]["title"] == "CPU load"
    update = {"dashboard": {**DASHBOARD, "uid": saved["uid"], "version": 1}}
    assert call(one, "POST", "/api/dashboards/db", update)[0] == 200
    status, refused, _ = call(other, "POST", "/api/dashboards/db", update)
    assert status == 412 and refused["status"] == "version-mismatch"

    status, _, response = call(one, "POST", "/login", {"user": "admin", "password": "admin"},
                               headers={"Content-Type": "application/json"})
    cookie = response.getheader("Set-Cookie").split(";", 1)[0]
    status, user, _ = call(other, "GET", "/api/user", headers={"Cookie": cookie})
    assert status == 200 and user["login"] == "admin"


def write_snapshots(url: str, writer: int, acknowledged: list, stop: threading.Event) -> None:
    """Create snapshots through url until told to stop, noting each one answered 200 and the refusals."""
    number = 0
    while not stop.is_set():
        number += 1
        marker = f"w{writer}-{number}"
        model = {"title": marker, "panels": [{"id": panel, "title": marker * 10} for panel in range(20)]}
        try:
            status, answer, _ = call(url, "POST", "/api/snapshots", {"dashboard": model, "name": marker})
        except (OSError, http.client.HTTPException):
            continue  # never answered, so never acknowledged
        acknowledged.append((time.monotonic(), status, marker, model, answer))


def test_a_server_killed_mid_write_loses_nothing_it_acknowledged_and_the_other_serves_on(pair):
    acknowledged: list = []
    stop = threading.Event()
    writers = [threading.Thread(target=write_snapshots, args=(pair.url, writer, acknowledged, stop))
               for writer in range(8)]
    for writer in writers:
        writer.start()
    while len(acknowledged) < 150:
        time.sleep(0.02)
    os.kill(pair.servers[0].process.pid, signal.SIGKILL)
    killed_at = time.monotonic()
    while len([entry for entry in acknowledged if entry[0] > killed_at + 0.5 and entry[1] == 200]) < 100:
        time.sleep(0.02)
    stop.set()
    for writer in writers:
        writer.join(60)

    survivor = pair.server_url(1)
    saved = [entry for entry in acknowledged if entry[1] == 200]
    refused = [entry for entry in acknowledged if entry[1] != 200]
    # haproxy answers 502 for what was in flight on the killed server; nothing else is refused.
    assert {entry[1] for entry in refused} <= {502}
    assert all(killed_at - 1 < entry[0] < killed_at + 5 for entry in refused)
    for _, _, marker, model, answer in saved:
        status, snapshot, _ = call(survivor, "GET", f"/api/snapshots/{answer['key']}")
        assert status == 200, f"acknowledged snapshot {marker} was lost"
        assert snapshot["dashboard"] == model
    ids = [answer["id"] for *_, answer in saved]
    assert len(set(ids)) == len(ids)


def test_while_the_database_restarts_requests_answer_503_then_succeed(postgres_cluster, make_database, tmp_path):
    if postgres_cluster.url == os.environ.get("DASHSNAP_TEST_DATABASE_URL"):
        pytest.skip("a server named by DASHSNAP_TEST_DATABASE_URL is not ours to restart")
    server_url = f"http://127.0.0.1:{free_port()}/"
    # Threads to spare beyond the four loaders and a health check, so that none queues for a thread as well.
    server = start_server(make_database(), tmp_path, int(server_url.rsplit(":", 1)[1].strip("/")), server_url,
                          threads=8)
    try:
        answers: list = []
        stop = threading.Event()

        def load() -> None:
            while not stop.is_set():
                started = time.monotonic()
                status, body, _ = call(server_url, "POST", "/api/snapshots", {"dashboard": DASHBOARD})
                answers.append((started, time.monotonic() - started, status, body))

        loaders = [threading.Thread(target=load) for _ in range(4)]
        for loader in loaders:
            loader.start()
        time.sleep(0.5)
        postgres_cluster.stop()
        down_at = time.monotonic()
        time.sleep(2)
        health_while_down = call(server_url, "GET", "/api/health")[:2]
        time.sleep(6)
        starting_at = time.monotonic()
        postgres_cluster.start()
        up_at = time.monotonic()
        while not [answer for answer in answers if answer[0] > up_at and answer[2] == 200]:
            assert time.monotonic() < up_at + 15, "no request succeeded once the database was back"
            time.sleep(0.1)
        back_at = min(answer[0] for answer in answers if answer[0] > up_at and answer[2] == 200)
        while call(server_url, "GET", "/api/health")[0] != 200:  # its check stands a second
            assert time.monotonic() < back_at + 5, "health still failing once the database was back"
            time.sleep(0.1)
        time.sleep(1)
        stop.set()
        for loader in loaders:
            loader.join(60)
    finally:
        server.stop()

    status, body = health_while_down
    assert status == 503 and body["database"] == "failing"
    # Down for sure: started after the stop and early enough that the pool's 3 s wait for a connection ended
    # before the database began to start again.
    while_down = [answer for answer in answers if down_at + 0.2 < answer[0] < starting_at - 3.2]
    assert while_down and {answer[2] for answer in while_down} == {503}
    assert all(answer[3] == {"message": "The database is unavailable; try again shortly"} for answer in while_down)
    assert max(answer[1] for answer in while_down) < 5  # answered soon (the pool's wait), not left hanging
    assert back_at - up_at < 5
    assert {answer[2] for answer in answers if answer[0] > back_at} == {200}
    with psycopg.connect(postgres_cluster.url) as connection:  # and the cluster is itself again for what follows
        assert connection.execute("SELECT 1").fetchone() == (1,)
