"""The Snapshot API: create, read by key, list, delete by key and by delete key, expiry and policy."""
from __future__ import annotations

import json
import logging
import re
import threading
import time
from pathlib import Path

import pytest
from conftest import ADMIN, bearer

FIXTURES = Path(__file__).parent / "fixtures" / "dashboards"
DELETED = "Snapshot deleted. It might take an hour before it's cleared from any CDN caches."


def create(client, body=None, headers=ADMIN, **fields):
    return client.post("/api/snapshots", json=body or {"dashboard": {"title": "Home"}, **fields}, headers=headers)


def created(client, headers=ADMIN, **fields) -> dict:
    response = create(client, headers=headers, **fields)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def listed_keys(client, headers=ADMIN, **params) -> list[str]:
    response = client.get("/api/dashboard/snapshots", query_string=params, headers=headers)
    assert response.status_code == 200
    return [snapshot["key"] for snapshot in response.get_json()]


# --- create -----------------------------------------------------------------------------------------------

def test_create_answers_keys_urls_and_id(client):
    body = created(client)
    assert set(body) == {"deleteKey", "deleteUrl", "key", "url", "id"}
    assert body["id"] == 1
    assert body["url"] == f"http://dashsnap.test/dashboard/snapshot/{body['key']}"
    assert body["deleteUrl"] == f"http://dashsnap.test/api/snapshots-delete/{body['deleteKey']}"


def test_generated_keys_are_long_url_safe_and_distinct(client):
    bodies = [created(client) for _ in range(5)]
    keys = [body["key"] for body in bodies] + [body["deleteKey"] for body in bodies]
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{32,}", key) for key in keys)
    assert len(set(keys)) == 10


def test_ids_increase_with_each_snapshot(client):
    assert [created(client)["id"] for _ in range(3)] == [1, 2, 3]


def test_name_defaults_to_unnamed_snapshot(client):
    created(client)
    created(client, name="Mine")
    names = [s["name"] for s in client.get("/api/dashboard/snapshots", headers=ADMIN).get_json()]
    assert names == ["Mine", "Unnamed snapshot"]


def test_supplied_key_and_delete_key_are_honoured(client):
    body = created(client, key="my-own-view-key-1", deleteKey="my-own-delete-key-1")
    assert body["key"] == "my-own-view-key-1" and body["deleteKey"] == "my-own-delete-key-1"
    assert client.get("/api/snapshots/my-own-view-key-1").status_code == 200
    assert client.get("/api/snapshots-delete/my-own-delete-key-1").status_code == 200


def test_key_already_in_use_is_409(client):
    created(client, key="taken-key-123")
    response = create(client, key="taken-key-123")
    assert response.status_code == 409
    assert response.get_json() == {"message": "A snapshot with this key already exists"}


def test_delete_key_already_in_use_is_409(client):
    created(client, deleteKey="taken-delete-key")
    response = create(client, deleteKey="taken-delete-key")
    assert response.status_code == 409
    assert "delete" in response.get_json()["message"].lower()


@pytest.mark.parametrize("field, value", [("key", "short"), ("key", "has space in it"), ("key", "../../etc/pwd"),
                                          ("deleteKey", "x" * 129), ("deleteKey", "dots.are.not.ok")])
def test_supplied_keys_with_bad_characters_or_length_are_400(client, field, value):
    response = create(client, **{field: value})
    assert response.status_code == 400
    assert response.get_json()["message"].startswith(f"{field}:")


def test_key_and_delete_key_must_differ(client):
    response = create(client, key="same-key-twice", deleteKey="same-key-twice")
    assert response.status_code == 400
    assert "deleteKey" in response.get_json()["message"]


def test_missing_dashboard_is_400_naming_the_field(client):
    response = create(client, body={"name": "no dashboard"})
    assert response.status_code == 400
    assert response.get_json() == {"message": "dashboard: Missing data for required field."}


