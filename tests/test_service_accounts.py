"""Service accounts and their tokens, and API keys turned into service accounts."""
from __future__ import annotations

import base64
import time

import pytest
from conftest import ADMIN, bearer
from dashsnap.security import is_well_formed_token


@pytest.fixture
def store(app):
    return app.extensions["dashsnap"].store


def account(client, name: str = "ci", role: str = "Editor", headers=ADMIN, **fields) -> dict:
    response = client.post("/api/serviceaccounts", json={"name": name, "role": role, **fields}, headers=headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def token(client, account_id: int, name: str = "t", headers=ADMIN, **fields) -> str:
    response = client.post(f"/api/serviceaccounts/{account_id}/tokens", json={"name": name, **fields},
                           headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()["key"]


def test_create_answers_grafanas_dto_with_a_login_of_org_and_name(client):
    created = account(client, "My CI Bot")
    assert created["login"] == "sa-1-my-ci-bot"
    assert {key: created[key] for key in ("name", "orgId", "isDisabled", "role", "tokens")} == {
        "name": "My CI Bot", "orgId": 1, "isDisabled": False, "role": "Editor", "tokens": 0}
    assert created["id"] > 1 and created["uid"] and created["avatarUrl"].startswith("/avatar/")
    assert client.post("/api/serviceaccounts", json={"name": "my ci bot"}, headers=ADMIN).get_json() == {
        "message": "service account already exists"}


def test_ids_are_drawn_with_the_users_so_what_an_account_makes_names_no_user(client, store):
    created = account(client)
    assert store.users.get(created["id"]) is None
    user = client.post("/api/admin/users", json={"login": "next", "password": "password1"}, headers=ADMIN)
    assert user.get_json()["id"] > created["id"]


def test_a_token_is_shown_once_and_works_as_bearer_and_as_the_api_key_password(client):
    created = account(client)
    key = token(client, created["id"])
    assert key.startswith("glsa_") and len(key.split("_")[1]) == 32 and is_well_formed_token(key)
    me = client.get("/api/user", headers=bearer(key)).get_json()
    assert (me["id"], me["login"], me["orgId"]) == (created["id"], "sa-1-ci", 1)
    as_password = {"Authorization": "Basic " + base64.b64encode(f"api_key:{key}".encode()).decode()}
    assert client.get("/api/user", headers=as_password).get_json()["id"] == created["id"]
    listed = client.get(f"/api/serviceaccounts/{created['id']}/tokens", headers=ADMIN).get_json()
    assert [(item["name"], item["expiration"], item["hasExpired"], item["secondsUntilExpiration"])
            for item in listed] == [("t", None, False, 0)]
    assert key not in str(listed)


def test_a_token_with_a_bad_checksum_or_unknown_is_refused(client):
    key = token(client, account(client)["id"])
    tampered = key[:-1] + ("0" if key[-1] != "0" else "1")
    for bad in (tampered, "glsa_" + "a" * 32 + "_00000000", "glsa_nothing"):
        response = client.get("/api/user", headers=bearer(bad))
        assert (response.status_code, response.get_json()) == (401, {"message": "Invalid API key"})


def test_a_token_expires_and_says_when_it_will(client, monkeypatch):
    created = account(client)
    key = token(client, created["id"], secondsToLive=3600)
    listed = client.get(f"/api/serviceaccounts/{created['id']}/tokens", headers=ADMIN).get_json()[0]
    assert listed["expiration"] and 3500 < listed["secondsUntilExpiration"] <= 3600
    later = time.time() + 7200
    monkeypatch.setattr(time, "time", lambda: later)
    response = client.get("/api/user", headers=bearer(key))
    assert (response.status_code, response.get_json()) == (401, {"message": "Expired API key"})
    listed = client.get(f"/api/serviceaccounts/{created['id']}/tokens", headers=ADMIN).get_json()[0]
    assert listed["hasExpired"] is True and listed["secondsUntilExpiration"] == 0


def test_token_names_are_unique_in_the_org_and_bad_lifetimes_refused(client, make_key):
    first, second = account(client, "a"), account(client, "b")
    token(client, first["id"], "shared")
    again = client.post(f"/api/serviceaccounts/{second['id']}/tokens", json={"name": "shared"}, headers=ADMIN)
    assert (again.status_code, again.get_json()["message"]) == (
        400, "service account token with given name already exists in the organization")
    negative = client.post(f"/api/serviceaccounts/{first['id']}/tokens", json={"name": "n", "secondsToLive": -1},
                           headers=ADMIN)
    assert negative.status_code == 400 and "invalid SecondsToLive value" in negative.get_json()["message"]
    unknown = client.post("/api/serviceaccounts/999/tokens", json={"name": "x"}, headers=ADMIN)
    assert (unknown.status_code, unknown.get_json()) == (404, {"message": "service account not found"})


def test_a_disabled_account_s_tokens_answer_401_until_it_is_enabled(client):
    created = account(client)
    key = token(client, created["id"])
    changed = client.patch(f"/api/serviceaccounts/{created['id']}", json={"isDisabled": True}, headers=ADMIN)
    assert changed.get_json()["message"] == "Service account updated"
    assert changed.get_json()["serviceaccount"]["isDisabled"] is True
    response = client.get("/api/search", headers=bearer(key))
    assert (response.status_code, response.get_json()) == (401, {"message": "Service account is disabled"})
    client.patch(f"/api/serviceaccounts/{created['id']}", json={"isDisabled": False}, headers=ADMIN)
    assert client.get("/api/search", headers=bearer(key)).status_code == 200


def test_update_keeps_what_is_left_out_and_the_login(client):
    created = account(client, "old", "Viewer")
    response = client.patch(f"/api/serviceaccounts/{created['id']}", json={"name": "new"}, headers=ADMIN)
    assert (response.get_json()["id"], response.get_json()["name"]) == (created["id"], "new")
    got = client.get(f"/api/serviceaccounts/{created['id']}", headers=ADMIN).get_json()
    assert (got["name"], got["login"], got["role"], got["teams"]) == ("new", "sa-1-old", "Viewer", [])
    assert "tokens" not in got  # Grafana's profile leaves a zero count out
    bad = client.patch(f"/api/serviceaccounts/{created['id']}", json={"role": "Owner"}, headers=ADMIN)
    assert bad.status_code == 400 and "invalid role specified" in bad.get_json()["message"]


def test_search_pages_filters_and_counts_tokens(client):
    for name in ("alpha", "beta", "gamma"):
        account(client, name)
    beta = client.get("/api/serviceaccounts/search?query=bet", headers=ADMIN).get_json()
    assert beta["totalCount"] == 1 and beta["serviceAccounts"][0]["name"] == "beta"
    token(client, beta["serviceAccounts"][0]["id"])
    page = client.get("/api/serviceaccounts/search?perpage=2&page=2", headers=ADMIN).get_json()
    assert (page["totalCount"], page["page"], page["perPage"]) == (3, 2, 2)
    assert [item["name"] for item in page["serviceAccounts"]] == ["gamma"]
    every = client.get("/api/serviceaccounts/search", headers=ADMIN).get_json()["serviceAccounts"]
    assert {item["name"]: item["tokens"] for item in every} == {"alpha": 0, "beta": 1, "gamma": 0}
    client.patch(f"/api/serviceaccounts/{every[0]['id']}", json={"isDisabled": True}, headers=ADMIN)
    disabled = client.get("/api/serviceaccounts/search?disabled=true", headers=ADMIN).get_json()
    assert [item["name"] for item in disabled["serviceAccounts"]] == ["alpha"]


def test_delete_takes_the_tokens_with_it(client):
    created = account(client)
    key = token(client, created["id"])
    assert client.delete(f"/api/serviceaccounts/{created['id']}", headers=ADMIN).get_json() == {
        "message": "Service account deleted"}
    assert client.get("/api/user", headers=bearer(key)).status_code == 401
    assert client.get(f"/api/serviceaccounts/{created['id']}", headers=ADMIN).status_code == 404
    assert client.delete(f"/api/serviceaccounts/{created['id']}", headers=ADMIN).status_code == 404


def test_deleting_a_token_stops_it_and_only_its_own_account_may(client):
    first, second = account(client, "a"), account(client, "b")
    key = token(client, first["id"])
    token_id = client.get(f"/api/serviceaccounts/{first['id']}/tokens", headers=ADMIN).get_json()[0]["id"]
    wrong = client.delete(f"/api/serviceaccounts/{second['id']}/tokens/{token_id}", headers=ADMIN)
    assert (wrong.status_code, wrong.get_json()) == (404, {"message": "service account token not found"})
    assert client.delete(f"/api/serviceaccounts/{first['id']}/tokens/{token_id}", headers=ADMIN).get_json() == {
        "message": "Service account token deleted"}
    assert client.get("/api/user", headers=bearer(key)).status_code == 401


@pytest.mark.parametrize("path", ["/api/serviceaccounts/x", "/api/serviceaccounts/0", "/api/serviceaccounts/-1"])
def test_ids_that_are_no_numbers_answer_400(client, path):
    response = client.get(path, headers=ADMIN)
    assert (response.status_code, response.get_json()) == (400, {"message": "Service Account ID is invalid"})


def test_only_org_admins_manage_service_accounts(client, make_user):
    editor = make_user("ed", "Editor")
    created = account(client)
    for method, path in (("get", "/api/serviceaccounts/search"), ("post", "/api/serviceaccounts"),
                         ("get", f"/api/serviceaccounts/{created['id']}"),
                         ("post", f"/api/serviceaccounts/{created['id']}/tokens"),
                         ("delete", f"/api/serviceaccounts/{created['id']}"), ("post", "/api/serviceaccounts/migrate")):
        assert getattr(client, method)(path, json={"name": "x"}, headers=editor).status_code == 403, path
    editor_token = token(client, created["id"])  # an Editor account may not manage accounts either
    assert client.get("/api/serviceaccounts/search", headers=bearer(editor_token)).status_code == 403


def test_one_org_never_sees_or_changes_another_s_accounts(client, make_user):
    created = account(client)
    key = token(client, created["id"])
    other_admin = make_user("other", "Admin", org_id=2)
    for method, path in (("get", f"/api/serviceaccounts/{created['id']}"),
                         ("patch", f"/api/serviceaccounts/{created['id']}"),
                         ("get", f"/api/serviceaccounts/{created['id']}/tokens"),
                         ("post", f"/api/serviceaccounts/{created['id']}/tokens"),
                         ("delete", f"/api/serviceaccounts/{created['id']}")):
        assert getattr(client, method)(path, json={"name": "x"}, headers=other_admin).status_code == 404, path
    assert client.get("/api/serviceaccounts/search", headers=other_admin).get_json()["totalCount"] == 0
    # A token acts in its account's org only, whatever org a header names.
    assert client.get("/api/user", headers={**bearer(key), "X-Grafana-Org-Id": "2"}).get_json()["orgId"] == 1


def test_what_an_account_makes_is_its_own(client):
    viewer = account(client, "viewer-bot", "Viewer")
    admin_key = token(client, account(client, "admin-bot", "Admin")["id"], "admin-token")
    viewer_key = token(client, viewer["id"], "viewer-token")
    dashboard = {"dashboard": {"title": "D", "panels": []}, "expires": 0}
    mine = client.post("/api/snapshots", json=dashboard, headers=bearer(viewer_key)).get_json()
    client.post("/api/snapshots", json=dashboard, headers=bearer(admin_key))
    listed = client.get("/api/dashboard/snapshots", headers=bearer(viewer_key)).get_json()
    assert [item["key"] for item in listed] == [mine["key"]]
    assert listed[0]["userId"] == viewer["id"]
    assert client.delete(f"/api/snapshots/{mine['key']}", headers=bearer(viewer_key)).status_code == 200
    assert client.post("/api/user/stars/dashboard/uid/none", headers=bearer(viewer_key)).status_code == 404


def test_migrating_api_keys_keeps_them_working_as_service_accounts(client, make_key):
    viewer_key, admin_key = make_key("Viewer"), make_key("Admin")
    assert client.get("/api/user", headers=bearer(viewer_key)).status_code == 400  # a key has no user
    result = client.post("/api/serviceaccounts/migrate", headers=ADMIN).get_json()
    assert result == {"total": 2, "migrated": 2, "failed": 0, "failedApikeyIDs": [], "failedDetails": []}
    assert client.get("/api/auth/keys", headers=ADMIN).get_json() == []
    accounts = client.get("/api/serviceaccounts/search", headers=ADMIN).get_json()["serviceAccounts"]
    assert [(item["name"], item["login"], item["role"], item["tokens"]) for item in accounts] == [
        ("sa-autogen-key-1", "sa-autogen-1-key-1", "Viewer", 1), ("sa-autogen-key-2", "sa-autogen-1-key-2", "Admin", 1)]
    me = client.get("/api/user", headers=bearer(viewer_key)).get_json()
    assert (me["id"], me["login"]) == (accounts[0]["id"], "sa-autogen-1-key-1")
    assert client.get("/api/auth/keys", headers=bearer(admin_key)).status_code == 200


def test_migrating_one_key(client, make_key, store):
    key = make_key("Editor")
    key_id = client.get("/api/auth/keys", headers=ADMIN).get_json()[0]["id"]
    assert client.post(f"/api/serviceaccounts/migrate/{key_id}", headers=ADMIN).get_json() == {
        "message": "Service accounts migrated"}
    assert client.post(f"/api/serviceaccounts/migrate/{key_id}", headers=ADMIN).status_code == 404
    assert client.get("/api/user", headers=bearer(key)).get_json()["login"] == "sa-autogen-1-key-1"
    assert client.post("/api/serviceaccounts/migrate/x", headers=ADMIN).status_code == 400


def test_accounts_and_tokens_come_back_from_the_files(client, make_app, store):
    created = account(client)
    key = token(client, created["id"])
    from dashsnap.storage import rebuild_index

    rebuild_index(store.data_dir)
    reopened = make_app().test_client()
    assert reopened.get("/api/user", headers=bearer(key)).get_json()["id"] == created["id"]
    assert reopened.get("/api/serviceaccounts/search", headers=ADMIN).get_json()["totalCount"] == 1


def test_a_key_below_admin_that_is_no_account_s_lists_no_snapshots_of_other_keys(client, make_key):
    admin_key, viewer_key = make_key("Admin"), make_key("Viewer")
    client.post("/api/snapshots", json={"dashboard": {"title": "secret"}}, headers=bearer(admin_key))
    assert client.get("/api/dashboard/snapshots", headers=bearer(viewer_key)).get_json() == []
    assert len(client.get("/api/dashboard/snapshots", headers=bearer(admin_key)).get_json()) == 1


def test_an_account_has_no_password_or_profile_to_change(client):
    key = token(client, account(client)["id"])
    for method, path, body in (("put", "/api/user", {"name": "x"}),
                               ("put", "/api/user/password", {"oldPassword": "a", "newPassword": "bbbbbbbb"}),
                               ("post", "/api/user/using/1", None)):
        response = getattr(client, method)(path, json=body, headers=bearer(key))
        assert (response.status_code, response.get_json()) == (403, {"message": "Endpoint only available for users"})
    assert client.get("/api/user/orgs", headers=bearer(key)).get_json() == [
        {"orgId": 1, "name": "Main Org.", "role": "Editor"}]
