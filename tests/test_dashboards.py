"""Dashboards through the HTTP API (Grafana spec §5.1–5.5, §17.2, and "Our choices"): save with Grafana's
version and name rules (every 412 path, 404 for unknown ids), exact round trips of real-world dashboards,
meta fields by role, slugs (Grafana's examples, unicode, symbol-only titles), title validation, delete by
slug and uid (search, tags and stars follow), org isolation, reconcile settling an interrupted rename,
concurrent saves, and the home dashboard."""
from __future__ import annotations

import json
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from conftest import ADMIN, bearer
from dashsnap.storage import Save
from dashsnap.storage.documents import create_document

FIXTURES = Path(__file__).parent / "fixtures" / "dashboards"
SEED_EXAMPLE = {"id": None, "title": "Production Overview", "tags": ["templated"], "timezone": "browser",
                "rows": [{}], "schemaVersion": 6, "version": 0}
VERSION_MISMATCH = {"message": "The dashboard has been changed by someone else", "status": "version-mismatch"}
NAME_EXISTS = {"message": "A dashboard with the same name in the folder already exists", "status": "name-exists"}
NOT_FOUND = {"message": "Dashboard not found"}
PERMISSION_DENIED = {"message": "Permission denied"}
ZERO_TIME = "0001-01-01T00:00:00Z"
RFC3339 = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\Z")


# --- helpers ------------------------------------------------------------------------------------------------

def save(client, dashboard: dict, headers: dict = ADMIN, **body):
    # Encoded here, not with the test client's json= (Flask's encoder sorts keys, which would hide order bugs).
    return client.post("/api/dashboards/db", data=json.dumps({"dashboard": dashboard, **body}), headers=headers,
                       content_type="application/json")


