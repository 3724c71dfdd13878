"""Folders through the HTTP API, as Grafana 10+ answers them: create (uid made or given), read by uid and id,
list (nested by parentUid), update with its version rule, move (refusing circles and depth), delete with
everything inside; dashboards saved into folders (by uid or id, never silently into General), their meta and
search hits, per-folder title uniqueness, the on-disk layout, and a delete racing saves into the folder."""
from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from conftest import ADMIN

NOT_FOUND = {"message": "folder not found"}
FOLDER_FIELDS = ["id", "uid", "orgId", "title", "url", "hasAcl", "canSave", "canEdit", "canAdmin", "canDelete",
                 "createdBy", "created", "updatedBy", "updated", "version"]


def make_folder(client, title: str, **fields) -> dict:
    response = client.post("/api/folders", json={"title": title, **fields}, headers=ADMIN)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def save(client, dashboard: dict, **body):
    return client.post("/api/dashboards/db", data=json.dumps({"dashboard": dashboard, **body}), headers=ADMIN,
                       content_type="application/json")


def saved(client, title: str, **body) -> dict:
    response = save(client, {"id": None, "title": title}, **body)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def search(client, **params) -> list[dict]:
    response = client.get("/api/search", query_string=params, headers=ADMIN)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


# --- create, read, list --------------------------------------------------------------------------------------

def test_create_answers_grafanas_folder_with_a_made_uid(client):
    folder = make_folder(client, "Team A")
    assert list(folder) == FOLDER_FIELDS
    assert folder["title"] == "Team A" and folder["version"] == 1 and folder["orgId"] == 1
    assert len(folder["uid"]) == 14 and folder["uid"][0].isalpha()
    assert folder["url"] == f"/dashboards/f/{folder['uid']}/team-a"
    assert folder["createdBy"] == folder["updatedBy"] == "admin"
    assert folder["canSave"] and folder["canAdmin"]


def test_a_given_uid_is_kept_and_reads_back_by_uid_and_id(client):
    folder = make_folder(client, "Ops", uid="ops-folder")
    assert folder["uid"] == "ops-folder"
    by_uid = client.get("/api/folders/ops-folder", headers=ADMIN)
    by_id = client.get(f"/api/folders/id/{folder['id']}", headers=ADMIN)
    assert by_uid.status_code == by_id.status_code == 200
    assert by_uid.get_json() == by_id.get_json() == folder


def test_unknown_folders_answer_404(client):
    assert client.get("/api/folders/nosuch", headers=ADMIN).get_json() == NOT_FOUND
    assert client.get("/api/folders/nosuch", headers=ADMIN).status_code == 404
    assert client.get("/api/folders/id/999", headers=ADMIN).status_code == 404
    assert client.put("/api/folders/nosuch", json={"title": "x", "version": 1}, headers=ADMIN).status_code == 404
    assert client.delete("/api/folders/nosuch", headers=ADMIN).status_code == 404
    assert client.post("/api/folders/nosuch/move", json={"parentUid": ""}, headers=ADMIN).status_code == 404
    assert client.get("/api/folders/../../etc", headers=ADMIN).status_code == 404


@pytest.mark.parametrize("body, message", [
    ({"title": ""}, "folder title cannot be empty"),
    ({"title": "   "}, "folder title cannot be empty"),
    ({}, "title"),
    ({"title": "x", "uid": "a" * 41}, "uid"),
    ({"title": "x", "uid": "../etc"}, "uid"),
    ({"title": 5}, "title"),
])
def test_bad_folder_bodies_answer_400(client, body, message):
    response = client.post("/api/folders", json=body, headers=ADMIN)
    assert response.status_code == 400
    assert message in response.get_json()["message"]


