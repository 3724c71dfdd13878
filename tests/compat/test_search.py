"""Search and stars through grafana-client and grafana-api: every filter each client sends, as it sends it
(repeated `tag`, `dashboardIds` and `dashboardUIDs`, `starred=true` and grafana-api's `starred=True`), paging to
the empty page clients stop at, the trailing slash, and stars by id and by uid."""
from __future__ import annotations

import grafana_api.grafana_api
import grafana_client.client
import pytest

from .conftest import REAL_WORLD, generated, real_world

# Grafana's order: by title, whatever its case.
TITLES = ["edge proxy", "HAProxy", "Node Exporter Full", "Service Health", "Unbound Full"]
SIGN_IN_TO_STAR = {"message": "You need to sign in to star dashboards"}


@pytest.fixture
def library(grafana) -> dict[str, dict]:
    """Five dashboards, two from grafanalib and the real-world ones: each one's save answer, by title."""
    dashboards = [generated("Service Health"), generated("edge proxy", tags=("generated", "edge")),
                  *(real_world(name) for name in REAL_WORLD)]
    answers = {dashboard["title"]: grafana.dashboard.update_dashboard({"dashboard": dashboard, "overwrite": False})
               for dashboard in dashboards}
    assert sorted(answers, key=str.casefold) == TITLES
    return answers


def titles(hits: list[dict]) -> list[str]:
    return [hit["title"] for hit in hits]


# --- what a hit carries -------------------------------------------------------------------------------------

def test_a_hit_carries_uid_url_and_no_folder(grafana, face, library):
    haproxy = library["HAProxy"]
    expected = {"id": haproxy["id"], "uid": "rEqu1u5ue", "title": "HAProxy", "uri": "db/haproxy",
                "url": "/d/rEqu1u5ue/haproxy", "slug": "", "type": "dash-db", "tags": ["haproxy", "servers"],
                "isStarred": False}
    assert grafana.search.search_dashboards(query="haproxy") == [expected]
    assert face.search.search_dashboards(query="haproxy") == [expected]


@pytest.mark.parametrize("client", ["grafana", "face"])
def test_every_dashboard_is_listed_by_title_with_its_saved_uid_and_url(request, client, library):
    hits = request.getfixturevalue(client).search.search_dashboards()
    assert titles(hits) == TITLES
    assert [(hit["id"], hit["uid"], hit["url"]) for hit in hits] == [
        (library[title]["id"], library[title]["uid"], library[title]["url"]) for title in TITLES]
    assert all(hit.get("folderId", 0) == 0 for hit in hits)


def test_nothing_saved_lists_nothing(grafana, face):
    assert grafana.search.search_dashboards() == [] and face.search.search_dashboards() == []


# --- filters ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("client", ["grafana", "face"])
@pytest.mark.parametrize("query, expected", [("exporter", ["Node Exporter Full"]),
                                             ("PROXY", ["edge proxy", "HAProxy"]),
                                             ("node exporter", ["Node Exporter Full"]),
                                             ("nothing like it", [])])
def test_query_is_any_part_of_the_title_in_any_case(request, client, library, query, expected):
    assert titles(request.getfixturevalue(client).search.search_dashboards(query=query)) == expected


@pytest.mark.parametrize("tags, expected", [(["servers"], ["HAProxy", "Unbound Full"]),
                                            (["servers", "dns"], ["Unbound Full"]),
                                            (["generated", "servers"], []),
                                            ("generated", ["edge proxy", "Service Health"])])
def test_grafana_client_repeats_tag_and_every_tag_must_be_carried(grafana, library, tags, expected):
    assert titles(grafana.search.search_dashboards(tag=tags)) == expected


def test_grafana_api_filters_by_one_tag(face, library):
    assert titles(face.search.search_dashboards(tag="servers")) == ["HAProxy", "Unbound Full"]
    assert titles(face.search.search_dashboards(tag="servers", query="unbound")) == ["Unbound Full"]


