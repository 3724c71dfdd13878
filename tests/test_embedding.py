"""dashsnap mounted in a host Flask app: the host's routes, error pages, session and config stay the host's, while
dashsnap answers its JSON API under the mount prefix and builds every url with that prefix."""
from urllib.parse import urlsplit

import pytest
import requests
from conftest import ADMIN, basic, serve
from dashsnap.app import DashSnap
from flask import Flask, current_app, session

HOST_404 = "<h1>host 404</h1>"
HOST_500 = "<h1>host 500</h1>"
GREETING = "hello from the host"
SESSION_COOKIE = "grafana_session"


def make_host(**config) -> Flask:
    """A host app with routes, HTML error pages, a session and a config key of its own; dashsnap not mounted yet."""
    host = Flask("host")
    host.config.update(SECRET_KEY="host-secret", HOST_GREETING=GREETING, **config)
    host.config["DASHSNAP_CLEANUP_INTERVAL"] = 0

    @host.get("/")
    def index():
        return "host index"

    @host.get("/hello")
    def hello():
        return current_app.config["HOST_GREETING"]

    @host.get("/boom")
    def boom():
        raise RuntimeError("the host's own failure")

    @host.post("/visit")
    def visit():
        session["visits"] = session.get("visits", 0) + 1
        return {"visits": session["visits"]}

    @host.errorhandler(404)
    def host_not_found(error):
        return HOST_404, 404

    @host.errorhandler(500)
    def host_failure(error):
        return HOST_500, 500

    return host


@pytest.fixture
def host(tmp_path) -> Flask:
    host = make_host()
    DashSnap(host, url_prefix="/grafana", data_dir=tmp_path / "data")
    return host


@pytest.fixture
def client(host):
    """A test client of the host app (not of a standalone dashsnap)."""
    return host.test_client()


def create_snapshot(client, dashboard: dict | None = None, prefix: str = "/grafana") -> dict:
    response = client.post(f"{prefix}/api/snapshots", json={"dashboard": dashboard or {"title": "Embedded"}},
                           headers=ADMIN)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def save_dashboard(client, title: str, prefix: str = "/grafana") -> dict:
    response = client.post(f"{prefix}/api/dashboards/db", json={"dashboard": {"title": title}}, headers=ADMIN)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def log_in(client, prefix: str = "/grafana"):
    return client.post(f"{prefix}/login", json={"user": "admin", "password": "admin"})


def set_cookies(response) -> dict[str, str]:
    """The response's Set-Cookie headers by cookie name."""
    return {header.split("=", 1)[0]: header for header in response.headers.getlist("Set-Cookie")}


# The host stays the host's.

def test_host_routes_answer_unchanged(client):
    assert client.get("/").get_data(as_text=True) == "host index"
    assert client.get("/hello").get_data(as_text=True) == GREETING


def test_host_routes_ignore_dashsnap_credentials(client):
    assert client.get("/hello", headers=basic("admin", "wrong")).status_code == 200


def test_unknown_host_path_keeps_the_host_404_page(client):
    response = client.get("/nope")
    assert response.status_code == 404 and response.get_data(as_text=True) == HOST_404


def test_failing_host_route_keeps_the_host_500_page(client):
    response = client.get("/boom")
    assert response.status_code == 500 and response.get_data(as_text=True) == HOST_500


def test_host_session_still_works(client):
    assert client.post("/visit").get_json() == {"visits": 1}
    assert client.post("/visit").get_json() == {"visits": 2}


def test_mounting_adds_only_dashsnap_keys_to_the_host_config(tmp_path):
    host = make_host()
    before = dict(host.config)
    DashSnap(host, url_prefix="/grafana", data_dir=tmp_path / "data")
    added = set(host.config) - set(before)
    assert added and all(key.startswith("DASHSNAP_") for key in added)
    assert {key: host.config[key] for key in before} == before  # DASHSNAP_CLEANUP_INTERVAL=0 included
    assert host.config["SECRET_KEY"] == "host-secret" and host.config["HOST_GREETING"] == GREETING
    assert host.config["DASHSNAP_DATA_DIR"] == str(tmp_path / "data")


def test_dashsnap_login_leaves_the_host_session_alone(client):
    client.post("/visit")
    host_session = client.get_cookie("session").value
    response = log_in(client)
    assert set(set_cookies(response)) == {SESSION_COOKIE}
    assert client.get_cookie("session").value == host_session
    assert client.post("/visit").get_json() == {"visits": 2}