@pytest.mark.parametrize("body, field", [({"dashboard": "text"}, "dashboard"), ({"dashboard": None}, "dashboard"),
                                         ({"dashboard": {}, "expires": "3600"}, "expires"),
                                         ({"dashboard": {}, "external": "perhaps"}, "external"),
                                         ({"dashboard": {}, "name": 7}, "name")])
def test_wrong_types_are_400_naming_the_field(client, body, field):
    response = create(client, body=body)
    assert response.status_code == 400
    assert response.get_json()["message"].startswith(f"{field}:")


def test_unknown_fields_are_ignored(client):
    response = create(client, body={"dashboard": {"title": "Restored"}, "meta": {"isSnapshot": True}, "orgId": 7})
    assert response.status_code == 200
    assert client.get("/api/dashboard/snapshots", headers=ADMIN).get_json()[0]["orgId"] == 1


def test_create_needs_sign_in(client):
    response = create(client, headers={})
    assert response.status_code == 401
    assert response.get_json() == {"message": "Unauthorized"}


def test_viewer_can_create(client, make_user):
    assert create(client, headers=make_user("viewer")).status_code == 200


def test_public_mode_lets_anonymous_callers_create(make_app):
    client = make_app(DASHSNAP_SNAPSHOTS_PUBLIC_MODE=True).test_client()
    body = created(client, headers={})
    assert client.get(f"/api/snapshots/{body['key']}").status_code == 200


def test_snapshot_created_with_api_key_belongs_to_the_keys_org_and_no_user(client, make_key):
    created(client, headers=bearer(make_key("Editor")))
    listed = client.get("/api/dashboard/snapshots", headers=ADMIN).get_json()
    assert (listed[0]["orgId"], listed[0]["userId"]) == (1, 0)


# --- read -------------------------------------------------------------------------------------------------

def test_get_answers_meta_and_the_dashboard_as_saved(client):
    dashboard = json.loads((FIXTURES / "node-exporter-full.json").read_text())
    body = created(client, body={"dashboard": dashboard, "expires": 3600})
    response = client.get(f"/api/snapshots/{body['key']}")
    assert response.status_code == 200
    snapshot = response.get_json()
    assert snapshot["dashboard"] == dashboard
    assert list(snapshot["dashboard"]) == list(dashboard)  # key order kept too
    meta = snapshot["meta"]
    assert {k: meta[k] for k in ("isSnapshot", "type", "canSave", "canEdit", "canStar", "slug")} == {
        "isSnapshot": True, "type": "snapshot", "canSave": False, "canEdit": False, "canStar": False, "slug": ""}
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", meta["created"])
    assert meta["expires"] > meta["created"]


def test_get_is_public_and_cacheable(client):
    body = created(client)
    response = client.get(f"/api/snapshots/{body['key']}")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "public, max-age=3600"


def test_cache_lifetime_never_outlives_the_snapshot(client):
    body = created(client, expires=60)
    max_age = int(client.get(f"/api/snapshots/{body['key']}").headers["Cache-Control"].rsplit("=", 1)[1])
    assert 0 < max_age <= 60


def test_never_expiring_snapshot_expires_in_fifty_years(client):
    body = created(client)
    expires = client.get(f"/api/snapshots/{body['key']}").get_json()["meta"]["expires"]
    assert int(expires[:4]) - time.gmtime().tm_year in (49, 50)


@pytest.mark.parametrize("key", ["unknown-key-here", "..", "%2e%2e", ".secret_key", "a" * 200, "-"])
def test_unknown_or_malformed_key_is_404(client, key):
    response = client.get(f"/api/snapshots/{key}")
    assert response.status_code == 404
    assert response.get_json() == {"message": "Snapshot not found"}


@pytest.mark.parametrize("path", ["%2e%2e%2fsecret_key", "..%2Fsecret_key", "../../secret_key"])
def test_path_tricks_in_the_key_are_404_and_leak_nothing(client, app, path):
    response = client.get(f"/api/snapshots/{path}")
    assert response.status_code == 404
    assert response.content_type == "application/json"
    assert app.extensions["dashsnap"].store.secret_key(lambda: "") not in response.get_data(as_text=True)