def create(client, title: str, headers: dict = ADMIN, **fields) -> dict:
    response = save(client, {"id": None, "title": title, **fields}, headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def by_slug(client, slug: str, headers: dict = ADMIN):
    return client.get(f"/api/dashboards/db/{slug}", headers=headers)


def by_uid(client, uid: str, headers: dict = ADMIN):
    return client.get(f"/api/dashboards/uid/{uid}", headers=headers)


def model(client, uid: str) -> dict:
    response = by_uid(client, uid)
    assert response.status_code == 200, response.get_json()
    return response.get_json()["dashboard"]


def search(client, headers: dict = ADMIN, **params) -> list[dict]:
    response = client.get("/api/search", query_string=params, headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def ordered(value: object) -> str:
    """A text that differs whenever values or key order (at any depth) differ."""
    return json.dumps(value, ensure_ascii=False)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


def dashboard_file(data_dir: Path, slug: str, org_id: int = 1) -> Path:
    return data_dir / "orgs" / str(org_id) / "dashboards" / f"{slug}.json"


# --- create and round trips ---------------------------------------------------------------------------------

def test_create_answers_id_slug_status_uid_url_and_version_1(client):
    response = save(client, dict(SEED_EXAMPLE))
    assert response.status_code == 200
    body = response.get_json()
    assert list(body) == ["folderUid", "id", "slug", "status", "uid", "url", "version"]
    assert isinstance(body["id"], int) and body["id"] > 0
    assert re.fullmatch(r"[A-Za-z0-9_-]{1,40}", body["uid"])
    assert body == {"folderUid": "", "id": body["id"], "slug": "production-overview", "status": "success",
                    "uid": body["uid"], "url": f"/d/{body['uid']}/production-overview", "version": 1}


@pytest.mark.parametrize("name", ["node-exporter-full.json", "unbound-full.json"])
def test_real_world_dashboard_reads_back_identical_by_slug_and_uid(client, name):
    sent = json.loads((FIXTURES / name).read_text())
    response = save(client, sent)
    assert response.status_code == 200, response.get_json()
    saved = response.get_json()
    assert saved["uid"] == sent["uid"]  # a supplied uid is kept
    expected = {**sent, "id": saved["id"], "uid": sent["uid"], "version": 1}
    for read in (by_slug(client, saved["slug"]), by_uid(client, saved["uid"])):
        assert read.status_code == 200
        assert ordered(read.get_json()["dashboard"]) == ordered(expected)


def test_seed_example_reads_back_with_only_id_uid_and_version_set(client):
    saved = save(client, dict(SEED_EXAMPLE)).get_json()
    expected = {**SEED_EXAMPLE, "id": saved["id"], "version": 1, "uid": saved["uid"]}
    for read in (by_slug(client, "production-overview"), by_uid(client, saved["uid"])):
        dashboard = read.get_json()["dashboard"]
        assert list(dashboard) == [*SEED_EXAMPLE, "uid"]
        assert ordered(dashboard) == ordered(expected)


def test_unknown_fields_are_kept_in_their_order(client):
    sent = {"zeta": {"b": 1, "a": [3, {"y": None, "x": True}]}, "title": "Odd Fields", "alpha": "x", "mid": 1.5}
    saved = save(client, sent).get_json()
    dashboard = model(client, saved["uid"])
    assert ordered(dashboard) == ordered({**sent, "id": saved["id"], "uid": saved["uid"], "version": 1})


# --- meta ---------------------------------------------------------------------------------------------------

def test_meta_of_get_has_grafana_fields_for_an_admin(client):
    saved = create(client, "Meta Check")
    for read in (by_slug(client, "meta-check"), by_uid(client, saved["uid"])):
        meta = read.get_json()["meta"]
        assert RFC3339.match(meta["created"]) and meta["updated"] == meta["created"]
        assert meta == {
            "type": "db", "isStarred": False, "canSave": True, "canEdit": True, "canAdmin": True, "canStar": True,
            "canDelete": True, "slug": "meta-check", "url": f"/d/{saved['uid']}/meta-check", "expires": ZERO_TIME,
            "created": meta["created"], "updated": meta["updated"], "createdBy": "admin", "updatedBy": "admin",
            "version": 1, "hasAcl": False, "isFolder": False, "provisioned": False,
            "folderId": 0, "folderUid": "", "folderTitle": "General", "folderUrl": ""}


@pytest.mark.parametrize("role, can_save, can_admin", [("Viewer", False, False), ("Editor", True, False),
                                                       ("Admin", True, True)])
def test_meta_permissions_follow_the_org_role(client, make_user, role, can_save, can_admin):
    saved = create(client, "Roles Check")
    meta = by_uid(client, saved["uid"], make_user("someone", role)).get_json()["meta"]
    assert (meta["canSave"], meta["canEdit"], meta["canAdmin"], meta["canStar"], meta["canDelete"]) == (
        can_save, can_save, can_admin, True, can_save)


def test_meta_can_star_is_false_for_an_api_key(client, make_key):
    saved = create(client, "Key Reader")
    meta = by_uid(client, saved["uid"], bearer(make_key("Admin"))).get_json()["meta"]
    assert meta["canStar"] is False and meta["isStarred"] is False
    assert meta["canSave"] is True and meta["canAdmin"] is True


def test_meta_is_starred_after_the_user_stars_it(client):
    saved = create(client, "Starred One")
    assert client.post(f"/api/user/stars/dashboard/{saved['id']}", headers=ADMIN).status_code == 200
    assert by_slug(client, "starred-one").get_json()["meta"]["isStarred"] is True


def test_meta_created_by_stays_and_updated_by_follows_the_last_saver(client, make_user):
    saved = create(client, "Authors")
    editor = make_user("ed", "Editor")
    response = save(client, model(client, saved["uid"]), editor)
    assert response.status_code == 200
    meta = by_uid(client, saved["uid"]).get_json()["meta"]
    assert (meta["createdBy"], meta["updatedBy"], meta["version"]) == ("admin", "ed", 2)


# --- 412 and 404 --------------------------------------------------------------------------------------------

def test_update_with_an_older_version_is_412_version_mismatch(client):
    saved = create(client, "Versioned")
    current = model(client, saved["uid"])
    assert save(client, current).status_code == 200  # now version 2
    response = save(client, current)  # still says version 1
    assert response.status_code == 412
    assert response.get_json() == VERSION_MISMATCH


def test_update_with_a_newer_version_is_412_version_mismatch(client):
    saved = create(client, "Versioned Ahead")
    response = save(client, {**model(client, saved["uid"]), "version": 7})
    assert response.status_code == 412
    assert response.get_json() == VERSION_MISMATCH
    assert by_uid(client, saved["uid"]).get_json()["meta"]["version"] == 1


def test_new_dashboard_whose_title_slugifies_like_another_is_412_name_exists(client):
    create(client, "Production Overview")
    response = save(client, {"id": None, "title": "production overview!"})
    assert response.status_code == 412
    assert response.get_json() == NAME_EXISTS
    assert [hit["title"] for hit in search(client)] == ["Production Overview"]


def test_renaming_a_dashboard_to_another_ones_title_is_412_name_exists(client):
    create(client, "Alpha")
    beta = create(client, "Beta")
    response = save(client, {**model(client, beta["uid"]), "title": "Alpha"})
    assert response.status_code == 412
    assert response.get_json() == NAME_EXISTS
    assert by_uid(client, beta["uid"]).get_json()["dashboard"]["title"] == "Beta"


def test_a_uid_held_by_another_dashboard_is_412_name_exists(client):
    alpha = create(client, "Alpha")
    beta = create(client, "Beta")
    response = save(client, {**model(client, beta["uid"]), "uid": alpha["uid"]})
    assert response.status_code == 412
    assert response.get_json() == NAME_EXISTS
    assert by_uid(client, alpha["uid"]).get_json()["dashboard"]["title"] == "Alpha"
    assert by_uid(client, beta["uid"]).get_json()["dashboard"]["title"] == "Beta"


def test_overwrite_skips_version_mismatch_and_bumps_the_stored_version(client):
    saved = create(client, "Overwritten")
    stale = model(client, saved["uid"])
    assert save(client, stale).get_json()["version"] == 2
    response = save(client, {**stale, "panels": ["mine"]}, overwrite=True)
    assert response.status_code == 200
    assert (response.get_json()["id"], response.get_json()["version"]) == (saved["id"], 3)
    stored = model(client, saved["uid"])
    assert (stored["version"], stored["panels"]) == (3, ["mine"])


def test_overwrite_of_a_same_name_dashboard_updates_it_in_place(client):
    existing = create(client, "Production Overview")
    response = save(client, {"id": None, "title": "production overview!", "panels": [1]}, overwrite=True)
    assert response.status_code == 200
    body = response.get_json()
    assert (body["id"], body["uid"], body["slug"], body["version"]) == (existing["id"], existing["uid"],
                                                                         "production-overview", 2)
    hits = search(client)
    assert [(hit["id"], hit["title"]) for hit in hits] == [(existing["id"], "production overview!")]
    assert model(client, existing["uid"])["panels"] == [1]


def test_overwrite_skips_name_exists_when_renaming_onto_another_title(client):
    alpha = create(client, "Alpha")
    beta = create(client, "Beta")
    response = save(client, {**model(client, alpha["uid"]), "title": "Beta"}, overwrite=True)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert (body["id"], body["slug"], body["version"]) == (beta["id"], "beta", 2)
    assert sorted(hit["id"] for hit in search(client)) == [alpha["id"], beta["id"]]  # Alpha is left untouched


def test_update_with_an_unknown_id_is_404_not_found(client):
    create(client, "Known")
    response = save(client, {"id": 987654, "title": "Known", "version": 1})
    assert response.status_code == 404
    assert response.get_json() == {"message": "Dashboard not found", "status": "not-found"}
    assert len(search(client)) == 1


# --- versions and renames -----------------------------------------------------------------------------------

def test_each_save_with_the_right_version_adds_one(client):
    saved = create(client, "Counting")
    assert saved["version"] == 1
    for expected in (2, 3, 4):
        response = save(client, model(client, saved["uid"]))
        assert response.get_json()["version"] == expected
        read = by_uid(client, saved["uid"]).get_json()
        assert read["dashboard"]["version"] == read["meta"]["version"] == expected


def test_update_by_uid_without_id_uses_the_uid(client):
    saved = create(client, "By Uid")
    response = save(client, {"uid": saved["uid"], "title": "By Uid", "version": 1, "panels": []})
    assert response.status_code == 200
    assert (response.get_json()["id"], response.get_json()["version"]) == (saved["id"], 2)


@pytest.mark.data_dir_only
def test_title_change_renames_the_slug_and_removes_the_old_file(client, data_dir):
    saved = create(client, "Old Name")
    assert dashboard_file(data_dir, "old-name").exists()
    response = save(client, {**model(client, saved["uid"]), "title": "New Name"})
    assert response.status_code == 200
    body = response.get_json()
    assert (body["id"], body["uid"], body["slug"], body["url"]) == (saved["id"], saved["uid"], "new-name",
                                                                     f"/d/{saved['uid']}/new-name")
    assert by_slug(client, "old-name").status_code == 404
    renamed = by_slug(client, "new-name").get_json()["dashboard"]
    assert (renamed["id"], renamed["uid"], renamed["title"]) == (saved["id"], saved["uid"], "New Name")
    assert not dashboard_file(data_dir, "old-name").exists()
    assert dashboard_file(data_dir, "new-name").exists()
    assert [hit["uri"] for hit in search(client)] == ["db/new-name"]


# --- title and body validation ------------------------------------------------------------------------------

@pytest.mark.parametrize("dashboard, message", [
    ({"id": None}, "dashboard.title: Missing data for required field."),
    ({"title": ""}, "dashboard.title: Dashboard title cannot be empty"),
    ({"title": "  \t "}, "dashboard.title: Dashboard title cannot be empty"),
    ({"title": 42}, "dashboard.title: Not a valid string."),
    ({"title": ["x"]}, "dashboard.title: Not a valid string."),
    ({"title": "x", "id": "5"}, "dashboard.id: Not a valid integer."),
    ({"title": "x", "tags": "a,b"}, "dashboard.tags: Not a valid list."),
    ({"title": "x", "tags": ["a", 1]}, "dashboard.tags.1: Not a valid string."),
], ids=["missing-title", "empty-title", "blank-title", "number-title", "list-title", "string-id",
        "string-tags", "non-string-tag"])
def test_invalid_dashboard_fields_are_400_naming_the_field(client, dashboard, message):
    response = save(client, dashboard)
    assert response.status_code == 400
    assert response.get_json() == {"message": message}
    assert search(client) == []


def test_missing_dashboard_is_400(client):
    response = client.post("/api/dashboards/db", json={"overwrite": False}, headers=ADMIN)
    assert response.status_code == 400
    assert response.get_json() == {"message": "dashboard: Missing data for required field."}


def test_dashboard_that_is_not_an_object_is_400(client):
    response = client.post("/api/dashboards/db", json={"dashboard": ["title"]}, headers=ADMIN)
    assert response.status_code == 400
    assert response.get_json()["message"].startswith("dashboard:")


def test_invalid_json_is_400(client):
    response = client.post("/api/dashboards/db", data=b'{"dashboard": {"title": ', headers=ADMIN,
                           content_type="application/json")
    assert response.status_code == 400
    assert response.content_type == "application/json"
    assert response.get_json()["message"].startswith("bad request data: invalid JSON")


# --- slugs --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("title, slug", [("Production Overview", "production-overview"),
                                         ("Acc 42: Slug Check", "acc-42-slug-check"), ("A & B", "a-and-b"),
                                         ("My_Dash", "my_dash"), ("Café (prod)", "cafe-prod")])