# dashsnap answers under the prefix, in JSON.

def test_health_answers_json_under_the_prefix(client):
    response = client.get("/grafana/api/health")
    assert response.status_code == 200 and response.content_type == "application/json"
    assert response.get_json()["database"] == "ok"


def test_unknown_api_path_under_the_prefix_answers_dashsnap_404(client):
    response = client.get("/grafana/api/nope")
    assert response.status_code == 404 and response.content_type == "application/json"
    assert response.get_json() == {"message": "Not found"}


@pytest.mark.parametrize(("method", "path"), [
    ("PUT", "/grafana/api/health"),
    ("DELETE", "/grafana/api/search"),
    ("POST", "/grafana/api/snapshots-delete/some-key"),
    ("PUT", "/grafana/login"),
    ("PATCH", "/grafana/logout"),
    ("DELETE", "/grafana/file/some-dashboard"),
    ("POST", "/grafana/dashboard/snapshot/some-key"),
    ("PUT", "/grafana/public/dashsnap/snapshot.js"),
    ("GET", "/grafana/api"),
    ("GET", "/grafana/api/"),
])
def test_wrong_method_on_a_dashsnap_path_answers_json(client, method, path):
    response = client.open(path, method=method)
    assert response.status_code in (404, 405) and response.content_type == "application/json"
    assert set(response.get_json()) == {"message"}


def test_unauthenticated_snapshot_create_answers_json_401(client):
    response = client.post("/grafana/api/snapshots", json={"dashboard": {}})
    assert response.status_code == 401 and response.content_type == "application/json"
    assert response.get_json() == {"message": "Unauthorized"}


def test_dashsnap_failure_answers_dashsnap_json_500_not_the_host_page(client, tmp_path):
    snapshots_dir = tmp_path / "data" / "snapshots"
    assert snapshots_dir.is_dir()
    snapshots_dir.rename(tmp_path / "moved")
    snapshots_dir.write_text("a file where the store expects its folder")
    response = client.post("/grafana/api/snapshots", json={"dashboard": {}}, headers=ADMIN)
    assert response.status_code == 500 and response.content_type == "application/json"
    assert response.get_json() == {"message": "Internal server error"}


def test_dashsnap_path_without_the_prefix_is_the_host_404(client):
    response = client.get("/api/health")
    assert response.status_code == 404 and response.get_data(as_text=True) == HOST_404


# Urls in responses carry the prefix.

def test_snapshot_urls_carry_the_prefix(client):
    created = create_snapshot(client)
    assert created["url"] == f"http://localhost/grafana/dashboard/snapshot/{created['key']}"
    assert created["deleteUrl"] == f"http://localhost/grafana/api/snapshots-delete/{created['deleteKey']}"


def test_snapshot_urls_follow_the_address_the_request_came_to(client):
    created = client.post("/grafana/api/snapshots", json={"dashboard": {}}, headers=ADMIN,
                          base_url="https://portal.example:8443").get_json()
    assert created["url"] == f"https://portal.example:8443/grafana/dashboard/snapshot/{created['key']}"


def test_created_snapshot_reads_back_under_the_prefix(client):
    dashboard = {"title": "Embedded", "panels": [{"id": 1}]}
    created = create_snapshot(client, dashboard)
    response = client.get(f"/grafana/api/snapshots/{created['key']}")
    assert response.status_code == 200 and response.get_json()["dashboard"] == dashboard


def test_delete_url_path_deletes_the_snapshot(client):
    created = create_snapshot(client)
    assert client.get(urlsplit(created["deleteUrl"]).path).status_code == 200
    assert client.get(f"/grafana/api/snapshots/{created['key']}").status_code == 404


def test_saved_dashboard_url_carries_the_prefix(client):
    saved = save_dashboard(client, "Embedded board")
    assert saved["url"] == f"/grafana/d/{saved['uid']}/embedded-board"
    meta = client.get(f"/grafana/api/dashboards/uid/{saved['uid']}", headers=ADMIN).get_json()["meta"]
    assert meta["url"] == saved["url"]


def test_search_result_urls_carry_the_prefix(client):
    save_dashboard(client, "One")
    save_dashboard(client, "Two")
    hits = client.get("/grafana/api/search", headers=ADMIN).get_json()
    assert len(hits) == 2 and all(hit["url"].startswith("/grafana/d/") for hit in hits)