def test_a_taken_uid_or_title_in_one_parent_answers_409(client):
    make_folder(client, "Shared", uid="shared")
    taken_uid = client.post("/api/folders", json={"title": "Other", "uid": "shared"}, headers=ADMIN)
    assert taken_uid.status_code == 409
    assert taken_uid.get_json() == {"message": "a folder with the same uid already exists"}
    taken_title = client.post("/api/folders", json={"title": "Shared"}, headers=ADMIN)
    assert taken_title.status_code == 409
    assert taken_title.get_json() == {"message": "a folder with the same name already exists"}
    # The same title under another parent is another folder.
    assert client.post("/api/folders", json={"title": "Shared", "parentUid": "shared"},
                       headers=ADMIN).status_code == 200


def test_the_list_holds_top_folders_by_title_and_pages(client):
    for title in ("b", "A", "c"):
        make_folder(client, title)
    parent = make_folder(client, "Parent")
    make_folder(client, "Child", parentUid=parent["uid"])
    listed = client.get("/api/folders", headers=ADMIN).get_json()
    assert [folder["title"] for folder in listed] == ["A", "b", "c", "Parent"]
    assert list(listed[0]) == ["id", "uid", "title"]
    children = client.get("/api/folders", query_string={"parentUid": parent["uid"]}, headers=ADMIN).get_json()
    assert [(folder["title"], folder["parentUid"]) for folder in children] == [("Child", parent["uid"])]
    pages = [client.get("/api/folders", query_string={"limit": 2, "page": page}, headers=ADMIN).get_json()
             for page in (1, 2, 3)]
    assert [[folder["title"] for folder in page] for page in pages] == [["A", "b"], ["c", "Parent"], []]


def test_viewers_read_folders_but_may_not_write_them(client, make_user):
    viewer = make_user("viewer", "Viewer")
    folder = make_folder(client, "Read Only")
    assert client.get(f"/api/folders/{folder['uid']}", headers=viewer).status_code == 200
    assert client.post("/api/folders", json={"title": "Mine"}, headers=viewer).status_code == 403
    assert client.put(f"/api/folders/{folder['uid']}", json={"title": "x", "version": 1},
                      headers=viewer).status_code == 403
    assert client.delete(f"/api/folders/{folder['uid']}", headers=viewer).status_code == 403


def test_another_orgs_folders_are_not_there(client, make_user):
    folder = make_folder(client, "Org One")
    other = make_user("other-admin", "Admin", org_id=2)
    assert client.get(f"/api/folders/{folder['uid']}", headers=other).status_code == 404
    assert client.get("/api/folders", headers=other).get_json() == []
    assert client.delete(f"/api/folders/{folder['uid']}", headers=other).status_code == 404
    assert client.get(f"/api/folders/{folder['uid']}", headers=ADMIN).status_code == 200


# --- update and move -----------------------------------------------------------------------------------------

def test_update_needs_the_stored_version_unless_overwrite(client):
    folder = make_folder(client, "Before")
    stale = client.put(f"/api/folders/{folder['uid']}", json={"title": "After", "version": 7}, headers=ADMIN)
    assert stale.status_code == 412
    assert stale.get_json() == {"message": "the folder has been changed by someone else"}
    updated = client.put(f"/api/folders/{folder['uid']}", json={"title": "After", "version": 1}, headers=ADMIN)
    assert updated.status_code == 200
    assert updated.get_json()["title"] == "After" and updated.get_json()["version"] == 2
    forced = client.put(f"/api/folders/{folder['uid']}", json={"title": "Forced", "overwrite": True}, headers=ADMIN)
    assert forced.get_json()["version"] == 3
    assert client.get(f"/api/folders/{folder['uid']}", headers=ADMIN).get_json()["title"] == "Forced"


@pytest.mark.data_dir_only
def test_renaming_onto_a_taken_title_answers_409_and_changes_nothing(client, tmp_path):
    make_folder(client, "Taken")
    folder = make_folder(client, "Free")
    response = client.put(f"/api/folders/{folder['uid']}", json={"title": "Taken", "version": 1}, headers=ADMIN)
    assert response.status_code == 409
    assert json.loads((tmp_path / "data/orgs/1/folders" / f"{folder['uid']}.json").read_text())["title"] == "Free"


