"""Teams, their members, and what folder and dashboard permissions grant a team."""
from __future__ import annotations

import pytest
from conftest import ADMIN


@pytest.fixture
def store(app):
    return app.extensions["dashsnap"].store


def user_id(store, login: str) -> int:
    return store.users.find_by_login_or_email(login)["id"]


def team(client, name: str = "ops", headers=ADMIN, **fields) -> dict:
    response = client.post("/api/teams", json={"name": name, **fields}, headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def add(client, team_id: int, member: int, headers=ADMIN):
    return client.post(f"/api/teams/{team_id}/members", json={"userId": member}, headers=headers)


def test_create_read_update_delete(client):
    created = team(client, "Ops", email="ops@example.test")
    assert created["message"] == "Team created" and created["teamId"] > 0 and created["uid"]
    got = client.get(f"/api/teams/{created['teamId']}", headers=ADMIN).get_json()
    assert {key: got[key] for key in ("id", "uid", "orgId", "name", "email", "memberCount", "permission")} == {
        "id": created["teamId"], "uid": created["uid"], "orgId": 1, "name": "Ops", "email": "ops@example.test",
        "memberCount": 1, "permission": 4}  # the admin who made it is its first Admin
    assert got["avatarUrl"].startswith("/avatar/") and got["accessControl"] is None
    assert client.put(f"/api/teams/{created['teamId']}", json={"name": "Ops 2"}, headers=ADMIN).get_json() == {
        "message": "Team updated"}
    assert client.get(f"/api/teams/{created['teamId']}", headers=ADMIN).get_json()["name"] == "Ops 2"
    assert client.delete(f"/api/teams/{created['teamId']}", headers=ADMIN).get_json() == {"message": "Team deleted"}
    missing = client.get(f"/api/teams/{created['teamId']}", headers=ADMIN)
    assert (missing.status_code, missing.get_json()) == (404, {"message": "Team not found"})


def test_names_are_unique_in_the_org(client, make_user):
    first = team(client, "ops")
    taken = client.post("/api/teams", json={"name": "OPS"}, headers=ADMIN)
    assert (taken.status_code, taken.get_json()) == (409, {"message": "Team name taken"})
    second = team(client, "dev")
    renamed = client.put(f"/api/teams/{second['teamId']}", json={"name": "ops"}, headers=ADMIN)
    assert (renamed.status_code, renamed.get_json()) == (400, {"message": "Team name taken"})
    other_org = make_user("other", "Admin", org_id=2)
    assert client.post("/api/teams", json={"name": "ops"}, headers=other_org).status_code == 200
    assert first["teamId"] != second["teamId"]


def test_search_filters_pages_and_counts_members(client, make_user, store):
    make_user("ann")
    for name in ("alpha", "beta", "gamma"):
        team(client, name)
    beta = client.get("/api/teams/search?query=ET", headers=ADMIN).get_json()
    assert beta["totalCount"] == 1 and beta["teams"][0]["name"] == "beta"
    add(client, beta["teams"][0]["id"], user_id(store, "ann"))
    page = client.get("/api/teams/search?perpage=2&page=2", headers=ADMIN).get_json()
    assert (page["totalCount"], page["page"], page["perPage"], [t["name"] for t in page["teams"]]) == (
        3, 2, 2, ["gamma"])
    named = client.get("/api/teams/search?name=beta", headers=ADMIN).get_json()["teams"]
    assert [(t["name"], t["memberCount"]) for t in named] == [("beta", 2)]


def test_members_are_added_listed_and_removed(client, make_user, store):
    make_user("ann", "Editor")
    created = team(client)
    ann = user_id(store, "ann")
    assert add(client, created["teamId"], ann).get_json() == {"message": "Member added to Team"}
    again = add(client, created["teamId"], ann)
    assert (again.status_code, again.get_json()) == (400, {"message": "User is already added to this team"})
    members = client.get(f"/api/teams/{created['teamId']}/members", headers=ADMIN).get_json()
    assert [(m["login"], m["email"], m["permission"], m["teamId"]) for m in members] == [
        ("admin", "admin@localhost", 4, created["teamId"]), ("ann", "ann@example.test", 0, created["teamId"])]
    assert client.delete(f"/api/teams/{created['teamId']}/members/{ann}", headers=ADMIN).get_json() == {
        "message": "Team Member removed"}
    gone = client.delete(f"/api/teams/{created['teamId']}/members/{ann}", headers=ADMIN)
    assert (gone.status_code, gone.get_json()) == (404, {"message": "Team member not found"})


def test_only_members_of_the_org_join_its_teams(client, make_user, store):
    make_user("outsider", org_id=2)
    created = team(client)
    response = add(client, created["teamId"], user_id(store, "outsider"))
    assert (response.status_code, response.get_json()) == (404, {"message": "User not found"})
    assert add(client, created["teamId"], 99999).status_code == 404
    assert client.post(f"/api/teams/{created['teamId']}/members", json={"userId": "1"}, headers=ADMIN).status_code \
        == 400


def test_members_read_their_teams_and_team_admins_manage_theirs(client, make_user, store):
    ann, bob = make_user("ann"), make_user("bob")
    mine, other = team(client, "mine"), team(client, "other")
    add(client, mine["teamId"], user_id(store, "ann"))
    assert [t["name"] for t in client.get("/api/teams/search", headers=ann).get_json()["teams"]] == ["mine"]
    assert client.get(f"/api/teams/{other['teamId']}", headers=ann).status_code == 404
    assert client.get(f"/api/teams/{mine['teamId']}/members", headers=ann).status_code == 200
    assert add(client, mine["teamId"], user_id(store, "bob"), headers=ann).status_code == 403
    assert client.post("/api/teams", json={"name": "x"}, headers=ann).status_code == 403
    store.teams.set_member(1, mine["teamId"], user_id(store, "ann"), 4)  # ann becomes the team's Admin
    assert add(client, mine["teamId"], user_id(store, "bob"), headers=ann).status_code == 200
    assert client.put(f"/api/teams/{mine['teamId']}", json={"name": "ours"}, headers=ann).status_code == 200
    assert client.put(f"/api/teams/{other['teamId']}", json={"name": "x"}, headers=ann).status_code == 404
    assert client.get("/api/teams/search", headers=bob).get_json()["teams"][0]["name"] == "ours"


def test_user_teams_and_users_teams(client, make_user, store):
    make_user("ann")
    ann_headers = {"Authorization": make_user("bob")["Authorization"]}
    created = team(client)
    add(client, created["teamId"], user_id(store, "ann"))
    assert [t["name"] for t in client.get(f"/api/users/{user_id(store, 'ann')}/teams", headers=ADMIN).get_json()] \
        == ["ops"]
    assert client.get("/api/users/99999/teams", headers=ADMIN).get_json() == []
    assert client.get("/api/user/teams", headers=ann_headers).get_json() == []
    assert [t["name"] for t in client.get("/api/user/teams", headers=ADMIN).get_json()] == ["ops"]
    assert client.get(f"/api/users/{user_id(store, 'ann')}/teams", headers=ann_headers).status_code == 403


def test_a_team_item_grants_its_members_and_goes_with_the_team(client, make_user, store):
    ann = make_user("ann")
    folder = client.post("/api/folders", json={"title": "Team Folder"}, headers=ADMIN).get_json()
    created = team(client)
    items = {"items": [{"teamId": created["teamId"], "permission": 2}]}
    assert client.post(f"/api/folders/{folder['uid']}/permissions", json=items, headers=ADMIN).status_code == 200
    save = {"dashboard": {"title": "By the team"}, "folderUid": folder["uid"]}
    assert client.post("/api/dashboards/db", json=save, headers=ann).status_code == 403
    add(client, created["teamId"], user_id(store, "ann"))
    assert client.post("/api/dashboards/db", json=save, headers=ann).status_code == 200
    listed = client.get(f"/api/folders/{folder['uid']}/permissions", headers=ADMIN).get_json()
    assert [(item["teamId"], item["team"]) for item in listed] == [(created["teamId"], "ops")]
    client.delete(f"/api/teams/{created['teamId']}", headers=ADMIN)
    assert store.permissions.items(1, "folders", folder["uid"]) == []
    unknown = client.post(f"/api/folders/{folder['uid']}/permissions", json=items, headers=ADMIN)
    assert unknown.status_code == 400


def test_leaving_the_org_or_going_takes_a_user_out_of_its_teams(client, make_user, store):
    make_user("ann")
    make_user("bob")
    created = team(client)
    for login in ("ann", "bob"):
        add(client, created["teamId"], user_id(store, login))
    client.delete(f"/api/org/users/{user_id(store, 'ann')}", headers=ADMIN)
    client.delete(f"/api/admin/users/{user_id(store, 'bob')}", headers=ADMIN)
    assert [m["login"] for m in client.get(f"/api/teams/{created['teamId']}/members", headers=ADMIN).get_json()] \
        == ["admin"]


def test_one_org_never_reads_or_changes_another_s_teams(client, make_user, store):
    created = team(client)
    other = make_user("other", "Admin", org_id=2)
    for method, path in (("get", f"/api/teams/{created['teamId']}"), ("put", f"/api/teams/{created['teamId']}"),
                         ("delete", f"/api/teams/{created['teamId']}"),
                         ("get", f"/api/teams/{created['teamId']}/members"),
                         ("post", f"/api/teams/{created['teamId']}/members"),
                         ("delete", f"/api/teams/{created['teamId']}/members/1")):
        assert getattr(client, method)(path, json={"name": "x", "userId": 1}, headers=other).status_code == 404, path
    assert client.get("/api/teams/search", headers=other).get_json()["totalCount"] == 0
    assert client.get(f"/api/teams/{created['teamId']}", headers=ADMIN).get_json()["name"] == "ops"


def test_bad_ids_and_bodies_answer_400(client):
    assert client.get("/api/teams/x", headers=ADMIN).get_json() == {"message": "teamId is invalid"}
    assert client.post("/api/teams", data="{", content_type="application/json", headers=ADMIN).status_code == 400
    assert client.post("/api/teams", json={"name": ""}, headers=ADMIN).status_code == 400
    assert client.post("/api/teams", json={"name": 5}, headers=ADMIN).status_code == 400


def test_teams_come_back_from_the_files(client, make_app, make_user, store):
    make_user("ann")
    created = team(client)
    add(client, created["teamId"], user_id(store, "ann"))
    from dashsnap.storage import rebuild_index

    rebuild_index(store.data_dir)
    reopened = make_app().test_client()
    members = reopened.get(f"/api/teams/{created['teamId']}/members", headers=ADMIN).get_json()
    assert [m["login"] for m in members] == ["admin", "ann"]