def test_frontend_settings_name_the_prefix_as_app_sub_url(client):
    settings = client.get("/grafana/api/frontend/settings", headers=ADMIN).get_json()
    assert settings["appSubUrl"] == "/grafana"


def test_host_root_url_makes_absolute_snapshot_urls(tmp_path):
    host = make_host(DASHSNAP_ROOT_URL="https://example.com/")
    DashSnap(host, url_prefix="/grafana", data_dir=tmp_path / "data")
    created = create_snapshot(host.test_client())
    assert created["url"] == f"https://example.com/grafana/dashboard/snapshot/{created['key']}"
    assert created["deleteUrl"] == f"https://example.com/grafana/api/snapshots-delete/{created['deleteKey']}"


def test_root_url_sub_path_comes_before_the_prefix(tmp_path):
    host = make_host(DASHSNAP_ROOT_URL="https://example.com/tools/")
    DashSnap(host, url_prefix="/grafana", data_dir=tmp_path / "data")
    client = host.test_client()
    assert create_snapshot(client)["url"].startswith("https://example.com/tools/grafana/dashboard/snapshot/")
    assert save_dashboard(client, "Deep")["url"].startswith("/tools/grafana/d/")


def test_trailing_slash_on_the_prefix_changes_nothing(tmp_path):
    host = make_host()
    DashSnap(host, url_prefix="/grafana/", data_dir=tmp_path / "data")
    client = host.test_client()
    assert client.get("/grafana/api/health").status_code == 200
    created = create_snapshot(client)
    assert created["url"] == f"http://localhost/grafana/dashboard/snapshot/{created['key']}"


# dashsnap's own session cookie lives under the prefix.

def test_login_cookie_path_is_the_prefix(client):
    response = log_in(client)
    assert response.get_json() == {"message": "Logged in"}
    assert "Path=/grafana/;" in set_cookies(response)[SESSION_COOKIE]


def test_login_cookie_signs_in_dashsnap_routes(client):
    log_in(client)
    assert client.get_cookie(SESSION_COOKIE, path="/grafana/") is not None
    response = client.get("/grafana/api/user")
    assert response.status_code == 200 and response.get_json()["login"] == "admin"


def test_logout_goes_to_the_login_page_under_the_prefix(client):
    log_in(client)
    response = client.get("/grafana/logout")
    assert response.status_code == 302 and response.headers["Location"] == "/grafana/login"
    assert client.get("/grafana/api/user").status_code == 401


# Mounting rules.

def test_mounting_twice_on_one_host_raises(host, tmp_path):
    with pytest.raises(RuntimeError, match="already set up"):
        DashSnap(host, url_prefix="/other", data_dir=tmp_path / "other")
    assert host.config["DASHSNAP_DATA_DIR"] == str(tmp_path / "data")
    assert not (tmp_path / "other").exists()


def test_init_app_mounts_on_a_host_given_later(tmp_path):
    extension = DashSnap()
    host = make_host()
    extension.init_app(host, url_prefix="/grafana", data_dir=tmp_path / "data")
    assert host.test_client().get("/grafana/api/health").status_code == 200


def test_two_hosts_in_one_process_keep_their_data_apart(tmp_path):
    first, second = make_host(), make_host()
    DashSnap(first, url_prefix="/grafana", data_dir=tmp_path / "first")
    DashSnap(second, url_prefix="/grafana", data_dir=tmp_path / "second")
    first_client, second_client = first.test_client(), second.test_client()
    key = create_snapshot(first_client)["key"]
    save_dashboard(first_client, "Only in the first")
    assert first_client.get(f"/grafana/api/snapshots/{key}").status_code == 200
    assert second_client.get(f"/grafana/api/snapshots/{key}").status_code == 404
    assert second_client.get("/grafana/api/search", headers=ADMIN).get_json() == []


def test_two_hosts_in_one_process_read_their_own_config(tmp_path):
    first, second = make_host(), make_host(DASHSNAP_ADMIN_PASSWORD="second-secret")
    DashSnap(first, url_prefix="/grafana", data_dir=tmp_path / "first")
    DashSnap(second, url_prefix="/grafana", data_dir=tmp_path / "second")
    assert first.test_client().get("/grafana/api/user", headers=ADMIN).status_code == 200
    assert second.test_client().get("/grafana/api/user", headers=ADMIN).status_code == 401
    assert second.test_client().get("/grafana/api/user", headers=basic("admin", "second-secret")).status_code == 200


