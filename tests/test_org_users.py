"""The users of the current org (/api/org/users): list, add, change role, remove, and the last-Admin rules."""
import pytest
from conftest import ADMIN, basic, bearer


def members(client, headers=ADMIN):
    return {member["login"]: member["role"] for member in client.get("/api/org/users", headers=headers).get_json()}


def test_list_shows_members_with_roles_by_email(client, make_user):
    make_user("zed", "Viewer")
    make_user("amy", "Editor")
    make_user("outsider", "Admin", org_id=2)
    listed = client.get("/api/org/users", headers=ADMIN).get_json()
    assert [member["login"] for member in listed] == ["admin", "amy", "zed"]  # admin@localhost sorts first
    assert listed[0] == {"orgId": 1, "userId": 1, "login": "admin", "email": "admin@localhost", "name": "",
                         "role": "Admin"}


def test_add_a_user_by_login_or_email(client, make_user):
    make_user("bob", "Viewer", org_id=2)
    make_user("cat", "Viewer", org_id=2)
    response = client.post("/api/org/users", json={"loginOrEmail": "bob", "role": "Editor"}, headers=ADMIN)
    assert response.get_json()["message"] == "User added to organization"
    client.post("/api/org/users", json={"loginOrEmail": "cat@example.test", "role": "Viewer"}, headers=ADMIN)
    assert members(client) == {"admin": "Admin", "bob": "Editor", "cat": "Viewer"}
    assert {"orgId": 1, "name": "Main Org.", "role": "Editor"} in client.get(
        "/api/user/orgs", headers=basic("bob", "secret")).get_json()


@pytest.mark.parametrize("body, status, message", [
    ({"loginOrEmail": "nobody", "role": "Viewer"}, 404, "User not found"),
    ({"loginOrEmail": "admin", "role": "Viewer"}, 409, "User is already member of this organization"),
    ({"loginOrEmail": "admin", "role": "Owner"}, 400, "role: Invalid role specified"),
    ({"role": "Viewer"}, 400, "loginOrEmail: Missing data for required field.")])
def test_adding_fails_clearly(client, body, status, message):
    response = client.post("/api/org/users", json=body, headers=ADMIN)
    assert (response.status_code, response.get_json()["message"]) == (status, message)


def test_change_a_members_role(client, make_user):
    make_user("bob", "Viewer")
    bob_id = client.get("/api/user", headers=basic("bob", "secret")).get_json()["id"]
    assert client.patch(f"/api/org/users/{bob_id}", json={"role": "Admin"}, headers=ADMIN).get_json() == {
        "message": "Organization user updated"}
    assert members(client)["bob"] == "Admin"
    assert client.get("/api/auth/keys", headers=basic("bob", "secret")).status_code == 200  # the role applies


def test_the_last_admin_cannot_be_demoted_or_removed(app, client, make_user):
    make_user("bob", "Viewer")
    response = client.patch("/api/org/users/1", json={"role": "Editor"}, headers=ADMIN)
    assert response.status_code == 400
    assert response.get_json() == {"message": "Cannot change role so that there is no organization admin left"}
    make_user("carol", "Admin", org_id=2)
    app.extensions["dashsnap"].store.users.set_membership(1, 2, "Viewer")  # admin belongs to org 2 as well
    response = client.delete("/api/org/users/1", headers=ADMIN)
    assert response.get_json() == {"message": "Cannot remove last organization admin"}
    assert members(client)["admin"] == "Admin"


def test_an_admin_may_step_down_once_another_admin_exists(client, make_user):
    make_user("bob", "Admin")
    assert client.patch("/api/org/users/1", json={"role": "Viewer"}, headers=ADMIN).status_code == 200
    assert members(client, basic("bob", "secret"))["admin"] == "Viewer"


def test_removing_a_member_moves_them_to_another_of_their_orgs(client, make_user):
    make_user("dan", "Admin", org_id=2)
    client.post("/api/org/users", json={"loginOrEmail": "dan", "role": "Viewer"}, headers=ADMIN)
    client.post("/api/user/using/1", headers=basic("dan", "secret"))
    dan_id = client.get("/api/user", headers=basic("dan", "secret")).get_json()["id"]
    assert client.delete(f"/api/org/users/{dan_id}", headers=ADMIN).get_json() == {
        "message": "User removed from organization"}
    assert "dan" not in members(client)
    assert client.get("/api/user", headers=basic("dan", "secret")).get_json()["orgId"] == 2


def test_no_one_removes_themself_from_their_only_org(client, make_user):
    make_user("bob", "Admin")
    response = client.delete("/api/org/users/1", headers=ADMIN)
    assert response.status_code == 400
    assert "only organization" in response.get_json()["message"]
    assert "admin" in members(client)


def test_removing_or_changing_a_non_member_is_404(client, make_user):
    make_user("stranger", "Admin", org_id=2)
    for response in (client.delete("/api/org/users/2", headers=ADMIN),
                     client.patch("/api/org/users/2", json={"role": "Viewer"}, headers=ADMIN),
                     client.delete("/api/org/users/999", headers=ADMIN)):
        assert response.status_code == 404
        assert response.get_json() == {"message": "User not found"}


def test_org_users_need_an_org_admin(client, make_user, make_key):
    editor = make_user("editor", "Editor")
    for headers in (editor, bearer(make_key("Editor"))):
        assert client.get("/api/org/users", headers=headers).status_code == 403
        assert client.post("/api/org/users", json={"loginOrEmail": "admin", "role": "Viewer"},
                           headers=headers).status_code == 403
    assert client.get("/api/org/users").status_code == 401


def test_memberships_survive_an_index_rebuild(make_app, tmp_path, make_user):
    make_user("bob", "Editor")
    for suffix in ("", "-wal", "-shm"):
        (tmp_path / "data" / f"index.sqlite3{suffix}").unlink(missing_ok=True)
    client = make_app().test_client()
    assert members(client) == {"admin": "Admin", "bob": "Editor"}
