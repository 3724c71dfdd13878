"""Dashboards through grafana-client and grafana-api: save what grafanalib generates and what people export from
Grafana, read it back by uid and slug field for field, keep supplied uids, Grafana's 412s, versions, delete,
tags, the home dashboard, and the folder list without folders."""
from __future__ import annotations

from typing import Any, NamedTuple

import grafana_api.grafana_api
import grafana_client.client
import pytest
from dashsnap.blueprints.dashboards import HOME_DASHBOARD

from .conftest import REAL_WORLD, generated, real_world

GENERAL_FOLDER = {"folderId": 0, "folderTitle": "General", "folderUid": "", "folderUrl": ""}
NOT_FOUND = {"message": "Dashboard not found"}
VERSION_MISMATCH = {"message": "The dashboard has been changed by someone else", "status": "version-mismatch"}
NAME_EXISTS = {"message": "A dashboard with the same name in the folder already exists", "status": "name-exists"}


class Client(NamedTuple):
    """One of the two clients: its dashboard, search and folder calls (the same names in both), and the error
    it raises for a 4xx answer."""

    dashboard: Any
    search: Any
    folder: Any
    error: type[Exception]


@pytest.fixture(params=["grafana-client", "grafana-api"])
def either(request, connect, connect_face) -> Client:
    # Both connectors are asked for by name so pytest sees, when it collects, that this needs the server
    # (and so its topologies); only the one in use is called.
    if request.param == "grafana-client":
        api = connect()
        return Client(api.dashboard, api.search, api.folder, grafana_client.client.GrafanaClientError)
    face = connect_face()
    return Client(face.dashboard, face.search, face.folder, grafana_api.grafana_api.GrafanaClientError)


def saved_as(client: Client, dashboard: dict, *, overwrite: bool = False) -> dict:
    """Save through the client as tools do; the answer, checked for the fields clients read."""
    answer = client.dashboard.update_dashboard({"dashboard": dashboard, "overwrite": overwrite})
    assert answer["status"] == "success"
    assert isinstance(answer["id"], int) and answer["id"] > 0 and isinstance(answer["version"], int)
    assert answer["url"] == f"/d/{answer['uid']}/{answer['slug']}"
    return answer


def assert_reads_back(read: dict, sent: dict, answer: dict) -> None:
    """A read is the dashboard as sent, but for the id, uid and version the server set, with Grafana's meta."""
    expected = {**sent, "id": answer["id"], "uid": answer["uid"], "version": answer["version"]}
    assert read["dashboard"] == expected and list(read["dashboard"]) == list(expected)  # keys in their order too
    meta = read["meta"]
    assert (meta["url"], meta["slug"], meta["version"]) == (answer["url"], answer["slug"], answer["version"])
    assert {key: meta[key] for key in GENERAL_FOLDER} == GENERAL_FOLDER


def assert_not_found(client: Client, raised: pytest.ExceptionInfo) -> None:
    assert isinstance(raised.value, client.error)
    assert raised.value.status_code == 404 and raised.value.response == NOT_FOUND


# --- save and read back -------------------------------------------------------------------------------------

def test_a_grafanalib_dashboard_saves_as_new_and_reads_back_by_uid_and_slug(either, grafana):
    sent = generated()
    answer = saved_as(either, sent)
    assert (answer["slug"], answer["version"]) == ("service-health", 1)
    assert answer["uid"]  # null asked for a new uid
    assert_reads_back(either.dashboard.get_dashboard(answer["uid"]), sent, answer)
    # grafana-api has no call by slug; grafana-client reads the same dashboard by it.
    assert_reads_back(grafana.dashboard.get_dashboard_by_name(answer["slug"]), sent, answer)


@pytest.mark.parametrize("name", REAL_WORLD)
def test_a_real_world_dashboard_saves_and_reads_back_by_uid_and_slug(either, grafana, name):
    sent = real_world(name)
    answer = saved_as(either, sent)
    assert (answer["uid"], answer["version"]) == (sent["uid"], 1)  # a supplied uid is kept
    assert_reads_back(either.dashboard.get_dashboard(sent["uid"]), sent, answer)
    assert_reads_back(grafana.dashboard.get_dashboard_by_name(answer["slug"]), sent, answer)


def test_a_read_dashboard_saves_back_unchanged_but_for_its_version(either):
    sent = real_world("node-exporter-full.json")
    first = saved_as(either, sent)
    read = either.dashboard.get_dashboard(first["uid"])
    again = saved_as(either, read["dashboard"])
    assert (again["id"], again["uid"], again["slug"], again["version"]) == (first["id"], first["uid"],
                                                                           first["slug"], 2)
    assert either.dashboard.get_dashboard(first["uid"])["dashboard"] == {**read["dashboard"], "version": 2}