def test_bad_bearer_key_is_401_even_on_the_public_read(client):
    body = created(client)
    response = client.get(f"/api/snapshots/{body['key']}", headers=bearer("not-a-key"))
    assert response.status_code == 401
    assert response.get_json() == {"message": "Invalid API key"}


def test_private_snapshots_need_a_member_of_their_org(make_app, make_user):
    app = make_app(DASHSNAP_SNAPSHOTS_PUBLIC=False)
    client = app.test_client()
    key = created(client)["key"]
    stranger = make_user("stranger", "Admin", org_id=2)
    member = make_user("member", "Viewer", org_id=1)
    assert client.get(f"/api/snapshots/{key}").status_code == 401
    assert client.get(f"/api/snapshots/{key}", headers=stranger).status_code == 404
    response = client.get(f"/api/snapshots/{key}", headers=member)
    assert response.status_code == 200
    assert response.headers["Cache-Control"].startswith("private")


# --- expiry -----------------------------------------------------------------------------------------------

def test_expired_snapshot_is_not_served_nor_listed(client):
    body = created(client, expires=1)
    time.sleep(1.1)
    response = client.get(f"/api/snapshots/{body['key']}")
    assert response.status_code == 404
    assert response.get_json() == {"message": "Dashboard snapshot not found"}
    assert listed_keys(client) == []


@pytest.mark.data_dir_only
def test_expired_snapshots_are_swept_on_start(make_app, tmp_path):
    client = make_app().test_client()
    expiring, lasting = created(client, expires=1)["key"], created(client)["key"]
    time.sleep(1.1)
    client = make_app().test_client()  # a restart on the same data dir
    files = [path.stem for path in (tmp_path / "data" / "snapshots").glob("*/*.json")]
    assert files == [lasting]
    assert client.get(f"/api/snapshots/{expiring}").get_json() == {"message": "Snapshot not found"}


class Swept(logging.Handler):
    """Set once the sweeper logs that it removed expired snapshots."""

    def __init__(self):
        super().__init__(logging.INFO)
        self.event = threading.Event()

    def emit(self, record: logging.LogRecord) -> None:
        if record.getMessage().startswith("removed 1 expired snapshot"):
            self.event.set()


def test_background_sweep_removes_expired_snapshots(make_app, tmp_path):
    swept, logger = Swept(), logging.getLogger("dashsnap")
    logger.addHandler(swept)
    level = logger.level
    logger.setLevel(logging.INFO)
    try:
        client = make_app(DASHSNAP_CLEANUP_INTERVAL=1).test_client()
        created(client, expires=1)
        assert swept.event.wait(timeout=10)
    finally:
        logger.removeHandler(swept)
        logger.setLevel(level)
    assert list((tmp_path / "data" / "snapshots").glob("*/*.json")) == []



@pytest.mark.data_dir_only
def test_of_two_apps_with_a_sweeper_on_one_data_dir_only_the_first_sweeps(make_app, tmp_path):
    first = make_app(DASHSNAP_CLEANUP_INTERVAL=3600).test_client()
    created(first, expires=1)
    time.sleep(1.1)

    make_app(DASHSNAP_CLEANUP_INTERVAL=3600)  # would sweep as it starts, were it the only one

    assert len(list((tmp_path / "data" / "snapshots").glob("*/*.json"))) == 1  # left to the first's next sweep

# --- policy -----------------------------------------------------------------------------------------------

def test_disabled_snapshots_answer_403_everywhere(make_app):
    client = make_app(DASHSNAP_SNAPSHOTS_ENABLED=False).test_client()
    for response in (create(client), client.get("/api/snapshots/some-key-123"),
                     client.get("/api/dashboard/snapshots", headers=ADMIN)):
        assert response.status_code == 403
        assert response.get_json() == {"message": "Dashboard Snapshots are disabled"}


