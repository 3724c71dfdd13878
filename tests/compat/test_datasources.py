"""Data sources through both clients, and a Prometheus query through the proxy to a real upstream."""
from __future__ import annotations

import json
from urllib.parse import parse_qs

import pytest
from conftest import RecordingServer
from grafana_client.client import GrafanaClientError

PROMETHEUS = {"name": "prom", "type": "prometheus", "access": "proxy", "isDefault": True,
              "basicAuth": True, "basicAuthUser": "scraper", "secureJsonData": {"basicAuthPassword": "s3cret"}}


@pytest.fixture
def prometheus():
    """A stand-in Prometheus: answers an instant query with a vector naming the query it was asked."""

    def answer(request, _url):
        asked = parse_qs(request["body"].decode())["query"][0]
        result = {"status": "success", "data": {"resultType": "vector", "result": [
            {"metric": {"__name__": asked}, "value": [1700000000, "1"]}]}}
        return 200, {"Content-Type": "application/json"}, json.dumps(result).encode()

    server = RecordingServer(answer)
    yield server
    server.close()


def test_create_read_every_way_update_and_delete(grafana, prometheus):
    made = grafana.datasource.create_datasource({**PROMETHEUS, "url": prometheus.url})
    source_id, uid = made["id"], made["datasource"]["uid"]
    assert made["datasource"]["name"] == "prom"
    assert made["datasource"]["secureJsonFields"] == {"basicAuthPassword": True}

    by_id = grafana.datasource.get_datasource_by_id(source_id)
    assert grafana.datasource.get_datasource_by_name("prom") == by_id == grafana.datasource.get_datasource_by_uid(uid)
    assert grafana.datasource.get_datasource_id_by_name("prom") == {"id": source_id}
    assert "s3cret" not in json.dumps(grafana.datasource.list_datasources())

    grafana.datasource.update_datasource(source_id, {**PROMETHEUS, "url": prometheus.url, "jsonData": {"a": 1}})
    grafana.datasource.update_datasource_by_uid(uid, {**PROMETHEUS, "name": "prom2", "url": prometheus.url})
    assert grafana.datasource.get_datasource_by_id(source_id)["name"] == "prom2"

    grafana.datasource.delete_datasource_by_uid(uid)
    with pytest.raises(GrafanaClientError) as gone:
        grafana.datasource.get_datasource_by_id(source_id)
    assert gone.value.status_code == 404 and gone.value.response == {"message": "Data source not found"}


def test_a_query_by_id_and_by_uid_reaches_the_upstream_with_the_sources_credentials(grafana, prometheus):
    made = grafana.datasource.create_datasource({**PROMETHEUS, "url": prometheus.url})

    by_id = grafana.datasource.query(made["id"], "up")
    by_uid = grafana.datasource.query(query="rate(x[5m])", datasource_uid=made["datasource"]["uid"])

    assert by_id["data"]["result"][0]["metric"] == {"__name__": "up"}
    assert by_uid["data"]["result"][0]["metric"] == {"__name__": "rate(x[5m])"}
    assert [request["path"] for request in prometheus.seen] == ["/api/v1/query", "/api/v1/query"]
    assert {request["headers"]["authorization"] for request in prometheus.seen} == {"Basic c2NyYXBlcjpzM2NyZXQ="}


def test_an_api_key_client_queries_too(keyed, prometheus):
    made = keyed.datasource.create_datasource({**PROMETHEUS, "url": prometheus.url})
    assert keyed.datasource.query(made["id"], "up")["status"] == "success"
    assert "bearer" not in prometheus.seen[0]["headers"]["authorization"].lower()


def test_a_restored_source_keeps_to_the_callers_org(grafana, prometheus):
    """Restore tools post data sources as they exported them, with id, orgId and uid."""
    other_org = grafana.organization.create_organization({"name": "Elsewhere"})["orgId"]
    made = grafana.datasource.create_datasource({**PROMETHEUS, "url": prometheus.url, "id": 77, "orgId": other_org,
                                                 "uid": "restored-uid"})
    assert made["datasource"]["orgId"] == 1 and made["datasource"]["uid"] == "restored-uid"
    assert [source["name"] for source in grafana.datasource.list_datasources()] == ["prom"]


def test_grafana_api_manages_data_sources(face, prometheus):
    made = face.datasource.create_datasource({**PROMETHEUS, "url": prometheus.url})
    assert face.datasource.find_datasource("prom")["id"] == made["id"]
    face.datasource.update_datasource(made["id"], {**PROMETHEUS, "url": prometheus.url, "name": "renamed"})
    assert [source["name"] for source in face.datasource.list_datasources()] == ["renamed"]
    face.datasource.delete_datasource_by_name("renamed")
    assert face.datasource.list_datasources() == []