def test_a_read_dashboard_with_its_meta_restores_over_itself(grafana):
    """As backup tools restore: the whole read, `meta` included, which grafana-client mines for `folderId` and
    `folderUid` to send beside the dashboard."""
    sent = real_world("unbound-full.json")
    first = grafana.dashboard.update_dashboard({"dashboard": sent, "overwrite": False})
    backup = grafana.dashboard.get_dashboard(first["uid"])
    restored = grafana.dashboard.update_dashboard({**backup, "overwrite": True})
    assert (restored["id"], restored["uid"], restored["version"]) == (first["id"], first["uid"], 2)
    read = grafana.dashboard.get_dashboard(first["uid"])
    assert read["dashboard"] == {**backup["dashboard"], "version": 2}
    assert {key: read["meta"][key] for key in GENERAL_FOLDER} == GENERAL_FOLDER


def test_saving_an_unknown_id_is_404_not_found(either):
    with pytest.raises(either.error) as raised:
        either.dashboard.update_dashboard({"dashboard": {**generated(), "id": 424242}, "overwrite": True})
    assert raised.value.status_code == 404
    assert raised.value.response == {**NOT_FOUND, "status": "not-found"}
    assert either.search.search_dashboards() == []


def test_the_two_clients_read_the_same_dashboard(grafana, face):
    answer = grafana.dashboard.update_dashboard({"dashboard": generated(), "overwrite": False})
    assert face.dashboard.get_dashboard(answer["uid"]) == grafana.dashboard.get_dashboard(answer["uid"])


# --- uids, versions and Grafana's 412s ----------------------------------------------------------------------

def test_a_uid_given_to_grafanalib_is_kept(either):
    answer = saved_as(either, generated(uid="service-health-01"))
    assert answer["uid"] == "service-health-01" and answer["url"] == "/d/service-health-01/service-health"
    assert either.dashboard.get_dashboard("service-health-01")["dashboard"]["title"] == "Service Health"


def test_another_dashboard_with_a_taken_uid_is_412_without_overwrite(either):
    """Grafana takes a known uid as naming the dashboard to update: a new one sent with it (version 0) has
    not seen the stored version."""
    first = saved_as(either, generated(uid="shared-uid"))
    with pytest.raises(either.error) as raised:
        either.dashboard.update_dashboard({"dashboard": generated("Other Service", uid="shared-uid"),
                                           "overwrite": False})
    assert raised.value.status_code == 412 and raised.value.response == VERSION_MISMATCH
    read = either.dashboard.get_dashboard("shared-uid")
    assert (read["dashboard"]["title"], read["dashboard"]["id"], read["meta"]["version"]) == ("Service Health",
                                                                                            first["id"], 1)


def test_another_dashboard_with_a_taken_uid_replaces_it_with_overwrite(either):
    first = saved_as(either, generated(uid="shared-uid"))
    sent = generated("Other Service", tags=("other",), uid="shared-uid")
    answer = saved_as(either, sent, overwrite=True)
    assert (answer["id"], answer["uid"], answer["slug"], answer["version"]) == (first["id"], "shared-uid",
                                                                               "other-service", 2)
    assert_reads_back(either.dashboard.get_dashboard("shared-uid"), sent, answer)
    assert [hit["title"] for hit in either.search.search_dashboards()] == ["Other Service"]


def test_taking_a_uid_held_by_another_dashboard_is_412_name_exists(either):
    saved_as(either, generated("Alpha", uid="alpha"))
    beta = saved_as(either, generated("Beta", uid="beta"))
    stolen = {**either.dashboard.get_dashboard(beta["uid"])["dashboard"], "uid": "alpha"}
    with pytest.raises(either.error) as raised:
        either.dashboard.update_dashboard({"dashboard": stolen, "overwrite": False})
    assert raised.value.status_code == 412 and raised.value.response == NAME_EXISTS
    assert [either.dashboard.get_dashboard(uid)["dashboard"]["title"] for uid in ("alpha", "beta")] == ["Alpha",
                                                                                                       "Beta"]


def test_a_new_dashboard_with_a_taken_title_is_412_name_exists(either):
    saved_as(either, generated())
    with pytest.raises(either.error) as raised:
        either.dashboard.update_dashboard({"dashboard": generated(), "overwrite": False})
    assert raised.value.status_code == 412 and raised.value.response == NAME_EXISTS
    assert len(either.search.search_dashboards()) == 1


def test_saving_the_generated_dashboard_again_with_overwrite_bumps_the_version(either):
    first = saved_as(either, generated())
    for version in (2, 3):
        answer = saved_as(either, generated(), overwrite=True)  # id null and version 0 each time, as generated
        assert (answer["id"], answer["uid"], answer["version"]) == (first["id"], first["uid"], version)
    assert either.dashboard.get_dashboard(first["uid"])["meta"]["version"] == 3


def test_an_update_with_a_stale_version_is_412_and_overwrite_wins(either):
    first = saved_as(either, generated())
    stale = either.dashboard.get_dashboard(first["uid"])["dashboard"]
    assert saved_as(either, {**stale, "description": "edited"})["version"] == 2
    with pytest.raises(either.error) as raised:
        either.dashboard.update_dashboard({"dashboard": {**stale, "description": "mine"}, "overwrite": False})
    assert raised.value.status_code == 412 and raised.value.response == VERSION_MISMATCH
    assert saved_as(either, {**stale, "description": "mine"}, overwrite=True)["version"] == 3
    read = either.dashboard.get_dashboard(first["uid"])["dashboard"]
    assert (read["description"], read["version"]) == ("mine", 3)