@pytest.mark.parametrize("expires", [0, None, 7201, -5])
def test_max_expires_refuses_longer_or_never_expiring_snapshots(make_app, expires):
    client = make_app(DASHSNAP_MAX_EXPIRES=7200).test_client()
    body = {"dashboard": {}} if expires is None else {"dashboard": {}, "expires": expires}
    response = create(client, body=body)
    assert response.status_code == 400
    assert "7200" in response.get_json()["message"]


def test_max_expires_allows_snapshots_within_the_cap(make_app):
    client = make_app(DASHSNAP_MAX_EXPIRES=7200).test_client()
    assert create(client, expires=7200).status_code == 200


# --- list -------------------------------------------------------------------------------------------------

def test_list_fields_exclude_dashboard_and_delete_key(client):
    body = created(client, name="Home")
    listed = client.get("/api/dashboard/snapshots", headers=ADMIN).get_json()
    assert list(listed[0]) == ["id", "name", "key", "orgId", "userId", "external", "externalUrl", "expires",
                               "created", "updated"]
    assert listed[0]["id"] == body["id"] and listed[0]["external"] is False and listed[0]["externalUrl"] == ""
    assert body["deleteKey"] not in json.dumps(listed)


def test_list_is_newest_first_with_limit(client):
    keys = [created(client)["key"] for _ in range(4)]
    assert listed_keys(client) == keys[::-1]
    assert listed_keys(client, limit=2) == keys[:1:-1]
    assert listed_keys(client, limit="junk") == keys[::-1]  # Grafana reads an invalid limit as the default


def test_list_query_matches_a_case_insensitive_part_of_the_name(client):
    keys = {name: created(client, name=name)["key"] for name in ("Prod CPU", "prod memory", "Staging")}
    assert listed_keys(client, query="PROD") == [keys["prod memory"], keys["Prod CPU"]]
    assert listed_keys(client, query="cpu") == [keys["Prod CPU"]]
    assert listed_keys(client, query="%") == []


def test_list_needs_sign_in(client):
    assert client.get("/api/dashboard/snapshots").status_code == 401


def test_list_shows_only_the_callers_org(client, make_user):
    created(client)
    other_org_admin = make_user("other", "Admin", org_id=2)
    created(client, headers=other_org_admin, name="theirs")
    assert [s["name"] for s in client.get("/api/dashboard/snapshots", headers=other_org_admin).get_json()] == [
        "theirs"]
    assert len(listed_keys(client)) == 1


def test_non_admins_list_only_their_own_snapshots(client, make_user):
    editor = make_user("editor", "Editor")
    created(client, name="admin's")
    mine = created(client, headers=editor, name="editor's")["key"]
    assert listed_keys(client, headers=editor) == [mine]
    assert len(listed_keys(client)) == 2


# --- delete -----------------------------------------------------------------------------------------------

def test_delete_by_key_answers_message_and_id_and_removes_it(client, tmp_path):
    body = created(client)
    response = client.delete(f"/api/snapshots/{body['key']}", headers=ADMIN)
    assert response.status_code == 200
    assert response.get_json() == {"message": DELETED, "id": body["id"]}
    assert client.get(f"/api/snapshots/{body['key']}").status_code == 404
    assert list((tmp_path / "data" / "snapshots").glob("*/*.json")) == []


def test_delete_by_key_needs_sign_in(client):
    body = created(client)
    assert client.delete(f"/api/snapshots/{body['key']}").status_code == 401
    assert client.get(f"/api/snapshots/{body['key']}").status_code == 200


def test_viewer_cannot_delete_anothers_snapshot_but_may_delete_their_own(client, make_user):
    viewer = make_user("viewer", "Viewer")
    admins = created(client)["key"]
    viewers = created(client, headers=viewer)["key"]
    response = client.delete(f"/api/snapshots/{admins}", headers=viewer)
    assert response.status_code == 403
    assert response.get_json() == {"message": "Access denied to this snapshot"}
    assert client.delete(f"/api/snapshots/{viewers}", headers=viewer).status_code == 200


