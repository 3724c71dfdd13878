"""Folders, dashboard versions and preferences through grafana-client, as dashboards-as-code tools drive them:
a folder tree, dashboards saved into it, versions listed, diffed and restored, preferences set and read back."""
from __future__ import annotations

import pytest
from grafana_client.client import GrafanaClientError
from grafana_client.model import PersonalPreferences

from .conftest import generated


def test_a_dashboard_saved_into_a_folder_says_so_everywhere(grafana):
    folder = grafana.folder.create_folder("Platform", uid="platform")
    assert (folder["uid"], folder["title"], folder["version"]) == ("platform", "Platform", 1)
    saved = grafana.dashboard.update_dashboard({"dashboard": generated(), "folderUid": "platform"})
    assert saved["folderUid"] == "platform"

    meta = grafana.dashboard.get_dashboard(saved["uid"])["meta"]
    assert (meta["folderUid"], meta["folderId"], meta["folderTitle"]) == ("platform", folder["id"], "Platform")
    assert meta["folderUrl"] == folder["url"]
    [hit] = grafana.search.search_dashboards(type_="dash-db", folder_uids=["platform"])
    assert (hit["uid"], hit["folderUid"], hit["folderTitle"], hit["folderUrl"]) == (
        saved["uid"], "platform", "Platform", folder["url"])
    assert grafana.folder.get_folder("platform") == grafana.folder.get_folder_by_id(folder["id"])
    assert [f["uid"] for f in grafana.folder.get_all_folders()] == ["platform"]


def test_a_save_into_an_unknown_folder_is_refused_not_moved_to_general(grafana):
    with pytest.raises(GrafanaClientError) as raised:
        grafana.dashboard.update_dashboard({"dashboard": generated(), "folderUid": "nosuch"})
    assert raised.value.status_code == 400 and raised.value.response == {"message": "Folder not found"}
    assert grafana.search.search_dashboards(type_="dash-db") == []


def test_folders_nest_move_update_and_delete_with_what_they_hold(grafana):
    grafana.folder.create_folder("Teams", uid="teams")
    grafana.folder.create_folder("Payments", uid="payments")
    grafana.folder.create_folder("Ledger", uid="ledger", parent_uid="payments")
    grafana.dashboard.update_dashboard({"dashboard": generated("Ledger Health"), "folderUid": "ledger"})

    moved = grafana.folder.move_folder("payments", "teams")
    assert moved["parentUid"] == "teams"
    ledger = grafana.folder.get_folder("ledger")
    assert [parent["uid"] for parent in ledger["parents"]] == ["teams", "payments"]
    assert [f["uid"] for f in grafana.folder.get_all_folders(parent_uid="teams")] == ["payments"]
    updated = grafana.folder.update_folder("ledger", title="General Ledger", version=ledger["version"])
    assert (updated["title"], updated["version"]) == ("General Ledger", 2)
    with pytest.raises(GrafanaClientError) as raised:
        grafana.folder.update_folder("ledger", title="Stale", version=1)
    assert raised.value.status_code == 412

    gone = grafana.folder.delete_folder("payments")
    assert (gone["deletedFolders"], gone["deletedDashboards"]) == (2, 1)
    assert [f["uid"] for f in grafana.folder.get_all_folders()] == ["teams"]
    assert grafana.search.search_dashboards(type_="dash-db") == []


def test_versions_are_listed_diffed_and_restored(grafana):
    first = grafana.dashboard.update_dashboard({"dashboard": generated(), "message": "initial"})
    model = grafana.dashboard.get_dashboard(first["uid"])["dashboard"]
    grafana.dashboard.update_dashboard({"dashboard": {**model, "title": "Renamed"}, "message": "rename"})

    versions = grafana.dashboard_versions.get_dashboard_versions_by_uid(first["uid"])
    assert [(v["version"], v["parentVersion"], v["message"], v["createdBy"]) for v in versions] == [
        (2, 1, "rename", "admin"), (1, 0, "initial", "admin")]
    old = grafana.dashboard_versions.get_dashboard_version_by_uid(first["uid"], 1)
    assert old["data"]["title"] == model["title"]
    diff = grafana.dashboard_versions.calculate_diff(first["id"], 1, first["id"], 2)
    assert "diff-json-added" in diff and "Renamed" in diff

    restored = grafana.dashboard_versions.restore_dashboard_by_uid(first["uid"], 1)
    assert restored["version"] == 3
    assert grafana.dashboard.get_dashboard(first["uid"])["dashboard"]["title"] == model["title"]
    newest = grafana.dashboard_versions.get_dashboard_versions_by_id(first["id"])[0]
    assert (newest["version"], newest["restoredFrom"], newest["message"]) == (3, 1, "Restored from version 1")


def test_preferences_are_set_and_the_home_dashboard_follows_them(grafana):
    saved = grafana.dashboard.update_dashboard({"dashboard": generated("Start Here")})
    grafana.organization.update_preferences(PersonalPreferences(theme="dark", homeDashboardUID=saved["uid"]))
    grafana.user.update_preferences(PersonalPreferences(timezone="Europe/Berlin", weekStart="monday"))

    org = grafana.organization.get_preferences()
    assert (org["theme"], org["homeDashboardUID"]) == ("dark", saved["uid"])
    mine = grafana.user.get_preferences()
    assert (mine["timezone"], mine["weekStart"]) == ("Europe/Berlin", "monday")
    assert grafana.dashboard.get_home_dashboard()["redirectUri"].endswith(f"/d/{saved['uid']}/start-here")
    grafana.user.patch_preferences(PersonalPreferences(theme="light"))
    assert grafana.user.get_preferences()["timezone"] == "Europe/Berlin"
