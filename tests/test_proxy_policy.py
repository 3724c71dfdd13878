"""The data source proxy's policy, against real upstreams: answers never run as dashsnap's pages (finding 2), a
data source's credentials only read and query (finding 4), and a data source leading back to the proxy does not
loop (finding 5)."""
import json
import time

import pytest
from conftest import ADMIN, RecordingServer, serve
from test_proxy import add_source

SCRIPT = b"<script>fetch('/api/user').then(r => r.text()).then(alert)</script>"


def describe_request(request: dict, url: str) -> tuple[int, dict[str, str], bytes]:
    return 200, {"Content-Type": "application/json"}, json.dumps({"path": request["path"]}).encode()


@pytest.fixture
def make_upstream():
    """Start a RecordingServer answering what respond returns (JSON naming the path by default)."""
    servers = []

    def make(respond=describe_request) -> RecordingServer:
        servers.append(RecordingServer(respond))
        return servers[-1]

    yield make
    for server in servers:
        server.close()


@pytest.fixture
def upstream(make_upstream):
    return make_upstream()


@pytest.fixture
def client(make_app):
    return make_app(DASHSNAP_DATAPROXY_TIMEOUT=1).test_client()


def answering(status: int, headers: dict[str, str], body: bytes = b""):
    return lambda request, url: (status, headers, body)


SANDBOXED = {"Content-Security-Policy": "sandbox; default-src 'none'", "X-Content-Type-Options": "nosniff",
             "Content-Disposition": "attachment"}


def test_stored_xss_an_html_answer_is_sandboxed_unsniffed_and_an_attachment(client, make_upstream):
    evil = make_upstream(answering(200, {"Content-Type": "text/html", "Content-Security-Policy": "script-src *",
                                         "X-Content-Type-Options": "none", "Content-Disposition": "inline"}, SCRIPT))
    source = add_source(client, evil.url)
    response = client.get(f"/api/datasources/proxy/{source}/evil.html", headers=ADMIN)
    assert response.status_code == 200 and response.get_data() == SCRIPT
    for name, value in SANDBOXED.items():
        assert response.headers.getlist(name) == [value]


def test_stored_xss_an_unlabelled_answer_is_bytes_not_html(client, make_upstream):
    unlabelled = make_upstream(answering(200, {}, SCRIPT))
    response = client.get(f"/api/datasources/proxy/{add_source(client, unlabelled.url)}/x", headers=ADMIN)
    assert response.headers["Content-Type"] == "application/octet-stream"
    assert response.headers["Content-Security-Policy"] == SANDBOXED["Content-Security-Policy"]


def test_stored_xss_json_answers_keep_their_type_and_are_sandboxed_too(client, upstream):
    response = client.get(f"/api/datasources/proxy/{add_source(client, upstream.url)}/api/v1/labels", headers=ADMIN)
    assert response.get_json() == {"path": "/api/v1/labels"}
    assert response.headers["Content-Type"] == "application/json"
    assert {name: response.headers[name] for name in SANDBOXED} == SANDBOXED


@pytest.mark.parametrize(("method", "path", "message"), [
    ("DELETE", "api/v1/admin/tsdb/delete_series", "Deletes not allowed on proxied Prometheus datasource"),
    ("PUT", "api/v1/query", "Puts not allowed on proxied Prometheus datasource"),
    ("PATCH", "api/v1/query", "Patches not allowed on proxied Prometheus datasource"),
    ("POST", "api/v1/admin/tsdb/snapshot", "non allow-listed POSTs not allowed on proxied Prometheus datasource"),
    ("POST", "api/v1/query/../admin/tsdb/snapshot",
     "non allow-listed POSTs not allowed on proxied Prometheus datasource"),
    ("POST", "api/v1/query/", "non allow-listed POSTs not allowed on proxied Prometheus datasource"),
])
def test_credential_lending_prometheus_only_queries(client, upstream, make_user, method, path, message):
    source = add_source(client, upstream.url, basicAuth=True, basicAuthUser="admin", basicAuthPassword="pw")
    response = client.open(f"/api/datasources/proxy/{source}/{path}", method=method,
                           headers=make_user("viewer", "Viewer"))
    assert (response.status_code, response.get_json()) == (403, {"message": message})
    assert upstream.seen == []


PROMETHEUS_QUERIES = ["api/v1/query", "api/v1/query_range", "api/v1/series", "api/v1/labels",
                      "api/v1/query_exemplars"]