def test_grafana_client_selects_by_dashboard_ids_and_uids(grafana, library):
    ids = [library["Unbound Full"]["id"], library["edge proxy"]["id"]]
    assert titles(grafana.search.search_dashboards(dashboard_ids=ids)) == ["edge proxy", "Unbound Full"]
    uids = [library["Service Health"]["uid"], "rYdddlPWk"]
    assert titles(grafana.search.search_dashboards(dashboard_uids=uids)) == ["Node Exporter Full", "Service Health"]
    assert titles(grafana.search.search_dashboards(dashboard_uids="rYdddlPWk", query="unbound")) == []
    assert grafana.search.search_dashboards(dashboard_ids=[999999]) == []


def test_grafana_api_selects_by_a_dashboard_id(face, library):
    assert titles(face.search.search_dashboards(dashboard_ids=library["HAProxy"]["id"])) == ["HAProxy"]


def test_folder_id_0_is_general_which_holds_every_dashboard(grafana, library):
    assert titles(grafana.search.search_dashboards(folder_ids=0)) == TITLES
    assert titles(grafana.search.search_dashboards(folder_ids=[0], tag="edge")) == ["edge proxy"]
    assert grafana.search.search_dashboards(folder_ids=[7]) == []


@pytest.mark.parametrize("client", ["grafana", "face"])
def test_type_dash_db_lists_dashboards_and_dash_folder_none(request, client, library):
    search = request.getfixturevalue(client).search
    assert titles(search.search_dashboards(type_="dash-db")) == TITLES
    assert search.search_dashboards(type_="dash-folder") == []


# --- paging -------------------------------------------------------------------------------------------------

def test_grafana_client_pages_with_limit_until_an_empty_page(grafana, library):
    pages = []
    for page in range(1, 10):  # as clients loop, but bounded: a server ignoring `page` never answers []
        hits = grafana.search.search_dashboards(limit=2, page=page)
        if not hits:
            break
        pages.append(titles(hits))
    assert pages == [TITLES[0:2], TITLES[2:4], TITLES[4:5]]
    assert grafana.search.search_dashboards(limit=2, page=4) == []


def test_paging_keeps_every_filter(grafana, library):
    assert titles(grafana.search.search_dashboards(tag="servers", limit=1, page=2)) == ["Unbound Full"]
    assert grafana.search.search_dashboards(tag="servers", limit=1, page=3) == []


def test_grafana_api_limits_the_hits(face, library):
    assert titles(face.search.search_dashboards(limit=2)) == TITLES[:2]


def test_a_limit_above_5000_is_refused_as_bad_input(grafana, library):
    """Grafana's message; the status is dashsnap's 400 for every value a schema refuses (Grafana: 422)."""
    with pytest.raises(grafana_client.client.GrafanaBadInputError) as raised:
        grafana.search.search_dashboards(limit=5001)
    assert raised.value.response == {"message": "limit: Limit is above maximum allowed (5000), use page parameter "
                                                "to access hits beyond limit"}


# --- the trailing slash -------------------------------------------------------------------------------------

def test_search_with_a_trailing_slash_answers_as_without(grafana, library):
    assert grafana.client.GET("/search/") == grafana.client.GET("/search")
    assert titles(grafana.client.GET("/search/")) == TITLES
    assert titles(grafana.client.GET("/search/", params={"query": "proxy", "tag": ["generated"]})) == ["edge proxy"]


# --- stars --------------------------------------------------------------------------------------------------

