"""The published Grafana clients, pointed at a real waitress server on an ephemeral port."""
from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from conftest import free_port, on_postgres, serve
from flask import Flask
from grafana_api.grafana_api import GrafanaClientError as FaceClientError
from grafana_api.grafana_face import GrafanaFace
from grafana_client import GrafanaApi
from grafana_client.client import GrafanaClientError
from server_pair import servers_behind_haproxy

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "dashboards"
REAL_WORLD = sorted(path.name for path in FIXTURES.glob("*.json"))
# A refusal (4xx) as either client raises it.
CLIENT_ERRORS = (GrafanaClientError, FaceClientError)


def raw(api):
    """Either client's own request runner (`.GET("/org")` and so on, relative to /api), for calls it does not wrap."""
    return api.client if isinstance(api, GrafanaApi) else api.api


def real_world(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


@pytest.fixture
def port() -> int:
    return free_port()


@pytest.fixture(params=["one server", "two servers behind haproxy"])
def shared_database(request) -> str | None:
    """Where the clients' server keeps its data: one server's data dir, or (every test again) one PostgreSQL
    database that two server processes share behind a load balancer (see server_pair.py)."""
    return request.getfixturevalue("make_database")() if request.param != "one server" else None


@pytest.fixture
def served_app(make_app, port, shared_database, tmp_path) -> Flask:
    """The app `server` serves, or one more on the database the servers share: tests reach its store only to set
    up what would be slow through the API."""
    if shared_database:
        return make_app(tmp_path / "setup", DASHSNAP_ROOT_URL=f"http://127.0.0.1:{port}/",
                        **on_postgres(shared_database))
    return make_app(DASHSNAP_ROOT_URL=f"http://127.0.0.1:{port}/")


@pytest.fixture
def server(served_app, port, shared_database, tmp_path) -> Iterator[str]:
    """The base url of a dashsnap on a loopback port, its root_url matching, with the default admin:admin."""
    if shared_database:
        with servers_behind_haproxy(shared_database, tmp_path, port=port) as pair:
            yield pair.url.rstrip("/")
        return
    url, stop = serve(served_app, port)
    yield url
    stop()


@pytest.fixture
def connect(server) -> Iterator[Callable[..., GrafanaApi]]:
    """grafana-client, connected the way its README shows: the url and a (login, password) pair, an API key,
    or None for anonymous; with an organization_id, through its constructor, which takes one. Its connection
    pool is closed after the test."""
    made: list[GrafanaApi] = []

    def make(credential=("admin", "admin"), organization_id: int | None = None) -> GrafanaApi:
        if organization_id is None:
            made.append(GrafanaApi.from_url(server, credential=credential))
        else:
            host, port = server.removeprefix("http://").split(":")
            made.append(GrafanaApi(credential, host=host, port=int(port), organization_id=organization_id))
        return made[-1]

    yield make
    for api in made:
        api.client.s.close()


@pytest.fixture
def grafana(connect) -> GrafanaApi:
    """grafana-client signed in as the server admin with a password."""
    return connect()


@pytest.fixture
def admin_key(grafana) -> str:
    return grafana.client.POST("/auth/keys", json={"name": "tooling", "role": "Admin"})["key"]


@pytest.fixture
def keyed(connect, admin_key) -> GrafanaApi:
    """grafana-client signed in with an Admin API key, as backup and snapshot tools are."""
    return connect(admin_key)


@pytest.fixture
def connect_face(server) -> Iterator[Callable[..., GrafanaFace]]:
    """grafana-api (the older client), connected with a (login, password) pair or an API key."""
    host, port = server.removeprefix("http://").split(":")
    made: list[GrafanaFace] = []

    def make(credential=("admin", "admin")) -> GrafanaFace:
        made.append(GrafanaFace(auth=credential, host=host, port=int(port), protocol="http"))
        return made[-1]

    yield make
    for api in made:
        api.api.s.close()


@pytest.fixture
def face(connect_face) -> GrafanaFace:
    """grafana-api signed in as the server admin with a password."""
    return connect_face()


@pytest.fixture(params=["grafana-client", "grafana-api"])
def sign_in(request, connect, connect_face) -> Callable:
    """Each client in turn: `sign_in(credential)` connects it. Both name their account calls alike
    (`organization`, `organizations`, `users`, `user`, `admin`)."""
    return connect if request.param == "grafana-client" else connect_face


@pytest.fixture
def api(sign_in):
    """Each client in turn, signed in as the server admin with a password."""
    return sign_in(("admin", "admin"))


@pytest.fixture
def create_user(grafana) -> Callable[..., int]:
    """Create a user through the admin API (a Viewer of the main org, password "secret"); returns its id."""

    def create(login: str, password: str = "secret", **fields) -> int:
        user = {"login": login, "email": f"{login}@example.test", "name": login.title(), "password": password}
        return grafana.admin.create_user({**user, **fields})["id"]

    return create


def generated(title: str = "Service Health", *, tags: tuple[str, ...] = ("generated", "prod"),
              uid: str | None = None) -> dict:
    """A dashboard built with grafanalib and serialised as its `generate-dashboard` command does: every panel
    type people generate, templating, annotations and tags; `id` and `uid` null (unless a uid is given)."""
    from grafanalib import core
    from grafanalib._gen import DashboardEncoder

    def target(expr: str, **fields) -> core.Target:
        return core.Target(expr=expr, legendFormat="{{instance}}", **fields)

    dashboard = core.Dashboard(
        title=title, tags=list(tags), uid=uid, timezone="browser",
        templating=core.Templating(list=[core.Template(
            name="instance", label="Instance", query="label_values(up, instance)", dataSource="Prometheus",
            includeAll=True, multi=True)]),
        annotations=core.Annotations(list=[{
            "name": "Deploys", "datasource": "Prometheus", "enable": True, "expr": "changes(build_info[5m]) > 0",
            "iconColor": "rgba(255, 96, 96, 1)", "titleFormat": "Deploy"}]),
        panels=[
            core.TimeSeries(title="Requests", dataSource="Prometheus", unit="reqps",
                            targets=[target("sum by (instance) (rate(http_requests_total[5m]))")],
                            gridPos=core.GridPos(h=8, w=12, x=0, y=0)),
            core.Graph(title="Latency p99", dataSource="Prometheus",
                       targets=[target("histogram_quantile(0.99, rate(latency_bucket[5m]))")],
                       gridPos=core.GridPos(h=8, w=12, x=12, y=0)),
            core.Stat(title="Up", dataSource="Prometheus", reduceCalc="last",
                      targets=[target("sum(up{instance=~\"$instance\"})")],
                      gridPos=core.GridPos(h=4, w=6, x=0, y=8)),
            core.Table(title="Targets", dataSource="Prometheus",
                       targets=[target("up", format="table", instant=True)],
                       gridPos=core.GridPos(h=8, w=12, x=6, y=8)),
            core.Text(title="Runbook", mode="markdown", content="# On call\n\n* Check **Up** first — ünïcode too",
                      gridPos=core.GridPos(h=4, w=6, x=18, y=8)),
        ]).auto_panel_ids()
    return json.loads(json.dumps(dashboard.to_json_data(), sort_keys=True, cls=DashboardEncoder))
