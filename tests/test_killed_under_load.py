"""A server killed (SIGKILL) while many writers are at work loses nothing it acknowledged and leaves no torn file:
writers share their fsyncs, and each is answered only once its own document is on disk."""
from __future__ import annotations

import base64
import http.client
import json
import os
import signal
import sys
import threading
from contextlib import closing
from pathlib import Path

from conftest import ServerProcess, free_port
from dashsnap.storage import open_store

APP = Path(__file__).parent.parent / "app.py"
WRITERS = 16
KILL_AFTER = 200  # acknowledged writes
HEADERS = {"Authorization": "Basic " + base64.b64encode(b"admin:admin").decode(),
           "Content-Type": "application/json"}


def write_until_refused(port: int, writer: int, acknowledged: list, enough: threading.Event) -> None:
    """Create snapshots and dashboards, each holding its own marker, until the server is gone."""
    with closing(http.client.HTTPConnection("127.0.0.1", port, timeout=30)) as connection:
        _write(connection, writer, acknowledged, enough)


def _write(connection: http.client.HTTPConnection, writer: int, acknowledged: list, enough: threading.Event) -> None:
    number = 0
    while True:
        number += 1
        marker = f"w{writer}-{number}"
        model = {"title": marker, "panels": [{"id": panel, "title": marker * 20} for panel in range(40)]}
        path, body = (("/api/snapshots", {"dashboard": model, "name": marker}) if number % 2 else
                      ("/api/dashboards/db", {"dashboard": {**model, "id": None}}))
        try:
            connection.request("POST", path, body=json.dumps(body), headers=HEADERS)
            response = connection.getresponse()
            answer = json.loads(response.read())
        except (OSError, http.client.HTTPException, ValueError):
            return  # killed: whatever was not answered was never acknowledged
        if response.status != 200:
            acknowledged.append(("refused", marker, response.status, answer))
            return
        acknowledged.append((path, marker, model, answer))
        if len(acknowledged) >= KILL_AFTER:
            enough.set()


def test_nothing_acknowledged_is_lost_and_nothing_is_torn_when_killed_mid_commit(tmp_path):
    data_dir, port = tmp_path / "data", free_port()
    env = {**{key: value for key, value in os.environ.items() if not key.startswith("GF_")},
           "GF_SERVER_HTTP_ADDR": "127.0.0.1", "GF_SERVER_HTTP_PORT": str(port), "GF_PATHS_DATA": str(data_dir),
           "GF_SERVER_THREADS": str(WRITERS)}
    server = ServerProcess([sys.executable, str(APP)], cwd=tmp_path, env=env, log=tmp_path / "server.log")
    acknowledged: list = []
    enough = threading.Event()
    writers = [threading.Thread(target=write_until_refused, args=(port, writer, acknowledged, enough))
               for writer in range(WRITERS)]
    for writer in writers:
        writer.start()
    assert enough.wait(120), "the writers did not get far enough"
    os.kill(server.process.pid, signal.SIGKILL)
    for writer in writers:
        writer.join(60)
    server.process.wait(30)

    assert [entry for entry in acknowledged if entry[0] == "refused"] == []
    for document in data_dir.rglob("*.json"):  # every file whole: none half-written, none empty
        json.loads(document.read_bytes())
    store = open_store(data_dir)
    for path, marker, model, answer in acknowledged:
        if path == "/api/snapshots":
            snapshot = store.snapshots.get(answer["key"])
            assert snapshot is not None, f"acknowledged snapshot {marker} was lost"
            assert (snapshot["id"], snapshot["name"], snapshot["dashboard"]) == (answer["id"], marker, model)
        else:
            record = store.dashboards.get_by_uid(1, answer["uid"])
            assert record is not None, f"acknowledged dashboard {marker} was lost"
            assert record["dashboard"] == {**model, "id": answer["id"], "uid": answer["uid"], "version": 1}
    ids = [answer["id"] for path, _, _, answer in acknowledged if path == "/api/snapshots"]
    assert len(set(ids)) == len(ids)
    assert store.snapshots.count() >= len(ids)  # and those answered just as the kill came, if they got that far
