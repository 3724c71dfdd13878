"""Snapshots through both clients: create, read, list, and the two ways to delete."""
from __future__ import annotations

import pytest
import requests
from grafana_api.grafana_api import GrafanaClientError as FaceClientError
from grafana_client.client import GrafanaClientError

from .conftest import real_world


def test_a_real_world_snapshot_round_trips_through_grafana_client(grafana, server):
    dashboard = real_world("node-exporter-full.json")
    made = grafana.snapshots.create_new_snapshot(dashboard=dashboard, name="nodes", expires=3600)
    assert made["url"] == f"{server}/dashboard/snapshot/{made['key']}"
    assert made["deleteUrl"] == f"{server}/api/snapshots-delete/{made['deleteKey']}"
    assert isinstance(made["id"], int)

    stored = grafana.snapshots.get_snapshot_by_key(made["key"])
    assert stored["dashboard"] == dashboard
    assert stored["meta"]["isSnapshot"] is True
    assert [(item["key"], item["name"]) for item in grafana.snapshots.get_dashboard_snapshots()] == \
        [(made["key"], "nodes")]


def test_a_restored_snapshot_with_its_meta_and_own_keys_is_taken_as_is(keyed):
    """Backup tools post a snapshot as they read it back: `meta` included, its keys chosen by them."""
    exported = {"dashboard": {"title": "Saved", "panels": []}, "meta": {"isSnapshot": True, "created": "x"}}
    made = keyed.client.POST("/snapshots", json={**exported, "name": "restored", "key": "restored-key-0123456789",
                                                 "deleteKey": "restored-delete-0123456789"})
    assert (made["key"], made["deleteKey"]) == ("restored-key-0123456789", "restored-delete-0123456789")
    assert keyed.snapshots.get_snapshot_by_key("restored-key-0123456789")["dashboard"] == exported["dashboard"]


def test_deleting_by_key_then_by_delete_key(grafana):
    first = grafana.snapshots.create_new_snapshot(dashboard={"title": "One"}, name="one")
    second = grafana.snapshots.create_new_snapshot(dashboard={"title": "Two"}, name="two")

    grafana.snapshots.delete_snapshot_by_key(first["key"])
    assert "deleted" in grafana.snapshots.delete_snapshot_by_delete_key(second["deleteKey"])["message"]

    assert grafana.snapshots.get_dashboard_snapshots() == []
    for made in (first, second):
        with pytest.raises(GrafanaClientError) as gone:
            grafana.snapshots.get_snapshot_by_key(made["key"])
        assert gone.value.status_code == 404 and gone.value.response == {"message": "Snapshot not found"}


def test_the_delete_url_works_with_no_credentials(grafana):
    made = grafana.snapshots.create_new_snapshot(dashboard={"title": "Shared"})
    answer = requests.get(made["deleteUrl"], timeout=5)
    assert answer.status_code == 200 and answer.headers["Content-Type"] == "application/json"
    assert grafana.snapshots.get_dashboard_snapshots() == []


def test_grafana_api_creates_lists_and_deletes_snapshots(face):
    made = face.snapshots.create_new_snapshot(dashboard={"title": "Old client"}, name="legacy")
    assert face.snapshots.get_snapshot_by_key(made["key"])["dashboard"] == {"title": "Old client"}
    assert [item["name"] for item in face.snapshots.get_dashboard_snapshots()] == ["legacy"]

    face.snapshots.delete_snapshot_by_key(made["key"])
    with pytest.raises(FaceClientError) as gone:
        face.snapshots.get_snapshot_by_key(made["key"])
    assert gone.value.status_code == 404
