"""GET /api/frontend/settings: the org's data sources by name, the default, the build Grafana clients parse."""
from conftest import ADMIN, bearer
from dashsnap.version import DASHSNAP_VERSION, GRAFANA_API_VERSION


def add_source(client, name, **fields):
    body = {"name": name, "type": "prometheus", "access": "proxy", "url": "http://prom.test",
            "password": "never-shown", **fields}
    return client.post("/api/datasources", json=body, headers=ADMIN).get_json()["id"]


def test_settings_list_the_orgs_data_sources_and_the_default(client):
    proxied = add_source(client, "prom", isDefault=True, jsonData={"httpMethod": "POST"})
    add_source(client, "direct-one", access="direct", url="http://browser.test")
    response = client.get("/api/frontend/settings", headers=ADMIN)
    settings = response.get_json()
    assert settings["defaultDatasource"] == "prom"
    sources = settings["datasources"]
    assert set(sources) == {"prom", "direct-one", "-- Grafana --", "-- Mixed --"}
    assert sources["prom"]["url"] == f"/api/datasources/proxy/{proxied}"
    assert sources["prom"]["jsonData"] == {"httpMethod": "POST"}
    assert sources["prom"]["meta"]["id"] == "prometheus"
    assert sources["direct-one"]["url"] == "http://browser.test"
    assert "never-shown" not in response.get_data(as_text=True)


def test_without_a_default_grafanas_own_is_the_default(client):
    add_source(client, "prom")
    assert client.get("/api/frontend/settings", headers=ADMIN).get_json()["defaultDatasource"] == "-- Grafana --"


def test_build_info_reports_the_grafana_api_level_and_our_version(client):
    build = client.get("/api/frontend/settings", headers=ADMIN).get_json()["buildInfo"]
    assert build["version"] == GRAFANA_API_VERSION
    assert tuple(int(part) for part in build["version"].split(".")) >= (7, 5)
    assert (build["dashsnapVersion"], build["database"]) == (DASHSNAP_VERSION, "ok")


def test_app_sub_url_and_org_creation_follow_the_configuration(make_app):
    client = make_app(DASHSNAP_ROOT_URL="http://host.test/grafana/").test_client()
    settings = client.get("/api/frontend/settings", headers=ADMIN).get_json()
    assert settings["appSubUrl"] == "/grafana"
    assert settings["allowOrgCreate"] is True  # a server admin may always


def test_settings_are_per_org_and_need_sign_in(client, make_user, make_key):
    add_source(client, "org-one-only")
    other = client.get("/api/frontend/settings", headers=make_user("o2", "Admin", org_id=2)).get_json()
    assert "org-one-only" not in other["datasources"]
    assert other["allowOrgCreate"] is False
    assert client.get("/api/frontend/settings", headers=bearer(make_key("Viewer"))).status_code == 200
    assert client.get("/api/frontend/settings").status_code == 401