def test_slug_follows_grafanas_examples(client, title, slug):
    saved = create(client, title)
    assert saved["slug"] == slug
    read = by_slug(client, slug)
    assert read.status_code == 200
    assert read.get_json()["meta"]["slug"] == slug
    assert read.get_json()["dashboard"]["title"] == title


@pytest.mark.parametrize("title", ["Ünïcödé — dash", "北京 metrics", "😀🚀", "Ελληνικά και русский"])
def test_unicode_title_saves_and_reads_back(client, title):
    saved = create(client, title)
    assert re.fullmatch(r"[a-z0-9_-]+", saved["slug"])
    for read in (by_slug(client, saved["slug"]), by_uid(client, saved["uid"])):
        assert read.status_code == 200
        assert read.get_json()["dashboard"]["title"] == title
    assert [hit["title"] for hit in search(client)] == [title]


def test_symbol_only_title_gets_a_usable_slug(client):
    saved = create(client, "!!!")
    assert re.fullmatch(r"[a-z0-9_-]+", saved["slug"])
    assert saved["url"] == f"/d/{saved['uid']}/{saved['slug']}"
    assert by_slug(client, saved["slug"]).get_json()["dashboard"]["title"] == "!!!"


def test_two_different_symbol_only_titles_do_not_collide(client):
    first = create(client, "!!!")
    second = create(client, "???")
    assert first["slug"] != second["slug"] and first["id"] != second["id"]
    assert by_slug(client, first["slug"]).get_json()["dashboard"]["title"] == "!!!"
    assert by_slug(client, second["slug"]).get_json()["dashboard"]["title"] == "???"


