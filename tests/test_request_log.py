"""One line per request on the `dashsnap.requests` logger: method, path, status, duration and caller, with no
credential, query string or snapshot key in it."""
import logging
import re
import shutil
from pathlib import Path

import pytest
from conftest import ADMIN, basic, bearer
from dashsnap.blueprints.observe import loggable_path

LOGGER = "dashsnap.requests"
LINE = re.compile(r'method=(?P<method>\S+) path=(?P<path>"(?:[^"\\]|\\.)*"|\S+) status=(?P<status>\d+) '
                  r"duration_ms=(?P<duration_ms>\d+\.\d) caller=(?P<caller>\S+)")
SECRET_ARGUMENTS = {"key", "delete_key"}


@pytest.fixture
def logged(caplog):
    """Each request line logged so far, as a dict of its fields."""
    caplog.set_level(logging.INFO, logger=LOGGER)

    def lines() -> list[dict[str, str]]:
        records = [record for record in caplog.records if record.name == LOGGER]
        assert all(record.levelno == logging.INFO for record in records)
        return [LINE.fullmatch(record.getMessage()).groupdict() for record in records]

    return lines


def test_a_request_is_logged_with_method_path_status_duration_and_caller(client, logged):
    client.get("/api/dashboard/snapshots", headers=ADMIN)
    [line] = logged()
    assert line["method"] == "GET" and line["path"] == "/api/dashboard/snapshots" and line["status"] == "200"
    assert float(line["duration_ms"]) >= 0 and line["caller"] == "admin"


def test_api_keys_are_logged_by_name_never_by_key(client, make_key, logged, caplog):
    key = make_key("Viewer", name="grafana-agent")
    client.get("/api/search", headers=bearer(key))
    client.get("/api/search", headers=basic("api_key", key))
    assert [line["caller"] for line in logged()[-2:]] == ["api-key:grafana-agent"] * 2
    assert key not in caplog.text


def test_callers_without_credentials_are_anonymous(client, logged):
    client.get("/api/health")
    assert logged()[0]["caller"] == "anonymous"


def test_a_signed_in_caller_refused_with_403_is_logged_by_name(client, make_user, make_key, logged):
    viewer, key = make_user("vera"), make_key("Viewer", name="reader")
    client.post("/api/auth/keys", json={"name": "k", "role": "Viewer"}, headers=viewer)
    client.get("/api/org/users", headers={**viewer, "X-Grafana-Org-Id": "7"})  # not a member of org 7
    client.delete("/api/dashboards/uid/any", headers=bearer(key))
    assert [(line["status"], line["caller"]) for line in logged()[-3:]] == [
        ("403", "vera"), ("403", "vera"), ("403", "api-key:reader")]


@pytest.mark.data_dir_only
def test_refusals_and_failures_are_logged_once_each(app, client, logged, caplog):
    client.get("/api/dashboard/snapshots")
    client.get("/api/dashboard/snapshots", headers=basic("admin", "wrong-password"))
    client.post("/api/snapshots", data="not json", headers=ADMIN)
    client.get("/no-such-page")
    client.put("/login")
    snapshots_folder = Path(app.extensions["dashsnap"].store.data_dir) / "snapshots"
    shutil.rmtree(snapshots_folder)
    snapshots_folder.write_text("not a folder")  # every snapshot write now fails in the file system
    client.post("/api/snapshots", json={"dashboard": {}}, headers=ADMIN)

    assert [(line["method"], line["path"], line["status"]) for line in logged()] == [
        ("GET", "/api/dashboard/snapshots", "401"), ("GET", "/api/dashboard/snapshots", "401"),
        ("POST", "/api/snapshots", "400"), ("GET", "/no-such-page", "404"), ("PUT", "/login", "405"),
        ("POST", "/api/snapshots", "500")]
    assert "wrong-password" not in caplog.text


def test_snapshot_keys_never_reach_the_log(client, logged, caplog):
    snapshot = client.post("/api/snapshots", json={"dashboard": {}}, headers=ADMIN).get_json()
    key, delete_key = snapshot["key"], snapshot["deleteKey"]
    client.get(f"/api/snapshots/{key}")
    client.get(f"/api/snapshots/{key}/")
    client.put(f"/api/snapshots/{key}")  # a wrong method lands on the catch-all route
    client.get(f"/dashboard/snapshot/{key}")  # the snapshot's page
    client.delete(f"/api/snapshots/{key}", headers=ADMIN)
    client.get(f"/api/snapshots-delete/{delete_key}")
    client.post(f"/api/snapshots-delete/{delete_key}")

    assert [line["path"] for line in logged()[1:]] == [
        "/api/snapshots/***", "/api/snapshots/***/", "/api/snapshots/***", "/dashboard/snapshot/***",
        "/api/snapshots/***", "/api/snapshots-delete/***", "/api/snapshots-delete/***"]
    assert key not in caplog.text and delete_key not in caplog.text


def test_every_route_with_a_secret_is_logged_without_it(app):
    secret = "Secret-Capability-1234"
    routes = [rule.rule for rule in app.url_map.iter_rules() if rule.arguments & SECRET_ARGUMENTS]
    assert routes  # the snapshot routes at least
    for route in routes:
        path = re.sub(r"<(?:[^:>]+:)?(\w+)>", lambda argument: secret if argument[1] in SECRET_ARGUMENTS else "1",
                      route)
        assert secret not in loggable_path(path), route


def test_the_query_string_is_never_logged(client, logged, caplog):
    client.get("/api/search?query=private-plans", headers=ADMIN)
    assert logged()[0]["path"] == "/api/search" and "private-plans" not in caplog.text


def test_a_path_cannot_forge_a_log_line(client, logged, caplog):
    client.get("/no-such%0Apage%20method=GET")
    [line] = logged()
    assert line["path"] == r'"/no-such\npage method=GET"' and line["status"] == "404"
    assert len(caplog.text.strip().splitlines()) == 1
