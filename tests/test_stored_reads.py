"""Reads send the stored bytes: a snapshot's or a dashboard's model goes out exactly as it sits in its file, never
parsed and encoded again; a file changed by other means is read and answered from what it now holds."""
from __future__ import annotations

import hashlib
import json
import os
import urllib.request
from pathlib import Path

import pytest
from conftest import ADMIN, basic

FIXTURES = Path(__file__).parent / "fixtures" / "dashboards"
LARGE = "node-exporter-full.json"  # 470 KB: read from its file in chunks as it is sent


def snapshot_file(data_dir: Path, key: str) -> Path:
    return data_dir / "snapshots" / hashlib.sha256(key.encode()).hexdigest()[:2] / f"{key}.json"


def stored_dashboard_bytes(path: Path) -> bytes:
    """The bytes of the file's "dashboard" member, as the store writes it: the last member."""
    data = path.read_bytes()
    start = data.index(b',"dashboard":') + len(b',"dashboard":')
    assert json.loads(data[start:-1]) == json.loads(data)["dashboard"]
    return data[start:-1]


def answered_dashboard_bytes(body: bytes) -> bytes:
    start = body.index(b',"dashboard":') + len(b',"dashboard":')
    return body[start:-1]


def post(client, path: str, body: dict):
    """Post body as it is written (the test client's json= would sort its keys)."""
    return client.post(path, data=json.dumps(body), headers={**ADMIN, "Content-Type": "application/json"})


def open_descriptors() -> int:
    return len(os.listdir("/proc/self/fd"))


@pytest.mark.parametrize("name", sorted(path.name for path in FIXTURES.glob("*.json")))
@pytest.mark.data_dir_only
def test_a_snapshot_answers_its_dashboard_as_the_bytes_stored(client, tmp_path, opened_files, name):
    dashboard = json.loads((FIXTURES / name).read_bytes())
    key = post(client, "/api/snapshots", {"dashboard": dashboard}).get_json()["key"]
    opened_files.clear()
    response = client.get(f"/api/snapshots/{key}")
    assert [path.name for path in opened_files if "snapshots" in path.parts] == [f"{key}.json"]
    assert response.status_code == 200
    assert answered_dashboard_bytes(response.data) == stored_dashboard_bytes(snapshot_file(tmp_path / "data", key))
    assert list(response.get_json()) == ["meta", "dashboard"]
    assert response.get_json()["dashboard"] == dashboard
    assert list(response.get_json()["dashboard"]) == list(dashboard)
    assert response.headers["Content-Length"] == str(len(response.data))


@pytest.mark.parametrize("name", sorted(path.name for path in FIXTURES.glob("*.json")))
@pytest.mark.data_dir_only
def test_a_dashboard_answers_its_model_as_the_bytes_stored(client, tmp_path, name):
    model = {**json.loads((FIXTURES / name).read_bytes()), "id": None, "uid": None}
    saved = post(client, "/api/dashboards/db", {"dashboard": model}).get_json()
    for path in (f"/api/dashboards/uid/{saved['uid']}", f"/api/dashboards/db/{saved['slug']}"):
        response = client.get(path, headers=ADMIN)
        assert response.status_code == 200
        stored = stored_dashboard_bytes(tmp_path / "data" / "orgs" / "1" / "dashboards" / f"{saved['slug']}.json")
        assert answered_dashboard_bytes(response.data) == stored
        answered = response.get_json()["dashboard"]
        assert answered == {**model, "id": saved["id"], "uid": saved["uid"], "version": 1}
        assert list(answered) == list({**model, "version": 1})
        assert response.get_json()["meta"]["slug"] == saved["slug"]


@pytest.mark.data_dir_only
def test_a_large_snapshot_streams_through_a_real_server(client, live_server, tmp_path):
    dashboard = json.loads((FIXTURES / LARGE).read_bytes())
    key = post(client, "/api/snapshots", {"dashboard": dashboard}).get_json()["key"]
    assert client.get(f"/api/snapshots/{key}").is_streamed  # read in chunks as it goes out
    with urllib.request.urlopen(f"{live_server}/api/snapshots/{key}") as response:
        body = response.read()
        assert int(response.headers["Content-Length"]) == len(body)
    assert json.loads(body)["dashboard"] == dashboard
    assert answered_dashboard_bytes(body) == stored_dashboard_bytes(snapshot_file(tmp_path / "data", key))


