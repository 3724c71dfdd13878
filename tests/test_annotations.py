"""Annotations as Grafana 9-11 answers them: created for the org or a dashboard, found by range, dashboard, panel,
user, tags and type, replaced, patched, deleted, their tags counted; read by Viewers, written by Editors (Edit on
the dashboard for a dashboard's annotations), never seen across orgs, and rebuilt from their files."""
from __future__ import annotations

import time

import pytest
from conftest import ADMIN, bearer

ITEM_FIELDS = ["id", "alertId", "alertName", "dashboardId", "dashboardUID", "panelId", "userId", "newState",
               "prevState", "created", "updated", "time", "timeEnd", "text", "tags", "login", "email", "avatarUrl",
               "data"]


@pytest.fixture
def store(app):
    return app.extensions["dashsnap"].store


def add(client, headers=ADMIN, **body) -> int:
    response = client.post("/api/annotations", json={"text": "note", **body}, headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()["id"]


def found(client, headers=ADMIN, **query) -> list[dict]:
    response = client.get("/api/annotations", query_string=query, headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def ids(client, headers=ADMIN, **query) -> list[int]:
    return [annotation["id"] for annotation in found(client, headers, **query)]


def dashboard(client, title: str, uid: str, headers=ADMIN, **fields) -> dict:
    response = client.post("/api/dashboards/db", json={"dashboard": {"title": title, "uid": uid}, **fields},
                           headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def folder(client, title: str) -> dict:
    return client.post("/api/folders", json={"title": title}, headers=ADMIN).get_json()


# Create and read


def test_an_org_annotation_is_added_and_found_in_grafanas_shape(client):
    answer = client.post("/api/annotations", json={"time": 1000, "timeEnd": 2000, "text": "deploy",
                                                   "tags": ["deploy", "env:prod"]}, headers=ADMIN)
    assert answer.status_code == 200
    assert answer.get_json() == {"message": "Annotation added", "id": answer.get_json()["id"]}
    [annotation] = found(client)
    assert list(annotation) == ITEM_FIELDS
    assert {key: annotation[key] for key in ITEM_FIELDS if key not in ("created", "updated", "avatarUrl")} == {
        "id": answer.get_json()["id"], "alertId": 0, "alertName": "", "dashboardId": 0, "dashboardUID": None,
        "panelId": 0, "userId": 1, "newState": "", "prevState": "", "time": 1000, "timeEnd": 2000,
        "text": "deploy", "tags": ["deploy", "env:prod"], "login": "admin", "email": "admin@localhost", "data": {}}
    assert annotation["created"] == annotation["updated"] > 1_600_000_000_000
    assert annotation["avatarUrl"].startswith("/avatar/")


def test_one_annotation_is_read_by_its_id(client):
    annotation_id = add(client, text="by id")
    answer = client.get(f"/api/annotations/{annotation_id}", headers=ADMIN)
    assert answer.status_code == 200
    assert answer.get_json()["text"] == "by id" and list(answer.get_json()) == ITEM_FIELDS


def test_a_dashboard_annotation_names_its_dashboard_by_uid_and_id(client):
    board = dashboard(client, "Board", uid="board-1")
    add(client, dashboardUID="board-1", panelId=3, text="by uid")
    add(client, dashboardId=board["id"], panelId=4, text="by id")
    for annotation in found(client):
        assert (annotation["dashboardId"], annotation["dashboardUID"]) == (board["id"], "board-1")
    assert sorted(annotation["panelId"] for annotation in found(client)) == [3, 4]


def test_a_missing_time_is_now_and_a_missing_end_makes_a_point(client):
    before = time.time_ns() // 1_000_000
    add(client)
    [annotation] = found(client)
    assert before <= annotation["time"] == annotation["timeEnd"] <= time.time_ns() // 1_000_000


def test_a_range_given_backwards_is_turned_round(client):
    add(client, time=5000, timeEnd=1000)
    assert (found(client)[0]["time"], found(client)[0]["timeEnd"]) == (1000, 5000)


def test_data_is_kept_as_sent(client):
    add(client, data={"source": "ci", "build": [1, 2]})
    assert found(client)[0]["data"] == {"source": "ci", "build": [1, 2]}


def test_tags_are_trimmed_and_repeats_dropped(client):
    add(client, tags=[" a ", "a", "k : v", "", " : v", "url:http://x"])
    assert found(client)[0]["tags"] == ["a", "k:v", "url:http://x"]


def test_the_creators_user_id_is_kept_and_an_api_key_has_none(client, make_key):
    add(client, headers=bearer(make_key("Editor")))
    [annotation] = found(client)
    assert (annotation["userId"], annotation["login"], annotation["email"], annotation["avatarUrl"]) == (0, "", "", "")


# Find


def test_a_range_finds_what_overlaps_it(client):
    inside = add(client, time=150)
    over_start = add(client, time=50, timeEnd=120)
    over_end = add(client, time=180, timeEnd=300)
    around = add(client, time=10, timeEnd=1000)
    on_edges = [add(client, time=100), add(client, time=200)]
    add(client, time=20, timeEnd=99)
    add(client, time=201, timeEnd=260)
    assert set(ids(client, **{"from": 100, "to": 200})) == {inside, over_start, over_end, around, *on_edges}


def test_a_range_needs_both_ends(client):
    add(client, time=100)
    add(client, time=900)
    assert len(ids(client, **{"from": 500})) == 2
    assert len(ids(client, to=500)) == 2


def test_annotations_come_latest_end_first_then_latest_start_then_newest(client):
    first = add(client, time=100, timeEnd=500)
    second = add(client, time=300, timeEnd=500)
    third = add(client, time=300, timeEnd=500)
    latest = add(client, time=50, timeEnd=900)
    assert ids(client) == [latest, third, second, first]


def test_find_by_dashboard_uid_dashboard_id_and_panel(client):
    board = dashboard(client, "Board", uid="board-1")
    other = dashboard(client, "Other", uid="other-1")
    one = add(client, dashboardUID="board-1", panelId=1)
    two = add(client, dashboardUID="board-1", panelId=2)
    add(client, dashboardUID="other-1", panelId=1)
    add(client)
    assert set(ids(client, dashboardUID="board-1")) == {one, two}
    assert set(ids(client, dashboardId=board["id"])) == {one, two}
    assert ids(client, dashboardUID="board-1", panelId=2) == [two]
    assert ids(client, dashboardId=board["id"], dashboardUID="other-1", panelId=2) == []  # the uid wins
    assert ids(client, dashboardId=other["id"] + 1000) == []


def test_an_unknown_dashboard_uid_in_a_query_is_400(client):
    answer = client.get("/api/annotations?dashboardUID=nope", headers=ADMIN)
    assert answer.status_code == 400
    assert answer.get_json() == {"message": "Invalid dashboard UID in annotation request"}


def test_find_by_tags_needs_every_tag_and_match_any_one_of_them(client):
    both = add(client, tags=["deploy", "env:prod"])
    deploy = add(client, tags=["deploy"])
    staging = add(client, tags=["env:staging"])
    add(client, tags=["other"])
    assert ids(client, tags=["deploy", "env:prod"]) == [both]
    assert set(ids(client, tags=["deploy", "env:prod"], matchAny="true")) == {both, deploy}
    assert set(ids(client, tags=["env"])) == {both, staging}  # a key alone matches every value
    assert ids(client, tags=["missing"]) == []


def test_tag_filters_answer_alike_whether_they_start_from_the_tag_or_walk_the_times(client, store):
    """A rare tag is looked up first, a common one checked along the time order (see AnnotationStore.find)."""
    for number in range(30):
        tags = ["x"] * (number % 3 == 0) + ["y"] * (number % 2 == 0)
        store.annotations.create(1, {"dashboardId": 0, "dashboardUID": "", "panelId": 0, "userId": 1,
                                     "time": 1000 + number, "timeEnd": 0, "text": str(number), "tags": tags})
    every_x = [annotation["id"] for annotation in found(client) if "x" in annotation["tags"]]
    both = [annotation["id"] for annotation in found(client) if {"x", "y"} <= set(annotation["tags"])]
    assert len(every_x) == 10 and ids(client, tags=["x"]) == every_x
    assert ids(client, tags=["x"], limit=2) == every_x[:2]
    assert ids(client, tags=["x", "y"]) == both and ids(client, tags=["y", "x"], limit=1) == both[:1]
    assert ids(client, tags=["x"], **{"from": 1000, "to": 1005}) == every_x[-2:]


def test_find_by_the_user_who_made_them(client, make_user):
    editor = make_user("eddie", "Editor")
    mine = add(client, headers=editor)
    add(client)
    user_id = found(client)[1]["userId"]
    assert ids(client, userId=user_id) == [mine]


def test_type_alert_finds_none_and_type_annotation_finds_all(client):
    add(client)
    assert found(client, type="alert") == [] and found(client, alertId=3) == []
    assert len(found(client, type="annotation")) == 1


def test_limit_is_100_by_default(client, store):
    for number in range(105):
        store.annotations.create(1, {"dashboardId": 0, "dashboardUID": "", "panelId": 0, "userId": 1,
                                     "time": 1000 + number, "timeEnd": 0, "text": "n", "tags": []})
    assert len(found(client)) == 100 and len(found(client, limit=0)) == 100
    assert len(found(client, limit=3)) == 3 and len(found(client, limit=200)) == 105


# Change and delete


def test_put_replaces_text_and_tags_and_keeps_the_times_it_is_not_sent(client):
    annotation_id = add(client, time=1000, timeEnd=2000, text="old", tags=["a"], data={"k": 1})
    answer = client.put(f"/api/annotations/{annotation_id}", json={"text": "new", "timeEnd": 3000}, headers=ADMIN)
    assert answer.status_code == 200 and answer.get_json() == {"message": "Annotation updated"}
    annotation = found(client)[0]
    assert (annotation["time"], annotation["timeEnd"], annotation["text"], annotation["tags"]) == (
        1000, 3000, "new", [])
    assert annotation["data"] == {"k": 1} and annotation["updated"] >= annotation["created"]


def test_patch_changes_only_what_is_sent(client):
    annotation_id = add(client, time=1000, timeEnd=2000, text="old", tags=["a"])
    answer = client.patch(f"/api/annotations/{annotation_id}", json={"tags": ["b"]}, headers=ADMIN)
    assert answer.status_code == 200 and answer.get_json() == {"message": "Annotation patched"}
    client.patch(f"/api/annotations/{annotation_id}", json={"text": "", "time": 0, "timeEnd": 2500}, headers=ADMIN)
    annotation = found(client)[0]
    assert (annotation["time"], annotation["timeEnd"], annotation["text"], annotation["tags"]) == (
        1000, 2500, "old", ["b"])


def test_grafana_clients_nulls_count_as_left_out(client):
    """grafana-client's update calls send every field, null where the caller gave none."""
    annotation_id = add(client, time=1000, text="old", tags=["a"])
    client.patch(f"/api/annotations/{annotation_id}", json={"time": None, "timeEnd": None, "tags": None,
                                                            "text": "new"}, headers=ADMIN)
    annotation = found(client)[0]
    assert (annotation["time"], annotation["text"], annotation["tags"]) == (1000, "new", ["a"])


def test_a_changed_tag_is_found_by_its_new_value_only(client):
    annotation_id = add(client, tags=["old"])
    client.patch(f"/api/annotations/{annotation_id}", json={"tags": ["new"]}, headers=ADMIN)
    assert ids(client, tags=["old"]) == [] and ids(client, tags=["new"]) == [annotation_id]
    assert client.get("/api/annotations/tags", headers=ADMIN).get_json()["result"]["tags"] == [
        {"tag": "new", "count": 1}]


def test_delete_removes_it(client):
    annotation_id = add(client, tags=["gone"])
    answer = client.delete(f"/api/annotations/{annotation_id}", headers=ADMIN)
    assert answer.status_code == 200 and answer.get_json() == {"message": "Annotation deleted"}
    assert found(client) == []
    assert client.get("/api/annotations/tags", headers=ADMIN).get_json() == {"result": {"tags": []}}
    assert client.delete(f"/api/annotations/{annotation_id}", headers=ADMIN).status_code == 404


@pytest.mark.parametrize("method", ["get", "put", "patch", "delete"])
def test_an_unknown_id_is_404_and_one_that_is_no_number_400(client, method):
    unknown = getattr(client, method)("/api/annotations/999", json={"text": "x"}, headers=ADMIN)
    assert unknown.status_code == 404 and unknown.get_json() == {"message": "Annotation not found"}
    invalid = getattr(client, method)("/api/annotations/abc", json={"text": "x"}, headers=ADMIN)
    assert invalid.status_code == 400 and invalid.get_json() == {"message": "annotationId is invalid"}


def test_deleting_a_dashboard_deletes_its_annotations(client):
    dashboard(client, "Board", uid="board-1")
    add(client, dashboardUID="board-1")
    kept = add(client)
    assert client.delete("/api/dashboards/uid/board-1", headers=ADMIN).status_code == 200
    assert ids(client) == [kept]


def test_deleting_an_org_deletes_its_annotations(client, make_user, store):
    owner = make_user("owner", "Admin", org_id=2)
    add(client, headers=owner)
    assert store.annotations.count(2) == 1
    assert client.delete("/api/orgs/2", headers=ADMIN).status_code == 200
    assert store.annotations.count(2) == 0


# Tags


def test_tags_are_counted_by_tag_filtered_and_limited(client):
    add(client, tags=["deploy", "env:prod"])
    add(client, tags=["deploy", "env:staging"])
    add(client, tags=["outage"])
    answer = client.get("/api/annotations/tags", headers=ADMIN)
    assert answer.get_json() == {"result": {"tags": [
        {"tag": "deploy", "count": 2}, {"tag": "env:prod", "count": 1}, {"tag": "env:staging", "count": 1},
        {"tag": "outage", "count": 1}]}}
    assert client.get("/api/annotations/tags?tag=OUT", headers=ADMIN).get_json()["result"]["tags"] == [
        {"tag": "outage", "count": 1}]
    assert [tag["tag"] for tag in client.get("/api/annotations/tags?tag=prod", headers=ADMIN).get_json()[
        "result"]["tags"]] == ["env:prod"]
    assert len(client.get("/api/annotations/tags?limit=2", headers=ADMIN).get_json()["result"]["tags"]) == 2
    assert client.get("/api/annotations/tags?tag=%25", headers=ADMIN).get_json()["result"]["tags"] == []


# Graphite


def test_a_graphite_event_becomes_an_org_annotation(client):
    answer = client.post("/api/annotations/graphite", json={"what": "Deploy", "tags": "deploy prod", "when": 1467844481,
                                                            "data": "main branch"}, headers=ADMIN)
    assert answer.status_code == 200
    assert answer.get_json() == {"message": "Graphite annotation added", "id": answer.get_json()["id"]}
    [annotation] = found(client)
    assert (annotation["text"], annotation["tags"], annotation["time"], annotation["dashboardUID"]) == (
        "Deploy\nmain branch", ["deploy", "prod"], 1467844481000, None)


@pytest.mark.parametrize("body", [{"tags": ["a"]}, {"what": "x"}, {"what": "x", "tags": [1]}, {"what": "x", "tags": 5}])
def test_a_graphite_event_without_what_or_readable_tags_is_400(client, body):
    answer = client.post("/api/annotations/graphite", json=body, headers=ADMIN)
    assert answer.status_code == 400
    assert answer.get_json() == {"message": "Failed to save Graphite annotation"}


# Bad input


def test_an_annotation_without_text_is_400(client):
    for body in ({}, {"text": ""}, {"text": None}):
        answer = client.post("/api/annotations", json=body, headers=ADMIN)
        assert answer.status_code == 400 and answer.get_json() == {"message": "Failed to save annotation"}
    assert found(client) == []


@pytest.mark.parametrize("body, words", [
    ('{"text": "x", "time": "soon"}', "time"), ('{"text": "x", "timeEnd": 1.5}', "timeEnd"),
    ('{"text": "x", "time": true}', "time"), ('{"text": "x", "time": 100000000000000000000}', "time"),
    ('{"text": "x", "tags": "a"}', "tags"), ('{"text": "x", "tags": [1]}', "tags"), ('{"text": 5}', "text"),
    ('{"text": "x", "panelId": "1"}', "panelId"), ('{"text": "x", "dashboardId": -1}', "dashboardId"),
    ('{"text": "x", "tags": ["' + "t" * 600 + '"]}', "Tags length exceeds the maximum allowed."),
    ('{"text": "x"', "invalid JSON"), ('["text"]', "JSON object")])
def test_bodies_of_the_wrong_shape_are_400(client, body, words):
    answer = client.post("/api/annotations", data=body, headers=ADMIN)
    assert answer.status_code == 400, answer.get_json()
    assert words in answer.get_json()["message"]


def test_a_change_of_the_wrong_shape_is_400_and_changes_nothing(client):
    annotation_id = add(client, text="kept")
    for method in (client.put, client.patch):
        assert method(f"/api/annotations/{annotation_id}", json={"tags": "a"}, headers=ADMIN).status_code == 400
        assert method(f"/api/annotations/{annotation_id}", data="{", headers=ADMIN).status_code == 400
    assert found(client)[0]["text"] == "kept"


def test_a_dashboard_the_org_does_not_have_is_400(client):
    answer = client.post("/api/annotations", json={"text": "x", "dashboardUID": "nope"}, headers=ADMIN)
    assert answer.status_code == 400
    assert answer.get_json() == {"message": "Invalid dashboard UID in annotation request"}
    answer = client.post("/api/annotations", json={"text": "x", "dashboardId": 4242}, headers=ADMIN)
    assert answer.status_code == 400
    assert answer.get_json() == {"message": "Invalid dashboard ID in annotation request"}
    assert found(client) == []


def test_odd_query_strings_are_read_as_grafana_reads_them(client):
    add(client, time=100)
    assert len(found(client, limit="x", panelId="y", matchAny="maybe", **{"from": "1e3", "to": "soon"})) == 1
    assert len(found(client, **{"from": 1, "to": "99999999999999999999999"})) == 1


def test_a_caller_who_has_not_signed_in_is_401(client):
    assert client.get("/api/annotations").status_code == 401
    assert client.post("/api/annotations", json={"text": "x"}).status_code == 401


# Roles and permissions


def test_a_viewer_reads_annotations_but_writes_none(client, make_user):
    viewer = make_user("vic")
    dashboard(client, "Board", uid="board-1")
    org_note, board_note = add(client), add(client, dashboardUID="board-1")
    assert set(ids(client, viewer)) == {org_note, board_note}
    assert client.get(f"/api/annotations/{board_note}", headers=viewer).status_code == 200
    assert client.post("/api/annotations", json={"text": "x"}, headers=viewer).status_code == 403
    assert client.post("/api/annotations", json={"text": "x", "dashboardUID": "board-1"},
                       headers=viewer).status_code == 403
    assert client.post("/api/annotations/graphite", json={"what": "x", "tags": []}, headers=viewer).status_code == 403
    for annotation_id in (org_note, board_note):
        assert client.put(f"/api/annotations/{annotation_id}", json={"text": "x"}, headers=viewer).status_code == 403
        assert client.patch(f"/api/annotations/{annotation_id}", json={"text": "x"},
                            headers=viewer).status_code == 403
        assert client.delete(f"/api/annotations/{annotation_id}", headers=viewer).status_code == 403
    assert len(found(client)) == 2 and {a["text"] for a in found(client)} == {"note"}


def test_an_editor_writes_org_and_dashboard_annotations(client, make_user):
    editor = make_user("eddie", "Editor")
    dashboard(client, "Board", uid="board-1")
    org_note = add(client, editor)
    board_note = add(client, editor, dashboardUID="board-1")
    add_by_admin = add(client)
    for annotation_id in (org_note, board_note, add_by_admin):
        assert client.patch(f"/api/annotations/{annotation_id}", json={"text": "e"}, headers=editor).status_code == 200
    assert client.delete(f"/api/annotations/{add_by_admin}", headers=editor).status_code == 200


def restrict(client, folder_uid: str, items: list[dict]) -> None:
    answer = client.post(f"/api/folders/{folder_uid}/permissions", json={"items": items}, headers=ADMIN)
    assert answer.status_code == 200, answer.get_json()


def test_a_viewer_who_cannot_view_a_folder_does_not_see_its_dashboards_annotations(client, make_user):
    viewer = make_user("vic")
    hidden = folder(client, "Hidden")
    dashboard(client, "Secret", uid="secret-1", folderUid=hidden["uid"])
    dashboard(client, "Open", uid="open-1")
    restrict(client, hidden["uid"], [{"role": "Editor", "permission": 2}])
    secret = add(client, dashboardUID="secret-1", tags=["secret"])
    visible = [add(client, dashboardUID="open-1", tags=["open"]), add(client, tags=["org"])]
    assert set(ids(client, viewer)) == set(visible)
    assert ids(client, viewer, dashboardUID="secret-1") == []
    assert ids(client, viewer, tags=["secret"]) == []
    assert client.get(f"/api/annotations/{secret}", headers=viewer).status_code == 404
    tags = client.get("/api/annotations/tags", headers=viewer).get_json()["result"]["tags"]
    assert [tag["tag"] for tag in tags] == ["open", "org"]
    assert secret in ids(client)  # the admin sees them all


def test_writing_a_dashboards_annotations_needs_edit_on_the_dashboard(client, make_user):
    editor = make_user("eddie", "Editor")
    locked = folder(client, "Locked")
    dashboard(client, "Read only", uid="ro-1", folderUid=locked["uid"])
    restrict(client, locked["uid"], [{"role": "Viewer", "permission": 1}])
    refused = client.post("/api/annotations", json={"text": "x", "dashboardUID": "ro-1"}, headers=editor)
    assert refused.status_code == 403 and refused.get_json() == {"message": "Access denied to this dashboard"}
    annotation_id = add(client, dashboardUID="ro-1")
    assert client.get(f"/api/annotations/{annotation_id}", headers=editor).status_code == 200
    for method in (client.put, client.patch):
        assert method(f"/api/annotations/{annotation_id}", json={"text": "x"}, headers=editor).status_code == 403
    assert client.delete(f"/api/annotations/{annotation_id}", headers=editor).status_code == 403


def test_a_viewer_with_edit_on_a_folder_annotates_its_dashboards_and_nothing_else(client, make_user, store):
    viewer = make_user("vic")
    mine = folder(client, "Mine")
    dashboard(client, "Board", uid="board-1", folderUid=mine["uid"])
    vic = store.users.find_by_login_or_email("vic")["id"]
    restrict(client, mine["uid"], [{"userId": vic, "permission": 2}, {"role": "Viewer", "permission": 1}])
    assert add(client, viewer, dashboardUID="board-1")
    assert client.post("/api/annotations", json={"text": "x"}, headers=viewer).status_code == 403


# Orgs


def test_annotations_of_another_org_are_never_seen_nor_changed(client, make_user):
    other_admin = make_user("olga", "Admin", org_id=2)
    dashboard(client, "Board", uid="board-1")
    theirs = add(client, dashboardUID="board-1", tags=["ours"])
    org_note = add(client, tags=["ours"])
    mine = add(client, other_admin, tags=["theirs"])
    assert ids(client, other_admin) == [mine] and set(ids(client)) == {theirs, org_note}
    for annotation_id in (theirs, org_note):
        assert client.get(f"/api/annotations/{annotation_id}", headers=other_admin).status_code == 404
        for method in (client.put, client.patch):
            assert method(f"/api/annotations/{annotation_id}", json={"text": "x"},
                          headers=other_admin).status_code == 404
        assert client.delete(f"/api/annotations/{annotation_id}", headers=other_admin).status_code == 404
    assert client.get("/api/annotations?dashboardUID=board-1", headers=other_admin).status_code == 400
    assert client.post("/api/annotations", json={"text": "x", "dashboardUID": "board-1"},
                       headers=other_admin).status_code == 400
    assert client.get("/api/annotations/tags", headers=other_admin).get_json()["result"]["tags"] == [
        {"tag": "theirs", "count": 1}]
    assert {annotation["text"] for annotation in found(client)} == {"note"}


# Files


@pytest.mark.data_dir_only
def test_annotations_come_back_from_their_files(client, make_app, store):
    dashboard(client, "Board", uid="board-1")
    region = add(client, dashboardUID="board-1", time=100, timeEnd=500, tags=["deploy", "env:prod"], data={"k": 1})
    point = add(client, time=300, tags=["deploy"])
    before = found(client)
    assert sorted(path.name for path in (store.data_dir / "orgs" / "1" / "annotations").glob("*.json")) == [
        f"{region}.json", f"{point}.json"]
    from dashsnap.storage import rebuild_index

    rebuild_index(store.data_dir)
    reopened = make_app().test_client()
    assert found(reopened) == before
    assert ids(reopened, tags=["env:prod"]) == [region]
    assert ids(reopened, **{"from": 250, "to": 260}) == [region]
    assert reopened.get("/api/annotations/tags", headers=ADMIN).get_json()["result"]["tags"][0] == {
        "tag": "deploy", "count": 2}
    assert add(reopened) > point  # ids are never handed out twice
