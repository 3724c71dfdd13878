"""Teams through grafana-client: made, found, renamed and deleted; members added and removed; and a team named in a
folder's permissions giving its members what the folder grants."""
from __future__ import annotations

import pytest
from grafana_client.client import GrafanaClientError

from .conftest import generated


def test_a_team_is_made_found_renamed_and_deleted(grafana):
    made = grafana.teams.add_team({"name": "Platform", "email": "platform@example.test"})
    assert made["message"] == "Team created" and isinstance(made["teamId"], int)
    grafana.teams.add_team("Payments")

    assert [team["name"] for team in grafana.teams.search_teams()] == ["Payments", "Platform"]
    assert [team["name"] for team in grafana.teams.search_teams(query="plat")] == ["Platform"]
    [found] = grafana.teams.get_team_by_name("Platform")
    # Its maker, a user, is its first member (Grafana 10 and later make them its admin).
    assert (found["id"], found["email"], found["memberCount"]) == (made["teamId"], "platform@example.test", 1)
    assert grafana.teams.get_team(made["teamId"])["name"] == "Platform"

    assert grafana.teams.update_team(made["teamId"], {"name": "Platform Eng"}) == {"message": "Team updated"}
    assert grafana.teams.get_team(made["teamId"])["name"] == "Platform Eng"
    with pytest.raises(GrafanaClientError) as raised:
        grafana.teams.add_team("Payments")
    assert raised.value.status_code == 409

    assert grafana.teams.delete_team(made["teamId"]) == {"message": "Team deleted"}
    with pytest.raises(GrafanaClientError) as raised:
        grafana.teams.get_team(made["teamId"])
    assert raised.value.status_code == 404
    assert [team["name"] for team in grafana.teams.search_teams()] == ["Payments"]


def test_members_are_added_listed_and_removed(grafana, connect, create_user):
    bob, carol = create_user("bob"), create_user("carol")
    team = grafana.teams.add_team("Platform")["teamId"]
    for user in (bob, carol):
        assert grafana.teams.add_team_member(team, user) == {"message": "Member added to Team"}
    assert [(member["userId"], member["login"], member["teamId"]) for member in
            grafana.teams.get_team_members(team)] == [(1, "admin", team), (bob, "bob", team), (carol, "carol", team)]
    assert grafana.teams.get_team(team)["memberCount"] == 3
    assert [t["name"] for t in connect(("bob", "secret")).user.get_actual_user_teams()] == ["Platform"]
    assert [t["id"] for t in grafana.users.get_user_teams(carol)] == [team]

    assert grafana.teams.remove_team_member(team, bob) == {"message": "Team Member removed"}
    assert [member["login"] for member in grafana.teams.get_team_members(team)] == ["admin", "carol"]
    assert connect(("bob", "secret")).user.get_actual_user_teams() == []


def test_a_team_in_a_folders_permissions_lets_its_members_edit_there(grafana, connect, create_user):
    bob = create_user("bob")  # a Viewer of the org
    team = grafana.teams.add_team("Platform")["teamId"]
    grafana.folder.create_folder("Platform", uid="platform")
    grafana.folder.update_folder_permissions("platform", [{"teamId": team, "permission": 2}])
    assert [(item["teamId"], item["team"], item["permission"]) for item in
            grafana.folder.get_folder_permissions("platform")] == [(team, "Platform", 2)]
    as_bob = connect(("bob", "secret"))

    with pytest.raises(GrafanaClientError) as raised:
        as_bob.dashboard.update_dashboard({"dashboard": generated("Bob's"), "folderUid": "platform"})
    assert raised.value.status_code == 403
    grafana.teams.add_team_member(team, bob)
    saved = as_bob.dashboard.update_dashboard({"dashboard": generated("Bob's"), "folderUid": "platform"})
    assert saved["folderUid"] == "platform"

    grafana.teams.remove_team_member(team, bob)
    assert as_bob.search.search_dashboards(type_="dash-db") == []