def test_move_nests_a_folder_and_answers_its_parents(client):
    top = make_folder(client, "Top")
    middle = make_folder(client, "Middle")
    moved = client.post(f"/api/folders/{middle['uid']}/move", json={"parentUid": top["uid"]}, headers=ADMIN)
    assert moved.status_code == 200
    leaf = make_folder(client, "Leaf", parentUid=middle["uid"])
    assert leaf["parentUid"] == middle["uid"]
    assert [parent["uid"] for parent in leaf["parents"]] == [top["uid"], middle["uid"]]
    back = client.post(f"/api/folders/{middle['uid']}/move", json={}, headers=ADMIN)
    assert "parentUid" not in back.get_json()
    assert client.get(f"/api/folders/{leaf['uid']}", headers=ADMIN).get_json()["parents"][0]["uid"] == middle["uid"]


def test_moving_into_itself_or_an_unknown_parent_is_refused(client):
    top = make_folder(client, "Top")
    inner = make_folder(client, "Inner", parentUid=top["uid"])
    into_child = client.post(f"/api/folders/{top['uid']}/move", json={"parentUid": inner["uid"]}, headers=ADMIN)
    assert into_child.status_code == 400
    into_self = client.post(f"/api/folders/{top['uid']}/move", json={"parentUid": top["uid"]}, headers=ADMIN)
    assert into_self.status_code == 400
    unknown = client.post(f"/api/folders/{top['uid']}/move", json={"parentUid": "nosuch"}, headers=ADMIN)
    assert unknown.status_code == 400
    assert client.post("/api/folders", json={"title": "x", "parentUid": "nosuch"}, headers=ADMIN).status_code == 400
    assert client.get(f"/api/folders/{top['uid']}", headers=ADMIN).get_json().get("parentUid") is None


def test_nesting_stops_at_four_levels(client):
    parent = ""
    for level in range(4):
        parent = make_folder(client, f"Level {level}", parentUid=parent)["uid"]
    fifth = client.post("/api/folders", json={"title": "Too deep", "parentUid": parent}, headers=ADMIN)
    assert fifth.status_code == 400
    # Moving a two-level tree under the third level would make five as well.
    tree = make_folder(client, "Tree")
    make_folder(client, "Branch", parentUid=tree["uid"])
    third = client.get("/api/folders/" + parent, headers=ADMIN).get_json()["parentUid"]
    assert client.post(f"/api/folders/{tree['uid']}/move", json={"parentUid": third},
                       headers=ADMIN).status_code == 400


@pytest.mark.data_dir_only
def test_moving_a_folder_rewrites_none_of_its_dashboards(client, tmp_path):
    source = make_folder(client, "Source")
    target = make_folder(client, "Target")
    dashboard = saved(client, "Inside", folderUid=source["uid"])
    path = tmp_path / "data/orgs/1/dashboards" / source["uid"] / "inside.json"
    before = path.stat()
    client.post(f"/api/folders/{source['uid']}/move", json={"parentUid": target["uid"]}, headers=ADMIN)
    after = path.stat()
    assert (before.st_ino, before.st_mtime_ns) == (after.st_ino, after.st_mtime_ns)
    meta = client.get(f"/api/dashboards/uid/{dashboard['uid']}", headers=ADMIN).get_json()["meta"]
    assert meta["folderUid"] == source["uid"]


# --- dashboards in folders -----------------------------------------------------------------------------------

def test_a_dashboard_saved_into_a_folder_says_so_in_meta(client):
    folder = make_folder(client, "Apps")
    answer = saved(client, "Frontend", folderUid=folder["uid"])
    assert answer["folderUid"] == folder["uid"]
    meta = client.get(f"/api/dashboards/uid/{answer['uid']}", headers=ADMIN).get_json()["meta"]
    assert {key: meta[key] for key in ("folderId", "folderUid", "folderTitle", "folderUrl")} == {
        "folderId": folder["id"], "folderUid": folder["uid"], "folderTitle": "Apps", "folderUrl": folder["url"]}


def test_older_clients_save_into_a_folder_by_its_id(client):
    folder = make_folder(client, "By Id")
    answer = saved(client, "Legacy", folderId=folder["id"])
    assert answer["folderUid"] == folder["uid"]


