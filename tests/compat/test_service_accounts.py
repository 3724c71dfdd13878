"""Service accounts through grafana-client, as today's tools use them: an admin makes an account and a token, and
the token then does a pipeline's usual work (who am I, save, search, snapshot) until the account is disabled."""
from __future__ import annotations

import pytest
from grafana_client.client import GrafanaUnauthorizedError

from .conftest import generated


@pytest.fixture
def ci_account(grafana) -> dict:
    return grafana.serviceaccount.create({"name": "CI Pipeline", "role": "Editor"})


def test_an_account_is_made_found_and_given_a_token_shown_once(grafana, ci_account):
    assert (ci_account["name"], ci_account["login"], ci_account["role"], ci_account["isDisabled"]) == (
        "CI Pipeline", "sa-1-ci-pipeline", "Editor", False)
    assert grafana.serviceaccount.get(ci_account["id"])["login"] == "sa-1-ci-pipeline"
    assert grafana.serviceaccount.search_one("pipeline")["id"] == ci_account["id"]
    assert [account["login"] for account in grafana.serviceaccount.search_all()] == ["sa-1-ci-pipeline"]

    token = grafana.serviceaccount.create_token(ci_account["id"], {"name": "deploys", "secondsToLive": 3600})
    assert token["key"].startswith("glsa_") and token["name"] == "deploys"
    [listed] = grafana.serviceaccount.get_tokens(ci_account["id"])
    assert (listed["id"], listed["name"], listed["hasExpired"]) == (token["id"], "deploys", False)
    assert 3500 < listed["secondsUntilExpiration"] <= 3600 and token["key"] not in str(listed)


def test_a_token_does_a_pipelines_work_with_snapshots_of_its_own(grafana, connect, ci_account):
    theirs = grafana.snapshots.create_new_snapshot(dashboard={"title": "Admin's"}, name="admin")
    ci = connect(grafana.serviceaccount.create_token(ci_account["id"], {"name": "deploys"})["key"])

    me = ci.user.get_actual_user()
    assert (me["id"], me["login"], me["orgId"], me["isGrafanaAdmin"]) == (ci_account["id"], "sa-1-ci-pipeline", 1,
                                                                         False)
    saved = ci.dashboard.update_dashboard({"dashboard": generated("Deploy Board"), "message": "from CI"})
    assert [hit["uid"] for hit in ci.search.search_dashboards(query="Deploy Board")] == [saved["uid"]]
    [version] = ci.dashboard_versions.get_dashboard_versions_by_uid(saved["uid"])
    assert (version["createdBy"], version["message"]) == ("sa-1-ci-pipeline", "from CI")

    model = ci.dashboard.get_dashboard(saved["uid"])["dashboard"]
    made = ci.snapshots.create_new_snapshot(dashboard=model, name="release 1.2")
    assert [item["key"] for item in ci.snapshots.get_dashboard_snapshots()] == [made["key"]]
    assert {item["key"] for item in grafana.snapshots.get_dashboard_snapshots()} == {theirs["key"], made["key"]}
    ci.snapshots.delete_snapshot_by_key(made["key"])
    assert ci.snapshots.get_dashboard_snapshots() == []


def test_disabling_the_account_or_deleting_the_token_locks_the_token_out(grafana, connect, ci_account):
    token = grafana.serviceaccount.create_token(ci_account["id"], {"name": "deploys"})
    ci = connect(token["key"])
    assert ci.search.search_dashboards() == []

    updated = grafana.serviceaccount.update(ci_account["id"], {"isDisabled": True})
    assert updated["serviceaccount"]["isDisabled"] is True
    with pytest.raises(GrafanaUnauthorizedError):
        ci.search.search_dashboards()
    grafana.serviceaccount.update(ci_account["id"], {"isDisabled": False})
    assert ci.search.search_dashboards() == []

    grafana.serviceaccount.delete_token(ci_account["id"], token["id"])
    with pytest.raises(GrafanaUnauthorizedError):
        ci.search.search_dashboards()
    assert grafana.serviceaccount.get_tokens(ci_account["id"]) == []
    grafana.serviceaccount.delete(ci_account["id"])
    assert grafana.serviceaccount.search_all() == []


def test_migrated_api_keys_keep_working_as_service_account_tokens(grafana, connect, admin_key):
    migrated = grafana.client.POST("/serviceaccounts/migrate")
    assert (migrated["total"], migrated["migrated"], migrated["failed"]) == (1, 1, 0)
    [account] = grafana.serviceaccount.search_all()
    assert (account["name"], account["role"], account["tokens"]) == ("sa-autogen-tooling", "Admin", 1)
    assert grafana.client.GET("/auth/keys") == []

    tooling = connect(admin_key)
    assert tooling.user.get_actual_user()["id"] == account["id"]
    made = tooling.snapshots.create_new_snapshot(dashboard={"title": "From the old key"})
    assert [item["key"] for item in tooling.snapshots.get_dashboard_snapshots()] == [made["key"]]