def test_a_large_body_left_unsent_gives_its_file_back(client):
    dashboard = json.loads((FIXTURES / LARGE).read_bytes())
    key = post(client, "/api/snapshots", {"dashboard": dashboard}).get_json()["key"]
    before = open_descriptors()
    for _ in range(20):
        assert client.head(f"/api/snapshots/{key}").status_code == 200
        client.get(f"/api/snapshots/{key}").close()  # answered, never read
    assert open_descriptors() <= before


@pytest.mark.data_dir_only
def test_a_snapshot_file_replaced_by_other_means_is_answered_from_what_it_holds(client, tmp_path):
    key = client.post("/api/snapshots", json={"dashboard": {"title": "Before"}}, headers=ADMIN).get_json()["key"]
    path = snapshot_file(tmp_path / "data", key)
    document = json.loads(path.read_bytes())
    document["dashboard"] = {"title": "After, edited by hand", "panels": [{"id": 1}]}
    document["updated"] = "2030-01-01T00:00:00Z"
    path.write_text(json.dumps(document, indent=2))  # another layout, and the index not told
    answered = client.get(f"/api/snapshots/{key}").get_json()
    assert answered["dashboard"] == document["dashboard"]
    assert answered["meta"]["updated"] == "2030-01-01T00:00:00Z"
    page = client.get(f"/dashboard/snapshot/{key}")
    assert page.status_code == 200 and b"After, edited by hand" in page.data


@pytest.mark.data_dir_only
def test_a_dashboard_in_another_layout_is_read_and_answered_whole(make_app, client, tmp_path):
    saved = client.post("/api/dashboards/db", json={"dashboard": {"title": "Laid Out", "panels": []}},
                        headers=ADMIN).get_json()
    path = tmp_path / "data" / "orgs" / "1" / "dashboards" / "laid-out.json"
    record = json.loads(path.read_bytes())
    record["dashboard"]["panels"] = [{"id": 7, "title": "by hand"}]
    record = {"dashboard": record.pop("dashboard"), **record}  # the model first, pretty-printed
    path.write_text(json.dumps(record, indent=1))
    reopened = make_app().test_client()  # the index now lists the file as it is
    for test_client in (client, reopened):
        answered = test_client.get(f"/api/dashboards/uid/{saved['uid']}", headers=ADMIN).get_json()
        assert answered["dashboard"]["panels"] == [{"id": 7, "title": "by hand"}]
        assert answered["meta"]["version"] == 1


def test_the_snapshot_page_carries_the_stored_dashboard(client):
    dashboard = {"title": "Page </script><!-- x", "time": {"from": "now-6h", "to": "now"},
                 "panels": [{"id": 1, "title": "\u2028 & <b>"}]}
    key = post(client, "/api/snapshots", {"dashboard": dashboard}).get_json()["key"]
    page = client.get(f"/dashboard/snapshot/{key}").get_data(as_text=True)
    data = page.split('type="application/json"', 1)[1].split(">", 1)[1].split("</script>", 1)[0]
    assert "</script" not in data and "<!--" not in data and "\u2028" not in data
    assert json.loads(data) == {"dashboard": dashboard}
    assert "now-6h" in page and "Page &lt;/script&gt;&lt;!-- x" in page


def test_private_snapshots_still_check_the_caller_before_sending(make_app, make_user):
    app = make_app(DASHSNAP_SNAPSHOTS_PUBLIC=False)
    client = app.test_client()
    key = client.post("/api/snapshots", json={"dashboard": {"title": "Private"}}, headers=ADMIN).get_json()["key"]
    assert client.get(f"/api/snapshots/{key}").status_code == 401
    assert client.get(f"/api/snapshots/{key}", headers=basic()).get_json()["dashboard"] == {"title": "Private"}