@pytest.mark.parametrize("body", [{"folderUid": "nosuch"}, {"folderId": 5}])
def test_an_unknown_folder_is_refused_never_general(client, body):
    response = save(client, {"id": None, "title": "Lost"}, **body)
    assert response.status_code == 400
    assert response.get_json() == {"message": "Folder not found"}
    assert search(client, query="Lost") == []


@pytest.mark.data_dir_only
def test_titles_are_unique_per_folder(client, tmp_path):
    one, two = make_folder(client, "One"), make_folder(client, "Two")
    first = saved(client, "Overview", folderUid=one["uid"])
    second = saved(client, "Overview", folderUid=two["uid"])
    general = saved(client, "Overview")
    assert len({first["uid"], second["uid"], general["uid"]}) == 3
    again = save(client, {"id": None, "title": "Overview"}, folderUid=one["uid"])
    assert again.status_code == 412 and again.get_json()["status"] == "name-exists"
    assert (tmp_path / "data/orgs/1/dashboards" / one["uid"] / "overview.json").is_file()
    assert (tmp_path / "data/orgs/1/dashboards/overview.json").is_file()
    # The slug route predates folders: it finds General's.
    assert client.get("/api/dashboards/db/overview", headers=ADMIN).get_json()["dashboard"]["uid"] == general["uid"]


@pytest.mark.data_dir_only
def test_a_save_moves_a_dashboard_between_folders_keeping_its_id(client, tmp_path):
    one, two = make_folder(client, "One"), make_folder(client, "Two")
    first = saved(client, "Mover", folderUid=one["uid"])
    model = client.get(f"/api/dashboards/uid/{first['uid']}", headers=ADMIN).get_json()["dashboard"]
    moved = save(client, model, folderUid=two["uid"])
    assert moved.status_code == 200 and moved.get_json()["id"] == first["id"]
    assert not (tmp_path / "data/orgs/1/dashboards" / one["uid"] / "mover.json").exists()
    assert (tmp_path / "data/orgs/1/dashboards" / two["uid"] / "mover.json").is_file()
    hits = search(client, query="Mover")
    assert [(hit["id"], hit["folderUid"]) for hit in hits] == [(first["id"], two["uid"])]


def test_search_lists_folders_first_with_folder_fields_on_hits(client):
    folder = make_folder(client, "Zeta Folder")
    inside = saved(client, "Alpha inside", folderUid=folder["uid"])
    outside = saved(client, "Alpha outside")
    hits = search(client)
    assert [hit["title"] for hit in hits] == ["Zeta Folder", "Alpha inside", "Alpha outside"]
    folder_hit = hits[0]
    assert folder_hit == {"id": folder["id"], "uid": folder["uid"], "title": "Zeta Folder", "uri": "db/zeta-folder",
                          "url": folder["url"], "slug": "", "type": "dash-folder", "tags": [], "isStarred": False}
    assert {key: hits[1][key] for key in ("folderId", "folderUid", "folderTitle", "folderUrl")} == {
        "folderId": folder["id"], "folderUid": folder["uid"], "folderTitle": "Zeta Folder", "folderUrl": folder["url"]}
    assert "folderUid" not in hits[2]
    assert [hit["uid"] for hit in search(client, type="dash-folder")] == [folder["uid"]]
    assert [hit["uid"] for hit in search(client, folderUIDs=folder["uid"])] == [inside["uid"]]
    assert [hit["uid"] for hit in search(client, folderIds=folder["id"])] == [inside["uid"]]
    assert [hit["uid"] for hit in search(client, folderIds=0, type="dash-db")] == [outside["uid"]]
    assert [hit["uid"] for hit in search(client, folderUIDs="general", type="dash-db")] == [outside["uid"]]
    assert search(client, tag="x") == []


def test_search_pages_across_folders_and_dashboards(client):
    for title in ("F1", "F2", "F3"):
        make_folder(client, title)
    for title in ("D1", "D2", "D3"):
        saved(client, title)
    pages = [[hit["title"] for hit in search(client, limit=2, page=page)] for page in (1, 2, 3, 4)]
    assert pages == [["F1", "F2"], ["F3", "D1"], ["D2", "D3"], []]


