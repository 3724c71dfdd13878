"""API keys, which neither client wraps: created, listed and deleted through each client's raw calls, and used to
sign in as backup and snapshot tools do."""
from __future__ import annotations

import base64
import json

import pytest
from grafana_client.client import GrafanaClientError, GrafanaUnauthorizedError

from .conftest import CLIENT_ERRORS, raw


def test_a_created_key_answers_id_name_and_key_and_is_listed(api):
    created = raw(api).POST("/auth/keys", json={"name": "backup", "role": "Viewer"})
    assert set(created) == {"id", "name", "key"} and created["name"] == "backup"
    assert json.loads(base64.b64decode(created["key"]))["n"] == "backup"
    assert raw(api).GET("/auth/keys") == [{"id": created["id"], "name": "backup", "role": "Viewer"}]


def test_a_deleted_key_is_unlisted_and_signs_in_no_more(api, connect):
    created = raw(api).POST("/auth/keys", json={"name": "backup", "role": "Admin"})
    assert raw(api).DELETE(f"/auth/keys/{created['id']}") == {"message": "API key deleted"}
    assert raw(api).GET("/auth/keys") == []
    with pytest.raises(GrafanaUnauthorizedError):
        connect(created["key"]).organization.get_current_organization()


def test_a_duplicate_key_name_is_refused(api):
    raw(api).POST("/auth/keys", json={"name": "backup", "role": "Viewer"})
    with pytest.raises(CLIENT_ERRORS) as refused:
        raw(api).POST("/auth/keys", json={"name": "backup", "role": "Admin"})
    assert refused.value.status_code == 409
    assert [key["role"] for key in raw(api).GET("/auth/keys")] == ["Viewer"]


def test_an_admin_key_lists_keys_and_the_orgs_members(keyed):
    assert [key["name"] for key in keyed.client.GET("/auth/keys")] == ["tooling"]
    assert keyed.organization.get_current_organization_users()[0]["login"] == "admin"


def test_a_viewer_key_reads_but_is_refused_writes(grafana, connect):
    viewer = connect(grafana.client.POST("/auth/keys", json={"name": "reader", "role": "Viewer"})["key"])
    assert viewer.organization.get_current_organization()["name"] == "Main Org."
    writes = [
        lambda: viewer.organization.update_current_organization({"name": "Taken over"}),
        lambda: viewer.client.POST("/auth/keys", json={"name": "escalated", "role": "Admin"}),
        lambda: viewer.dashboard.update_dashboard({"dashboard": {"title": "Planted"}, "overwrite": False}),
        lambda: viewer.organization.add_user_current_organization({"loginOrEmail": "admin", "role": "Viewer"}),
    ]
    for write in writes:
        with pytest.raises(GrafanaClientError) as refused:
            write()
        assert refused.value.status_code == 403 and refused.value.response == {"message": "Permission denied"}
    assert grafana.organization.get_current_organization()["name"] == "Main Org."
    assert [key["name"] for key in grafana.client.GET("/auth/keys")] == ["reader"]
    assert grafana.search.search_dashboards() == []


def test_a_key_has_no_user_and_no_server_admin_rights(keyed):
    with pytest.raises(GrafanaClientError) as refused:
        keyed.organizations.list_organization()
    assert refused.value.status_code == 403
    with pytest.raises(GrafanaClientError) as no_user:
        keyed.user.get_actual_user()
    assert no_user.value.status_code == 400 and "message" in no_user.value.response