def test_get_by_slug_is_case_insensitive(client):
    saved = create(client, "Production Overview")
    response = by_slug(client, "Production-OVERVIEW")
    assert response.status_code == 200
    assert response.get_json()["dashboard"]["id"] == saved["id"]


def test_get_by_unknown_slug_or_uid_is_404(client):
    for response in (by_slug(client, "nothing-here"), by_uid(client, "nothing-here"), by_slug(client, "a.b")):
        assert response.status_code == 404
        assert response.get_json() == NOT_FOUND


# --- roles --------------------------------------------------------------------------------------------------

def test_viewer_may_not_save(client, make_user):
    response = save(client, {"id": None, "title": "Viewer Made"}, make_user("vera", "Viewer"))
    assert response.status_code == 403
    assert response.get_json() == PERMISSION_DENIED
    assert search(client) == []


def test_viewer_may_not_delete(client, make_user):
    saved = create(client, "Kept")
    viewer = make_user("vera", "Viewer")
    for path in ("/api/dashboards/db/kept", f"/api/dashboards/uid/{saved['uid']}"):
        response = client.delete(path, headers=viewer)
        assert response.status_code == 403
        assert response.get_json() == PERMISSION_DENIED
    assert by_slug(client, "kept").status_code == 200


def test_no_credentials_is_401(client):
    saved = create(client, "Private")
    for response in (client.post("/api/dashboards/db", json={"dashboard": {"title": "Anon"}}),
                     client.get("/api/dashboards/db/private"), client.get(f"/api/dashboards/uid/{saved['uid']}"),
                     client.delete("/api/dashboards/db/private"), client.get("/api/dashboards/home")):
        assert response.status_code == 401
        assert response.get_json() == {"message": "Unauthorized"}
    assert by_slug(client, "private").status_code == 200


