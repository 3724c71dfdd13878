"""Authentication and API keys through the HTTP API: Basic auth, Bearer keys (Grafana's format), the keys
endpoints with their org-Admin guard and body rules, JSON error bodies, and secrets kept out of logs."""
from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
import time
from collections.abc import Iterator

import pytest
from conftest import ADMIN, basic, bearer
from dashsnap.app import create_app

GUARDED = ["/api/auth/keys", "/api/dashboard/snapshots"]
PUBLIC_BY_KEY = "/api/snapshots/no-such-snapshot-key"


def decoded(key: str) -> dict:
    return json.loads(base64.b64decode(key))


def encoded(payload: dict) -> str:
    return base64.b64encode(json.dumps(payload, separators=(",", ":")).encode()).decode()


def create_key(client, headers=ADMIN, **body) -> dict:
    response = client.post("/api/auth/keys", json={"role": "Admin", **body}, headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def assert_refused(response, status: int, message: str) -> None:
    assert response.status_code == status
    assert response.content_type == "application/json"
    assert response.get_json() == {"message": message}


# --- no credentials -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("path", GUARDED)
def test_no_credentials_on_guarded_route_is_401_unauthorized(client, path):
    assert_refused(client.get(path), 401, "Unauthorized")


def test_no_credentials_on_public_route_goes_through(client):
    assert_refused(client.get(PUBLIC_BY_KEY), 404, "Snapshot not found")


# --- Basic auth ---------------------------------------------------------------------------------------------

def test_wrong_password_is_401_with_one_message(client):
    assert_refused(client.get("/api/auth/keys", headers=basic("admin", "wrong")), 401, "Invalid username or password")


def test_unknown_user_gets_the_same_401_as_a_wrong_password(client):
    wrong_password = client.get("/api/auth/keys", headers=basic("admin", "wrong"))
    unknown_user = client.get("/api/auth/keys", headers=basic("nobody", "wrong"))
    assert_refused(unknown_user, 401, "Invalid username or password")
    assert unknown_user.get_data() == wrong_password.get_data()


def test_admin_signs_in_by_email_too(client):
    assert client.get("/api/auth/keys", headers=basic("admin@localhost", "admin")).status_code == 200


@pytest.mark.parametrize("header", ["Basic !!!not-base64!!!", "Basic " + base64.b64encode(b"no-colon").decode(),
                                    "Basic"])
def test_undecodable_basic_header_is_401_invalid_basic_auth_header(client, header):
    assert_refused(client.get("/api/auth/keys", headers={"Authorization": header}), 401, "Invalid Basic Auth Header")


def test_unknown_authorization_scheme_is_401_invalid_basic_auth_header(client):
    response = client.get("/api/auth/keys", headers={"Authorization": "Token xyz"})
    assert_refused(response, 401, "Invalid Basic Auth Header")


def test_bad_basic_header_is_401_even_on_a_public_route(client):
    assert_refused(client.get(PUBLIC_BY_KEY, headers={"Authorization": "Token xyz"}), 401, "Invalid Basic Auth Header")


# --- bad Bearer keys ----------------------------------------------------------------------------------------

def test_bad_bearer_key_is_401_even_on_a_public_route(client):
    assert_refused(client.get(PUBLIC_BY_KEY, headers=bearer("garbage")), 401, "Invalid API key")


@pytest.mark.parametrize("token", [
    "garbage",
    "!!!!",
    base64.b64encode(b"valid base64 but not JSON").decode(),
    encoded({"k": "secret", "n": "name"}),            # no org id
    encoded({"k": "secret", "n": "name", "id": "1"}),  # org id of the wrong type
    base64.b64encode(b"[1, 2, 3]").decode(),
])
def test_malformed_bearer_key_is_401_invalid_api_key(client, token):
    assert_refused(client.get("/api/auth/keys", headers=bearer(token)), 401, "Invalid API key")


def test_right_name_with_wrong_secret_is_401_invalid_api_key(client, make_key):
    payload = decoded(make_key())
    forged = encoded({**payload, "k": "x" * len(payload["k"])})
    assert_refused(client.get("/api/auth/keys", headers=bearer(forged)), 401, "Invalid API key")


def test_right_secret_in_another_org_is_401_invalid_api_key(client, make_key):
    forged = encoded({**decoded(make_key()), "id": 2})
    assert_refused(client.get("/api/auth/keys", headers=bearer(forged)), 401, "Invalid API key")


def test_bad_key_as_api_key_basic_password_is_401_invalid_api_key(client):
    assert_refused(client.get("/api/auth/keys", headers=basic("api_key", "garbage")), 401, "Invalid API key")


# --- creating and using keys --------------------------------------------------------------------------------

def test_create_key_answers_id_name_and_key(client):
    body = create_key(client, name="backup", secondsToLive=0)
    assert set(body) == {"id", "name", "key"}
    assert isinstance(body["id"], int) and body["name"] == "backup"


def test_key_is_in_grafanas_format(client):
    key = create_key(client, name="backup")["key"]
    assert key.startswith("eyJrIjoi")
    payload = decoded(key)
    assert list(payload) == ["k", "n", "id"]
    assert payload["n"] == "backup" and payload["id"] == 1
    assert isinstance(payload["k"], str) and len(payload["k"]) >= 32


def test_key_works_as_bearer(client, make_key):
    assert client.get("/api/auth/keys", headers=bearer(make_key())).status_code == 200


def test_key_works_as_basic_password_of_user_api_key(client, make_key):
    assert client.get("/api/auth/keys", headers=basic("api_key", make_key())).status_code == 200


def test_keys_are_listed_by_name_with_id_name_and_role(client):
    ids = {name: create_key(client, name=name, role=role)["id"]
           for name, role in [("charlie", "Viewer"), ("alpha", "Admin"), ("bravo", "Editor")]}
    response = client.get("/api/auth/keys", headers=ADMIN)
    assert response.status_code == 200
    assert response.get_json() == [{"id": ids["alpha"], "name": "alpha", "role": "Admin"},
                                   {"id": ids["bravo"], "name": "bravo", "role": "Editor"},
                                   {"id": ids["charlie"], "name": "charlie", "role": "Viewer"}]


def test_key_list_never_shows_the_key_its_secret_or_a_hash(client):
    key = create_key(client, name="backup")["key"]
    secret = decoded(key)["k"]
    text = client.get("/api/auth/keys", headers=ADMIN).get_data(as_text=True)
    assert '"backup"' in text
    assert key not in text
    assert secret not in text
    assert hashlib.sha256(secret.encode()).hexdigest() not in text
    assert "hash" not in text.lower()


@pytest.mark.data_dir_only
def test_stored_key_file_does_not_contain_the_secret(client, tmp_path):
    key = create_key(client, name="backup")["key"]
    secret = decoded(key)["k"]
    files = list((tmp_path / "data" / "orgs" / "1" / "api_keys").glob("*.json"))
    assert len(files) == 1
    stored = files[0].read_text()
    assert '"backup"' in stored
    assert secret not in stored
    assert key not in stored


def test_duplicate_key_name_is_409(client):
    create_key(client, name="backup")
    response = client.post("/api/auth/keys", json={"name": "backup", "role": "Viewer"}, headers=ADMIN)
    assert_refused(response, 409, "API key, organization ID and name must be unique")


def test_invalid_role_is_400_naming_role(client):
    response = client.post("/api/auth/keys", json={"name": "backup", "role": "Boss"}, headers=ADMIN)
    assert response.status_code == 400
    message = response.get_json()["message"]
    assert "role" in message and "Invalid role specified" in message


def test_missing_name_is_400_naming_name(client):
    response = client.post("/api/auth/keys", json={"role": "Admin"}, headers=ADMIN)
    assert response.status_code == 400
    assert "name" in response.get_json()["message"]


def test_negative_seconds_to_live_is_400(client):
    response = client.post("/api/auth/keys", json={"name": "backup", "role": "Admin", "secondsToLive": -1},
                           headers=ADMIN)
    assert response.status_code == 400
    assert "secondsToLive" in response.get_json()["message"]
    assert client.get("/api/auth/keys", headers=ADMIN).get_json() == []


def test_key_with_time_to_live_lists_its_expiration(client):
    create_key(client, name="short", secondsToLive=3600)
    (listed,) = client.get("/api/auth/keys", headers=ADMIN).get_json()
    assert listed["name"] == "short" and listed["expiration"].endswith("Z")


# --- expiry (one app, one sleep, shared by the tests below) -------------------------------------------------

@pytest.fixture(scope="module")
def expired_key(tmp_path_factory) -> Iterator[tuple]:
    """(client, key) where key was created with secondsToLive=1 and has since expired."""
    with pytest.MonkeyPatch.context() as patch:
        for name in [name for name in os.environ if name.startswith("GF_")]:
            patch.delenv(name)
        app = create_app({"TESTING": True, "DASHSNAP_DATA_DIR": str(tmp_path_factory.mktemp("expiry") / "data"),
                          "DASHSNAP_CLEANUP_INTERVAL": 0})
    client = app.test_client()
    key = create_key(client, name="short-lived", secondsToLive=1)["key"]
    time.sleep(1.1)
    yield client, key


def test_expired_key_is_401_expired_api_key(expired_key):
    client, key = expired_key
    assert_refused(client.get("/api/auth/keys", headers=bearer(key)), 401, "Expired API key")


def test_expired_key_as_basic_password_is_401_expired_api_key(expired_key):
    client, key = expired_key
    assert_refused(client.get("/api/auth/keys", headers=basic("api_key", key)), 401, "Expired API key")


def test_expired_key_is_not_listed(expired_key):
    client, _ = expired_key
    assert client.get("/api/auth/keys", headers=ADMIN).get_json() == []


@pytest.mark.parametrize("value", ["true", "True", "1"])
def test_expired_key_is_listed_with_include_expired(expired_key, value):
    client, _ = expired_key
    listed = client.get(f"/api/auth/keys?includeExpired={value}", headers=ADMIN).get_json()
    assert [key["name"] for key in listed] == ["short-lived"]
    assert "expiration" in listed[0]


@pytest.mark.parametrize("value", ["", "false", "maybe"])
def test_include_expired_reads_anything_else_as_false(expired_key, value):
    client, _ = expired_key
    response = client.get(f"/api/auth/keys?includeExpired={value}", headers=ADMIN)
    assert (response.status_code, response.get_json()) == (200, [])


# --- deleting keys ------------------------------------------------------------------------------------------

def test_delete_key_answers_api_key_deleted(client):
    key_id = create_key(client, name="backup")["id"]
    response = client.delete(f"/api/auth/keys/{key_id}", headers=ADMIN)
    assert response.status_code == 200
    assert response.content_type == "application/json"
    assert response.get_json() == {"message": "API key deleted"}
    assert client.get("/api/auth/keys", headers=ADMIN).get_json() == []


def test_deleted_key_stops_working_at_once(client):
    created = create_key(client, name="backup")
    assert client.get("/api/auth/keys", headers=bearer(created["key"])).status_code == 200
    client.delete(f"/api/auth/keys/{created['id']}", headers=ADMIN)
    assert_refused(client.get("/api/auth/keys", headers=bearer(created["key"])), 401, "Invalid API key")


def test_deleting_an_unknown_key_is_404(client):
    response = client.delete("/api/auth/keys/999", headers=ADMIN)
    assert response.status_code == 404
    assert response.content_type == "application/json"
    assert response.get_json()["message"]


def test_deleting_a_key_frees_its_name(client):
    key_id = create_key(client, name="backup")["id"]
    client.delete(f"/api/auth/keys/{key_id}", headers=ADMIN)
    assert create_key(client, name="backup")["name"] == "backup"


# --- roles --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("role", ["Viewer", "Editor"])
def test_key_below_admin_cannot_list_keys(client, make_key, role):
    assert_refused(client.get("/api/auth/keys", headers=bearer(make_key(role))), 403, "Permission denied")


@pytest.mark.parametrize("role", ["Viewer", "Editor"])
def test_key_below_admin_cannot_create_keys(client, make_key, role):
    response = client.post("/api/auth/keys", json={"name": "escalate", "role": "Admin"},
                           headers=bearer(make_key(role)))
    assert_refused(response, 403, "Permission denied")


@pytest.mark.parametrize("role", ["Viewer", "Editor"])
def test_key_below_admin_cannot_delete_keys(client, role):
    victim = create_key(client, name="victim")["id"]
    lower = create_key(client, name="lower", role=role)["key"]
    assert_refused(client.delete(f"/api/auth/keys/{victim}", headers=bearer(lower)), 403, "Permission denied")


def test_viewer_key_is_signed_in_on_routes_that_need_no_role(client, make_key):
    assert client.get("/api/dashboard/snapshots", headers=bearer(make_key("Viewer"))).status_code == 200


def test_admin_key_may_list_keys(client):
    key = create_key(client, name="backup-tool")["key"]
    response = client.get("/api/auth/keys", headers=bearer(key))
    assert response.status_code == 200
    assert [listed["name"] for listed in response.get_json()] == ["backup-tool"]


# --- the org a request acts in ------------------------------------------------------------------------------

@pytest.fixture
def second_org(client) -> int:
    """An org the admin belongs to as Admin besides the main org (where they stay active)."""
    return client.post("/api/orgs", json={"name": "Second"}, headers=ADMIN).get_json()["orgId"]


def test_the_org_header_picks_another_of_the_users_orgs_for_one_request(client, second_org):
    in_second = {**ADMIN, "X-Grafana-Org-Id": str(second_org)}
    assert client.get("/api/org", headers=in_second).get_json()["name"] == "Second"
    client.post("/api/auth/keys", json={"name": "made-in-second", "role": "Viewer"}, headers=in_second)
    assert [key["name"] for key in client.get("/api/auth/keys", headers=in_second).get_json()] == ["made-in-second"]
    assert client.get("/api/auth/keys", headers=ADMIN).get_json() == []
    assert client.get("/api/user", headers=in_second).get_json()["orgId"] == 1  # the active org is unchanged


def test_the_org_header_naming_an_org_the_user_is_not_in_is_refused(client, make_user, second_org):
    outsider = {**make_user("outsider", "Admin", org_id=1), "X-Grafana-Org-Id": str(second_org)}
    message = "You are not a member of the organization X-Grafana-Org-Id names"
    assert_refused(client.get("/api/org/users", headers=outsider), 403, message)
    assert_refused(client.get("/api/org", headers=outsider), 403, message)
    assert_refused(client.post("/api/snapshots", json={"dashboard": {"title": "x"}}, headers=outsider), 403, message)
    assert client.get("/api/dashboard/snapshots", headers=ADMIN).get_json() == []


@pytest.mark.parametrize("header", ["", "0", "two", "-2", "2_0", "9" * 40])
def test_an_org_header_that_names_no_org_means_the_active_org(client, second_org, header):
    response = client.get("/api/org", headers={**ADMIN, "X-Grafana-Org-Id": header})
    assert response.status_code == 200 and response.get_json()["id"] == 1


def test_an_api_key_acts_in_its_own_org_whatever_the_header_says(client, make_key, second_org):
    key = make_key("Admin")
    response = client.get("/api/org", headers={**bearer(key), "X-Grafana-Org-Id": str(second_org)})
    assert response.get_json()["id"] == 1


# --- request bodies on POST /api/auth/keys ------------------------------------------------------------------

def test_invalid_json_body_is_400_bad_request_data(client):
    response = client.post("/api/auth/keys", data='{"name": "backup",', content_type="application/json",
                           headers=ADMIN)
    assert response.status_code == 400
    assert response.content_type == "application/json"
    assert response.get_json()["message"].startswith("bad request data")


def test_json_array_body_is_400(client):
    response = client.post("/api/auth/keys", json=[{"name": "backup", "role": "Admin"}], headers=ADMIN)
    assert response.status_code == 400
    assert response.get_json()["message"].startswith("bad request data")


def test_unknown_extra_fields_are_ignored(client):
    response = client.post("/api/auth/keys", json={"name": "backup", "role": "Viewer", "color": "red", "orgId": 7},
                           headers=ADMIN)
    assert response.status_code == 200
    assert client.get("/api/auth/keys", headers=ADMIN).get_json() == [
        {"id": response.get_json()["id"], "name": "backup", "role": "Viewer"}]


# --- error bodies -------------------------------------------------------------------------------------------

def test_unknown_api_route_is_404_json_not_found(client):
    assert_refused(client.get("/api/no/such/route"), 404, "Not found")


@pytest.mark.parametrize(("method", "path"), [("PUT", "/api/auth/keys"), ("DELETE", "/api/health"),
                                              ("POST", "/api/dashboard/snapshots")])
def test_wrong_method_on_a_known_api_path_is_404_json(client, method, path):
    assert_refused(client.open(path, method=method, headers=ADMIN), 404, "Not found")


def test_unknown_path_outside_api_is_404_json(client):
    assert_refused(client.get("/no/such/page"), 404, "Not found")


# --- logging ------------------------------------------------------------------------------------------------

def test_passwords_and_keys_are_never_logged(make_app, caplog):
    caplog.set_level(logging.DEBUG)
    password = "Tr0ub4dor-and-3"
    client = make_app(DASHSNAP_ADMIN_PASSWORD=password).test_client()
    key = create_key(client, headers=basic("admin", password), name="logged?")["key"]
    secret = decoded(key)["k"]
    client.get("/api/auth/keys", headers=bearer(key))
    client.get("/api/auth/keys", headers=basic("api_key", key))
    client.get("/api/auth/keys", headers=basic("admin", password + "-wrong"))
    client.get("/api/auth/keys", headers=bearer(encoded({**decoded(key), "k": secret[::-1]})))
    client.post("/api/auth/keys", data="{not json", headers=basic("admin", password))
    for record in caplog.records:
        text = f"{record.getMessage()} {record.args!r} {record.exc_text or ''}"
        for secret_text in (password, key, secret):
            assert secret_text not in text, record
    for secret_text in (password, key, secret):
        assert secret_text not in caplog.text
