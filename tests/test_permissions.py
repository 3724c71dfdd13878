"""Folder and dashboard permissions: Grafana's item shape read and set over HTTP, and enforced on reads, saves,
deletes, search and the folder routes. A Viewer granted Edit on one folder may save there and nowhere else."""
from __future__ import annotations

import pytest
from conftest import ADMIN

ITEM_FIELDS = {"id", "folderId", "created", "updated", "userId", "userLogin", "userEmail", "teamId", "team",
               "role", "permission", "permissionName", "uid", "title", "slug", "isFolder", "url", "inherited"}


@pytest.fixture
def store(app):
    return app.extensions["dashsnap"].store


def folder(client, title: str, headers=ADMIN, **fields) -> dict:
    response = client.post("/api/folders", json={"title": title, **fields}, headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def save(client, title: str, headers=ADMIN, **body):
    return client.post("/api/dashboards/db", json={"dashboard": {"title": title}, **body}, headers=headers)


def set_folder(client, uid: str, items: list[dict], headers=ADMIN):
    return client.post(f"/api/folders/{uid}/permissions", json={"items": items}, headers=headers)


def user_id(store, login: str) -> int:
    return store.users.find_by_login_or_email(login)["id"]


def test_a_new_folder_gives_its_creator_admin_and_grafanas_role_defaults(client, make_user, store):
    editor = make_user("eddie", "Editor")
    created = folder(client, "Team", headers=editor)
    items = client.get(f"/api/folders/{created['uid']}/permissions", headers=ADMIN).get_json()
    assert all(set(item) == ITEM_FIELDS for item in items)
    assert [(item["userLogin"], item["role"], item["permissionName"]) for item in items] == [
        ("eddie", "", "Admin"), ("", "Editor", "Edit"), ("", "Viewer", "View")]
    assert items[0]["userId"] == user_id(store, "eddie") and items[0]["folderId"] == created["id"]
    assert items[0]["uid"] == created["uid"] and items[0]["isFolder"] is True and items[0]["inherited"] is False


def test_what_get_answers_can_be_posted_back_unchanged(client):
    created = folder(client, "Round")
    before = client.get(f"/api/folders/{created['uid']}/permissions", headers=ADMIN).get_json()
    answer = set_folder(client, created["uid"], before)
    assert answer.status_code == 200
    assert answer.get_json() == {"message": "Folder permissions updated", "id": created["id"], "title": "Round"}
    after = client.get(f"/api/folders/{created['uid']}/permissions", headers=ADMIN).get_json()
    assert [(i["userId"], i["teamId"], i["role"], i["permission"]) for i in after] == [
        (i["userId"], i["teamId"], i["role"], i["permission"]) for i in before]


def test_a_viewer_with_edit_on_one_folder_saves_there_and_nowhere_else(client, make_user, store):
    viewer = make_user("vic")
    mine, other = folder(client, "Mine"), folder(client, "Other")
    assert save(client, "Refused", viewer, folderUid=mine["uid"]).status_code == 403
    set_folder(client, mine["uid"], [{"userId": user_id(store, "vic"), "permission": 2}])

    assert save(client, "Mine One", viewer, folderUid=mine["uid"]).status_code == 200
    assert save(client, "Other One", viewer, folderUid=other["uid"]).status_code == 403
    assert save(client, "General One", viewer).status_code == 403
    theirs = save(client, "Theirs", folderUid=other["uid"]).get_json()
    move = client.post("/api/dashboards/db", json={"dashboard": {"id": theirs["id"], "uid": theirs["uid"],
                                                                 "title": "Theirs", "version": 1},
                                                   "folderUid": mine["uid"]}, headers=viewer)
    assert move.status_code == 403  # Edit on the target folder is not enough: the dashboard is not theirs to edit


def test_edit_on_a_folder_reaches_the_folders_inside_it(client, make_user, store):
    viewer = make_user("nest")
    top = folder(client, "Top")
    inner = folder(client, "Inner", parentUid=top["uid"])
    set_folder(client, top["uid"], [{"userId": user_id(store, "nest"), "permission": 2},
                                    {"role": "Viewer", "permission": 1}])
    assert save(client, "Deep", viewer, folderUid=inner["uid"]).status_code == 200


def test_a_role_item_reaches_that_role_and_those_above_it(client, make_user):
    viewer, editor = make_user("vera"), make_user("ed", "Editor")
    shared = folder(client, "Shared")
    set_folder(client, shared["uid"], [{"role": "Viewer", "permission": 2}])
    assert save(client, "By Viewer", viewer, folderUid=shared["uid"]).status_code == 200
    assert save(client, "By Editor", editor, folderUid=shared["uid"]).status_code == 200


def test_a_folder_without_view_is_hidden_from_search_and_its_dashboards_refused(client, make_user):
    viewer = make_user("hidden")
    secret = folder(client, "Secret")
    open_one = folder(client, "Open")
    inside = save(client, "Inside Secret", folderUid=secret["uid"]).get_json()
    save(client, "Inside Open", folderUid=open_one["uid"])
    set_folder(client, secret["uid"], [{"role": "Editor", "permission": 2}])

    titles = {hit["title"] for hit in client.get("/api/search", headers=viewer).get_json()}
    assert titles == {"Open", "Inside Open"}
    assert client.get(f"/api/dashboards/uid/{inside['uid']}", headers=viewer).status_code == 403
    assert client.get(f"/api/folders/{secret['uid']}", headers=viewer).status_code == 403
    assert [f["uid"] for f in client.get("/api/folders", headers=viewer).get_json()] == [open_one["uid"]]
    admin_titles = {hit["title"] for hit in client.get("/api/search", headers=ADMIN).get_json()}
    assert admin_titles == {"Secret", "Open", "Inside Secret", "Inside Open"}


def test_a_dashboard_permission_shows_one_dashboard_of_a_hidden_folder(client, make_user, store):
    viewer = make_user("peek")
    secret = folder(client, "Vault")
    shown = save(client, "Shown", folderUid=secret["uid"]).get_json()
    save(client, "Not Shown", folderUid=secret["uid"])
    set_folder(client, secret["uid"], [])
    answer = client.post(f"/api/dashboards/uid/{shown['uid']}/permissions",
                         json={"items": [{"userId": user_id(store, "peek"), "permission": 1}]}, headers=ADMIN)
    assert answer.get_json() == {"message": "Dashboard permissions updated"}

    assert [hit["title"] for hit in client.get("/api/search", headers=viewer).get_json()] == ["Shown"]
    read = client.get(f"/api/dashboards/uid/{shown['uid']}", headers=viewer).get_json()
    assert read["meta"]["hasAcl"] is True and read["meta"]["canSave"] is False


def test_dashboard_permissions_list_the_folders_items_as_inherited_then_its_own(client, store, make_user):
    make_user("own")
    parent = folder(client, "Parent")
    saved = save(client, "Child", folderUid=parent["uid"]).get_json()
    client.post(f"/api/dashboards/id/{saved['id']}/permissions",
                json={"items": [{"userId": user_id(store, "own"), "permission": 4}]}, headers=ADMIN)
    items = client.get(f"/api/dashboards/id/{saved['id']}/permissions", headers=ADMIN).get_json()
    assert [(i["inherited"], i["userLogin"], i["role"], i["permission"]) for i in items] == [
        (True, "admin", "", 4), (True, "", "Editor", 2), (True, "", "Viewer", 1), (False, "own", "", 4)]
    assert all(i["dashboardId"] == saved["id"] and i["isFolder"] is False for i in items)
    assert items == client.get(f"/api/dashboards/uid/{saved['uid']}/permissions", headers=ADMIN).get_json()


def test_dashboard_admin_permission_lets_a_viewer_set_its_permissions(client, make_user, store):
    viewer = make_user("boss")
    saved = save(client, "Bossy").get_json()
    url = f"/api/dashboards/uid/{saved['uid']}/permissions"
    assert client.post(url, json={"items": []}, headers=viewer).status_code == 403
    client.post(url, json={"items": [{"userId": user_id(store, "boss"), "permission": 4}]}, headers=ADMIN)
    assert client.get(url, headers=viewer).status_code == 200
    assert client.post(url, json={"items": [{"userId": user_id(store, "boss"), "permission": 4},
                                            {"role": "Viewer", "permission": 1}]}, headers=viewer).status_code == 200


def test_an_editor_may_not_set_permissions_of_a_folder_others_made(client, make_user):
    editor = make_user("plain", "Editor")
    created = folder(client, "Admins Only")
    assert client.get(f"/api/folders/{created['uid']}/permissions", headers=editor).status_code == 403
    assert set_folder(client, created["uid"], [], editor).status_code == 403


@pytest.mark.parametrize("items, message", [
    ([{"permission": 1}], "exactly one"),
    ([{"role": "Viewer", "userId": 2, "permission": 1}], "exactly one"),
    ([{"role": "Viewer", "permission": 3}], "permission"),
    ([{"role": "Owner", "permission": 1}], "role"),
    ([{"userId": 999, "permission": 1}], "no such user"),
    ([{"role": "Viewer", "permission": 1}, {"role": "Viewer", "permission": 2}], "twice"),
    ("all", "items"),
])
def test_bad_items_answer_400_with_what_is_wrong(client, items, message):
    created = folder(client, "Checked")
    answer = set_folder(client, created["uid"], items)
    assert answer.status_code == 400 and message in answer.get_json()["message"]


def test_a_user_of_another_org_cannot_be_granted(client, make_user, store):
    make_user("stranger", org_id=2)
    created = folder(client, "Local")
    answer = set_folder(client, created["uid"], [{"userId": user_id(store, "stranger"), "permission": 1}])
    assert answer.status_code == 400


def test_unknown_folders_and_dashboards_answer_404(client):
    assert client.get("/api/folders/nosuch/permissions", headers=ADMIN).status_code == 404
    assert set_folder(client, "nosuch", []).status_code == 404
    assert client.get("/api/dashboards/uid/nosuch/permissions", headers=ADMIN).get_json() == {
        "message": "Dashboard not found"}
    assert client.get("/api/dashboards/id/999/permissions", headers=ADMIN).status_code == 404


def test_a_viewer_with_no_grant_anywhere_is_refused_before_the_body_is_read(client, make_user):
    viewer = make_user("nobody")
    for path in ("/api/dashboards/db", "/api/folders", "/api/folders/any/permissions"):
        assert client.post(path, data=b"{not json", headers={**viewer, "Content-Type": "application/json"}
                           ).status_code == 403


def test_permissions_go_with_the_folder_or_dashboard(client, store):
    created = folder(client, "Gone Soon")
    saved = save(client, "Gone Too").get_json()
    client.post(f"/api/dashboards/uid/{saved['uid']}/permissions", json={"items": []}, headers=ADMIN)
    client.delete(f"/api/folders/{created['uid']}", headers=ADMIN)
    client.delete(f"/api/dashboards/uid/{saved['uid']}", headers=ADMIN)
    assert store.permissions.of_org(1) == {}


def test_tags_count_only_the_dashboards_the_caller_may_view(client, make_user):
    viewer = make_user("tagger")
    secret = folder(client, "Tagged Secret")
    client.post("/api/dashboards/db", json={"dashboard": {"title": "S", "tags": ["secret", "ops"]},
                                            "folderUid": secret["uid"]}, headers=ADMIN)
    client.post("/api/dashboards/db", json={"dashboard": {"title": "P", "tags": ["ops", "ops"]}}, headers=ADMIN)
    set_folder(client, secret["uid"], [])
    assert client.get("/api/dashboards/tags", headers=viewer).get_json() == [{"term": "ops", "count": 1}]
    assert client.get("/api/dashboards/tags", headers=ADMIN).get_json() == [
        {"term": "ops", "count": 2}, {"term": "secret", "count": 1}]
