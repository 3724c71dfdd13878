"""Server administration through both clients: settings, another user's password, the server-admin flag,
deleting users, and the 403 every other user gets."""
from __future__ import annotations

import pytest

from .conftest import CLIENT_ERRORS


def test_settings_are_shown_by_section_with_secrets_masked(api, server):
    settings = api.admin.settings()
    assert settings["server"]["root_url"] == server + "/"
    assert settings["security"]["admin_user"] == "admin"
    assert settings["security"]["admin_password"] == "************"
    assert settings["users"]["allow_org_create"] == "false"


def test_a_new_password_set_by_the_admin_signs_in(api, create_user, sign_in):
    bob = create_user("bob", password="first-password")
    assert api.admin.change_user_password(bob, "set-by-admin") == {"message": "User password updated"}
    assert sign_in(("bob", "set-by-admin")).user.get_actual_user()["id"] == bob
    with pytest.raises(CLIENT_ERRORS) as refused:
        sign_in(("bob", "first-password")).user.get_actual_user()
    assert refused.value.status_code == 401


def test_a_user_made_server_admin_may_administer_until_demoted(api, create_user, sign_in):
    bob_id = create_user("bob")
    bob = sign_in(("bob", "secret"))
    assert api.admin.change_user_permissions(bob_id, True) == {"message": "User permissions updated"}
    assert api.users.get_user(bob_id)["isGrafanaAdmin"] is True
    assert bob.organizations.list_organization() == [{"id": 1, "name": "Main Org."}]
    api.admin.change_user_permissions(bob_id, False)
    assert api.users.get_user(bob_id)["isGrafanaAdmin"] is False
    with pytest.raises(CLIENT_ERRORS) as refused:
        bob.organizations.list_organization()
    assert refused.value.status_code == 403


def test_the_last_server_admin_keeps_the_flag(api):
    with pytest.raises(CLIENT_ERRORS) as refused:
        api.admin.change_user_permissions(1, False)
    assert refused.value.status_code == 400
    assert api.user.get_actual_user()["isGrafanaAdmin"] is True


def test_a_deleted_user_is_gone_and_signs_in_no_more(api, create_user, sign_in):
    bob = create_user("bob")
    assert api.admin.delete_user(bob) == {"message": "User deleted"}
    with pytest.raises(CLIENT_ERRORS) as missing:
        api.users.get_user(bob)
    assert missing.value.status_code == 404
    assert [user["login"] for user in api.users.search_users()] == ["admin"]
    with pytest.raises(CLIENT_ERRORS) as refused:
        sign_in(("bob", "secret")).user.get_actual_user()
    assert refused.value.status_code == 401


@pytest.mark.parametrize("call", [
    lambda client: client.admin.settings(),
    lambda client: client.admin.create_user({"login": "mallory", "password": "secret"}),
    lambda client: client.admin.change_user_password(1, "taken-over"),
    lambda client: client.admin.change_user_permissions(2, True),
    lambda client: client.admin.delete_user(1),
    lambda client: client.users.search_users(),
    lambda client: client.users.get_user(1),
    lambda client: client.organizations.list_organization(),
    lambda client: client.organization.find_organization("Main Org."),
], ids=["settings", "create user", "password", "permissions", "delete user", "search users", "get user",
        "list orgs", "find org"])
def test_a_user_who_is_no_server_admin_is_refused_with_403(create_user, sign_in, api, call):
    create_user("bob")
    with pytest.raises(CLIENT_ERRORS) as refused:
        call(sign_in(("bob", "secret")))
    assert refused.value.status_code == 403 and refused.value.response == {"message": "Permission denied"}
    assert api.user.get_actual_user()["isGrafanaAdmin"] is True
    assert [user["login"] for user in api.users.search_users()] == ["admin", "bob"]
