"""Users as the server admin sees them, through both clients: create, read, look up, change, their orgs, and
searches whose paging ends."""
from __future__ import annotations

import pytest
from dashsnap.security import hash_password

from .conftest import CLIENT_ERRORS, raw

MANY = 25
PER_PAGE = 10


def logins(users: list[dict]) -> list[str]:
    return [user["login"] for user in users]


@pytest.fixture
def many_users(served_app) -> list[str]:
    """MANY Viewers of the main org besides the admin; their logins sorted, the admin's included. Made in the
    store with one password hash: through the API each would cost a deliberately slow hashing."""
    users, password_hash = served_app.extensions["dashsnap"].store.users, hash_password("secret")
    for number in range(MANY):
        users.create(login=f"user{number:02d}", email=f"user{number:02d}@example.test", name=f"User {number}",
                     password_hash=password_hash, is_server_admin=False, org_roles={1: "Viewer"})
    return sorted(["admin"] + [f"user{number:02d}" for number in range(MANY)])


def counting_gets(api, limit: int) -> list[str]:
    """Record every GET the client sends; fail the test instead of looping on past `limit` requests."""
    transport = raw(api)
    get, sent = transport.GET, []

    def counted(url, *args, **kwargs):
        sent.append(url)
        assert len(sent) <= limit, f"still paging after {limit} requests: {sent}"
        return get(url, *args, **kwargs)

    transport.GET = counted
    return sent


def test_a_created_user_is_read_by_id(api):
    created = api.admin.create_user({"name": "Bob Smith", "email": "bob@example.test", "login": "bob",
                                     "password": "secret"})
    assert created == {"id": created["id"], "message": "User created"} and isinstance(created["id"], int)
    assert api.users.get_user(created["id"]) == {
        "id": created["id"], "email": "bob@example.test", "name": "Bob Smith", "login": "bob", "theme": "",
        "orgId": 1, "isGrafanaAdmin": False, "isDisabled": False}


def test_a_user_is_looked_up_by_login_or_email(api, create_user):
    bob = create_user("bob")
    assert api.users.find_user("bob")["id"] == bob
    assert api.users.find_user("bob@example.test")["id"] == bob
    with pytest.raises(CLIENT_ERRORS) as refused:
        api.users.find_user("nobody")
    assert refused.value.status_code == 404 and refused.value.response == {"message": "User not found"}


def test_an_unknown_user_id_is_not_found(api):
    with pytest.raises(CLIENT_ERRORS) as refused:
        api.users.get_user(999)
    assert refused.value.status_code == 404 and refused.value.response == {"message": "User not found"}


def test_a_user_is_updated(api, create_user):
    bob = create_user("bob")
    assert api.users.update_user(bob, {"name": "Robert", "email": "robert@example.test", "login": "robert",
                                       "theme": "dark"}) == {"message": "User updated"}
    assert api.users.get_user(bob) == {"id": bob, "email": "robert@example.test", "name": "Robert",
                                       "login": "robert", "theme": "dark", "orgId": 1, "isGrafanaAdmin": False,
                                       "isDisabled": False}
    assert api.users.find_user("robert")["id"] == bob


def test_a_users_orgs_carry_their_role(api, create_user):
    bob = create_user("bob")
    org_id = api.organization.create_organization({"name": "Ops"})["orgId"]
    api.organizations.organization_user_add(org_id, {"loginOrEmail": "bob", "role": "Editor"})
    assert api.users.get_user_organisations(bob) == [{"orgId": 1, "name": "Main Org.", "role": "Viewer"},
                                                      {"orgId": org_id, "name": "Ops", "role": "Editor"}]


def test_paging_through_every_user_returns_each_once_and_ends(api, many_users):
    sent = counting_gets(api, limit=10)
    assert logins(api.users.search_users(perpage=PER_PAGE)) == many_users
    assert len(sent) == len(many_users) // PER_PAGE + 2  # the full pages, the last partial one, then empty


def test_paging_through_a_search_returns_its_matches_once(api, many_users):
    counting_gets(api, limit=10)
    assert logins(api.users.search_users(query="user1", perpage=3)) == [f"user1{digit}" for digit in range(10)]


def test_one_page_of_users_is_that_page(api, many_users):
    assert logins(api.users.search_users(page=2, perpage=PER_PAGE)) == many_users[PER_PAGE:2 * PER_PAGE]


def test_a_page_past_the_last_is_empty(grafana, many_users):
    assert grafana.client.GET("/users", params={"page": 4, "perpage": PER_PAGE}) == []
    assert len(grafana.client.GET("/users", params={"page": 3, "perpage": PER_PAGE})) == len(many_users) - 20


def test_user_search_reports_the_total_and_the_page(grafana, many_users):
    answer = grafana.client.GET("/users/search", params={"perpage": PER_PAGE, "page": 3})
    assert (answer["totalCount"], answer["page"], answer["perPage"]) == (len(many_users), 3, PER_PAGE)
    assert logins(answer["users"]) == many_users[2 * PER_PAGE:]
    assert grafana.client.GET("/users/search", params={"query": "user0"})["totalCount"] == 10


def test_the_admin_switches_a_users_active_org(api, create_user, sign_in):
    bob = create_user("bob")
    org_id = api.organization.create_organization({"name": "Ops"})["orgId"]
    api.organizations.organization_user_add(org_id, {"loginOrEmail": "bob", "role": "Editor"})
    assert api.user.switch_user_organisation(bob, org_id) == {"message": "Active organization changed"}
    assert sign_in(("bob", "secret")).organization.get_current_organization()["name"] == "Ops"
    assert api.users.get_user(bob)["orgId"] == org_id
    assert api.organization.get_current_organization()["id"] == 1


def test_the_admin_cannot_switch_a_user_into_an_org_they_are_not_in(api, create_user):
    bob = create_user("bob")
    org_id = api.organization.create_organization({"name": "Ops"})["orgId"]
    with pytest.raises(CLIENT_ERRORS) as refused:
        api.user.switch_user_organisation(bob, org_id)
    assert refused.value.status_code == 401 and refused.value.response == {"message": "Not a valid organization"}
    assert api.users.get_user(bob)["orgId"] == 1


def test_fields_a_tool_fills_with_none_count_as_left_out(api):
    created = api.admin.create_user({"login": "bob", "password": "secret", "email": None, "name": None})
    assert api.users.update_user(created["id"], {"name": "Bob", "login": "bob", "email": "bob@example.test",
                                                 "theme": None}) == {"message": "User updated"}
    assert api.users.get_user(created["id"]) == {"id": created["id"], "email": "bob@example.test", "name": "Bob",
                                                 "login": "bob", "theme": "", "orgId": 1, "isGrafanaAdmin": False,
                                                 "isDisabled": False}
    with pytest.raises(CLIENT_ERRORS) as refused:
        api.organization.update_user_current_organization(created["id"], {"role": None})
    assert refused.value.status_code == 400 and refused.value.response == {
        "message": "role: Missing data for required field."}