def test_a_session_of_one_host_does_not_sign_in_on_the_other(tmp_path):
    first, second = make_host(), make_host()
    DashSnap(first, url_prefix="/grafana", data_dir=tmp_path / "first")
    DashSnap(second, url_prefix="/grafana", data_dir=tmp_path / "second")
    first_client, second_client = first.test_client(), second.test_client()
    log_in(first_client)
    second_client.set_cookie(SESSION_COOKIE, first_client.get_cookie(SESSION_COOKIE, path="/grafana/").value,
                             path="/grafana/")
    assert second_client.get("/grafana/api/user").status_code == 401


# Mounted without a prefix.

@pytest.fixture
def unprefixed_client(tmp_path):
    host = make_host()
    DashSnap(host, url_prefix="", data_dir=tmp_path / "data")
    return host.test_client()


def test_without_a_prefix_host_routes_stay_the_hosts(unprefixed_client):
    assert unprefixed_client.get("/").get_data(as_text=True) == "host index"
    assert unprefixed_client.get("/nope").get_data(as_text=True) == HOST_404


def test_without_a_prefix_dashsnap_answers_at_the_root(unprefixed_client):
    assert unprefixed_client.get("/api/health").status_code == 200
    assert unprefixed_client.get("/api/nope").get_json() == {"message": "Not found"}


def test_without_a_prefix_urls_have_no_prefix(unprefixed_client):
    created = create_snapshot(unprefixed_client, prefix="")
    assert created["url"] == f"http://localhost/dashboard/snapshot/{created['key']}"
    assert save_dashboard(unprefixed_client, "Root", prefix="")["url"].startswith("/d/")
    assert "Path=/;" in set_cookies(log_in(unprefixed_client, prefix=""))[SESSION_COOKIE]


# End to end.

def test_mounted_host_serves_snapshots_over_real_http(tmp_path):
    host = make_host()
    DashSnap(host, url_prefix="/grafana", data_dir=tmp_path / "data")
    base, stop = serve(host)
    try:
        dashboard = {"title": "Over HTTP", "panels": [{"id": 1, "title": "ünïcode ✓"}]}
        created = requests.post(f"{base}/grafana/api/snapshots", json={"dashboard": dashboard}, headers=ADMIN,
                                timeout=10)
        assert created.status_code == 200, created.text
        key = created.json()["key"]
        assert created.json()["url"] == f"{base}/grafana/dashboard/snapshot/{key}"
        fetched = requests.get(f"{base}/grafana/api/snapshots/{key}", timeout=10)
        assert fetched.status_code == 200 and fetched.json()["dashboard"] == dashboard
        assert requests.get(created.json()["deleteUrl"], timeout=10).status_code == 200
        hello = requests.get(f"{base}/hello", timeout=10)
        assert hello.status_code == 200 and hello.text == GREETING
    finally:
        stop()


def test_a_host_served_under_a_script_root_keeps_it_in_urls_and_the_cookie(client):
    created = client.post("/grafana/api/snapshots", json={"dashboard": {}}, headers=ADMIN,
                          base_url="http://example.org/portal/").get_json()
    assert created["url"].startswith("http://example.org/portal/grafana/dashboard/snapshot/")
    response = client.post("/grafana/login", json={"user": "admin", "password": "admin"},
                           base_url="http://example.org/portal/")
    assert "Path=/portal/grafana/" in response.headers["Set-Cookie"]


def test_without_a_prefix_the_hosts_routes_on_dashsnap_paths_stay_the_hosts(tmp_path):
    host = make_host()
    DashSnap(host, data_dir=tmp_path / "data")

    @host.put("/login")
    def host_login_change():
        return "the host's own PUT"

    assert host.test_client().put("/login").get_data(as_text=True) == "the host's own PUT"


@pytest.mark.parametrize("prefix", ["", "/grafana"])
def test_a_host_that_routes_its_sign_in_form_before_mounting_keeps_it(tmp_path, prefix):
    host = make_host()

    @host.get(f"{prefix}/login")
    def host_login_page():
        return "the host's sign-in form"

    DashSnap(host, url_prefix=prefix, data_dir=tmp_path / "data")
    client = host.test_client()
    assert client.get(f"{prefix}/login").get_data(as_text=True) == "the host's sign-in form"
    assert log_in(client, prefix=prefix).get_json() == {"message": "Logged in"}