@pytest.mark.parametrize(("path", "reached"), [(path, path) for path in PROMETHEUS_QUERIES]
                         + [("api/v1//query", "api/v1/query"), ("api/./v1/query_range", "api/v1/query_range")])
def test_credential_lending_prometheus_posts_its_queries(client, upstream, path, reached):
    source = add_source(client, f"{upstream.url}/prom")
    response = client.post(f"/api/datasources/proxy/{source}/{path}", data={"query": "up"}, headers=ADMIN)
    assert response.status_code == 200
    assert upstream.seen[-1]["path"] == f"/prom/{reached}"


def test_credential_lending_the_allowed_posts_are_relative_to_the_data_sources_url(client, upstream):
    source = add_source(client, f"{upstream.url}/api/v1")
    assert client.post(f"/api/datasources/proxy/{source}/query", headers=ADMIN).status_code == 403
    assert upstream.seen == []


@pytest.mark.parametrize("path", ["loki/api/v1/query", "loki/api/v1/query_range", "loki/api/v1/series",
                                  "loki/api/v1/labels"])
def test_credential_lending_loki_posts_its_queries(client, upstream, path):
    source = add_source(client, upstream.url, type="loki")
    assert client.post(f"/api/datasources/proxy/{source}/{path}", data={"query": "{job=\"x\"}"},
                       headers=ADMIN).status_code == 200
    assert upstream.seen[-1]["path"] == f"/{path}"


@pytest.mark.parametrize(("source_type", "method", "path", "message"), [
    ("loki", "POST", "loki/api/v1/push", "non allow-listed POSTs not allowed on proxied Loki datasource"),
    ("loki", "DELETE", "loki/api/v1/delete", "Deletes not allowed on proxied Loki datasource"),
    ("elasticsearch", "DELETE", "logs-2024", "Deletes not allowed on proxied Elasticsearch datasource"),
    ("elasticsearch", "PUT", "logs-2024/_settings", "Puts not allowed on proxied Elasticsearch datasource"),
    ("elasticsearch", "POST", "logs-2024/_doc",
     "Posts not allowed on proxied Elasticsearch datasource except on /_msearch"),
])
def test_credential_lending_loki_and_elasticsearch_only_query(client, upstream, source_type, method, path, message):
    source = add_source(client, upstream.url, type=source_type)
    response = client.open(f"/api/datasources/proxy/{source}/{path}", method=method, headers=ADMIN)
    assert (response.status_code, response.get_json()) == (403, {"message": message})
    assert upstream.seen == []


def test_credential_lending_elasticsearch_posts_its_searches(client, upstream):
    source = add_source(client, upstream.url, type="elasticsearch")
    assert client.post(f"/api/datasources/proxy/{source}/_msearch", data=b"{}\n{}\n", headers=ADMIN).status_code == 200
    assert upstream.seen[-1]["path"] == "/_msearch"


@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE"])
def test_credential_lending_no_type_changes_or_deletes(client, upstream, make_user, method):
    """A Viewer must not use an admin's credentials kept in any data source to change what is behind it."""
    source = add_source(client, upstream.url, type="graphite", basicAuth=True, basicAuthUser="admin",
                        basicAuthPassword="admin")
    response = client.open(f"/api/datasources/proxy/{source}/api/admin/users/4/permissions", method=method,
                           json={"isGrafanaAdmin": True}, headers=make_user("viewer", "Viewer"))
    assert response.status_code == 403
    assert response.get_json()["message"].endswith(" not allowed on proxied Graphite datasource")
    assert upstream.seen == []


def test_credential_lending_identity_and_origin_headers_never_reach_the_upstream(client, upstream):
    identity = {"Origin": "http://evil.test", "Referer": "http://evil.test/", "X-Real-IP": "10.0.0.1",
                "X-Forwarded-For": "10.0.0.1", "X-Forwarded-Host": "evil.test", "X-Forwarded-User": "admin",
                "Forwarded": "for=10.0.0.1", "Via": "1.1 evil", "X-WEBAUTH-USER": "admin", "X-Remote-User": "admin",
                "Remote-User": "admin", "X-Auth-Request-Email": "admin@example.test", "X-Auth-Request-User": "admin",
                "X-Remote-Group": "system:masters", "X-HTTP-Method-Override": "DELETE", "X-Hop-Secret": "1"}
    source = add_source(client, upstream.url)
    client.get(f"/api/datasources/proxy/{source}/api/v1/labels",
               headers={**ADMIN, **identity, "Accept": "application/json", "Connection": "X-Hop-Secret"})
    forwarded = upstream.seen[-1]["headers"]  # X-Hop-Secret: a header that Connection names is hop-by-hop
    assert forwarded["accept"] == "application/json"
    assert not {name.lower() for name in identity} & set(forwarded)