def test_editor_user_may_save(client, make_user):
    editor = make_user("ed", "Editor")
    saved = create(client, "Editor Made", editor)
    assert save(client, model(client, saved["uid"]), editor).get_json()["version"] == 2
    assert by_uid(client, saved["uid"]).get_json()["meta"]["createdBy"] == "ed"


def test_editor_api_key_may_save(client, make_key):
    key = bearer(make_key("Editor"))
    saved = create(client, "Key Made", key)
    assert by_uid(client, saved["uid"], key).get_json()["dashboard"]["title"] == "Key Made"


def test_viewer_may_get(client, make_user):
    saved = create(client, "Readable")
    viewer = make_user("vera", "Viewer")
    assert by_slug(client, "readable", viewer).status_code == 200
    assert by_uid(client, saved["uid"], viewer).get_json()["dashboard"]["title"] == "Readable"


# --- delete -------------------------------------------------------------------------------------------------

def test_delete_by_slug_answers_title_message_and_id(client):
    saved = create(client, "Doomed Board")
    response = client.delete("/api/dashboards/db/doomed-board", headers=ADMIN)
    assert response.status_code == 200
    assert response.get_json() == {"title": "Doomed Board", "message": "Dashboard Doomed Board deleted",
                                   "id": saved["id"]}
    assert by_slug(client, "doomed-board").status_code == 404
    assert by_uid(client, saved["uid"]).status_code == 404


def test_delete_by_slug_is_case_insensitive(client):
    create(client, "Mixed Case")
    assert client.delete("/api/dashboards/db/MIXED-case", headers=ADMIN).status_code == 200
    assert by_slug(client, "mixed-case").status_code == 404


def test_delete_by_uid_answers_title_message_and_id(client):
    saved = create(client, "Doomed Too")
    response = client.delete(f"/api/dashboards/uid/{saved['uid']}", headers=ADMIN)
    assert response.status_code == 200
    assert response.get_json() == {"title": "Doomed Too", "message": "Dashboard Doomed Too deleted",
                                   "id": saved["id"]}
    assert by_uid(client, saved["uid"]).status_code == 404
    assert by_slug(client, "doomed-too").status_code == 404


@pytest.mark.data_dir_only
def test_deleted_dashboard_leaves_search_tags_and_stars(app, client, data_dir):
    doomed = create(client, "Doomed", tags=["gone", "shared"])
    create(client, "Survivor", tags=["shared"])
    user_id = app.extensions["dashsnap"].store.users.find_by_login_or_email("admin")["id"]
    assert client.post(f"/api/user/stars/dashboard/{doomed['id']}", headers=ADMIN).status_code == 200
    star = data_dir / "stars" / str(user_id) / f"{doomed['id']}.json"
    assert star.exists()
    assert client.delete(f"/api/dashboards/uid/{doomed['uid']}", headers=ADMIN).status_code == 200
    assert [hit["title"] for hit in search(client)] == ["Survivor"]
    assert search(client, starred="true") == []
    assert client.get("/api/dashboards/tags", headers=ADMIN).get_json() == [{"term": "shared", "count": 1}]
    assert not star.exists()
    assert not dashboard_file(data_dir, "doomed").exists()


def test_delete_of_an_unknown_slug_or_uid_is_404(client):
    for path in ("/api/dashboards/db/no-such-board", "/api/dashboards/uid/no-such-uid"):
        response = client.delete(path, headers=ADMIN)
        assert response.status_code == 404
        assert response.get_json() == NOT_FOUND


# --- org isolation ------------------------------------------------------------------------------------------

