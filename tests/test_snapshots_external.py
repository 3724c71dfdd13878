"""External snapshots: `external: true` publishes to the snapshot server that [snapshots]
external_snapshot_url names — here a second, real dashsnap in public mode on its own port and data dir."""
import json

import pytest
import requests
from conftest import ADMIN, RecordingServer, free_port, serve

DASHBOARD = {"title": "Published", "panels": [{"id": 1, "type": "graph"}]}


@pytest.fixture
def remote(make_app, tmp_path):
    port = free_port()  # the remote hands out urls from its own root_url, so it must know its address
    url, stop = serve(make_app(tmp_path / "remote-data", DASHSNAP_SNAPSHOTS_PUBLIC_MODE=True,
                               DASHSNAP_ROOT_URL=f"http://127.0.0.1:{port}/"), port)
    yield url
    stop()


@pytest.fixture
def client(make_app, remote):
    return make_app(DASHSNAP_EXTERNAL_ENABLED=True, DASHSNAP_EXTERNAL_SNAPSHOT_URL=remote).test_client()


def publish(client, **fields):
    response = client.post("/api/snapshots", json={"dashboard": DASHBOARD, "external": True, "expires": 3600,
                                                   **fields}, headers=ADMIN)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


@pytest.mark.data_dir_only
def test_external_snapshot_is_created_on_the_external_server(client, remote):
    body = publish(client, name="shared")
    assert body["url"] == f"{remote}/dashboard/snapshot/{body['key']}"  # the remote's page
    assert body["deleteUrl"] == f"http://dashsnap.test/api/snapshots-delete/{body['deleteKey']}"  # ours
    remote_copy = requests.get(f"{remote}/api/snapshots/{body['key']}", timeout=5).json()
    assert remote_copy["dashboard"] == DASHBOARD


@pytest.mark.data_dir_only
def test_external_snapshot_is_listed_locally_without_its_dashboard(client):
    body = publish(client, name="shared")
    listed = client.get("/api/dashboard/snapshots", headers=ADMIN).get_json()
    assert [(s["key"], s["name"], s["external"], s["externalUrl"]) for s in listed] == [
        (body["key"], "shared", True, body["url"])]
    local = client.get(f"/api/snapshots/{body['key']}").get_json()
    assert local["dashboard"] == {} and local["meta"]["externalUrl"] == body["url"]


@pytest.mark.data_dir_only
def test_supplied_keys_are_passed_to_the_external_server(client, remote):
    body = publish(client, key="chosen-view-key", deleteKey="chosen-delete-key")
    assert (body["key"], body["deleteKey"]) == ("chosen-view-key", "chosen-delete-key")
    assert requests.get(f"{remote}/api/snapshots/chosen-view-key", timeout=5).status_code == 200


@pytest.mark.data_dir_only
def test_deleting_by_key_deletes_on_the_external_server_too(client, remote):
    body = publish(client)
    assert client.delete(f"/api/snapshots/{body['key']}", headers=ADMIN).status_code == 200
    assert requests.get(f"{remote}/api/snapshots/{body['key']}", timeout=5).status_code == 404
    assert client.get("/api/dashboard/snapshots", headers=ADMIN).get_json() == []


@pytest.mark.data_dir_only
def test_deleting_by_delete_key_deletes_on_the_external_server_too(client, remote):
    body = publish(client)
    assert client.get(f"/api/snapshots-delete/{body['deleteKey']}").status_code == 200
    assert requests.get(f"{remote}/api/snapshots/{body['key']}", timeout=5).status_code == 404


@pytest.mark.data_dir_only
def test_snapshot_already_gone_remotely_is_still_deleted_locally(client, remote):
    body = publish(client)
    requests.get(f"{remote}/api/snapshots-delete/{body['deleteKey']}", timeout=5)
    assert client.delete(f"/api/snapshots/{body['key']}", headers=ADMIN).status_code == 200
    assert client.get("/api/dashboard/snapshots", headers=ADMIN).get_json() == []