def test_credential_lending_options_is_not_proxied_unauthenticated(client, upstream):
    """flask-httpauth lets OPTIONS through without credentials: the proxy takes no OPTIONS at all."""
    source = add_source(client, upstream.url)
    for headers in ({}, ADMIN):
        response = client.open(f"/api/datasources/proxy/{source}/api/v1/query", method="OPTIONS", headers=headers)
        assert response.status_code in (404, 405) and set(response.get_json()) == {"message"}
    assert upstream.seen == []


def test_credential_lending_the_upstreams_cors_grants_are_dropped(client, make_upstream):
    granting = make_upstream(answering(200, {"Access-Control-Allow-Origin": "*",
                                             "Access-Control-Allow-Credentials": "true"}, b"{}"))
    response = client.get(f"/api/datasources/proxy/{add_source(client, granting.url)}/x", headers=ADMIN)
    assert response.status_code == 200 and not [name for name in response.headers.keys()
                                                 if name.lower().startswith("access-control-")]


def test_credential_lending_auth_and_redirect_headers_of_the_answer_are_dropped(client, make_upstream):
    redirecting = make_upstream(answering(302, {"Location": "http://evil.test/", "Set-Cookie": "session=upstream",
                                                "WWW-Authenticate": "Basic realm=up",
                                                "Proxy-Authenticate": "Basic realm=up"}))
    response = client.get(f"/api/datasources/proxy/{add_source(client, redirecting.url)}/x", headers=ADMIN)
    assert response.status_code == 302
    assert not {"Location", "Set-Cookie", "WWW-Authenticate", "Proxy-Authenticate"} & set(response.headers.keys())


def test_credential_lending_an_upstream_401_is_400_authentication_to_data_source_failed(client, make_upstream):
    refusing = make_upstream(answering(401, {"WWW-Authenticate": "Basic realm=up"}, b"who are you?"))
    response = client.get(f"/api/datasources/proxy/{add_source(client, refusing.url)}/x", headers=ADMIN)
    assert (response.status_code, response.get_json()) == (400, {"message": "Authentication to data source failed"})
    assert "WWW-Authenticate" not in response.headers


def test_loop_every_request_sent_upstream_carries_the_hop_header(client, upstream):
    client.get(f"/api/datasources/proxy/{add_source(client, upstream.url)}/api/v1/labels", headers=ADMIN)
    assert upstream.seen[-1]["headers"]["x-dashsnap-proxied"] == "1"


@pytest.mark.parametrize("credentials", [ADMIN, {}])
def test_loop_a_request_carrying_the_hop_header_goes_no_further(client, upstream, credentials):
    source = add_source(client, upstream.url, uid="hop")
    for url in (f"/api/datasources/proxy/{source}/api/v1/labels", "/api/datasources/proxy/uid/hop/api/v1/labels"):
        response = client.get(url, headers={**credentials, "X-Dashsnap-Proxied": "1"})
        assert response.status_code == 508 and "loop" in response.get_json()["message"]
    assert upstream.seen == []


def test_loop_a_data_source_pointing_at_its_own_proxy_answers_quickly_after_one_hop(make_app):
    timeout = 3
    app = make_app(DASHSNAP_DATAPROXY_TIMEOUT=timeout)
    arrived = []  # the hop header of every proxy request the server got, the caller's first
    handle = app.wsgi_app

    def counting(environ, start_response):
        if environ["PATH_INFO"].startswith("/api/datasources/proxy/"):
            arrived.append(environ.get("HTTP_X_DASHSNAP_PROXIED"))
        return handle(environ, start_response)

    app.wsgi_app = counting
    base, stop = serve(app)
    try:
        client = app.test_client()
        add_source(client, f"{base}/api/datasources/proxy/uid/loop", uid="loop", basicAuth=True,
                   basicAuthUser="admin", basicAuthPassword="admin")
        started = time.monotonic()
        response = client.get("/api/datasources/proxy/uid/loop/api/v1/query?query=up", headers=ADMIN)
        status, body, elapsed = response.status_code, response.get_json(), time.monotonic() - started
    finally:
        stop()
    assert status == 508 and "loop" in body["message"]
    assert arrived == [None, "1"]
    assert elapsed < timeout