@pytest.mark.data_dir_only
def test_other_orgs_user_gets_404_and_changes_nothing(client, make_user, data_dir):
    saved = create(client, "Org One Board")
    path = dashboard_file(data_dir, "org-one-board")
    before = path.read_bytes()
    outsider = make_user("x", "Admin", org_id=2)
    stored = model(client, saved["uid"])
    responses = [by_slug(client, "org-one-board", outsider), by_uid(client, saved["uid"], outsider),
                 client.delete("/api/dashboards/db/org-one-board", headers=outsider),
                 client.delete(f"/api/dashboards/uid/{saved['uid']}", headers=outsider)]
    for response in responses:
        assert response.status_code == 404
        assert response.get_json() == NOT_FOUND
    update = save(client, {**stored, "title": "Hijacked"}, outsider, overwrite=True)
    assert update.status_code == 404
    assert update.get_json() == {"message": "Dashboard not found", "status": "not-found"}
    assert path.read_bytes() == before
    assert search(client, headers=outsider) == []
    assert by_slug(client, "org-one-board").get_json()["dashboard"] == stored


@pytest.mark.data_dir_only
def test_the_same_title_may_exist_in_two_orgs(client, make_user, data_dir):
    first = create(client, "Production Overview")
    outsider = make_user("x", "Admin", org_id=2)
    second = create(client, "Production Overview", outsider, panels=["org2"])
    assert second["slug"] == first["slug"] and second["id"] != first["id"]
    assert "panels" not in by_slug(client, "production-overview").get_json()["dashboard"]
    assert by_slug(client, "production-overview", outsider).get_json()["dashboard"]["panels"] == ["org2"]
    assert dashboard_file(data_dir, "production-overview", org_id=1).exists()
    assert dashboard_file(data_dir, "production-overview", org_id=2).exists()


# --- reconcile ----------------------------------------------------------------------------------------------

def _interrupted_rename(app, data_dir: Path, stray_version: int) -> tuple[dict, Path, Path]:
    """A dashboard at version 2 plus a copy of it (same id and uid) under another slug with stray_version."""
    dashboards = app.extensions["dashsnap"].store.dashboards
    record = dashboards.save(1, {"id": None, "title": "Settled Name"}, Save(author="admin"))
    record = dashboards.save(1, dict(record["dashboard"]), Save(author="admin"))
    assert record["version"] == 2
    stray = {**record, "slug": "other-name", "title": "Other Name", "version": stray_version,
             "dashboard": {**record["dashboard"], "title": "Other Name", "version": stray_version}}
    create_document(dashboard_file(data_dir, "other-name"), stray)
    return record, dashboard_file(data_dir, "settled-name"), dashboard_file(data_dir, "other-name")


@pytest.mark.data_dir_only
def test_reconcile_keeps_the_higher_version_of_an_interrupted_rename(app, make_app, data_dir):
    record, kept, stray = _interrupted_rename(app, data_dir, stray_version=1)
    client = make_app().test_client()
    hits = search(client)
    assert [(hit["id"], hit["uid"], hit["title"]) for hit in hits] == [(record["id"], record["uid"],
                                                                          "Settled Name")]
    assert kept.exists() and not stray.exists()
    assert model(client, record["uid"])["version"] == 2


@pytest.mark.data_dir_only
def test_reconcile_lets_a_stray_copy_with_the_higher_version_win(app, make_app, data_dir):
    record, old, winner = _interrupted_rename(app, data_dir, stray_version=3)
    client = make_app().test_client()
    hits = search(client)
    assert [(hit["id"], hit["uid"], hit["title"]) for hit in hits] == [(record["id"], record["uid"], "Other Name")]
    assert winner.exists() and not old.exists()
    read = by_uid(client, record["uid"]).get_json()
    assert (read["meta"]["slug"], read["dashboard"]["version"]) == ("other-name", 3)
    assert by_slug(client, "settled-name").status_code == 404


# --- concurrency --------------------------------------------------------------------------------------------

def test_concurrent_saves_of_different_dashboards_all_succeed_with_distinct_ids(app):
    count = 8
    barrier = threading.Barrier(count)

    def save_one(number: int):
        client = app.test_client()
        barrier.wait(timeout=30)
        return save(client, {"id": None, "title": f"Concurrent {number}"})

    with ThreadPoolExecutor(count) as pool:
        responses = list(pool.map(save_one, range(count)))
    assert [response.status_code for response in responses] == [200] * count
    ids = {response.get_json()["id"] for response in responses}
    assert len(ids) == count
    hits = search(app.test_client())
    assert {hit["id"] for hit in hits} == ids
    assert sorted(hit["title"] for hit in hits) == sorted(f"Concurrent {number}" for number in range(count))


