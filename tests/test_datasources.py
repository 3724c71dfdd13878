"""Data sources: create, read, update, delete by id, name and uid; one default per org; secrets never shown."""
import json

import pytest
from conftest import ADMIN, bearer

PROMETHEUS = {"name": "prom", "type": "prometheus", "access": "proxy", "url": "http://prom.test:9090",
              "basicAuth": True, "basicAuthUser": "scraper", "basicAuthPassword": "basic-secret",
              "password": "db-secret", "secureJsonData": {"httpHeaderValue1": "header-secret"},
              "jsonData": {"httpMethod": "POST"}}
SECRETS = ("basic-secret", "db-secret", "header-secret")


def add(client, body=None, headers=ADMIN, **fields):
    response = client.post("/api/datasources", json={**(body or PROMETHEUS), **fields}, headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_create_answers_id_message_name_and_the_data_source(client):
    body = add(client)
    assert (body["id"], body["message"], body["name"]) == (1, "Datasource added", "prom")
    source = body["datasource"]
    assert (source["type"], source["url"], source["basicAuthUser"], source["jsonData"]) == (
        "prometheus", "http://prom.test:9090", "scraper", {"httpMethod": "POST"})
    assert source["secureJsonFields"] == {"password": True, "basicAuthPassword": True, "httpHeaderValue1": True}


def test_secrets_are_never_shown(client):
    body = add(client)
    for path in ("/api/datasources", f"/api/datasources/{body['id']}", "/api/datasources/name/prom",
                 f"/api/datasources/uid/{body['datasource']['uid']}"):
        text = client.get(path, headers=ADMIN).get_data(as_text=True)
        assert not [secret for secret in SECRETS if secret in text], path
    assert not [secret for secret in SECRETS if secret in json.dumps(body)]


def test_read_by_id_name_uid_and_the_id_of_a_name(client):
    body = add(client)
    uid = body["datasource"]["uid"]
    for path in (f"/api/datasources/{body['id']}", "/api/datasources/name/PROM", f"/api/datasources/uid/{uid}"):
        assert client.get(path, headers=ADMIN).get_json()["name"] == "prom"
    assert client.get("/api/datasources/id/prom", headers=ADMIN).get_json() == {"id": body["id"]}
    for path in ("/api/datasources/99", "/api/datasources/abc", "/api/datasources/name/none",
                 "/api/datasources/uid/none", "/api/datasources/id/none"):
        assert client.get(path, headers=ADMIN).get_json() == {"message": "Data source not found"}


def test_list_is_by_name(client):
    add(client, name="zeta")
    add(client, name="alpha", uid="alpha-uid")
    assert [source["name"] for source in client.get("/api/datasources", headers=ADMIN).get_json()] == [
        "alpha", "zeta"]


def test_names_and_uids_are_unique_per_org(client, make_user):
    add(client, uid="fixed-uid")
    for fields, message in (({"name": "PROM"}, "Data source with same name already exists"),
                            ({"name": "other", "uid": "fixed-uid"}, "Data source with the same uid already exists")):
        response = client.post("/api/datasources", json={**PROMETHEUS, **fields}, headers=ADMIN)
        assert response.status_code == 409 and response.get_json() == {"message": message}
    add(client, headers=make_user("other-admin", "Admin", org_id=2), uid="fixed-uid")  # another org may


def test_one_default_per_org(client):
    first = add(client, name="first", isDefault=True)
    second = add(client, name="second", isDefault=True)
    defaults = {s["name"]: s["isDefault"] for s in client.get("/api/datasources", headers=ADMIN).get_json()}
    assert defaults == {"first": False, "second": True}
    client.put(f"/api/datasources/{first['id']}", json={**PROMETHEUS, "name": "first", "isDefault": True},
               headers=ADMIN)
    defaults = {s["name"]: s["isDefault"] for s in client.get("/api/datasources", headers=ADMIN).get_json()}
    assert defaults == {"first": True, "second": False}
    assert second["id"] != first["id"]


def test_update_replaces_settings_and_keeps_secrets_left_out(client, tmp_path):
    body = add(client)
    update = {"name": "prom2", "type": "prometheus", "url": "http://other.test", "basicAuth": True}
    response = client.put(f"/api/datasources/{body['id']}", json=update, headers=ADMIN)
    assert response.get_json()["message"] == "Datasource updated"
    source = client.get(f"/api/datasources/{body['id']}", headers=ADMIN).get_json()
    assert (source["name"], source["url"], source["version"]) == ("prom2", "http://other.test", 2)
    assert source["secureJsonFields"] == {"password": True, "basicAuthPassword": True, "httpHeaderValue1": True}
    assert client.put("/api/datasources/99", json=update, headers=ADMIN).status_code == 404


def test_update_by_uid(client):
    body = add(client)
    update = {"name": "by-uid", "type": "prometheus", "url": "http://other.test"}
    response = client.put(f"/api/datasources/uid/{body['datasource']['uid']}", json=update, headers=ADMIN)
    assert (response.status_code, response.get_json()["datasource"]["name"]) == (200, "by-uid")
    assert client.get(f"/api/datasources/{body['id']}", headers=ADMIN).get_json()["url"] == "http://other.test"
    missing = client.put("/api/datasources/uid/nothing", json=update, headers=ADMIN)
    assert (missing.status_code, missing.get_json()) == (404, {"message": "Data source not found"})


def test_delete_by_id_name_and_uid(client):
    ids = [add(client, name=name)["id"] for name in ("a", "b", "c")]
    uid = client.get("/api/datasources/name/c", headers=ADMIN).get_json()["uid"]
    for path, source_id in ((f"/api/datasources/{ids[0]}", ids[0]), ("/api/datasources/name/b", ids[1]),
                            (f"/api/datasources/uid/{uid}", ids[2])):
        assert client.delete(path, headers=ADMIN).get_json() == {"message": "Data source deleted", "id": source_id}
    assert client.get("/api/datasources", headers=ADMIN).get_json() == []
    assert client.delete("/api/datasources/0", headers=ADMIN).get_json() == {"message": "Missing valid datasource id"}
    assert client.delete("/api/datasources/5", headers=ADMIN).status_code == 404


@pytest.mark.parametrize("changes, field", [({"type": "nosuchdb"}, "type"), ({"url": ""}, "url"),
                                            ({"name": ""}, "name"), ({"access": "sideways"}, "access"),
                                            ({"jsonData": "text"}, "jsonData"), ({"uid": "bad uid!"}, "uid")])
def test_bad_data_sources_are_400_naming_the_field(client, changes, field):
    response = client.post("/api/datasources", json={**PROMETHEUS, **changes}, headers=ADMIN)
    assert response.status_code == 400
    assert response.get_json()["message"].startswith(f"{field}:")


def test_direct_access_needs_no_url(client):
    assert add(client, access="direct", url="")["datasource"]["access"] == "direct"


def test_viewers_read_and_admins_change(client, make_user, make_key):
    body = add(client)
    viewer = make_user("viewer", "Viewer")
    assert client.get("/api/datasources", headers=viewer).status_code == 200
    assert client.get(f"/api/datasources/{body['id']}", headers=viewer).status_code == 200
    for headers in (viewer, bearer(make_key("Editor"))):
        assert client.post("/api/datasources", json={**PROMETHEUS, "name": "x"}, headers=headers).status_code == 403
        assert client.delete(f"/api/datasources/{body['id']}", headers=headers).status_code == 403
    assert client.get("/api/datasources").status_code == 401


@pytest.mark.data_dir_only
def test_another_org_neither_sees_nor_changes_them(client, make_user, tmp_path):
    body = add(client)
    intruder = make_user("intruder", "Admin", org_id=2)
    before = (tmp_path / "data" / "orgs" / "1" / "datasources" / f"{body['id']}.json").read_bytes()
    assert client.get("/api/datasources", headers=intruder).get_json() == []
    for method, path in (("GET", f"/api/datasources/{body['id']}"), ("GET", "/api/datasources/name/prom"),
                         ("PUT", f"/api/datasources/{body['id']}"), ("DELETE", f"/api/datasources/{body['id']}"),
                         ("DELETE", "/api/datasources/name/prom")):
        assert client.open(path, method=method, json=PROMETHEUS, headers=intruder).status_code == 404, path
    assert (tmp_path / "data" / "orgs" / "1" / "datasources" / f"{body['id']}.json").read_bytes() == before


def test_an_org_id_in_the_body_never_moves_a_data_source(client):
    body = add(client, orgId=7, id=99)
    assert (body["datasource"]["orgId"], body["id"]) == (1, 1)


def test_deleting_the_org_deletes_its_data_sources(client, tmp_path):
    org_id = client.post("/api/orgs", json={"name": "Lab"}, headers=ADMIN).get_json()["orgId"]
    client.post(f"/api/user/using/{org_id}", headers=ADMIN)
    add(client)
    client.post("/api/user/using/1", headers=ADMIN)
    client.delete(f"/api/orgs/{org_id}", headers=ADMIN)
    assert list((tmp_path / "data" / "orgs" / str(org_id)).rglob("*.json")) == []


def test_plugins_list_the_known_types(client):
    plugins = client.get("/api/datasources/plugins", headers=ADMIN).get_json()
    assert {"graphite", "prometheus", "influxdb", "elasticsearch", "loki", "postgres", "mysql", "testdata"} <= set(
        plugins)
    assert plugins["prometheus"]["module"] == "app/plugins/datasource/prometheus/module"
    listed = client.get("/api/plugins?type=datasource", headers=ADMIN).get_json()
    assert {plugin["id"] for plugin in listed} == set(plugins)
    assert client.get("/api/plugins?type=panel", headers=ADMIN).get_json() == []