def test_external_creation_is_disabled_by_default(make_app):
    client = make_app().test_client()
    response = client.post("/api/snapshots", json={"dashboard": {}, "external": True}, headers=ADMIN)
    assert response.status_code == 403
    assert response.get_json() == {"message": "External dashboard creation is disabled"}


def test_unreachable_external_server_is_502_and_records_nothing(make_app):
    closed_port = free_port()  # nothing listens there
    client = make_app(DASHSNAP_EXTERNAL_ENABLED=True,
                      DASHSNAP_EXTERNAL_SNAPSHOT_URL=f"http://127.0.0.1:{closed_port}").test_client()
    response = client.post("/api/snapshots", json={"dashboard": {}, "external": True}, headers=ADMIN)
    assert response.status_code == 502
    assert "unreachable" in response.get_json()["message"]
    assert client.get("/api/dashboard/snapshots", headers=ADMIN).get_json() == []


def test_external_server_refusing_is_502_with_its_message(make_app, tmp_path):
    url, stop = serve(make_app(tmp_path / "strict-remote"))  # not in public mode: refuses anonymous creates
    try:
        client = make_app(DASHSNAP_EXTERNAL_ENABLED=True, DASHSNAP_EXTERNAL_SNAPSHOT_URL=url).test_client()
        response = client.post("/api/snapshots", json={"dashboard": {}, "external": True}, headers=ADMIN)
    finally:
        stop()
    assert response.status_code == 502
    assert "401 Unauthorized" in response.get_json()["message"]
    assert client.get("/api/dashboard/snapshots", headers=ADMIN).get_json() == []




def publish_to_stub(make_app, answer):
    """Publish a snapshot through a stand-in external server whose create answer is answer(its url);
    (the local answer, the requests the stand-in got, the local client)."""
    def respond(request: dict, url: str):
        body = answer(url) if request["method"] == "POST" else {"message": "deleted"}
        return 200, {"Content-Type": "application/json"}, json.dumps(body).encode()

    stub = RecordingServer(respond)
    try:
        client = make_app(DASHSNAP_EXTERNAL_ENABLED=True, DASHSNAP_EXTERNAL_SNAPSHOT_URL=stub.url).test_client()
        response = client.post("/api/snapshots", json={"dashboard": {}, "external": True}, headers=ADMIN)
    finally:
        stub.close()
    return response, stub.seen, client


@pytest.mark.parametrize("changes", [{"key": "../../secret_key"}, {"key": "x" * 200}, {"key": None},
                                     {"deleteKey": 42}, {"url": "javascript:alert(1)"}, {"url": None}])
def test_external_answer_that_is_not_a_snapshot_is_502_and_undone(make_app, changes):
    response, seen, client = publish_to_stub(make_app, lambda url: {
        "key": "remote-key-1", "deleteKey": "remote-delete-1", "url": f"{url}/dashboard/snapshot/remote-key-1",
        "deleteUrl": f"{url}/api/snapshots-delete/remote-delete-1", **changes})
    assert response.status_code == 502
    assert "not a snapshot" in response.get_json()["message"]
    gets = [request["path"] for request in seen if request["method"] == "GET"]
    assert gets == ["/api/snapshots-delete/remote-delete-1"]  # what was published is deleted again
    assert client.get("/api/dashboard/snapshots", headers=ADMIN).get_json() == []


def test_external_delete_url_that_is_not_http_is_never_fetched(make_app):
    response, seen, client = publish_to_stub(make_app, lambda url: {
        "key": "remote-key-2", "deleteKey": "remote-delete-2", "url": f"{url}/d", "deleteUrl": "file:///etc/passwd"})
    assert response.status_code == 502
    assert [request["method"] for request in seen] == ["POST"]
    assert client.get("/api/dashboard/snapshots", headers=ADMIN).get_json() == []
