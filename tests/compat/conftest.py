"""The published Grafana clients, pointed at a real waitress server on an ephemeral port."""
from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from conftest import free_port, serve
from grafana_api.grafana_face import GrafanaFace
from grafana_client import GrafanaApi

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "dashboards"
REAL_WORLD = sorted(path.name for path in FIXTURES.glob("*.json"))


def real_world(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


@pytest.fixture
def server(make_app) -> Iterator[str]:
    """The base url of a dashsnap on a loopback port, its root_url matching, with the default admin:admin."""
    port = free_port()
    url, stop = serve(make_app(DASHSNAP_ROOT_URL=f"http://127.0.0.1:{port}/"), port)
    yield url
    stop()


@pytest.fixture
def connect(server) -> Iterator[Callable[..., GrafanaApi]]:
    """grafana-client, connected the way its README shows: the url and a (login, password) pair, an API key,
    or None for anonymous. Its connection pool is closed after the test."""
    made: list[GrafanaApi] = []

    def make(credential=("admin", "admin")) -> GrafanaApi:
        made.append(GrafanaApi.from_url(server, credential=credential))
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
def face(server) -> Iterator[GrafanaFace]:
    """grafana-api (the older client), signed in as the server admin with a password."""
    host, port = server.removeprefix("http://").split(":")
    api = GrafanaFace(auth=("admin", "admin"), host=host, port=int(port), protocol="http")
    yield api
    api.api.s.close()