def race(app, bodies: list[dict]) -> list:
    """Save every body at once, each from its own thread; the responses in the bodies' order."""
    barrier = threading.Barrier(len(bodies))

    def save_one(body: dict):
        client = app.test_client()
        barrier.wait(timeout=30)
        return save(client, **body)

    with ThreadPoolExecutor(len(bodies)) as pool:
        return list(pool.map(save_one, bodies))


@pytest.mark.parametrize("clash", ["title", "uid"])
def test_concurrent_new_dashboards_with_one_title_or_uid_make_exactly_one(app, clash):
    bodies = [{"dashboard": {"id": None, "title": "Same Title" if clash == "title" else f"Title {number}",
                             **({"uid": "same-uid"} if clash == "uid" else {})}} for number in range(8)]
    responses = race(app, bodies)
    assert sorted(response.status_code for response in responses) == [200] + [412] * 7
    hits = search(app.test_client())
    assert len(hits) == 1
    winner = next(response.get_json() for response in responses if response.status_code == 200)
    assert (hits[0]["id"], hits[0]["uid"]) == (winner["id"], winner["uid"])


@pytest.mark.data_dir_only
def test_a_new_dashboard_racing_a_rename_to_its_title_leaves_one_of_them_holding_it(app, data_dir):
    client = app.test_client()
    for _ in range(10):
        old = save(client, {"id": None, "title": "Old Name"}).get_json()
        responses = race(app, [{"dashboard": {"id": old["id"], "title": "Wanted", "version": 1}},
                               {"dashboard": {"id": None, "title": "Wanted"}}])
        assert sorted(response.status_code for response in responses) == [200, 412]
        holder = by_slug(client, "wanted").get_json()
        winner = next(response.get_json() for response in responses if response.status_code == 200)
        assert holder["dashboard"]["id"] == winner["id"]
        assert by_slug(client, "old-name").status_code == (200 if winner["id"] != old["id"] else 404)
        assert dashboard_file(data_dir, "wanted").exists()
        for slug in ("wanted", "old-name"):
            client.delete(f"/api/dashboards/db/{slug}", headers=ADMIN)
    assert search(client) == []


# --- home ---------------------------------------------------------------------------------------------------

def test_home_dashboard_is_the_built_in_one_by_default(client):
    response = client.get("/api/dashboards/home", headers=ADMIN)
    assert response.status_code == 200
    body = response.get_json()
    assert body["meta"]["isHome"] is True and body["meta"]["canSave"] is False
    assert body["meta"]["canStar"] is False and body["meta"]["slug"] == ""
    assert body["dashboard"]["title"] == "Home"


def test_home_json_in_the_data_dir_is_served(make_app, data_dir):
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / "home.json").write_text(json.dumps({"title": "Our Home", "panels": [{"type": "text"}]}))
    body = make_app().test_client().get("/api/dashboards/home", headers=ADMIN).get_json()
    assert body["dashboard"] == {"title": "Our Home", "panels": [{"type": "text"}]}
    assert body["meta"]["isHome"] is True and body["meta"]["canSave"] is False


def test_configured_home_dashboard_path_is_served(make_app, tmp_path, data_dir):
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / "home.json").write_text(json.dumps({"title": "Data Dir Home"}))
    configured = tmp_path / "elsewhere.json"
    configured.write_text(json.dumps({"title": "Configured Home", "rows": []}))
    client = make_app(DASHSNAP_HOME_DASHBOARD_PATH=str(configured)).test_client()
    body = client.get("/api/dashboards/home", headers=ADMIN).get_json()
    assert body["dashboard"] == {"title": "Configured Home", "rows": []}
    assert body["meta"]["isHome"] is True


# --- folders ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/api/folders", "/api/folders/"])
def test_the_folder_list_is_empty_as_every_dashboard_is_in_general(client, path):
    create(client, "In General")
    response = client.get(path, headers=ADMIN)
    assert (response.status_code, response.content_type, response.get_json()) == (200, "application/json", [])


def test_the_folder_list_needs_sign_in(client):
    response = client.get("/api/folders")
    assert (response.status_code, response.get_json()) == (401, {"message": "Unauthorized"})


def test_a_dashboard_keeps_its_uid_when_saved_with_another(client):
    saved = create(client, "Stable Link")
    response = save(client, {**model(client, saved["uid"]), "uid": "brand-new-uid"})
    assert response.status_code == 200
    assert response.get_json()["uid"] == saved["uid"]
    assert by_uid(client, saved["uid"]).get_json()["dashboard"]["uid"] == saved["uid"]
    assert by_uid(client, "brand-new-uid").status_code == 404


