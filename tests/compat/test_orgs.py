"""Orgs and their users through both clients: create, find, rename, list, switch, delete; add, list, change
and remove members of the current org and of an org by id."""
from __future__ import annotations

import pytest

from .conftest import CLIENT_ERRORS, raw

MAIN_ORG = {"id": 1, "name": "Main Org."}
NO_ADDRESS = {"address1": "", "address2": "", "city": "", "zipCode": "", "state": "", "country": ""}


def members(listing: list[dict]) -> list[tuple[str, str]]:
    return [(member["login"], member["role"]) for member in listing]


def test_a_created_org_is_found_by_its_name(api):
    created = api.organization.create_organization({"name": "Ops Team"})
    assert created["message"] == "Organization created" and isinstance(created["orgId"], int)
    assert api.organization.find_organization("Ops Team") == {"id": created["orgId"], "name": "Ops Team",
                                                               "address": NO_ADDRESS}


def test_an_unknown_org_name_is_not_found(api):
    with pytest.raises(CLIENT_ERRORS) as refused:
        api.organization.find_organization("Nobody's Org")
    assert refused.value.status_code == 404 and refused.value.response == {"message": "Organization not found"}


def test_the_current_org_is_the_main_org_and_can_be_renamed(api):
    assert api.organization.get_current_organization() == {**MAIN_ORG, "address": NO_ADDRESS}
    assert api.organization.update_current_organization({"name": "Head Office"}) == {
        "message": "Organization updated"}
    assert api.organization.get_current_organization()["name"] == "Head Office"


def test_an_org_is_renamed_by_id(api):
    org_id = api.organization.create_organization({"name": "Ops"})["orgId"]
    assert api.organizations.update_organization(org_id, {"name": "Operations"}) == {
        "message": "Organization updated"}
    assert api.organization.find_organization("Operations")["id"] == org_id
    assert raw(api).GET(f"/orgs/{org_id}") == {"id": org_id, "name": "Operations", "address": NO_ADDRESS}
    assert api.organization.get_current_organization()["name"] == "Main Org."


def test_orgs_are_listed_by_id(api):
    ops = api.organization.create_organization({"name": "Ops"})["orgId"]
    dev = api.organization.create_organization({"name": "Dev"})["orgId"]
    assert api.organizations.list_organization() == [MAIN_ORG, {"id": ops, "name": "Ops"},
                                                     {"id": dev, "name": "Dev"}]


def test_switching_org_changes_the_current_org(api):
    org_id = api.organization.create_organization({"name": "Ops"})["orgId"]
    assert api.organizations.switch_organization(org_id) == {"message": "Active organization changed"}
    assert api.organization.get_current_organization()["id"] == org_id
    assert api.user.get_actual_user()["orgId"] == org_id
    api.organizations.switch_organization(1)
    assert api.organization.get_current_organization() == {**MAIN_ORG, "address": NO_ADDRESS}


def test_grafana_client_given_an_organization_id_works_in_that_org(grafana, connect):
    org_id = grafana.organization.create_organization({"name": "Ops"})["orgId"]
    in_ops = connect(organization_id=org_id)
    assert in_ops.organization.get_current_organization()["name"] == "Ops"
    in_ops.organization.update_current_organization({"name": "Operations"})
    assert grafana.organizations.list_organization() == [MAIN_ORG, {"id": org_id, "name": "Operations"}]
    assert grafana.organization.get_current_organization()["id"] == 1


def test_grafana_client_given_an_org_it_is_not_in_is_refused(grafana, connect, create_user):
    create_user("bob")
    org_id = grafana.organization.create_organization({"name": "Ops"})["orgId"]
    outsider = connect(("bob", "secret"), organization_id=org_id)
    with pytest.raises(CLIENT_ERRORS) as refused:
        outsider.organization.get_current_organization()
    assert refused.value.status_code == 403
    assert refused.value.response == {"message": "You are not a member of the organization X-Grafana-Org-Id names"}
    assert connect(("bob", "secret")).organization.get_current_organization()["id"] == 1


def test_a_deleted_org_is_gone(api):
    org_id = api.organization.create_organization({"name": "Short-lived"})["orgId"]
    assert api.organizations.delete_organization(org_id) == {"message": "Organization deleted"}
    assert api.organizations.list_organization() == [MAIN_ORG]
    with pytest.raises(CLIENT_ERRORS) as refused:
        api.organization.find_organization("Short-lived")
    assert refused.value.status_code == 404