def test_a_dashboard_without_a_title_is_400(grafana):
    with pytest.raises(grafana_client.client.GrafanaBadInputError) as raised:
        grafana.dashboard.update_dashboard({"dashboard": {**generated(), "title": ""}, "overwrite": False})
    assert raised.value.status_code == 400 and "title" in raised.value.response["message"]


# --- delete -------------------------------------------------------------------------------------------------

def test_delete_by_uid_answers_the_title_and_later_reads_are_404(either, grafana):
    answer = saved_as(either, generated())
    deleted = either.dashboard.delete_dashboard(answer["uid"])
    assert deleted == {"title": "Service Health", "message": "Dashboard Service Health deleted", "id": answer["id"]}
    with pytest.raises(either.error) as by_uid:
        either.dashboard.get_dashboard(answer["uid"])
    assert_not_found(either, by_uid)
    with pytest.raises(grafana_client.client.GrafanaClientError) as by_slug:
        grafana.dashboard.get_dashboard_by_name(answer["slug"])
    assert by_slug.value.status_code == 404 and by_slug.value.response == NOT_FOUND
    assert either.search.search_dashboards() == []


def test_deleting_an_unknown_uid_is_404(either):
    with pytest.raises(either.error) as raised:
        either.dashboard.delete_dashboard("no-such-uid")
    assert_not_found(either, raised)


def test_reading_an_unknown_uid_is_404(either):
    with pytest.raises(either.error) as raised:
        either.dashboard.get_dashboard("no-such-uid")
    assert_not_found(either, raised)


def test_a_deleted_uid_may_be_used_again(either):
    first = saved_as(either, generated(uid="reused"))
    either.dashboard.delete_dashboard("reused")
    again = saved_as(either, generated("Second Life", uid="reused"))
    assert again["uid"] == "reused" and again["id"] != first["id"] and again["version"] == 1


# --- tags, home, folders ------------------------------------------------------------------------------------

def test_tags_count_the_dashboards_carrying_each_term(either):
    for name in REAL_WORLD:
        saved_as(either, real_world(name))
    saved_as(either, generated())
    assert either.dashboard.get_dashboards_tags() == [
        {"term": "dns", "count": 1}, {"term": "generated", "count": 1}, {"term": "haproxy", "count": 1},
        {"term": "linux", "count": 1}, {"term": "prod", "count": 1}, {"term": "servers", "count": 2},
        {"term": "unbound", "count": 1}]


def test_tags_are_an_empty_list_without_dashboards(either):
    assert either.dashboard.get_dashboards_tags() == []


def test_the_home_dashboard_is_grafanas_built_in_one(either):
    home = either.dashboard.get_home_dashboard()
    assert home["dashboard"] == HOME_DASHBOARD
    assert home["meta"]["isHome"] is True and home["meta"]["canSave"] is False
    assert {key: home["meta"][key] for key in GENERAL_FOLDER} == GENERAL_FOLDER


def test_without_folders_the_folder_list_is_empty(either):
    saved_as(either, generated())
    assert either.folder.get_all_folders() == []


def test_without_credentials_every_dashboard_call_is_401(connect, grafana):
    answer = grafana.dashboard.update_dashboard({"dashboard": generated(), "overwrite": False})
    anonymous = connect(None)
    calls = [lambda: anonymous.dashboard.get_dashboard(answer["uid"]),
             lambda: anonymous.dashboard.update_dashboard({"dashboard": generated("Mine"), "overwrite": True}),
             lambda: anonymous.dashboard.delete_dashboard(answer["uid"]), anonymous.dashboard.get_dashboards_tags,
             anonymous.search.search_dashboards, anonymous.folder.get_all_folders]
    for call in calls:
        with pytest.raises(grafana_client.client.GrafanaUnauthorizedError) as raised:
            call()
        assert raised.value.response == {"message": "Unauthorized"}
    assert [hit["uid"] for hit in grafana.search.search_dashboards()] == [answer["uid"]]


# --- an API key -------------------------------------------------------------------------------------------

def test_an_admin_api_key_saves_reads_searches_and_deletes(keyed):
    sent = real_world("haproxy.json")
    answer = keyed.dashboard.update_dashboard({"dashboard": sent, "overwrite": False})
    assert (answer["status"], answer["uid"], answer["slug"], answer["version"]) == ("success", sent["uid"],
                                                                                   "haproxy", 1)
    assert_reads_back(keyed.dashboard.get_dashboard(sent["uid"]), sent, answer)
    assert_reads_back(keyed.dashboard.get_dashboard_by_name("haproxy"), sent, answer)
    assert [hit["uid"] for hit in keyed.search.search_dashboards(query="haproxy")] == [sent["uid"]]
    assert keyed.dashboard.get_dashboards_tags() == [{"term": "haproxy", "count": 1}, {"term": "servers", "count": 1}]
    assert keyed.dashboard.delete_dashboard(sent["uid"])["id"] == answer["id"]
    assert keyed.search.search_dashboards() == []
