"""Frontend settings as clients read them: the Grafana version they branch on, the database state, and
dashsnap's own version beside them."""
from __future__ import annotations

from dashsnap.version import DASHSNAP_VERSION


def test_build_info_names_the_grafana_version_the_database_and_dashsnaps_version(grafana):
    build_info = grafana.health.check()
    assert (build_info["version"], build_info["database"]) == ("7.5.17", "ok")
    assert build_info["dashsnapVersion"] == DASHSNAP_VERSION != build_info["version"]


def test_grafana_api_reads_the_same_settings(face):
    settings = face.api.GET("/frontend/settings")
    assert settings["buildInfo"]["version"] == "7.5.17" and settings["buildInfo"]["database"] == "ok"
    assert settings["defaultDatasource"] == "-- Grafana --" and settings["allowOrgCreate"] is True


def test_a_viewer_key_and_a_plain_user_read_them_too(grafana, connect, create_user):
    create_user("bob")
    viewer_key = grafana.client.POST("/auth/keys", json={"name": "reader", "role": "Viewer"})["key"]
    for credential in (viewer_key, ("bob", "secret")):
        settings = connect(credential).client.GET("/frontend/settings")
        assert settings["buildInfo"]["version"] == "7.5.17" and settings["allowOrgCreate"] is False