def test_an_org_id_in_the_body_renames_only_the_org_addressed(api):
    other = api.organization.create_organization({"name": "Other"})["orgId"]
    api.organization.update_current_organization({"name": "Renamed", "id": other, "orgId": other})
    assert api.organizations.list_organization() == [{"id": 1, "name": "Renamed"}, {"id": other, "name": "Other"}]


def test_current_org_members_are_removed_added_and_changed(api, create_user):
    bob = create_user("bob")
    assert members(api.organization.get_current_organization_users()) == [("admin", "Admin"), ("bob", "Viewer")]
    assert api.organization.delete_user_current_organization(bob) == {"message": "User removed from organization"}
    assert members(api.organization.get_current_organization_users()) == [("admin", "Admin")]
    added = api.organization.add_user_current_organization({"loginOrEmail": "bob@example.test", "role": "Editor"})
    assert added == {"message": "User added to organization", "userId": bob}
    assert api.organization.update_user_current_organization(bob, {"role": "Admin"}) == {
        "message": "Organization user updated"}
    listing = api.organization.get_current_organization_users()
    assert members(listing) == [("admin", "Admin"), ("bob", "Admin")]
    assert {(member["orgId"], member["userId"], member["email"]) for member in listing} == {
        (1, 1, "admin@localhost"), (1, bob, "bob@example.test")}


def test_an_org_id_in_the_body_never_adds_to_another_org(api, create_user):
    other = api.organization.create_organization({"name": "Other"})["orgId"]
    bob = create_user("bob")
    api.organization.delete_user_current_organization(bob)
    api.organization.add_user_current_organization({"loginOrEmail": "bob", "role": "Editor", "orgId": other})
    assert members(api.organization.get_current_organization_users()) == [("admin", "Admin"), ("bob", "Editor")]
    assert members(api.organizations.organization_user_list(other)) == [("admin", "Admin")]
    api.organizations.organization_user_add(other, {"loginOrEmail": "bob", "role": "Viewer", "orgId": 1})
    assert members(api.organization.get_current_organization_users()) == [("admin", "Admin"), ("bob", "Editor")]


def test_members_of_an_org_by_id_are_added_changed_and_removed(api, create_user):
    org_id = api.organization.create_organization({"name": "Ops"})["orgId"]
    bob = create_user("bob")
    assert api.organizations.organization_user_add(org_id, {"loginOrEmail": "bob", "role": "Viewer"}) == {
        "message": "User added to organization", "userId": bob}
    listing = api.organizations.organization_user_list(org_id)
    assert members(listing) == [("admin", "Admin"), ("bob", "Viewer")]
    assert {member["orgId"] for member in listing} == {org_id}
    assert api.organizations.organization_user_update(org_id, bob, "Editor") == {
        "message": "Organization user updated"}
    assert members(api.organizations.organization_user_list(org_id)) == [("admin", "Admin"), ("bob", "Editor")]
    assert api.organizations.organization_user_delete(org_id, bob) == {"message": "User removed from organization"}
    assert members(api.organizations.organization_user_list(org_id)) == [("admin", "Admin")]
    assert members(api.organization.get_current_organization_users()) == [("admin", "Admin"), ("bob", "Viewer")]


def test_adding_an_unknown_user_or_a_made_up_role_is_refused(api, create_user):
    create_user("bob")
    api.organization.delete_user_current_organization(api.users.find_user("bob")["id"])
    with pytest.raises(CLIENT_ERRORS) as unknown:
        api.organization.add_user_current_organization({"loginOrEmail": "nobody", "role": "Viewer"})
    assert unknown.value.status_code == 404 and unknown.value.response == {"message": "User not found"}
    with pytest.raises(CLIENT_ERRORS) as bad_role:
        api.organization.add_user_current_organization({"loginOrEmail": "bob", "role": "Owner"})
    assert bad_role.value.status_code == 400 and "Invalid role specified" in bad_role.value.response["message"]


def test_the_last_admin_of_an_org_stays(api):
    with pytest.raises(CLIENT_ERRORS) as refused:
        api.organization.update_user_current_organization(1, {"role": "Viewer"})
    assert refused.value.status_code == 400
    assert members(api.organization.get_current_organization_users()) == [("admin", "Admin")]
