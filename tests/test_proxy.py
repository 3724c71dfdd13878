"""The data source proxy, against a real upstream HTTP server that records every request it gets."""
import base64
import json
import threading

import pytest
from conftest import ADMIN, RecordingServer, bearer, free_port

# Set when a test ends: the upstream holds its answers to /api/v1/slow until then (the proxy gives up after 1 s).
TEST_ENDED = threading.Event()


def describe_request(request: dict, url: str) -> tuple[int, dict[str, str], bytes]:
    """The upstream's answer: JSON naming the request (201 for POST); on /api/v1/slow, once the test has ended."""
    if request["path"].startswith("/api/v1/slow"):
        TEST_ENDED.wait(timeout=30)
    reply = json.dumps({"path": request["path"], "method": request["method"]}).encode()
    return (201 if request["method"] == "POST" else 200,
            {"Content-Type": "application/vnd.test+json", "Set-Cookie": "upstream=1"}, reply)


@pytest.fixture
def upstream():
    TEST_ENDED.clear()
    server = RecordingServer(describe_request)
    yield server
    TEST_ENDED.set()
    server.close()


@pytest.fixture
def client(make_app):
    return make_app(DASHSNAP_DATAPROXY_TIMEOUT=1).test_client()


def add_source(client, url, **fields):
    body = {"name": fields.pop("name", "up"), "type": "prometheus", "access": "proxy", "url": url, **fields}
    response = client.post("/api/datasources", json=body, headers=ADMIN)
    assert response.status_code == 200, response.get_json()
    return response.get_json()["id"]


def test_get_with_query_reaches_the_upstream_below_the_data_sources_path(client, upstream):
    source = add_source(client, f"{upstream.url}/api/v1")
    response = client.get(f"/api/datasources/proxy/{source}/query?query=up&time=1", headers=ADMIN)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/vnd.test+json"
    assert response.get_json() == {"path": "/api/v1/query?query=up&time=1", "method": "GET"}
    assert "Set-Cookie" not in response.headers


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_methods_and_bodies_are_forwarded_with_the_upstream_status(client, upstream, method):
    source = add_source(client, upstream.url, type="graphite")
    response = client.open(f"/api/datasources/proxy/{source}/render", method=method, data=b"target=up\n",
                           headers={**ADMIN, "Content-Type": "text/plain"})
    assert response.status_code == (201 if method == "POST" else 200)
    assert (upstream.seen[-1]["method"], upstream.seen[-1]["body"]) == (method, b"target=up\n")
    assert upstream.seen[-1]["headers"]["content-type"] == "text/plain"


def test_the_callers_credentials_never_reach_the_upstream(client, upstream, make_key):
    source = add_source(client, upstream.url)
    client.get(f"/api/datasources/proxy/{source}/x", headers={**ADMIN, "Cookie": "grafana_session=abc"})
    client.get(f"/api/datasources/proxy/{source}/y", headers=bearer(make_key("Viewer")))
    for request in upstream.seen:
        assert "authorization" not in request["headers"] and "cookie" not in request["headers"]


def test_the_data_sources_basic_auth_is_added(client, upstream):
    source = add_source(client, upstream.url, basicAuth=True, basicAuthUser="scraper", basicAuthPassword="pw")
    client.get(f"/api/datasources/proxy/{source}/x", headers=ADMIN)
    assert upstream.seen[-1]["headers"]["authorization"] == "Basic " + base64.b64encode(b"scraper:pw").decode()


def test_the_basic_auth_password_kept_in_secure_json_data_is_used(client, upstream):
    """Grafana 6.2+ clients send the password in secureJsonData; it wins over the older top-level field."""
    source = add_source(client, upstream.url, basicAuth=True, basicAuthUser="scraper", basicAuthPassword="old",
                        secureJsonData={"basicAuthPassword": "new"})
    client.get(f"/api/datasources/proxy/{source}/x", headers=ADMIN)
    assert upstream.seen[-1]["headers"]["authorization"] == "Basic " + base64.b64encode(b"scraper:new").decode()


def test_a_source_is_reached_by_uid_too(client, upstream):
    add_source(client, upstream.url, uid="prom-uid")
    response = client.post("/api/datasources/proxy/uid/prom-uid/api/v1/query", data={"query": "up"}, headers=ADMIN)
    assert response.get_json() == {"path": "/api/v1/query", "method": "POST"}
    assert upstream.seen[-1]["body"] == b"query=up"
    missing = client.get("/api/datasources/proxy/uid/nothing/query", headers=ADMIN)
    assert (missing.status_code, missing.get_json()) == (404, {"message": "Data source not found"})


@pytest.mark.parametrize("path", ["../../etc", "a/../../secret", "%2e%2e/secret", "..%2Fsecret"])
def test_the_path_cannot_climb_above_the_data_sources_url(client, upstream, path):
    source = add_source(client, f"{upstream.url}/api/v1")
    response = client.get(f"/api/datasources/proxy/{source}/{path}", headers=ADMIN)
    assert response.status_code in (400, 404)
    assert response.content_type == "application/json"
    assert upstream.seen == []