def test_grafana_client_stars_by_id_and_by_uid(grafana, library):
    haproxy, unbound = library["HAProxy"], library["Unbound Full"]
    assert grafana.user.star_dashboard(haproxy["id"]) == {"message": "Dashboard starred!"}  # an int: by id
    assert grafana.user.star_dashboard(unbound["uid"]) == {"message": "Dashboard starred!"}  # a str: by uid
    starred = grafana.search.search_dashboards(starred=True)
    assert titles(starred) == ["HAProxy", "Unbound Full"] and all(hit["isStarred"] for hit in starred)
    assert grafana.dashboard.get_dashboard(haproxy["uid"])["meta"]["isStarred"] is True
    flags = {hit["title"]: hit["isStarred"] for hit in grafana.search.search_dashboards()}
    assert flags == {title: title in ("HAProxy", "Unbound Full") for title in TITLES}

    assert grafana.user.unstar_dashboard(haproxy["uid"]) == {"message": "Dashboard unstarred"}
    assert titles(grafana.search.search_dashboards(starred=True)) == ["Unbound Full"]
    assert grafana.user.unstar_dashboard(unbound["id"]) == {"message": "Dashboard unstarred"}
    assert grafana.search.search_dashboards(starred=True) == []
    assert grafana.dashboard.get_dashboard(haproxy["uid"])["meta"]["isStarred"] is False


def test_grafana_api_stars_by_id_and_sends_starred_as_python_true(face, library):
    node = library["Node Exporter Full"]
    assert face.user.star_actual_user_dashboard(node["id"]) == {"message": "Dashboard starred!"}
    assert titles(face.search.search_dashboards(starred=True)) == ["Node Exporter Full"]  # starred=True
    assert titles(face.search.search_dashboards(starred=True, tag="linux")) == ["Node Exporter Full"]
    assert face.search.search_dashboards(starred=True, tag="servers") == []
    assert face.user.unstar_actual_user_dashboard(node["id"]) == {"message": "Dashboard unstarred"}
    assert face.search.search_dashboards(starred=True) == []


def test_starred_false_lists_every_dashboard(grafana, face, library):
    grafana.user.star_dashboard(library["HAProxy"]["id"])
    assert titles(grafana.search.search_dashboards(starred=False)) == TITLES  # the client then sends nothing
    assert titles(grafana.client.GET("/search", params={"starred": "False"})) == TITLES
    assert titles(face.search.search_dashboards(starred=False)) == TITLES


def test_stars_are_each_users_own(grafana, connect, library):
    created = grafana.admin.create_user({"login": "ops", "email": "ops@example.test", "password": "ops-secret"})
    assert created["message"] == "User created" and isinstance(created["id"], int)
    ops = connect(("ops", "ops-secret"))
    assert ops.user.star_dashboard(library["Service Health"]["uid"]) == {"message": "Dashboard starred!"}
    grafana.user.star_dashboard(library["edge proxy"]["id"])
    assert titles(ops.search.search_dashboards(starred=True)) == ["Service Health"]
    assert titles(grafana.search.search_dashboards(starred=True)) == ["edge proxy"]


def test_a_deleted_dashboard_leaves_the_starred_list(grafana, library):
    grafana.user.star_dashboard(library["HAProxy"]["uid"])
    grafana.dashboard.delete_dashboard(library["HAProxy"]["uid"])
    assert grafana.search.search_dashboards(starred=True) == []


def test_starring_an_unknown_uid_is_404(grafana, face):
    with pytest.raises(grafana_client.client.GrafanaClientError) as raised:
        grafana.user.star_dashboard("no-such-uid")
    assert raised.value.status_code == 404 and raised.value.response == {"message": "Dashboard not found"}
    with pytest.raises(grafana_api.grafana_api.GrafanaClientError) as by_id:
        face.user.star_actual_user_dashboard(999999)
    assert by_id.value.status_code == 404 and by_id.value.response == {"message": "Dashboard not found"}


def test_an_api_key_searches_but_has_no_user_to_star_for(keyed, library):
    assert titles(keyed.search.search_dashboards()) == TITLES
    assert titles(keyed.search.search_dashboards(tag=["servers", "dns"], limit=1, page=1)) == ["Unbound Full"]
    assert titles(keyed.search.search_dashboards(dashboard_uids=["rEqu1u5ue"])) == ["HAProxy"]
    with pytest.raises(grafana_client.client.GrafanaClientError) as raised:
        keyed.user.star_dashboard(library["HAProxy"]["id"])
    assert raised.value.status_code == 412 and raised.value.response == SIGN_IN_TO_STAR
    assert keyed.search.search_dashboards(starred=True) == []