# --- the store under stress: copies, leftovers, schema changes, overlapping requests -----------------------

@pytest.mark.data_dir_only
def test_a_copy_in_another_org_is_never_settled_as_a_rename(make_app, tmp_path):
    from dashsnap.storage import documents

    client = make_app().test_client()
    saved = create(client, "Prod")
    original = tmp_path / "data" / "orgs" / "1" / "dashboards" / "prod.json"
    record = json.loads(original.read_text())
    documents.create_document(tmp_path / "data" / "orgs" / "2" / "dashboards" / "prod-copy.json",
                              {**record, "orgId": 2, "slug": "prod-copy", "version": 5})
    client = make_app().test_client()  # a restart reconciles
    assert original.exists()
    assert by_uid(client, saved["uid"]).status_code == 200


@pytest.mark.data_dir_only
def test_a_document_whose_contents_name_another_org_is_not_indexed(make_app, tmp_path):
    from dashsnap.storage import documents

    client = make_app().test_client()
    saved = create(client, "Moved By Hand")
    record = json.loads((tmp_path / "data" / "orgs" / "1" / "dashboards" / "moved-by-hand.json").read_text())
    documents.create_document(tmp_path / "data" / "orgs" / "1" / "dashboards" / "elsewhere.json",
                              {**record, "id": 999, "uid": "other-uid", "orgId": 2, "slug": "elsewhere"})
    make_app()
    other_org = make_app().extensions["dashsnap"].store.dashboards.search(2)
    assert other_org == []
    assert [hit["id"] for hit in search(client)] == [saved["id"]]


@pytest.mark.data_dir_only
def test_an_index_of_another_schema_version_is_rebuilt(make_app, tmp_path):
    import sqlite3

    client = make_app().test_client()
    saved = create(client, "Survives Upgrades")
    with sqlite3.connect(tmp_path / "data" / "index.sqlite3") as index:
        index.execute("UPDATE meta SET value = 'older' WHERE name = 'schema'")
    client = make_app().test_client()
    assert [hit["id"] for hit in search(client, query="upgrades")] == [saved["id"]]


@pytest.mark.data_dir_only
def test_delete_waits_for_a_save_in_progress_in_the_same_org(client, tmp_path):
    import threading

    from dashsnap.storage import documents

    saved = create(client, "Contended")
    finished = threading.Event()
    with documents.lock(tmp_path / "data" / "orgs" / "1" / "dashboards" / ".lock"):  # as a save holds it
        worker = threading.Thread(target=lambda: (client.delete(f"/api/dashboards/uid/{saved['uid']}",
                                                                headers=ADMIN), finished.set()))
        worker.start()
        assert not finished.wait(0.3)
    worker.join(timeout=10)
    assert finished.is_set() and by_uid(client, saved["uid"]).status_code == 404


@pytest.mark.data_dir_only
def test_a_leftover_file_at_a_slug_neither_answers_nor_blocks_the_name(app, client, tmp_path):
    """A rename in another process crashed after writing the new file and before removing the old one."""
    from dashsnap.storage import documents

    saved = create(client, "Old Name")
    folder = tmp_path / "data" / "orgs" / "1" / "dashboards"
    stale = json.loads((folder / "old-name.json").read_text())
    assert save(client, {**model(client, saved["uid"]), "title": "New Name"}).status_code == 200
    documents.create_document(folder / "old-name.json", stale)  # what the crash left behind
    assert client.get("/api/dashboards/db/old-name", headers=ADMIN).status_code == 404
    again = save(client, {"id": None, "title": "Old Name"})
    assert again.status_code == 200 and again.get_json()["id"] != saved["id"]
    assert (folder / "old-name.json.superseded").exists()


@pytest.mark.data_dir_only
def test_delete_reads_the_dashboard_once(client, monkeypatch):
    from dashsnap.storage import documents

    saved = create(client, "Read Once")
    reads = []
    real_read = documents.read_document
    monkeypatch.setattr(documents, "read_document", lambda path: reads.append(path) or real_read(path))
    assert client.delete(f"/api/dashboards/uid/{saved['uid']}", headers=ADMIN).status_code == 200
    assert [path.parent.name for path in reads if path.parent.name == "dashboards"] == ["dashboards"]


def test_urls_carry_the_sub_path_of_root_url(make_app):
    client = make_app(DASHSNAP_ROOT_URL="http://host.test/grafana/").test_client()
    saved = create(client, "Under A Path")
    assert saved["url"] == f"/grafana/d/{saved['uid']}/under-a-path"
    assert search(client)[0]["url"] == saved["url"]