# --- delete --------------------------------------------------------------------------------------------------

@pytest.mark.data_dir_only
def test_delete_removes_the_folder_its_subfolders_and_their_dashboards(client, tmp_path):
    top = make_folder(client, "Top")
    inner = make_folder(client, "Inner", parentUid=top["uid"])
    kept = make_folder(client, "Kept")
    gone = [saved(client, "In top", folderUid=top["uid"]), saved(client, "In inner", folderUid=inner["uid"])]
    stays = saved(client, "In kept", folderUid=kept["uid"])
    client.post(f"/api/user/stars/dashboard/uid/{gone[0]['uid']}", headers=ADMIN)
    response = client.delete(f"/api/folders/{top['uid']}", headers=ADMIN)
    assert response.status_code == 200
    assert response.get_json() == {"title": "Top", "message": "Folder Top deleted", "id": top["id"],
                                   "deletedFolders": 2, "deletedDashboards": 2}
    for dashboard in gone:
        assert client.get(f"/api/dashboards/uid/{dashboard['uid']}", headers=ADMIN).status_code == 404
    assert client.get(f"/api/folders/{inner['uid']}", headers=ADMIN).status_code == 404
    assert client.get(f"/api/dashboards/uid/{stays['uid']}", headers=ADMIN).status_code == 200
    assert [hit["title"] for hit in search(client)] == ["Kept", "In kept"]
    assert search(client, starred="true") == []
    assert sorted(path.name for path in (tmp_path / "data/orgs/1/folders").glob("*.json")) == [f"{kept['uid']}.json"]


def test_a_folder_delete_racing_saves_into_it_leaves_no_dashboard_behind(client):
    for attempt in range(5):
        folder = make_folder(client, f"Racing {attempt}")
        start = threading.Barrier(5)

        def save_into(number: int):
            start.wait()
            return save(client, {"id": None, "title": f"Racer {attempt}-{number}"}, folderUid=folder["uid"])

        def delete():
            start.wait()
            return client.delete(f"/api/folders/{folder['uid']}", headers=ADMIN)

        with ThreadPoolExecutor(5) as pool:
            saves = [pool.submit(save_into, number) for number in range(4)]
            deleted = pool.submit(delete).result()
            statuses = [future.result().status_code for future in saves]
        assert deleted.status_code == 200
        assert set(statuses) <= {200, 400}
        # Whatever was saved before the delete went with it; whatever came after was refused.
        assert deleted.get_json()["deletedDashboards"] == statuses.count(200)
        assert search(client, query=f"Racer {attempt}-") == []


def test_folders_survive_a_rebuilt_index(make_app, tmp_path):
    client = make_app().test_client()
    folder = make_folder(client, "Durable")
    dashboard = saved(client, "Kept inside", folderUid=folder["uid"])
    for name in ("index.sqlite3", "index.sqlite3-wal", "index.sqlite3-shm"):
        (tmp_path / "data" / name).unlink(missing_ok=True)
    reopened = make_app().test_client()
    assert reopened.get(f"/api/folders/{folder['uid']}", headers=ADMIN).get_json()["title"] == "Durable"
    hits = reopened.get("/api/search", query_string={"folderUIDs": folder["uid"]}, headers=ADMIN).get_json()
    assert [hit["uid"] for hit in hits] == [dashboard["uid"]]
    assert reopened.post("/api/folders", json={"title": "Next"}, headers=ADMIN).get_json()["id"] > dashboard["id"]


@pytest.mark.data_dir_only
def test_folder_files_are_plain_json(client, tmp_path):
    folder = make_folder(client, "Plain", description="grep me")
    stored = json.loads(Path(tmp_path / "data/orgs/1/folders" / f"{folder['uid']}.json").read_text())
    assert stored["title"] == "Plain" and stored["description"] == "grep me" and stored["parentUid"] == ""
