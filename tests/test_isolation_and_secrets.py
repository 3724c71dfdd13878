"""Org isolation over every resource, and secrets that never reach a response or a log line."""
import base64
import json
import logging
from pathlib import Path

import pytest
from conftest import ADMIN, basic, bearer


def data_files(data_dir: Path) -> dict[str, bytes]:
    return {path.relative_to(data_dir).as_posix(): path.read_bytes() for path in data_dir.rglob("*")
            if path.is_file() and not path.name.startswith(("index.sqlite3", "."))}


@pytest.fixture
def org_one(client, make_user):
    """Org 1 with a dashboard, a snapshot, an API key and a second member; and an Admin of org 2."""
    dashboard = client.post("/api/dashboards/db", json={"dashboard": {"id": None, "title": "Secret Plans",
                                                                      "tags": ["one"]}}, headers=ADMIN).get_json()
    snapshot = client.post("/api/snapshots", json={"dashboard": {}, "name": "mine"}, headers=ADMIN).get_json()
    key = client.post("/api/auth/keys", json={"name": "org1-key", "role": "Admin"}, headers=ADMIN).get_json()
    make_user("member", "Editor", org_id=1)
    member_id = next(u["userId"] for u in client.get("/api/org/users", headers=ADMIN).get_json()
                     if u["login"] == "member")
    return {"dashboard": dashboard, "snapshot": snapshot, "key": key, "member_id": member_id,
            "intruder": make_user("intruder", "Admin", org_id=2)}


def test_an_admin_of_another_org_can_neither_see_nor_touch_org_one(client, org_one, tmp_path):
    intruder, dashboard = org_one["intruder"], org_one["dashboard"]
    before = data_files(tmp_path / "data")
    attempts = [
        ("GET", f"/api/dashboards/db/{dashboard['slug']}", None, 404),
        ("GET", f"/api/dashboards/uid/{dashboard['uid']}", None, 404),
        ("DELETE", f"/api/dashboards/db/{dashboard['slug']}", None, 404),
        ("DELETE", f"/api/dashboards/uid/{dashboard['uid']}", None, 404),
        ("POST", "/api/dashboards/db", {"dashboard": {"id": dashboard["id"], "title": "Mine"}, "overwrite": True},
         404),
        ("POST", f"/api/user/stars/dashboard/{dashboard['id']}", None, 404),
        ("DELETE", f"/api/snapshots/{org_one['snapshot']['key']}", None, 404),
        ("DELETE", f"/api/auth/keys/{org_one['key']['id']}", None, 404),
        ("PATCH", f"/api/org/users/{org_one['member_id']}", {"role": "Viewer"}, 404),
        ("DELETE", f"/api/org/users/{org_one['member_id']}", None, 404),
        ("PUT", "/api/orgs/1", {"name": "Taken Over"}, 403),
        ("GET", "/api/orgs/1/users", None, 403),
        ("DELETE", "/api/orgs/1", None, 403),
    ]
    for method, path, body, status in attempts:
        response = client.open(path, method=method, json=body, headers=intruder)
        assert response.status_code == status, (method, path, response.get_json())
    for path in ("/api/search", "/api/dashboards/tags", "/api/dashboard/snapshots", "/api/auth/keys",
                 "/api/org/users"):
        text = client.get(path, headers=intruder).get_data(as_text=True)
        assert "Secret Plans" not in text and "org1-key" not in text and "mine" not in text, path
        assert '"login":"member"' not in text, path
    assert data_files(tmp_path / "data") == before


def test_a_key_of_org_one_works_only_in_org_one(client, org_one, make_user):
    key = bearer(org_one["key"]["key"])
    assert [hit["title"] for hit in client.get("/api/search", headers=key).get_json()] == ["Secret Plans"]
    client.post("/api/dashboards/db", json={"dashboard": {"id": None, "title": "Org Two Only"}},
                headers=org_one["intruder"])
    assert "Org Two Only" not in client.get("/api/search", headers=key).get_data(as_text=True)


def test_no_response_or_log_line_holds_a_secret(make_app, caplog):
    caplog.set_level(logging.DEBUG)
    app = make_app(DASHSNAP_SECRET_KEY="the-configured-secret-key")
    client = app.test_client()
    client.post("/api/admin/users", json={"login": "carol", "password": "carols-password"}, headers=ADMIN)
    carol = basic("carol", "carols-password")
    key = client.post("/api/auth/keys", json={"name": "k", "role": "Admin"}, headers=ADMIN).get_json()["key"]
    key_secret = json.loads(base64.b64decode(key))["k"]
    snapshot = client.post("/api/snapshots", json={"dashboard": {}}, headers=ADMIN).get_json()
    stored_hashes = [json.loads(path.read_text()).get("passwordHash") for path in
                     (Path(app.extensions["dashsnap"].settings["DASHSNAP_DATA_DIR"]) / "users").glob("*.json")]
    secrets = ["admin:admin", "carols-password", key, key_secret, "the-configured-secret-key",
               snapshot["deleteKey"], *stored_hashes, "passwordHash", "keyHash", "deleteKeyHash", "scrypt:"]

    answers = [client.post("/login", json={"user": "carol", "password": "carols-password"})]
    for path in ("/api/user", "/api/users", "/api/users/1", "/api/users/2", "/api/users/search",
                 "/api/users/lookup?loginOrEmail=carol", "/api/org/users", "/api/orgs/1/users", "/api/auth/keys",
                 "/api/admin/settings", "/api/dashboard/snapshots", f"/api/snapshots/{snapshot['key']}",
                 "/api/user/orgs", "/api/org"):
        answers.append(client.get(path, headers=ADMIN))
    answers += [client.get("/api/user", headers=carol), client.get("/api/auth/keys", headers=bearer(key)),
                client.get("/api/user", headers=basic("carol", "wrong-guess"))]
    for answer in answers:
        text = answer.get_data(as_text=True) + str(answer.headers.get("Set-Cookie", ""))
        assert not [secret for secret in secrets if secret in text], answer.request.path
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert not [secret for secret in secrets if secret in logged]
