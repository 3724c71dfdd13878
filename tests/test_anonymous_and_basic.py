"""[auth.anonymous] and [auth.basic] enabled, as Grafana has them."""
from conftest import ADMIN, bearer


def test_anonymous_access_is_off_by_default(client):
    assert client.get("/api/search").status_code == 401


def test_anonymous_callers_act_in_the_named_org_with_the_set_role(make_app):
    client = make_app(DASHSNAP_ANONYMOUS_ENABLED=True).test_client()
    client.post("/api/dashboards/db", json={"dashboard": {"id": None, "title": "Public"}}, headers=ADMIN)
    assert [hit["title"] for hit in client.get("/api/search").get_json()] == ["Public"]
    assert client.get("/api/login/ping").status_code == 200
    saved = client.post("/api/dashboards/db", json={"dashboard": {"id": None, "title": "Nope"}})
    assert saved.status_code == 403  # a Viewer
    assert client.post("/api/user/stars/dashboard/1").get_json() == {
        "message": "You need to sign in to star dashboards"}
    assert client.get("/api/user").status_code == 400  # no user behind anonymous access


def test_an_anonymous_editor_may_save(make_app):
    client = make_app(DASHSNAP_ANONYMOUS_ENABLED=True, DASHSNAP_ANONYMOUS_ORG_ROLE="Editor").test_client()
    response = client.post("/api/dashboards/db", json={"dashboard": {"id": None, "title": "By Anyone"}})
    assert response.status_code == 200
    assert client.get(f"/api/dashboards/uid/{response.get_json()['uid']}").get_json()["meta"]["createdBy"] == \
        "Anonymous"


def test_anonymous_access_to_an_org_that_does_not_exist_is_no_access(make_app):
    client = make_app(DASHSNAP_ANONYMOUS_ENABLED=True, DASHSNAP_ANONYMOUS_ORG_NAME="Nowhere").test_client()
    assert client.get("/api/search").status_code == 401


def test_a_wrong_credential_is_401_even_with_anonymous_access(make_app):
    client = make_app(DASHSNAP_ANONYMOUS_ENABLED=True).test_client()
    assert client.get("/api/search", headers=bearer("wrong")).status_code == 401


def test_basic_auth_can_be_turned_off_while_keys_keep_working(make_app):
    key = make_app().test_client().post("/api/auth/keys", json={"name": "k", "role": "Admin"},
                                        headers=ADMIN).get_json()["key"]
    client = make_app(DASHSNAP_BASIC_AUTH_ENABLED=False).test_client()  # a restart with Basic auth off
    assert client.get("/api/search", headers=ADMIN).get_json() == {"message": "Unauthorized"}
    assert client.get("/api/search", headers=bearer(key)).status_code == 200
    assert client.post("/login", json={"user": "admin", "password": "admin"}).status_code == 200
