"""Search, tags, stars and file dashboards: `GET /api/search`, `GET /api/dashboards/tags`,
`POST/DELETE /api/user/stars/dashboard/...` and `GET /api/dashboards/file/:file`.

Grafana's behaviour is in spec/grafana-api.md §5.6, §5.7, §6, §7, §17.3 and §17.7, and what real clients need
on top of it in spec/clients.md (trailing slash, `starred=True`, repeated parameters, paging that ends).
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from conftest import ADMIN, bearer
from dashsnap.app import create_app
from dashsnap.storage import Save

LIMIT_MESSAGE = "Limit is above maximum allowed (5000)"
SECRET = "TOP-SECRET-CONTENT-4242"


# --- helpers ----------------------------------------------------------------------------------------------

def create(client, title: str, tags=(), headers=ADMIN) -> dict:
    response = client.post("/api/dashboards/db", json={"dashboard": {"id": None, "title": title, "tags": list(tags)}},
                           headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def search(client, headers=ADMIN, path: str = "/api/search", **params) -> list[dict]:
    response = client.get(path, query_string=params, headers=headers)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert isinstance(body, list)
    return body


def titles(client, headers=ADMIN, **params) -> list[str]:
    return [hit["title"] for hit in search(client, headers=headers, **params)]


def star(client, dashboard_id, headers=ADMIN):
    return client.post(f"/api/user/stars/dashboard/{dashboard_id}", headers=headers)


def unstar(client, dashboard_id, headers=ADMIN):
    return client.delete(f"/api/user/stars/dashboard/{dashboard_id}", headers=headers)


def is_starred_in_meta(client, uid: str, headers=ADMIN) -> bool:
    response = client.get(f"/api/dashboards/uid/{uid}", headers=headers)
    assert response.status_code == 200
    return response.get_json()["meta"]["isStarred"]


def bump_mtime(path: Path) -> None:
    """Give a rewritten file an mtime that certainly differs from the one seen before (coarse clocks)."""
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 7_000_000_000))


def write_json(path: Path, document: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document), encoding="utf-8")


# --- hits -------------------------------------------------------------------------------------------------

def test_hit_has_grafana_fields_and_sorted_tags(client):
    created = create(client, "Production Overview", tags=["prod", "api", "Beta"])
    assert search(client) == [{
        "id": created["id"], "uid": created["uid"], "title": "Production Overview",
        "uri": "db/production-overview", "url": f"/d/{created['uid']}/production-overview", "slug": "",
        "type": "dash-db", "tags": ["Beta", "api", "prod"], "isStarred": False}]


def test_hit_carries_no_null_folder_id(client):
    create(client, "Root level")
    (hit,) = search(client)
    assert hit.get("folderId", 0) == 0
    assert all(value is not None for value in hit.values())


def test_hits_are_sorted_by_title_case_insensitively(client):
    for title in ["gamma", "Delta", "beta", "Alpha"]:
        create(client, title)
    assert titles(client) == ["Alpha", "beta", "Delta", "gamma"]


def test_empty_org_searches_to_an_empty_list(client):
    assert search(client) == []


def test_trailing_slash_searches_the_same(client):
    create(client, "One", tags=["t"])
    create(client, "Two")
    assert search(client, path="/api/search/") == search(client)
    assert search(client, path="/api/search/", query="one", tag="t") == search(client, query="one", tag="t")
    assert len(search(client, path="/api/search/")) == 2


def test_search_needs_credentials(client):
    response = client.get("/api/search")
    assert response.status_code == 401
    assert "message" in response.get_json()


# --- query ------------------------------------------------------------------------------------------------

def test_query_is_a_case_insensitive_substring_of_the_title(client):
    for title in ["Production Overview", "Pre-production", "Staging"]:
        create(client, title)
    assert titles(client, query="PRODUCTION") == ["Pre-production", "Production Overview"]
    assert titles(client, query="duct") == ["Pre-production", "Production Overview"]
    assert titles(client, query="sTAg") == ["Staging"]


def test_query_matches_unicode_titles_case_insensitively(client):
    for title in ["Été chaud", "Überblick", "日本語ダッシュボード", "Straße"]:
        create(client, title)
    assert titles(client, query="ÉTÉ") == ["Été chaud"]
    assert titles(client, query="überb") == ["Überblick"]
    assert titles(client, query="ダッシュ") == ["日本語ダッシュボード"]
    assert titles(client, query="STRASSE") == ["Straße"]


def test_query_of_one_or_two_characters_matches(client):
    for title in ["Go", "x", "axb", "Cargo", "Other"]:
        create(client, title)
    assert titles(client, query="x") == ["axb", "x"]
    assert titles(client, query="GO") == ["Cargo", "Go"]
    assert titles(client, query="本語") == []
    create(client, "日本語")
    assert titles(client, query="本語") == ["日本語"]


def test_query_sql_wildcards_match_literally(client):
    for title in ["100% Uptime", "Uptime 99", "a_b", "axb", "Back\\slash"]:
        create(client, title)
    assert titles(client, query="%") == ["100% Uptime"]
    assert titles(client, query="0% u") == ["100% Uptime"]
    assert titles(client, query="_") == ["a_b"]
    assert titles(client, query="a_b") == ["a_b"]
    assert titles(client, query="\\") == ["Back\\slash"]
    assert titles(client, query="%%") == []


def test_query_without_match_is_an_empty_list(client):
    create(client, "Something")
    assert search(client, query="nothing like it") == []


# --- tags -------------------------------------------------------------------------------------------------

def test_tag_filter_requires_every_tag(client):
    create(client, "Both", tags=["a", "b"])
    create(client, "Only A", tags=["a"])
    create(client, "Only B", tags=["b"])
    create(client, "None")
    assert titles(client, tag="a") == ["Both", "Only A"]
    assert titles(client, tag=["a", "b"]) == ["Both"]
    assert titles(client, tag=["a", "c"]) == []


def test_tag_filter_is_case_sensitive(client):
    create(client, "Lower", tags=["prod"])
    create(client, "Upper", tags=["Prod"])
    assert titles(client, tag="Prod") == ["Upper"]


def test_tag_filter_combines_with_query(client):
    create(client, "Prod API", tags=["prod"])
    create(client, "Prod DB", tags=["prod"])
    create(client, "Staging API", tags=["staging"])
    assert titles(client, query="api", tag="prod") == ["Prod API"]


def test_tag_filter_combines_with_starred(client):
    starred = create(client, "Starred prod", tags=["prod"])
    create(client, "Unstarred prod", tags=["prod"])
    starred_other = create(client, "Starred other", tags=["other"])
    star(client, starred["id"])
    star(client, starred_other["id"])
    assert titles(client, tag="prod", starred="true") == ["Starred prod"]


# --- starred ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("value", ["true", "True", "1"])
def test_starred_true_keeps_only_the_callers_starred_dashboards(client, value):
    first = create(client, "First")
    create(client, "Second")
    third = create(client, "Third")
    star(client, first["id"])
    star(client, third["id"])
    hits = search(client, starred=value)
    assert [hit["title"] for hit in hits] == ["First", "Third"]
    assert all(hit["isStarred"] for hit in hits)


def test_starred_false_lists_every_dashboard(client):
    first = create(client, "First")
    create(client, "Second")
    star(client, first["id"])
    hits = search(client, starred="false")
    assert [(hit["title"], hit["isStarred"]) for hit in hits] == [("First", True), ("Second", False)]


def test_stars_are_per_user(client, make_user):
    bob = make_user("bob", "Viewer")
    dashboard = create(client, "Shared")
    assert star(client, dashboard["id"]).status_code == 200
    assert search(client)[0]["isStarred"] is True
    assert search(client, headers=bob)[0]["isStarred"] is False
    assert search(client, headers=bob, starred="true") == []
    assert is_starred_in_meta(client, dashboard["uid"], headers=bob) is False


def test_starred_search_with_an_api_key_is_empty(client, make_key):
    dashboard = create(client, "Starred by admin")
    star(client, dashboard["id"])
    key = make_key("Viewer")
    assert search(client, headers=bearer(key), starred="true") == []
    assert search(client, headers=bearer(key))[0]["isStarred"] is False


# --- limit and page ---------------------------------------------------------------------------------------

@pytest.fixture
def five(client) -> list[str]:
    names = [f"Dash {n}" for n in range(1, 6)]
    for name in names:
        create(client, name)
    return names


def test_limit_caps_the_hits(client, five):
    assert titles(client, limit=2) == five[:2]


def test_page_with_limit_gives_the_next_hits(client, five):
    assert titles(client, limit=2, page=2) == five[2:4]
    assert titles(client, limit=2, page=3) == five[4:]


def test_paging_past_the_end_is_an_empty_list(client, five):
    assert search(client, limit=2, page=4) == []
    assert search(client, limit=5, page=2) == []
    assert search(client, page=2) == []


def test_limit_above_5000_is_refused(client):
    response = client.get("/api/search", query_string={"limit": 5001}, headers=ADMIN)
    assert response.status_code == 400
    assert LIMIT_MESSAGE in response.get_json()["message"]


def test_limit_of_exactly_5000_is_allowed(client, five):
    assert titles(client, limit=5000) == five


@pytest.fixture(scope="module")
def thousand_and_one(tmp_path_factory) -> Path:
    """A data dir holding 1001 dashboards, built once for the default-limit tests (which only read it)."""
    data_dir = tmp_path_factory.mktemp("many") / "data"
    app = create_app({"TESTING": True, "DASHSNAP_DATA_DIR": str(data_dir), "DASHSNAP_CLEANUP_INTERVAL": 0})
    dashboards = app.extensions["dashsnap"].store.dashboards
    for number in range(1001):
        dashboards.save(1, {"id": None, "title": f"Many {number:04d}"}, Save(author="admin"))
    return data_dir


@pytest.mark.data_dir_only
def test_default_limit_is_1000(make_app, thousand_and_one):
    client = make_app(thousand_and_one).test_client()
    hits = search(client)
    assert len(hits) == 1000
    assert hits[-1]["title"] == "Many 0999"
    assert titles(client, page=2) == ["Many 1000"]


@pytest.mark.parametrize("limit", ["abc", "0", "-7", ""])
@pytest.mark.data_dir_only
def test_invalid_limit_means_the_default(make_app, thousand_and_one, limit):
    client = make_app(thousand_and_one).test_client()
    assert len(search(client, limit=limit)) == 1000


# --- ids, uids, type and folders --------------------------------------------------------------------------

@pytest.fixture
def three(client) -> list[dict]:
    return [create(client, title) for title in ("Alpha", "Bravo", "Charlie")]


def test_dashboard_ids_filter_is_repeatable(client, three):
    assert titles(client, dashboardIds=three[0]["id"]) == ["Alpha"]
    assert titles(client, dashboardIds=[three[0]["id"], three[2]["id"]]) == ["Alpha", "Charlie"]
    assert search(client, dashboardIds=999) == []


def test_dashboard_uids_filter_is_repeatable(client, three):
    assert titles(client, dashboardUIDs=three[1]["uid"]) == ["Bravo"]
    assert titles(client, dashboardUIDs=[three[1]["uid"], three[2]["uid"]]) == ["Bravo", "Charlie"]
    assert search(client, dashboardUIDs="no-such-uid") == []


def test_type_dash_db_lists_dashboards(client, three):
    assert titles(client, type="dash-db") == ["Alpha", "Bravo", "Charlie"]


def test_type_dash_folder_is_empty(client, three):
    assert search(client, type="dash-folder") == []


def test_general_folder_id_0_lists_dashboards(client, three):
    assert titles(client, folderIds=0) == ["Alpha", "Bravo", "Charlie"]


def test_other_folder_ids_are_empty(client, three):
    assert search(client, folderIds=5) == []


def test_every_filter_at_once(client):
    prod_api = create(client, "Prod API", tags=["prod", "api"])
    prod_db = create(client, "Prod DB", tags=["prod", "db"])
    old_api = create(client, "Prod API old", tags=["prod", "api"])
    staging = create(client, "Staging API", tags=["api"])
    late_api = create(client, "Prod API later", tags=["prod", "api"])
    for dashboard in (prod_api, prod_db, staging, late_api):
        star(client, dashboard["id"])
    every = [prod_api, prod_db, old_api, staging, late_api]
    params = {"query": "prod a", "tag": ["prod", "api"], "starred": "true",
              "dashboardIds": [d["id"] for d in every if d is not prod_db],
              "dashboardUIDs": [d["uid"] for d in every if d is not staging],
              "type": "dash-db", "folderIds": 0, "limit": 1}
    assert titles(client, page=1, **params) == ["Prod API"]
    assert titles(client, page=2, **params) == ["Prod API later"]
    assert titles(client, page=3, **params) == []


# --- org isolation ----------------------------------------------------------------------------------------

def test_other_org_sees_none_of_the_dashboards_in_search(client, make_user):
    create(client, "Org one dashboard", tags=["one"])
    other = make_user("o2", "Admin", org_id=2)
    assert search(client, headers=other) == []
    assert search(client, headers=other, query="org one") == []
    assert search(client, headers=other, tag="one") == []


def test_other_org_sees_none_of_the_tags(client, make_user):
    create(client, "Org one dashboard", tags=["one"])
    other = make_user("o2", "Admin", org_id=2)
    create(client, "Org two dashboard", tags=["two"], headers=other)
    assert client.get("/api/dashboards/tags", headers=other).get_json() == [{"term": "two", "count": 1}]
    assert client.get("/api/dashboards/tags", headers=ADMIN).get_json() == [{"term": "one", "count": 1}]
    assert titles(client, headers=other) == ["Org two dashboard"]


def test_other_org_cannot_star_the_dashboards(client, make_user):
    dashboard = create(client, "Org one dashboard")
    other = make_user("o2", "Admin", org_id=2)
    by_id = star(client, dashboard["id"], headers=other)
    assert by_id.status_code == 404
    by_uid = client.post(f"/api/user/stars/dashboard/uid/{dashboard['uid']}", headers=other)
    assert by_uid.status_code == 404
    assert search(client, headers=other, starred="true") == []


# --- GET /api/dashboards/tags -----------------------------------------------------------------------------

def test_tags_count_dashboards_per_term_sorted_by_term(client):
    create(client, "One", tags=["web", "prod"])
    create(client, "Two", tags=["prod", "db"])
    create(client, "Three", tags=["prod"])
    create(client, "Untagged")
    response = client.get("/api/dashboards/tags", headers=ADMIN)
    assert response.status_code == 200
    assert response.get_json() == [{"term": "db", "count": 1}, {"term": "prod", "count": 3},
                                   {"term": "web", "count": 1}]


def test_tags_of_an_empty_org_are_an_empty_list(client):
    assert client.get("/api/dashboards/tags", headers=ADMIN).get_json() == []


def test_tags_follow_a_dashboards_changed_tags(client):
    dashboard = create(client, "Changing", tags=["old", "kept"])
    create(client, "Other", tags=["kept"])
    response = client.post("/api/dashboards/db", json={"dashboard": {
        "id": dashboard["id"], "title": "Changing", "tags": ["kept", "new"], "version": dashboard["version"]}},
        headers=ADMIN)
    assert response.status_code == 200, response.get_json()
    assert client.get("/api/dashboards/tags", headers=ADMIN).get_json() == [
        {"term": "kept", "count": 2}, {"term": "new", "count": 1}]
    assert titles(client, tag="old") == []
    assert titles(client, tag="new") == ["Changing"]


def test_tags_follow_a_deleted_dashboard(client):
    doomed = create(client, "Doomed", tags=["gone", "shared"])
    create(client, "Stays", tags=["shared"])
    assert client.delete(f"/api/dashboards/uid/{doomed['uid']}", headers=ADMIN).status_code == 200
    assert client.get("/api/dashboards/tags", headers=ADMIN).get_json() == [{"term": "shared", "count": 1}]
    assert titles(client, tag="gone") == []


def test_tags_need_credentials(client):
    assert client.get("/api/dashboards/tags").status_code == 401


# --- stars ------------------------------------------------------------------------------------------------

def test_star_answers_dashboard_starred(client):
    dashboard = create(client, "Starry")
    response = star(client, dashboard["id"])
    assert response.status_code == 200
    assert response.get_json() == {"message": "Dashboard starred!"}
    assert search(client)[0]["isStarred"] is True


def test_unstar_answers_dashboard_unstarred(client):
    dashboard = create(client, "Starry")
    star(client, dashboard["id"])
    response = unstar(client, dashboard["id"])
    assert response.status_code == 200
    assert response.get_json() == {"message": "Dashboard unstarred"}
    assert search(client)[0]["isStarred"] is False
    assert search(client, starred="true") == []


def test_starring_twice_keeps_one_star(client):
    dashboard = create(client, "Twice")
    assert star(client, dashboard["id"]).status_code == 200
    second = star(client, dashboard["id"])
    assert second.status_code == 200
    assert second.get_json() == {"message": "Dashboard starred!"}
    assert titles(client, starred="true") == ["Twice"]
    unstar(client, dashboard["id"])  # one unstar removes it: there was a single star
    assert search(client, starred="true") == []


def test_unstarring_what_is_not_starred_is_fine(client):
    dashboard = create(client, "Never starred")
    response = unstar(client, dashboard["id"])
    assert response.status_code == 200
    assert response.get_json() == {"message": "Dashboard unstarred"}
    assert search(client)[0]["isStarred"] is False


@pytest.mark.parametrize("method", ["post", "delete"])
def test_star_with_a_bad_id_is_refused(client, method):
    create(client, "Any")
    for bad_id in ("abc", "0", "-3", "1.5", "99999999999999999999"):
        response = getattr(client, method)(f"/api/user/stars/dashboard/{bad_id}", headers=ADMIN)
        assert response.status_code == 400, bad_id
        assert response.get_json() == {"message": "Missing dashboard id"}
    assert search(client, starred="true") == []


def test_star_id_must_be_plain_decimal_digits(client):
    for number in range(10):
        create(client, f"Dashboard {number}")
    for bad_id in ("1_0", "\u0663", "%205"):
        response = star(client, bad_id)
        assert response.status_code == 400, bad_id
        assert response.get_json() == {"message": "Missing dashboard id"}
    assert search(client, starred="true") == []


def test_star_of_an_unknown_dashboard_is_not_found(client):
    dashboard = create(client, "Known")
    response = star(client, dashboard["id"] + 100)
    assert response.status_code == 404
    assert "message" in response.get_json()
    assert search(client, starred="true") == []


@pytest.mark.parametrize("method", ["post", "delete"])
def test_star_with_an_api_key_needs_a_signed_in_user(client, make_key, method):
    dashboard = create(client, "Keyed")
    key = bearer(make_key("Admin"))
    for path in (f"/api/user/stars/dashboard/{dashboard['id']}", f"/api/user/stars/dashboard/uid/{dashboard['uid']}"):
        response = getattr(client, method)(path, headers=key)
        assert response.status_code == 412, path
        assert response.get_json() == {"message": "You need to sign in to star dashboards"}


@pytest.mark.parametrize("method", ["post", "delete"])
def test_star_without_credentials_is_unauthorized(client, method):
    dashboard = create(client, "Anonymous")
    for path in (f"/api/user/stars/dashboard/{dashboard['id']}", f"/api/user/stars/dashboard/uid/{dashboard['uid']}"):
        response = getattr(client, method)(path)
        assert response.status_code == 401
        assert "message" in response.get_json()


def test_star_and_unstar_by_uid(client):
    dashboard = create(client, "By uid")
    starred = client.post(f"/api/user/stars/dashboard/uid/{dashboard['uid']}", headers=ADMIN)
    assert starred.status_code == 200
    assert starred.get_json() == {"message": "Dashboard starred!"}
    assert titles(client, starred="true") == ["By uid"]
    unstarred = client.delete(f"/api/user/stars/dashboard/uid/{dashboard['uid']}", headers=ADMIN)
    assert unstarred.status_code == 200
    assert unstarred.get_json() == {"message": "Dashboard unstarred"}
    assert search(client, starred="true") == []


@pytest.mark.parametrize("method", ["post", "delete"])
def test_star_by_unknown_uid_is_not_found(client, method):
    create(client, "Known")
    response = getattr(client, method)("/api/user/stars/dashboard/uid/no-such-uid", headers=ADMIN)
    assert response.status_code == 404
    assert "message" in response.get_json()


def test_meta_is_starred_follows_stars(client):
    dashboard = create(client, "Meta")
    assert is_starred_in_meta(client, dashboard["uid"]) is False
    star(client, dashboard["id"])
    assert is_starred_in_meta(client, dashboard["uid"]) is True
    client.delete(f"/api/user/stars/dashboard/uid/{dashboard['uid']}", headers=ADMIN)
    assert is_starred_in_meta(client, dashboard["uid"]) is False
    client.post(f"/api/user/stars/dashboard/uid/{dashboard['uid']}", headers=ADMIN)
    assert is_starred_in_meta(client, dashboard["uid"]) is True
    unstar(client, dashboard["id"])
    assert is_starred_in_meta(client, dashboard["uid"]) is False


def test_deleting_a_dashboard_removes_its_stars(client, make_user, tmp_path):
    bob = make_user("bob", "Viewer")
    dashboard = create(client, "Doomed")
    star(client, dashboard["id"])
    star(client, dashboard["id"], headers=bob)
    assert client.delete(f"/api/dashboards/uid/{dashboard['uid']}", headers=ADMIN).status_code == 200
    assert list((tmp_path / "data" / "stars").rglob(f"{dashboard['id']}.json")) == []


# --- search answers from the index ------------------------------------------------------------------------

@pytest.mark.data_dir_only
def test_search_reads_no_dashboard_file(client, opened_files):
    created = [create(client, f"Indexed {number}", tags=["t"]) for number in range(5)]
    star(client, created[0]["id"])
    opened_files.clear()
    assert len(search(client, query="indexed", tag="t")) == 5
    assert len(search(client, starred="true", limit=2, page=1)) == 1
    assert len(client.get("/api/dashboards/tags", headers=ADMIN).get_json()) == 1
    assert [path for path in opened_files if "dashboards" in path.parts] == []
    # the probe does see reads: fetching one dashboard reads exactly its file
    assert client.get(f"/api/dashboards/uid/{created[2]['uid']}", headers=ADMIN).status_code == 200
    assert [path.name for path in opened_files if "dashboards" in path.parts] == ["indexed-2.json"]


@pytest.mark.data_dir_only
def test_search_answers_from_the_index_until_reconcile(make_app, client, tmp_path):
    for title in ("Before", "Neighbour"):
        create(client, title)
    path = tmp_path / "data" / "orgs" / "1" / "dashboards" / "before.json"
    record = json.loads(path.read_text(encoding="utf-8"))
    record["title"] = record["dashboard"]["title"] = "Renamed behind the index's back"
    path.write_text(json.dumps(record), encoding="utf-8")
    bump_mtime(path)

    assert titles(client, query="before") == ["Before"]
    assert search(client, query="renamed") == []

    reopened = make_app().test_client()
    assert titles(reopened, query="renamed") == ["Renamed behind the index's back"]
    assert search(reopened, query="before") == []


# --- file dashboards --------------------------------------------------------------------------------------

@pytest.fixture
def dashboards_folder(tmp_path) -> Path:
    folder = tmp_path / "files"
    write_json(folder / "a.json", {"title": "File One", "tags": ["f"]})
    write_json(folder / "sub" / "b.json", {"title": "Beta File", "tags": ["f", "g"], "rows": []})
    write_json(tmp_path / "secret.json", {"title": "Secret", "password": SECRET})
    return folder


@pytest.fixture
def file_client(make_app, dashboards_folder):
    return make_app(DASHSNAP_DASHBOARDS_JSON_ENABLED=True,
                    DASHSNAP_DASHBOARDS_JSON_PATH=str(dashboards_folder)).test_client()


@pytest.mark.parametrize("path", ["/api/dashboards/file/a.json", "/file/a.json"])
def test_file_dashboard_is_served_read_only(file_client, path):
    response = file_client.get(path, headers=ADMIN)
    assert response.status_code == 200
    body = response.get_json()
    assert body["meta"]["type"] == "file"
    assert body["meta"]["canSave"] is False
    assert body["meta"]["canStar"] is False
    assert body["meta"]["slug"] == ""
    assert body["dashboard"]["title"] == "File One"
    assert body["dashboard"]["tags"] == ["f"]
    assert body["dashboard"]["version"] == 0


def test_nested_file_dashboard_is_found_by_base_name(file_client):
    response = file_client.get("/api/dashboards/file/b.json", headers=ADMIN)
    assert response.status_code == 200
    assert response.get_json()["dashboard"]["title"] == "Beta File"
    assert file_client.get("/api/dashboards/file/sub%2Fb.json", headers=ADMIN).status_code == 404


def test_unknown_file_dashboard_is_not_found(file_client):
    response = file_client.get("/api/dashboards/file/missing.json", headers=ADMIN)
    assert response.status_code == 404
    assert response.get_json()["message"] == "Dashboard not found"


def test_file_dashboard_needs_credentials(file_client):
    assert file_client.get("/api/dashboards/file/a.json").status_code == 401


def test_file_dashboards_appear_in_search_merged_by_title(file_client):
    create(file_client, "Alpha")
    create(file_client, "Zulu")
    hits = search(file_client)
    assert [hit["title"] for hit in hits] == ["Alpha", "Beta File", "File One", "Zulu"]
    file_one = hits[2]
    assert file_one["id"] == 0
    assert file_one["type"] == "dash-json"
    assert file_one["uri"] == "file/a.json"
    assert file_one["tags"] == ["f"]
    assert file_one["isStarred"] is False
    assert hits[1]["uri"] == "file/b.json"


def test_file_dashboards_are_paged_with_the_others(file_client):
    create(file_client, "Alpha")
    create(file_client, "Zulu")
    assert titles(file_client, limit=2, page=1) == ["Alpha", "Beta File"]
    assert titles(file_client, limit=2, page=2) == ["File One", "Zulu"]
    assert titles(file_client, limit=2, page=3) == []


def test_file_dashboards_are_filtered_by_query(file_client):
    create(file_client, "Another one")
    assert titles(file_client, query="ONE") == ["Another one", "File One"]
    assert titles(file_client, query="beta") == ["Beta File"]


def test_file_dashboards_are_filtered_by_tag(file_client):
    create(file_client, "Tagged g", tags=["g"])
    assert titles(file_client, tag="g") == ["Beta File", "Tagged g"]
    assert titles(file_client, tag=["f", "g"]) == ["Beta File"]
    assert titles(file_client, tag="f", query="one") == ["File One"]


def test_file_dashboards_never_starred_nor_by_ids(file_client):
    dashboard = create(file_client, "Database one")
    star(file_client, dashboard["id"])
    assert titles(file_client, starred="true") == ["Database one"]
    assert titles(file_client, dashboardIds=dashboard["id"]) == ["Database one"]
    assert titles(file_client, dashboardIds=0) == []
    assert titles(file_client, dashboardUIDs=dashboard["uid"]) == ["Database one"]


def test_file_dashboards_are_not_counted_in_tags(file_client):
    create(file_client, "Database one", tags=["f"])
    assert file_client.get("/api/dashboards/tags", headers=ADMIN).get_json() == [{"term": "f", "count": 1}]


@pytest.mark.parametrize("prefix", ["/api/dashboards/file/", "/file/"])
def test_file_dashboard_path_escapes_are_not_found(file_client, prefix):
    for name in ("../secret.json", "%2e%2e%2fsecret.json", "..%2Fsecret.json", "..%5Csecret.json", "secret.json",
                 "..", "%2e%2e", "sub/../../secret.json"):
        response = file_client.get(prefix + name, headers=ADMIN)
        assert response.status_code == 404, name
        assert SECRET not in response.get_data(as_text=True)


def test_file_dashboard_absolute_path_is_not_found(file_client, tmp_path):
    secret = tmp_path / "secret.json"
    for path in (f"/api/dashboards/file/{secret}", f"/api/dashboards/file/{str(secret).replace('/', '%2F')}",
                 f"/file/{secret}"):
        response = file_client.get(path, headers=ADMIN)
        assert response.status_code == 404
        assert SECRET not in response.get_data(as_text=True)


def test_secret_outside_the_folder_never_reaches_search(file_client):
    assert search(file_client, query="secret") == []


def test_disabled_file_dashboards_are_not_served(make_app, dashboards_folder):
    client = make_app(DASHSNAP_DASHBOARDS_JSON_ENABLED=False,
                      DASHSNAP_DASHBOARDS_JSON_PATH=str(dashboards_folder)).test_client()
    create(client, "Database one")
    for path in ("/api/dashboards/file/a.json", "/file/a.json", "/api/dashboards/file/b.json"):
        assert client.get(path, headers=ADMIN).status_code == 404
    assert titles(client) == ["Database one"]
    assert search(client, type="dash-json") == []


def test_changed_file_dashboard_shows_its_new_title_in_search(file_client, dashboards_folder):
    assert titles(file_client, query="file one") == ["File One"]
    path = dashboards_folder / "a.json"
    write_json(path, {"title": "File One, rewritten", "tags": ["f", "new"]})
    bump_mtime(path)
    assert titles(file_client, query="rewritten") == ["File One, rewritten"]
    assert titles(file_client, tag="new") == ["File One, rewritten"]
    assert file_client.get("/api/dashboards/file/a.json", headers=ADMIN).get_json()["dashboard"]["title"] == \
        "File One, rewritten"


def test_added_and_removed_file_dashboards_follow_in_search(file_client, dashboards_folder):
    assert titles(file_client) == ["Beta File", "File One"]
    write_json(dashboards_folder / "c.json", {"title": "Cee"})
    (dashboards_folder / "sub" / "b.json").unlink()
    assert titles(file_client) == ["Cee", "File One"]


def test_unreadable_file_dashboard_is_not_listed_in_search(file_client, dashboards_folder):
    (dashboards_folder / "broken.json").write_text("{not json", encoding="utf-8")
    write_json(dashboards_folder / "list.json", ["not", "a", "dashboard"])
    (dashboards_folder / "folder.json").mkdir()
    for name in ("broken.json", "list.json", "folder.json"):
        assert file_client.get(f"/api/dashboards/file/{name}", headers=ADMIN).status_code == 404
    assert titles(file_client) == ["Beta File", "File One"]


@pytest.mark.parametrize("query", ["ab\x00c", "\x00cd", "\x00", "b\x00"])
def test_queries_with_nul_characters_answer(client, query):
    response = client.get("/api/search", query_string={"query": query}, headers=ADMIN)
    assert response.status_code == 200


def test_a_title_with_a_nul_character_is_found_by_its_later_part(client):
    client.post("/api/dashboards/db", data=json.dumps({"dashboard": {"id": None, "title": "ab\u0000cdef"}}),
                headers=ADMIN)
    hits = client.get("/api/search", query_string={"query": "cdef"}, headers=ADMIN).get_json()
    assert [hit["title"] for hit in hits] == ["ab\u0000cdef"]


def test_too_many_tags_is_400(client):
    response = client.get("/api/search?" + "&".join(f"tag=t{n}" for n in range(1000)), headers=ADMIN)
    assert response.status_code == 400
    assert response.get_json()["message"].startswith("tag:")


# --- the in-memory catalog keeps in step with every process's writes ----------------------------------------

def test_search_in_one_process_sees_saves_renames_and_deletes_made_by_another(make_app):
    here, there = make_app().test_client(), make_app().test_client()  # two stores, two catalogs, one data dir
    assert titles(here) == []
    made = create(there, "Made There", tags=["far"])
    assert titles(here, query="there") == ["Made There"]
    assert client_tags(here) == [{"term": "far", "count": 1}]
    renamed = {"id": made["id"], "uid": made["uid"], "title": "Renamed There", "tags": ["near"], "version": 1}
    assert there.post("/api/dashboards/db", json={"dashboard": renamed}, headers=ADMIN).status_code == 200
    assert titles(here) == ["Renamed There"]
    assert titles(here, tag="far") == [] and titles(here, tag="near") == ["Renamed There"]
    assert there.delete(f"/api/dashboards/uid/{made['uid']}", headers=ADMIN).status_code == 200
    assert titles(here) == [] and client_tags(here) == []


def test_a_catalog_left_far_behind_loads_the_index_again(make_app, monkeypatch):
    from dashsnap.storage import catalog

    monkeypatch.setattr(catalog, "CHANGES_KEPT", 3)
    monkeypatch.setattr(catalog, "CHANGES_PRUNED_EVERY", 2)
    here, there = make_app().test_client(), make_app().test_client()
    create(there, "Seen Early")
    assert titles(here) == ["Seen Early"]
    for number in range(12):  # more changes than the log keeps
        create(there, f"Later {number:02d}")
    assert titles(here, query="later") == [f"Later {number:02d}" for number in range(12)]


@pytest.mark.parametrize("scan_from", [2000, 5])  # filters leaving few candidates sort them, many walk the order
def test_large_filtered_and_unfiltered_pages_come_in_title_order(client, monkeypatch, scan_from):
    from dashsnap.storage import catalog

    monkeypatch.setattr(catalog, "SCAN_MEMBERS_FROM", scan_from)
    for number in range(60):
        create(client, f"Board {number:03d}", tags=["all"] + (["even"] if number % 2 == 0 else []))
    boards = [f"Board {number:03d}" for number in range(60)]
    assert titles(client, limit=7, page=3) == boards[14:21]
    assert titles(client, tag="even", limit=5, page=2) == boards[0::2][5:10]
    assert titles(client, query="board 0", tag="all", limit=4, page=3) == boards[8:12]


def client_tags(client) -> list[dict]:
    return client.get("/api/dashboards/tags", headers=ADMIN).get_json()


def test_a_big_page_marks_exactly_the_starred_hits(client):
    made = [create(client, f"Starred Page {number:03d}") for number in range(130)]
    for dashboard in (made[3], made[120]):
        star(client, dashboard["id"])
    hits = search(client, limit=200)
    assert len(hits) == 130
    assert [hit["title"] for hit in hits if hit["isStarred"]] == ["Starred Page 003", "Starred Page 120"]
