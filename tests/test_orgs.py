"""Orgs as the server admin sees them (/api/orgs*), creating orgs, and deleting one with all it holds."""
import pytest
from conftest import ADMIN, basic, bearer


def new_org(client, name, headers=ADMIN) -> int:
    response = client.post("/api/orgs", json={"name": name}, headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()["orgId"]


def test_server_admin_creates_an_org_and_becomes_its_admin(client):
    response = client.post("/api/orgs", json={"name": "Lab"}, headers=ADMIN)
    assert response.get_json() == {"orgId": 2, "message": "Organization created"}
    assert {"orgId": 2, "name": "Lab", "role": "Admin"} in client.get("/api/user/orgs", headers=ADMIN).get_json()
    assert client.get("/api/user", headers=ADMIN).get_json()["orgId"] == 1  # the active org stays


@pytest.mark.parametrize("allowed, status", [(False, 403), (True, 200)])
def test_org_creation_is_for_server_admins_unless_allowed(make_app, allowed, status):
    from dashsnap.security import hash_password

    app = make_app(DASHSNAP_ALLOW_ORG_CREATE=allowed)
    app.extensions["dashsnap"].store.users.create(login="plain", email="plain@x.test", name="",
                                                  password_hash=hash_password("secret"), is_server_admin=False,
                                                  org_roles={1: "Viewer"})
    response = app.test_client().post("/api/orgs", json={"name": "Theirs"}, headers=basic("plain", "secret"))
    assert response.status_code == status


def test_api_keys_and_anonymous_callers_cannot_create_orgs(client, make_key):
    assert client.post("/api/orgs", json={"name": "x"}, headers=bearer(make_key("Admin"))).status_code == 403
    assert client.post("/api/orgs", json={"name": "x"}).status_code == 401


def test_an_org_name_is_taken_case_insensitively(client):
    new_org(client, "Lab")
    for response in (client.post("/api/orgs", json={"name": "lab"}, headers=ADMIN),
                     client.put("/api/orgs/1", json={"name": "LAB"}, headers=ADMIN)):
        assert response.status_code == 400
        assert response.get_json() == {"message": "Organization name taken"}


def test_list_and_look_up_orgs(client):
    new_org(client, "Lab")
    new_org(client, "Labrador")
    new_org(client, "Office")
    assert client.get("/api/orgs", headers=ADMIN).get_json() == [
        {"id": 1, "name": "Main Org."}, {"id": 2, "name": "Lab"}, {"id": 3, "name": "Labrador"},
        {"id": 4, "name": "Office"}]
    assert [org["name"] for org in client.get("/api/orgs?query=lab", headers=ADMIN).get_json()] == ["Lab",
                                                                                                      "Labrador"]
    assert client.get("/api/orgs?name=Lab", headers=ADMIN).get_json() == [{"id": 2, "name": "Lab"}]
    assert client.get("/api/orgs/2", headers=ADMIN).get_json()["name"] == "Lab"
    assert client.get("/api/orgs/name/Office", headers=ADMIN).get_json()["id"] == 4
    for path in ("/api/orgs/99", "/api/orgs/name/Nowhere"):
        assert client.get(path, headers=ADMIN).get_json() == {"message": "Organization not found"}


def test_orgs_page_until_an_empty_page(client):
    for name in ("B", "C", "D", "E"):
        new_org(client, name)
    pages = [[org["name"] for org in client.get(f"/api/orgs?perpage=2&page={page}", headers=ADMIN).get_json()]
             for page in (1, 2, 3, 4)]
    assert pages == [["Main Org.", "B"], ["C", "D"], ["E"], []]
    assert len(client.get("/api/orgs?perpage=0&page=x", headers=ADMIN).get_json()) == 5


def test_rename_an_org(client):
    org_id = new_org(client, "Lab")
    assert client.put(f"/api/orgs/{org_id}", json={"name": "Workshop"}, headers=ADMIN).get_json() == {
        "message": "Organization updated"}
    assert client.get(f"/api/orgs/{org_id}", headers=ADMIN).get_json()["name"] == "Workshop"


@pytest.mark.parametrize("method, path", [("GET", "/api/orgs"), ("GET", "/api/orgs/1"), ("PUT", "/api/orgs/1"),
                                          ("DELETE", "/api/orgs/2"), ("GET", "/api/orgs/1/users"),
                                          ("GET", "/api/orgs/name/Main%20Org.")])
def test_org_admin_routes_are_for_server_admins(client, make_user, make_key, method, path):
    for headers in (make_user("orgadmin", "Admin"), bearer(make_key("Admin"))):
        assert client.open(path, method=method, json={"name": "x"}, headers=headers).status_code == 403


def test_users_of_any_org(client, make_user):
    org_id = new_org(client, "Lab")
    make_user("bob", "Viewer")
    response = client.post(f"/api/orgs/{org_id}/users", json={"loginOrEmail": "bob", "role": "Editor"},
                           headers=ADMIN)
    assert response.status_code == 200
    listed = client.get(f"/api/orgs/{org_id}/users", headers=ADMIN).get_json()
    assert {(member["login"], member["role"], member["orgId"]) for member in listed} == {
        ("admin", "Admin", org_id), ("bob", "Editor", org_id)}
    bob_id = next(member["userId"] for member in listed if member["login"] == "bob")
    assert client.patch(f"/api/orgs/{org_id}/users/{bob_id}", json={"role": "Viewer"},
                        headers=ADMIN).status_code == 200
    assert client.patch(f"/api/orgs/{org_id}/users/1", json={"role": "Viewer"}, headers=ADMIN).status_code == 400
    assert client.delete(f"/api/orgs/{org_id}/users/{bob_id}", headers=ADMIN).status_code == 200
    assert client.get("/api/orgs/99/users", headers=ADMIN).status_code == 404


def test_deleting_an_org_removes_everything_in_it(app, client, make_user, tmp_path):
    org_id = new_org(client, "Doomed")
    client.post("/api/user/using/%d" % org_id, headers=ADMIN)
    dashboard = client.post("/api/dashboards/db", json={"dashboard": {"id": None, "title": "Gone", "tags": ["t"]}},
                            headers=ADMIN).get_json()
    client.post(f"/api/user/stars/dashboard/{dashboard['id']}", headers=ADMIN)
    snapshot = client.post("/api/snapshots", json={"dashboard": {}}, headers=ADMIN).get_json()
    key = client.post("/api/auth/keys", json={"name": "k", "role": "Admin"}, headers=ADMIN).get_json()["key"]
    make_user("member", "Editor", org_id=org_id)
    client.post("/api/user/using/1", headers=ADMIN)

    assert client.delete(f"/api/orgs/{org_id}", headers=ADMIN).get_json() == {"message": "Organization deleted"}
    assert client.get(f"/api/orgs/{org_id}", headers=ADMIN).status_code == 404
    assert client.get(f"/api/snapshots/{snapshot['key']}").status_code == 404
    assert client.get("/api/dashboard/snapshots", headers=bearer(key)).status_code == 401  # the key is gone
    assert not (tmp_path / "data" / "orgs" / str(org_id) / "org.json").exists()
    assert list((tmp_path / "data" / "orgs" / str(org_id)).rglob("*.json")) == []
    assert list((tmp_path / "data" / "stars").rglob("*.json")) == []
    assert all(org["orgId"] != org_id for org in client.get("/api/user/orgs", headers=ADMIN).get_json())
    member = client.get("/api/user", headers=basic("member", "secret")).get_json()
    assert member["orgId"] == 0
    store = app.extensions["dashsnap"].store
    assert store.dashboards.search(org_id) == [] and store.dashboards.tags(org_id) == []


def test_the_org_in_use_cannot_be_deleted(client):
    response = client.delete("/api/orgs/1", headers=ADMIN)
    assert response.status_code == 400
    assert client.get("/api/org", headers=ADMIN).status_code == 200
