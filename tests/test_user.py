"""The current user (/api/user*) and the current org (/api/org)."""
import pytest
from conftest import ADMIN, basic, bearer


def test_get_user_answers_the_callers_profile(client):
    assert client.get("/api/user", headers=ADMIN).get_json() == {
        "id": 1, "email": "admin@localhost", "name": "", "login": "admin", "theme": "", "orgId": 1,
        "isGrafanaAdmin": True, "isDisabled": False}


def test_api_keys_have_no_user_and_get_a_clear_400(client, make_key):
    for method, path in (("GET", "/api/user"), ("PUT", "/api/user"), ("GET", "/api/user/orgs"),
                         ("PUT", "/api/user/password")):
        response = client.open(path, method=method, json={}, headers=bearer(make_key("Admin")))
        assert response.status_code == 400, path
        assert "API keys" in response.get_json()["message"]


def test_user_endpoints_need_sign_in(client):
    assert client.get("/api/user").get_json() == {"message": "Unauthorized"}


def test_update_user_changes_only_the_given_fields(client):
    response = client.put("/api/user", json={"name": "Ada", "theme": "dark", "login": ""}, headers=ADMIN)
    assert response.get_json() == {"message": "User updated"}
    profile = client.get("/api/user", headers=ADMIN).get_json()
    assert (profile["name"], profile["theme"], profile["login"]) == ("Ada", "dark", "admin")


def test_a_new_login_signs_in_and_the_old_does_not(client):
    client.put("/api/user", json={"login": "root"}, headers=ADMIN)
    assert client.get("/api/user", headers=basic("root", "admin")).status_code == 200
    assert client.get("/api/user", headers=ADMIN).status_code == 401


@pytest.mark.parametrize("field", ["login", "email"])
def test_a_login_or_email_of_another_user_is_409(client, make_user, field):
    make_user("taken")
    value = {"login": "taken", "email": "taken@example.test"}[field]
    response = client.put("/api/user", json={field: value}, headers=ADMIN)
    assert response.status_code == 409
    assert "already exists" in response.get_json()["message"]
    assert client.get("/api/user", headers=ADMIN).get_json()["login"] == "admin"


@pytest.mark.parametrize("field", ["login", "email"])
def test_a_user_cannot_take_another_users_sign_in_name(client, make_user, field):
    """A login or email equal to another user's email or login would sign in as either of them."""
    carol = make_user("carol")  # email carol@example.test
    value = {"login": "carol@example.test", "email": "CAROL"}[field]
    response = client.put("/api/user", json={field: value}, headers=ADMIN)
    assert response.status_code == 409 and "already exists" in response.get_json()["message"]
    assert client.get("/api/user", headers=carol).get_json()["login"] == "carol"
    assert client.get("/api/user", headers=basic("carol@example.test", "secret")).get_json()["login"] == "carol"
    created = client.post("/api/admin/users", json={"login": "CAROL@example.test", "password": "pass-word-1"},
                          headers=ADMIN)
    assert created.status_code == 409


def test_login_and_email_cannot_both_be_emptied(client):
    response = client.put("/api/user", json={"login": "", "email": ""}, headers=ADMIN)
    assert response.status_code == 400
    assert "either username or email" in response.get_json()["message"]


def test_password_change_needs_the_old_password(client):
    body = {"oldPassword": "wrong", "newPassword": "s3cret!", "confirmNew": "s3cret!"}
    response = client.put("/api/user/password", json=body, headers=ADMIN)
    assert response.status_code == 401
    assert response.get_json() == {"message": "Invalid old password"}


def test_password_change_takes_effect_at_once(client):
    body = {"oldPassword": "admin", "newPassword": "s3cret!", "confirmNew": "s3cret!"}
    assert client.put("/api/user/password", json=body, headers=ADMIN).get_json() == {
        "message": "User password changed"}
    assert client.get("/api/user", headers=ADMIN).status_code == 401
    assert client.get("/api/user", headers=basic("admin", "s3cret!")).status_code == 200


@pytest.mark.parametrize("body, words", [
    ({"oldPassword": "admin", "newPassword": "abc"}, "too short"),
    ({"oldPassword": "admin", "newPassword": "abcdef", "confirmNew": "abcdeg"}, "confirmation"),
    ({"newPassword": "abcdef"}, "oldPassword")])
def test_bad_password_changes_are_400_and_change_nothing(client, body, words):
    response = client.put("/api/user/password", json=body, headers=ADMIN)
    assert response.status_code == 400
    assert words in response.get_json()["message"]
    assert client.get("/api/user", headers=ADMIN).status_code == 200


def test_user_orgs_lists_memberships_with_roles(client, make_user):
    viewer = make_user("member", "Viewer", org_id=1)
    assert client.get("/api/user/orgs", headers=viewer).get_json() == [
        {"orgId": 1, "name": "Main Org.", "role": "Viewer"}]


def test_switching_to_a_member_org_changes_org_and_role(app, client, make_user):
    make_user("other-admin", "Admin", org_id=2)
    store = app.extensions["dashsnap"].store
    store.users.update(1, orgs={"1": "Admin", "2": "Viewer"})
    assert client.post("/api/user/using/2", headers=ADMIN).get_json() == {"message": "Active organization changed"}
    assert client.get("/api/user", headers=ADMIN).get_json()["orgId"] == 2
    assert client.get("/api/org", headers=ADMIN).get_json()["id"] == 2
    assert client.get("/api/auth/keys", headers=ADMIN).status_code == 403  # a Viewer there


@pytest.mark.parametrize("org_id", ["2", "99", "abc", "-1"])
def test_switching_to_a_foreign_org_is_401(client, make_user, org_id):
    make_user("stranger", "Admin", org_id=2)
    response = client.post(f"/api/user/using/{org_id}", headers=ADMIN)
    assert response.status_code == 401
    assert response.get_json() == {"message": "Not a valid organization"}
    assert client.get("/api/user", headers=ADMIN).get_json()["orgId"] == 1


def test_get_org_answers_the_current_org(client):
    assert client.get("/api/org", headers=ADMIN).get_json() == {
        "id": 1, "name": "Main Org.", "address": {"address1": "", "address2": "", "city": "", "zipCode": "",
                                                  "state": "", "country": ""}}


def test_org_admin_renames_the_org(client):
    assert client.put("/api/org", json={"name": "Homelab"}, headers=ADMIN).get_json() == {
        "message": "Organization updated"}
    assert client.get("/api/org", headers=ADMIN).get_json()["name"] == "Homelab"


def test_a_taken_org_name_is_400(client, make_user):
    make_user("elsewhere", "Admin", org_id=2)
    taken = client.get("/api/org", headers=basic("elsewhere", "secret")).get_json()["name"]
    response = client.put("/api/org", json={"name": taken}, headers=ADMIN)
    assert response.status_code == 400
    assert response.get_json() == {"message": "Organization name taken"}


def test_only_org_admins_rename_the_org(client, make_user):
    editor = make_user("editor", "Editor")
    assert client.put("/api/org", json={"name": "Mine"}, headers=editor).status_code == 403
    assert client.get("/api/org", headers=editor).status_code == 200
    assert client.put("/api/org", json={}, headers=ADMIN).status_code == 400
