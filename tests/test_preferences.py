"""Preferences through the HTTP API: the org's (Admin) and the user's, read with every field, set whole by PUT
and in part by PATCH, checked as Grafana checks them; the home dashboard they name is where
/api/dashboards/home points, the user's before the org's."""
from __future__ import annotations

import json

import pytest
from conftest import ADMIN

EMPTY = {"theme": "", "homeDashboardId": 0, "homeDashboardUID": "", "timezone": "", "weekStart": "", "language": "",
         "navbar": {"bookmarkUrls": None}, "queryHistory": {"homeTab": ""}}
UPDATED = {"message": "Preferences updated"}


def dashboard(client, title: str) -> dict:
    response = client.post("/api/dashboards/db", data=json.dumps({"dashboard": {"id": None, "title": title}}),
                           headers=ADMIN, content_type="application/json")
    assert response.status_code == 200
    return response.get_json()


@pytest.mark.parametrize("path", ["/api/org/preferences", "/api/user/preferences"])
def test_nothing_set_reads_as_grafanas_zero_values(client, path):
    response = client.get(path, headers=ADMIN)
    assert response.status_code == 200
    assert response.get_json() == EMPTY
    assert list(response.get_json()) == list(EMPTY)


@pytest.mark.parametrize("path", ["/api/org/preferences", "/api/user/preferences"])
def test_put_sets_the_whole_set_and_patch_a_part(client, path):
    home = dashboard(client, "Home Base")
    put = client.put(path, json={"theme": "dark", "timezone": "Europe/Paris", "weekStart": "monday",
                                 "homeDashboardUID": home["uid"]}, headers=ADMIN)
    assert put.status_code == 200 and put.get_json() == UPDATED
    assert client.get(path, headers=ADMIN).get_json() == {
        **EMPTY, "theme": "dark", "timezone": "Europe/Paris", "weekStart": "monday", "homeDashboardUID": home["uid"],
        "homeDashboardId": home["id"]}
    assert client.patch(path, json={"theme": "light"}, headers=ADMIN).get_json() == UPDATED
    patched = client.get(path, headers=ADMIN).get_json()
    assert (patched["theme"], patched["timezone"], patched["homeDashboardUID"]) == ("light", "Europe/Paris",
                                                                                    home["uid"])
    client.put(path, json={"timezone": "utc"}, headers=ADMIN)
    assert client.get(path, headers=ADMIN).get_json() == {**EMPTY, "timezone": "utc"}


@pytest.mark.parametrize("body, status, message", [
    ({"theme": "purple"}, 400, "Invalid theme"),
    ({"timezone": "Mars/Olympus"}, 400, "timezone"),
    ({"homeDashboardUID": "nosuch"}, 404, "Dashboard not found"),
    ({"homeDashboardId": 999}, 404, "Dashboard not found"),
    ({"homeDashboardId": "1"}, 400, "homeDashboardId"),
])
def test_bad_preferences_are_refused_and_change_nothing(client, body, status, message):
    client.put("/api/org/preferences", json={"theme": "dark"}, headers=ADMIN)
    response = client.put("/api/org/preferences", json=body, headers=ADMIN)
    assert response.status_code == status
    assert message in response.get_json()["message"]
    assert client.get("/api/org/preferences", headers=ADMIN).get_json()["theme"] == "dark"


def test_a_home_dashboard_given_by_id_is_kept_by_uid_too(client):
    home = dashboard(client, "By Id")
    client.put("/api/user/preferences", json={"homeDashboardId": home["id"]}, headers=ADMIN)
    assert client.get("/api/user/preferences", headers=ADMIN).get_json()["homeDashboardUID"] == home["uid"]


def test_org_preferences_need_an_org_admin(client, make_user):
    editor = make_user("editor", "Editor")
    assert client.get("/api/org/preferences", headers=editor).status_code == 403
    assert client.put("/api/org/preferences", json={"theme": "dark"}, headers=editor).status_code == 403
    assert client.put("/api/user/preferences", json={"theme": "dark"}, headers=editor).status_code == 200
    assert client.get("/api/user/preferences", headers=editor).get_json()["theme"] == "dark"
    assert client.get("/api/user/preferences", headers=ADMIN).get_json()["theme"] == ""


def test_user_preferences_need_a_user(client, make_key):
    key = make_key("Admin")
    response = client.get("/api/user/preferences", headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 400


def test_home_points_to_the_users_dashboard_else_the_orgs(client, make_user):
    viewer = make_user("viewer", "Viewer")
    org_home, my_home = dashboard(client, "Org Home"), dashboard(client, "My Home")
    assert "dashboard" in client.get("/api/dashboards/home", headers=viewer).get_json()
    client.put("/api/org/preferences", json={"homeDashboardUID": org_home["uid"]}, headers=ADMIN)
    assert client.get("/api/dashboards/home", headers=viewer).get_json() == {"redirectUri": org_home["url"]}
    client.put("/api/user/preferences", json={"homeDashboardUID": my_home["uid"]}, headers=viewer)
    assert client.get("/api/dashboards/home", headers=viewer).get_json() == {"redirectUri": my_home["url"]}
    assert client.get("/api/dashboards/home", headers=ADMIN).get_json() == {"redirectUri": org_home["url"]}
    client.delete(f"/api/dashboards/uid/{my_home['uid']}", headers=ADMIN)
    assert client.get("/api/dashboards/home", headers=viewer).get_json() == {"redirectUri": org_home["url"]}


@pytest.mark.data_dir_only
def test_preferences_are_plain_files_that_go_with_their_org(client, make_user, tmp_path):
    other = make_user("other", "Admin", org_id=2)
    client.put("/api/org/preferences", json={"theme": "light"}, headers=other)
    stored = tmp_path / "data/orgs/2/preferences.json"
    assert json.loads(stored.read_text())["theme"] == "light"
    assert client.get("/api/org/preferences", headers=ADMIN).get_json()["theme"] == ""
    assert client.delete("/api/orgs/2", headers=ADMIN).status_code == 200
    assert not stored.exists()