def test_snapshot_of_another_org_cannot_be_deleted_by_key(client, make_user, tmp_path):
    body = created(client)
    response = client.delete(f"/api/snapshots/{body['key']}", headers=make_user("other", "Admin", org_id=2))
    assert response.status_code == 404
    assert client.get(f"/api/snapshots/{body['key']}").status_code == 200


def test_delete_unknown_key_is_404(client):
    assert client.delete("/api/snapshots/never-created-1", headers=ADMIN).get_json() == {
        "message": "Snapshot not found"}


def test_delete_by_delete_key_needs_no_sign_in(client):
    body = created(client)
    response = client.get(f"/api/snapshots-delete/{body['deleteKey']}")
    assert response.status_code == 200
    assert response.get_json() == {"message": DELETED, "id": body["id"]}
    assert client.get(f"/api/snapshots/{body['key']}").status_code == 404


@pytest.mark.parametrize("wrong", ["wrong-delete-key", "..", "%00"])
def test_wrong_delete_key_is_404_and_deletes_nothing(client, wrong):
    body = created(client)
    response = client.get(f"/api/snapshots-delete/{wrong}")
    assert response.status_code == 404
    assert response.get_json() == {"message": "Snapshot not found"}
    assert client.get(f"/api/snapshots/{body['key']}").status_code == 200


def test_view_key_does_not_work_as_delete_key(client):
    body = created(client)
    assert client.get(f"/api/snapshots-delete/{body['key']}").status_code == 404


def test_delete_key_works_once(client):
    body = created(client)
    assert client.get(f"/api/snapshots-delete/{body['deleteKey']}").status_code == 200
    assert client.get(f"/api/snapshots-delete/{body['deleteKey']}").status_code == 404


def test_delete_key_is_not_stored_in_plain_text(client, tmp_path):
    body = created(client)
    stored = b"".join(path.read_bytes() for path in (tmp_path / "data").rglob("*") if path.is_file())
    assert body["deleteKey"].encode() not in stored


# --- shared options ---------------------------------------------------------------------------------------

def test_shared_options_describe_external_publishing(make_app):
    client = make_app(DASHSNAP_EXTERNAL_ENABLED=True, DASHSNAP_EXTERNAL_SNAPSHOT_URL="http://snap.example",
                      DASHSNAP_EXTERNAL_SNAPSHOT_NAME="Publish to snap.example").test_client()
    assert client.get("/api/snapshot/shared-options", headers=ADMIN).get_json() == {
        "externalSnapshotURL": "http://snap.example", "externalSnapshotName": "Publish to snap.example",
        "externalEnabled": True}


@pytest.mark.data_dir_only
def test_unreadable_document_is_a_json_500_without_details(client, tmp_path, caplog):
    body = created(client)
    (path,) = (tmp_path / "data" / "snapshots").glob(f"*/{body['key']}.json")
    path.write_text('{"truncated": ')
    response = client.get(f"/api/snapshots/{body['key']}")
    assert response.status_code == 500
    assert response.get_json() == {"message": "Internal server error"}
    assert any("unhandled error" in record.message for record in caplog.records)


@pytest.mark.parametrize("name", ['quote " and \\ backslash', "tab\tnew\nline \u0001 \u007f",
                                  "\U0001f600 ünïcödé \u2028", "</script>", "x" * 250])
def test_the_list_carries_names_exactly_and_newest_first(client, name):
    made = [created(client, name=f"{name} {number}") for number in range(30)]
    listed = client.get("/api/dashboard/snapshots", headers=ADMIN).get_json()
    assert [(snapshot["id"], snapshot["name"]) for snapshot in listed] == \
        [(snapshot["id"], f"{name} {number}") for number, snapshot in reversed(list(enumerate(made)))]
    assert all(snapshot["external"] is False and type(snapshot["orgId"]) is int for snapshot in listed)
