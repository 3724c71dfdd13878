"""GET /metrics: Prometheus' text format, per app, with Grafana's names where Grafana has the metric."""
import requests
from conftest import ADMIN, basic
from prometheus_client.parser import text_string_to_metric_families


def scrape(client, headers: dict | None = None) -> dict[str, list]:
    """The samples /metrics shows, by sample name."""
    response = client.get("/metrics", headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    samples: dict[str, list] = {}
    for family in text_string_to_metric_families(response.get_data(as_text=True)):
        for sample in family.samples:
            samples.setdefault(sample.name, []).append(sample)
    return samples


def gauge(samples: dict[str, list], name: str) -> float:
    [sample] = samples[name]
    return sample.value


def test_totals_are_the_stores_counts(app, client):
    for number in range(3):
        client.post("/api/snapshots", json={"dashboard": {}, "name": f"s{number}"}, headers=ADMIN)
    client.post("/api/dashboards/db", json={"dashboard": {"title": "Overview"}}, headers=ADMIN)
    store = app.extensions["dashsnap"].store

    samples = scrape(client)
    assert gauge(samples, "dashsnap_stat_totals_snapshot") == store.snapshots.count() == 3
    assert gauge(samples, "grafana_stat_totals_dashboard") == store.dashboards.count() == 1


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


def test_two_apps_in_one_process_count_apart(make_app, tmp_path):
    first = make_app(tmp_path / "first").test_client()
    second = make_app(tmp_path / "second").test_client()
    first.post("/api/snapshots", json={"dashboard": {}}, headers=ADMIN)

    assert gauge(scrape(first), "dashsnap_stat_totals_snapshot") == 1
    assert gauge(scrape(second), "dashsnap_stat_totals_snapshot") == 0


def test_metrics_over_http_are_prometheus_text(live_server):
    response = requests.get(f"{live_server}/metrics", timeout=10)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    families = {family.name for family in text_string_to_metric_families(response.text)}
    assert {"grafana_stat_totals_dashboard", "dashsnap_stat_totals_snapshot"} <= families


def test_the_scrape_password_is_masked_in_the_admin_settings(make_app):
    client = make_app(DASHSNAP_METRICS_BASIC_AUTH_USERNAME="prometheus",
                      DASHSNAP_METRICS_BASIC_AUTH_PASSWORD="scrape-secret").test_client()
    response = client.get("/api/admin/settings", headers=ADMIN)
    assert response.get_json()["metrics"] == {"enabled": "true", "basic_auth_username": "prometheus",
                                              "basic_auth_password": "************"}
    assert "scrape-secret" not in response.get_data(as_text=True)
