"""GET /metrics: Prometheus' text format, per app, with Grafana's names where Grafana has the metric."""
import builtins
import logging
import shutil
from pathlib import Path

import pytest
import requests
from conftest import ADMIN, basic
from dashsnap.app import DashSnap
from flask import Flask
from prometheus_client.parser import text_string_to_metric_families

DURATION = "grafana_http_request_duration_seconds"


def scrape(client, headers: dict | None = None) -> dict[str, list]:
    """The samples /metrics shows, by sample name."""
    response = client.get("/metrics", headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    samples: dict[str, list] = {}
    for family in text_string_to_metric_families(response.get_data(as_text=True)):
        for sample in family.samples:
            samples.setdefault(sample.name, []).append(sample)
    return samples


def requests_counted(samples: dict[str, list], handler: str, method: str, status_code: int) -> float:
    return sum(sample.value for sample in samples.get(f"{DURATION}_count", [])
               if sample.labels == {"handler": handler, "method": method, "status_code": str(status_code)})


def gauge(samples: dict[str, list], name: str) -> float:
    [sample] = samples[name]
    return sample.value


def test_requests_are_counted_by_route_method_and_status(client):
    created = client.post("/api/snapshots", json={"dashboard": {"title": "t"}}, headers=ADMIN)
    assert created.status_code == 200
    assert client.get("/api/snapshots/no-such-snapshot").status_code == 404
    assert client.get(f"/api/snapshots/{created.get_json()['key']}").status_code == 200

    samples = scrape(client)
    assert requests_counted(samples, "/api/snapshots", "POST", 200) == 1
    assert requests_counted(samples, "/api/snapshots/:key", "GET", 404) == 1
    assert requests_counted(samples, "/api/snapshots/:key", "GET", 200) == 1
    buckets = [sample for sample in samples[f"{DURATION}_bucket"] if sample.labels["handler"] == "/api/snapshots"]
    assert [sample.labels["le"] for sample in buckets][-1] == "+Inf" and buckets[-1].value == 1


def test_handlers_are_routes_never_raw_paths(client):
    created = client.post("/api/snapshots", json={"dashboard": {}}, headers=ADMIN).get_json()
    client.get(f"/api/snapshots/{created['key']}")
    client.get(f"/api/snapshots-delete/{created['deleteKey']}")
    client.get("/api/datasources/proxy/1/some/upstream/path", headers=ADMIN)

    samples = scrape(client)
    handlers = {sample.labels["handler"] for sample in samples[f"{DURATION}_count"]}
    assert {"/api/snapshots/:key", "/api/snapshots-delete/:delete_key",
            "/api/datasources/proxy/:source_id/*"} <= handlers
    text = client.get("/metrics").get_data(as_text=True)
    assert created["key"] not in text and created["deleteKey"] not in text


def test_unknown_paths_share_one_handler(client):
    for path in ("/no-such-page", "/another/page", "/api/no-such-route"):
        assert client.get(path).status_code == 404
    samples = scrape(client)
    assert requests_counted(samples, "unknown", "GET", 404) == 2
    assert requests_counted(samples, "/api/*", "GET", 404) == 1


def test_refusals_and_failures_are_counted(client, make_app):
    assert client.get("/api/dashboard/snapshots").status_code == 401
    assert client.get("/api/dashboard/snapshots", headers=basic("admin", "wrong")).status_code == 401
    assert client.post("/api/snapshots", data="not json", headers=ADMIN).status_code == 400
    samples = scrape(client)
    assert requests_counted(samples, "/api/dashboard/snapshots", "GET", 401) == 2
    assert requests_counted(samples, "/api/snapshots", "POST", 400) == 1

    disabled = make_app(DASHSNAP_SNAPSHOTS_ENABLED=False).test_client()
    assert disabled.get("/api/dashboard/snapshots", headers=ADMIN).status_code == 403
    assert requests_counted(scrape(disabled), "/api/dashboard/snapshots", "GET", 403) == 1


def test_totals_are_the_stores_counts(app, client):
    for number in range(3):
        client.post("/api/snapshots", json={"dashboard": {}, "name": f"s{number}"}, headers=ADMIN)
    client.post("/api/dashboards/db", json={"dashboard": {"title": "Overview"}}, headers=ADMIN)
    store = app.extensions["dashsnap"].store

    samples = scrape(client)
    assert gauge(samples, "dashsnap_stat_totals_snapshot") == store.snapshots.count() == 3
    assert gauge(samples, "grafana_stat_totals_dashboard") == store.dashboards.count() == 1


@pytest.mark.data_dir_only
def test_a_store_failure_is_counted_by_its_exception_class(app, client):
    # A file where the snapshots folder should be: every snapshot write now fails in the file system.
    snapshots_folder = Path(app.extensions["dashsnap"].store.data_dir) / "snapshots"
    shutil.rmtree(snapshots_folder)
    snapshots_folder.write_text("not a folder")
    response = client.post("/api/snapshots", json={"dashboard": {}}, headers=ADMIN)
    assert response.status_code == 500 and response.get_json() == {"message": "Internal server error"}

    samples = scrape(client)
    [error] = samples["dashsnap_store_errors_total"]
    assert error.value == 1 and issubclass(getattr(builtins, error.labels["error_type"]), OSError)
    assert requests_counted(samples, "/api/snapshots", "POST", 500) == 1


def test_failures_that_are_not_the_stores_are_not_store_errors(client):
    client.get("/api/snapshots/no-such-snapshot")
    client.get("/api/dashboard/snapshots")
    assert "dashsnap_store_errors_total" not in scrape(client)


def test_metrics_can_be_turned_off(make_app):
    client = make_app(DASHSNAP_METRICS_ENABLED=False).test_client()
    response = client.get("/metrics")
    assert response.status_code == 404 and response.get_json() == {"message": "Not found"}


def test_metrics_are_turned_off_by_grafanas_setting(make_app, monkeypatch):
    monkeypatch.setenv("GF_METRICS_ENABLED", "false")
    assert make_app().test_client().get("/metrics").status_code == 404


def test_configured_basic_credentials_guard_metrics(make_app):
    client = make_app(DASHSNAP_METRICS_BASIC_AUTH_USERNAME="prometheus",
                      DASHSNAP_METRICS_BASIC_AUTH_PASSWORD="scrape-secret").test_client()
    for headers in (None, basic("prometheus", "wrong"), basic("other", "scrape-secret"), ADMIN,
                    {"Authorization": "Bearer scrape-secret"}):
        response = client.get("/metrics", headers=headers)
        assert response.status_code == 401 and response.get_json() == {"message": "Unauthorized"}
    assert client.get("/metrics", headers=basic("prometheus", "scrape-secret")).status_code == 200


def test_a_username_alone_does_not_guard_metrics(make_app):
    client = make_app(DASHSNAP_METRICS_BASIC_AUTH_USERNAME="prometheus").test_client()
    assert client.get("/metrics").status_code == 200


@pytest.mark.data_dir_only
def test_two_apps_in_one_process_count_apart(make_app, tmp_path):
    first = make_app(tmp_path / "first").test_client()
    second = make_app(tmp_path / "second").test_client()
    first.post("/api/snapshots", json={"dashboard": {}}, headers=ADMIN)
    first.get("/api/health")

    assert requests_counted(scrape(first), "/api/health", "GET", 200) == 1
    assert gauge(scrape(first), "dashsnap_stat_totals_snapshot") == 1
    second_samples = scrape(second)
    assert requests_counted(second_samples, "/api/health", "GET", 200) == 0
    assert requests_counted(second_samples, "/api/snapshots", "POST", 200) == 0
    assert gauge(second_samples, "dashsnap_stat_totals_snapshot") == 0


@pytest.fixture
def host_app(tmp_path):
    """A host Flask app of its own, with dashsnap mounted under /grafana."""
    host = Flask("host")
    host.config.update(TESTING=True, DASHSNAP_DATA_DIR=str(tmp_path / "data"), DASHSNAP_CLEANUP_INTERVAL=0)

    @host.get("/hello")
    def hello():
        return "hello from the host"

    DashSnap(host, url_prefix="/grafana")
    return host


def test_a_host_apps_requests_are_neither_counted_nor_logged(host_app, caplog):
    client = host_app.test_client()
    caplog.set_level(logging.INFO, logger="dashsnap.requests")
    assert client.get("/hello").status_code == 200
    assert client.get("/no-such-host-page").status_code == 404
    assert client.get("/grafana/api/health").status_code == 200

    logged = [record.getMessage() for record in caplog.records if record.name == "dashsnap.requests"]
    assert len(logged) == 1 and "path=/grafana/api/health status=200" in logged[0]
    response = client.get("/grafana/metrics")
    assert response.status_code == 200
    handlers = {sample.labels["handler"] for family in text_string_to_metric_families(response.get_data(as_text=True))
                if family.name == DURATION for sample in family.samples}
    assert handlers == {"/api/health"}  # the route as Grafana names it, without the mount prefix


def test_metrics_over_http_are_prometheus_text(live_server):
    requests.get(f"{live_server}/api/health", timeout=10)
    response = requests.get(f"{live_server}/metrics", timeout=10)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    families = {family.name for family in text_string_to_metric_families(response.text)}
    assert {DURATION, "grafana_stat_totals_dashboard", "dashsnap_stat_totals_snapshot"} <= families


def test_the_scrape_password_is_masked_in_the_admin_settings(make_app):
    client = make_app(DASHSNAP_METRICS_BASIC_AUTH_USERNAME="prometheus",
                      DASHSNAP_METRICS_BASIC_AUTH_PASSWORD="scrape-secret").test_client()
    response = client.get("/api/admin/settings", headers=ADMIN)
    assert response.get_json()["metrics"] == {"enabled": "true", "basic_auth_username": "prometheus",
                                              "basic_auth_password": "************"}
    assert "scrape-secret" not in response.get_data(as_text=True)


def test_made_up_methods_share_one_label(client):
    for word in ("X0", "X1", "BREW", "FOO"):
        client.open("/api/health", method=word)
    samples = scrape(client)
    methods = {sample.labels["method"] for sample in samples[f"{DURATION}_count"]}
    assert "other" in methods and not methods & {"X0", "X1", "BREW", "FOO"}
