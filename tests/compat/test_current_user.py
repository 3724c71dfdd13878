"""The signed-in user through both clients: their profile, their password, their orgs, which org is active."""
from __future__ import annotations

import pytest

from .conftest import CLIENT_ERRORS


@pytest.fixture
def bob(create_user, sign_in):
    """A Viewer of the main org, signed in with each client in turn."""
    create_user("bob", password="first-password")
    return sign_in(("bob", "first-password"))


def test_the_actual_user_is_the_one_signed_in(bob, grafana):
    bob_id = grafana.users.find_user("bob")["id"]
    assert bob.user.get_actual_user() == {"id": bob_id, "email": "bob@example.test", "name": "Bob", "login": "bob",
                                          "theme": "", "orgId": 1, "isGrafanaAdmin": False,
                                          "isDisabled": False}


def test_the_server_admin_is_the_actual_user_of_admin(api):
    actual = api.user.get_actual_user()
    assert (actual["id"], actual["login"], actual["email"], actual["isGrafanaAdmin"]) == (
        1, "admin", "admin@localhost", True)


def test_after_a_password_change_only_the_new_password_signs_in(bob, sign_in):
    assert bob.user.change_actual_user_password("first-password", "second-password") == {
        "message": "User password changed"}
    assert sign_in(("bob", "second-password")).user.get_actual_user()["login"] == "bob"
    with pytest.raises(CLIENT_ERRORS) as refused:
        sign_in(("bob", "first-password")).user.get_actual_user()
    assert refused.value.status_code == 401


def test_a_wrong_old_password_changes_nothing(bob, sign_in):
    with pytest.raises(CLIENT_ERRORS) as refused:
        bob.user.change_actual_user_password("not-my-password", "second-password")
    assert refused.value.status_code == 401 and refused.value.response == {"message": "Invalid old password"}
    assert sign_in(("bob", "first-password")).user.get_actual_user()["login"] == "bob"


def test_own_orgs_carry_own_roles(bob, api):
    org_id = api.organization.create_organization({"name": "Ops"})["orgId"]
    api.organizations.organization_user_add(org_id, {"loginOrEmail": "bob", "role": "Admin"})
    assert bob.user.get_actual_user_organisations() == [{"orgId": 1, "name": "Main Org.", "role": "Viewer"},
                                                        {"orgId": org_id, "name": "Ops", "role": "Admin"}]


def test_switching_org_makes_it_current_with_its_role(bob, api):
    org_id = api.organization.create_organization({"name": "Ops"})["orgId"]
    api.organizations.organization_user_add(org_id, {"loginOrEmail": "bob", "role": "Admin"})
    with pytest.raises(CLIENT_ERRORS) as viewer:
        bob.organization.get_current_organization_users()
    assert viewer.value.status_code == 403
    assert bob.user.switch_actual_user_organisation(org_id) == {"message": "Active organization changed"}
    assert bob.organization.get_current_organization()["name"] == "Ops"
    assert bob.user.get_actual_user()["orgId"] == org_id
    assert [member["login"] for member in bob.organization.get_current_organization_users()] == ["admin", "bob"]


def test_switching_to_an_org_one_is_not_in_is_refused(bob, api):
    org_id = api.organization.create_organization({"name": "Ops"})["orgId"]
    with pytest.raises(CLIENT_ERRORS) as refused:
        bob.user.switch_actual_user_organisation(org_id)
    assert refused.value.status_code == 401 and refused.value.response == {"message": "Not a valid organization"}
    assert bob.organization.get_current_organization()["id"] == 1