def test_a_slow_upstream_is_504(client, upstream):
    source = add_source(client, f"{upstream.url}/api/v1")
    response = client.get(f"/api/datasources/proxy/{source}/slow", headers=ADMIN)
    assert response.status_code == 504
    assert "in time" in response.get_json()["message"]


def test_an_unreachable_upstream_is_502(client):
    source = add_source(client, f"http://127.0.0.1:{free_port()}")
    response = client.get(f"/api/datasources/proxy/{source}/x", headers=ADMIN)
    assert response.status_code == 502
    assert "unreachable" in response.get_json()["message"]


def test_only_proxy_access_data_sources_are_proxied(client, upstream):
    source = add_source(client, upstream.url, access="direct")
    assert client.get(f"/api/datasources/proxy/{source}/x", headers=ADMIN).status_code == 400
    assert upstream.seen == []


def test_viewers_may_proxy_and_other_orgs_may_not(client, upstream, make_user):
    source = add_source(client, upstream.url)
    assert client.get(f"/api/datasources/proxy/{source}/x", headers=make_user("viewer", "Viewer")).status_code == 200
    response = client.get(f"/api/datasources/proxy/{source}/x", headers=make_user("other", "Admin", org_id=2))
    assert response.status_code == 404 and response.get_json() == {"message": "Data source not found"}
    assert client.get(f"/api/datasources/proxy/{source}/x").status_code == 401
    assert len(upstream.seen) == 1


@pytest.mark.parametrize("url", ["http://[::1", "http://127.0.0.1:99999/", "ftp://files.test", "prom.test:9090",
                                 "http://"])
def test_data_source_urls_must_be_usable_http_urls(client, url):
    response = client.post("/api/datasources", json={"name": "bad", "type": "prometheus", "url": url}, headers=ADMIN)
    assert response.status_code == 400
    assert response.get_json()["message"].startswith("url:")


def test_grafana_identity_headers_of_the_caller_never_reach_the_upstream(client, upstream):
    source = add_source(client, upstream.url)
    client.get(f"/api/datasources/proxy/{source}/x",
               headers={**ADMIN, "X-Grafana-User": "spoof", "X-Grafana-Org-Id": "1", "X-DS-Authorization": "x"})
    forwarded = upstream.seen[-1]["headers"]
    assert not [name for name in forwarded if name.startswith(("x-grafana-", "x-ds-"))]


def test_an_upstream_breaking_off_ends_the_answer_without_an_error(client):
    import socket

    listener = socket.create_server(("127.0.0.1", 0))

    def serve_once():
        connection, _ = listener.accept()
        connection.recv(65536)
        connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\nContent-Type: text/plain\r\n\r\nabc")
        connection.close()

    threading.Thread(target=serve_once, daemon=True).start()
    source = add_source(client, f"http://127.0.0.1:{listener.getsockname()[1]}")
    response = client.get(f"/api/datasources/proxy/{source}/x", headers=ADMIN)
    assert response.status_code == 200 and response.get_data() == b"abc"
    listener.close()


def source_uid(client, source_id: int) -> str:
    return client.get(f"/api/datasources/{source_id}", headers=ADMIN).get_json()["uid"]


def test_health_asks_prometheus_its_health_path_through_the_proxy(client, upstream, make_user):
    uid = source_uid(client, add_source(client, f"{upstream.url}/prom", basicAuth=True, basicAuthUser="u",
                                        secureJsonData={"basicAuthPassword": "p"}))
    response = client.get(f"/api/datasources/uid/{uid}/health", headers=make_user("viewer"))
    assert (response.status_code, response.get_json()) == (
        200, {"status": "OK", "message": "Successfully queried the Prometheus API."})
    assert upstream.seen[-1]["path"] == "/prom/-/healthy"
    assert upstream.seen[-1]["headers"]["authorization"] == "Basic " + base64.b64encode(b"u:p").decode()


def test_health_of_an_unhealthy_or_unreachable_source_is_an_error(client):
    sick = RecordingServer(lambda request, url: (503, {}, b"starting"))
    try:
        uid = source_uid(client, add_source(client, sick.url))
        response = client.get(f"/api/datasources/uid/{uid}/health", headers=ADMIN)
        assert (response.status_code, response.get_json()) == (
            400, {"status": "ERROR", "message": "the data source answered 503"})
    finally:
        sick.close()
    gone = source_uid(client, add_source(client, f"http://127.0.0.1:{free_port()}", name="gone"))
    response = client.get(f"/api/datasources/uid/{gone}/health", headers=ADMIN)
    assert response.status_code == 400 and response.get_json()["status"] == "ERROR"


def test_health_of_a_type_without_a_health_path_or_an_unknown_source_is_404(client, upstream, make_user):
    uid = source_uid(client, add_source(client, upstream.url, type="graphite"))
    response = client.get(f"/api/datasources/uid/{uid}/health", headers=ADMIN)
    assert (response.status_code, response.get_json()) == (404, {"message": "Health check not implemented"})
    assert client.get("/api/datasources/uid/nope/health", headers=ADMIN).status_code == 404
    other_org = make_user("other", "Admin", org_id=2)
    assert client.get(f"/api/datasources/uid/{uid}/health", headers=other_org).status_code == 404
    assert upstream.seen == []
