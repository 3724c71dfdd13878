"""Dashboard versions through the HTTP API: every save keeps a version (listed newest first, paged), each reads
back whole by uid and by id, a restore is a new version, versions_to_keep prunes the oldest files, deleting a
dashboard deletes its history, and versions go into exports and come back from imports."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import ADMIN

LISTED_FIELDS = ["id", "dashboardId", "dashboardUid", "uid", "parentVersion", "restoredFrom", "version", "created",
                 "createdBy", "message"]


def save(client, dashboard: dict, **body):
    return client.post("/api/dashboards/db", data=json.dumps({"dashboard": dashboard, **body}), headers=ADMIN,
                       content_type="application/json")


def current(client, uid: str) -> dict:
    response = client.get(f"/api/dashboards/uid/{uid}", headers=ADMIN)
    assert response.status_code == 200, response.get_json()
    return response.get_json()["dashboard"]


def with_versions(client, count: int, title: str = "Versioned") -> dict:
    """A dashboard saved count times, panel n of version n; its save answer of the last."""
    answer = save(client, {"id": None, "title": title, "panels": [{"id": 1}]}, message="first").get_json()
    for number in range(2, count + 1):
        model = current(client, answer["uid"])
        answer = save(client, {**model, "panels": [{"id": number}]}, message=f"save {number}").get_json()
    return answer


def versions(client, uid: str, **params) -> list[dict]:
    response = client.get(f"/api/dashboards/uid/{uid}/versions", query_string=params, headers=ADMIN)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_every_save_is_listed_newest_first(client):
    answer = with_versions(client, 3)
    listed = versions(client, answer["uid"])
    assert [version["version"] for version in listed] == [3, 2, 1]
    assert list(listed[0]) == LISTED_FIELDS
    assert [version["message"] for version in listed] == ["save 3", "save 2", "first"]
    assert [version["parentVersion"] for version in listed] == [2, 1, 0]
    assert {version["dashboardId"] for version in listed} == {answer["id"]}
    assert {version["createdBy"] for version in listed} == {"admin"}
    assert len({version["id"] for version in listed}) == 3


def test_the_list_pages_with_limit_and_start(client):
    answer = with_versions(client, 5)
    assert [version["version"] for version in versions(client, answer["uid"], limit=2)] == [5, 4]
    assert [version["version"] for version in versions(client, answer["uid"], limit=2, start=2)] == [3, 2]
    assert versions(client, answer["uid"], start=9) == []


def test_each_version_reads_back_whole_by_uid_and_by_id(client):
    answer = with_versions(client, 3)
    for number in (1, 2, 3):
        by_uid = client.get(f"/api/dashboards/uid/{answer['uid']}/versions/{number}", headers=ADMIN).get_json()
        by_id = client.get(f"/api/dashboards/id/{answer['id']}/versions/{number}", headers=ADMIN).get_json()
        assert by_uid == by_id
        assert by_uid["version"] == number and by_uid["data"]["panels"] == [{"id": number}]
        assert by_uid["data"]["version"] == number
    by_id = client.get(f"/api/dashboards/id/{answer['id']}/versions", headers=ADMIN).get_json()
    assert by_id == versions(client, answer["uid"])


def test_unknown_dashboards_and_versions_answer_404(client):
    answer = with_versions(client, 2)
    assert client.get("/api/dashboards/uid/nosuch/versions", headers=ADMIN).status_code == 404
    assert client.get("/api/dashboards/id/999/versions", headers=ADMIN).status_code == 404
    missing = client.get(f"/api/dashboards/uid/{answer['uid']}/versions/7", headers=ADMIN)
    assert missing.status_code == 404 and missing.get_json() == {"message": "Dashboard version not found"}
    restore = client.post(f"/api/dashboards/uid/{answer['uid']}/restore", json={"version": 7}, headers=ADMIN)
    assert restore.status_code == 404


def test_a_restore_saves_the_old_model_as_a_new_version(client):
    answer = with_versions(client, 3)
    restored = client.post(f"/api/dashboards/uid/{answer['uid']}/restore", json={"version": 1}, headers=ADMIN)
    assert restored.status_code == 200
    assert restored.get_json()["version"] == 4 and restored.get_json()["uid"] == answer["uid"]
    model = current(client, answer["uid"])
    assert model["panels"] == [{"id": 1}] and model["version"] == 4
    newest = versions(client, answer["uid"])[0]
    assert (newest["version"], newest["restoredFrom"], newest["message"]) == (4, 1, "Restored from version 1")
    by_id = client.post(f"/api/dashboards/id/{answer['id']}/restore", json={"version": 3}, headers=ADMIN)
    assert by_id.status_code == 200 and current(client, answer["uid"])["panels"] == [{"id": 3}]


@pytest.mark.parametrize("body", [{}, {"version": "1"}, {"version": 0}, {"version": None}])
def test_a_restore_needs_a_version_number(client, body):
    answer = with_versions(client, 2)
    assert client.post(f"/api/dashboards/uid/{answer['uid']}/restore", json=body, headers=ADMIN).status_code == 400


def test_viewers_read_versions_but_may_not_restore(client, make_user):
    answer = with_versions(client, 2)
    viewer = make_user("viewer", "Viewer")
    assert client.get(f"/api/dashboards/uid/{answer['uid']}/versions", headers=viewer).status_code == 200
    assert client.post(f"/api/dashboards/uid/{answer['uid']}/restore", json={"version": 1},
                       headers=viewer).status_code == 403


@pytest.mark.data_dir_only
def test_versions_to_keep_prunes_the_oldest(make_app, tmp_path):
    client = make_app(DASHSNAP_VERSIONS_TO_KEEP=3).test_client()
    answer = with_versions(client, 6)
    assert [version["version"] for version in versions(client, answer["uid"])] == [6, 5, 4]
    kept = tmp_path / "data/orgs/1/dashboard-versions" / str(answer["id"])
    assert sorted(path.name for path in kept.iterdir()) == ["4.json", "5.json"]
    assert client.get(f"/api/dashboards/uid/{answer['uid']}/versions/3", headers=ADMIN).status_code == 404


@pytest.mark.data_dir_only
def test_a_kept_version_shares_the_bytes_it_was_saved_with(client, tmp_path):
    answer = with_versions(client, 2)
    kept = tmp_path / "data/orgs/1/dashboard-versions" / str(answer["id"]) / "1.json"
    stored = json.loads(kept.read_text())
    assert stored["version"] == 1 and stored["dashboard"]["panels"] == [{"id": 1}]


def test_deleting_a_dashboard_deletes_its_history(client, tmp_path):
    answer = with_versions(client, 3)
    assert client.delete(f"/api/dashboards/uid/{answer['uid']}", headers=ADMIN).status_code == 200
    assert not (tmp_path / "data/orgs/1/dashboard-versions" / str(answer["id"])).exists()
    assert client.get(f"/api/dashboards/uid/{answer['uid']}/versions", headers=ADMIN).status_code == 404


def test_moving_between_folders_keeps_the_history(client):
    folder = client.post("/api/folders", json={"title": "Elsewhere"}, headers=ADMIN).get_json()
    answer = with_versions(client, 2)
    moved = save(client, current(client, answer["uid"]), folderUid=folder["uid"]).get_json()
    assert [version["version"] for version in versions(client, answer["uid"])] == [3, 2, 1]
    old = client.get(f"/api/dashboards/uid/{moved['uid']}/versions/2", headers=ADMIN).get_json()
    assert old["data"]["panels"] == [{"id": 2}]


def test_versions_go_into_exports_and_back(make_app, tmp_path):
    from dashsnap.storage.backup import export_archive, import_archive

    client = make_app().test_client()
    answer = with_versions(client, 3)
    archive = tmp_path / "backup.tar.gz"
    export_archive(tmp_path / "data", archive)
    import_archive(archive, tmp_path / "restored")
    restored = make_app(data_dir=tmp_path / "restored").test_client()
    listed = restored.get(f"/api/dashboards/uid/{answer['uid']}/versions", headers=ADMIN).get_json()
    assert [version["version"] for version in listed] == [3, 2, 1]
    old = restored.get(f"/api/dashboards/uid/{answer['uid']}/versions/1", headers=ADMIN).get_json()
    assert old["data"]["panels"] == [{"id": 1}]


@pytest.mark.data_dir_only
def test_a_dashboard_from_before_versions_lists_its_current_one(client, tmp_path):
    from dashsnap.storage.documents import write_document

    answer = save(client, {"id": None, "title": "Old Timer"}).get_json()
    path = tmp_path / "data/orgs/1/dashboards/old-timer.json"
    record = json.loads(path.read_text())
    del record["versions"], record["folderUid"]
    write_document(Path(path), record, "dashboard")
    client.application.extensions["dashsnap"].store.reconcile()
    assert [version["version"] for version in versions(client, answer["uid"])] == [1]
    updated = save(client, current(client, answer["uid"])).get_json()
    assert [version["version"] for version in versions(client, updated["uid"])] == [2, 1]


def diff(client, base: dict, new: dict, headers=ADMIN, **body):
    return client.post("/api/dashboards/calculate-diff", json={"base": base, "new": new, **body}, headers=headers)


def diff_lines(html: str) -> list[tuple[str, str]]:
    import re
    return [(change, text) for change, text in re.findall(
        r'class="diff-line diff-json-(\w+)">.*?<span class="diff-line-text-\w+">(.*?)</span>', html)]


def test_calculate_diff_shows_what_changed_between_two_versions_as_grafanas_json_diff(client):
    saved = with_versions(client, 2)
    answer = diff(client, {"dashboardId": saved["id"], "version": 1}, {"dashboardId": saved["id"], "version": 2},
                  diffType="json")
    assert answer.status_code == 200 and answer.content_type == "text/html; charset=utf-8"
    lines = diff_lines(answer.get_data(as_text=True))
    changed = [(change, text.strip()) for change, text in lines if change != "same"]
    assert ('deleted', '&quot;id&quot;: 1') in changed and ('added', '&quot;id&quot;: 2') in changed
    assert ('deleted', '&quot;version&quot;: 1') in changed and ('added', '&quot;version&quot;: 2') in changed
    assert lines[0] == ("same", "{") and lines[-1] == ("same", "}")


def test_calculate_diff_takes_an_unsaved_dashboard_and_dashboard_uids(client):
    saved = with_versions(client, 1)
    unsaved = {**current(client, saved["uid"]), "title": "<b>Renamed</b>"}
    answer = diff(client, {"dashboardUid": saved["uid"], "version": 1},
                  {"dashboardUid": saved["uid"], "version": 1, "unsavedDashboard": unsaved})
    html = answer.get_data(as_text=True)
    assert "<b>" not in html and "&lt;b&gt;Renamed&lt;/b&gt;" in html
    assert [change for change, _ in diff_lines(html)].count("added") == 1


def test_calculate_diff_of_identical_versions_is_all_same(client):
    saved = with_versions(client, 1)
    target = {"dashboardId": saved["id"], "version": 1}
    lines = diff_lines(diff(client, target, target).get_data(as_text=True))
    assert lines and {change for change, _ in lines} == {"same"}


@pytest.mark.parametrize("base, status, message", [
    ({"dashboardId": 999, "version": 1}, 404, "Dashboard not found"),
    ({"version": 1}, 404, "Dashboard not found"),
    ("self-v9", 404, "Dashboard version not found"),
])
def test_calculate_diff_of_what_is_not_there_answers_404(client, base, status, message):
    saved = with_versions(client, 1)
    if base == "self-v9":
        base = {"dashboardId": saved["id"], "version": 9}
    answer = diff(client, base, {"dashboardId": saved["id"], "version": 1})
    assert (answer.status_code, answer.get_json()) == (status, {"message": message})


def test_calculate_diff_answers_400_for_the_forms_not_served_and_403_for_viewers(client, make_user):
    saved = with_versions(client, 1)
    target = {"dashboardId": saved["id"], "version": 1}
    answer = diff(client, target, target, diffType="basic")
    assert answer.status_code == 400 and "diffType" in answer.get_json()["message"]
    assert diff(client, target, target, make_user("looker")).status_code == 403


@pytest.mark.data_dir_only
def test_a_dashboard_saved_before_folders_and_versions_opens_lists_its_version_and_keeps_the_next(make_app,
                                                                                                   tmp_path):
    client = make_app().test_client()
    first = save(client, {"id": None, "title": "Old Timer", "refresh": "1m"}).get_json()
    path = tmp_path / "data" / "orgs" / "1" / "dashboards" / "old-timer.json"
    record = json.loads(path.read_text())
    for newer in ("folderUid", "versions"):
        del record[newer]
    path.write_text(json.dumps(record))  # as the previous release wrote it, without the index it kept
    for index in (tmp_path / "data").glob("index.sqlite3*"):
        index.unlink()

    reopened = make_app().test_client()
    read = reopened.get(f"/api/dashboards/uid/{first['uid']}", headers=ADMIN).get_json()
    assert read["meta"]["folderUid"] == "" and read["dashboard"]["refresh"] == "1m"
    assert [v["version"] for v in versions(reopened, first["uid"])] == [1]
    model = read["dashboard"]
    assert save(reopened, {**model, "refresh": "5m"}).status_code == 200
    assert [v["version"] for v in versions(reopened, first["uid"])] == [2, 1]
    old = reopened.get(f"/api/dashboards/uid/{first['uid']}/versions/1", headers=ADMIN).get_json()
    assert old["data"]["refresh"] == "1m"
