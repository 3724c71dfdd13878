"""Connecting: health, the version clients branch on, and the two ways tools sign in."""
from __future__ import annotations

import pytest
from grafana_client.client import GrafanaUnauthorizedError


def test_grafana_client_reads_the_grafana_version_and_database_state(grafana):
    build_info = grafana.connect()
    assert build_info["version"] == "7.5.17" and build_info["database"] == "ok"
    assert str(grafana.get_version()) == "7.5.17"


def test_health_answers_without_auth(connect):
    health = connect(None).client.GET("/health")
    assert health["database"] == "ok" and health["version"] == "7.5.17" and "commit" in health


def test_an_admin_api_key_signs_in_and_may_list_keys(keyed):
    assert [key["name"] for key in keyed.client.GET("/auth/keys")] == ["tooling"]
    assert keyed.organization.get_current_organization()["id"] == 1


@pytest.mark.parametrize("credential", [("admin", "wrong"), "not-a-key"])
def test_a_wrong_password_or_key_is_unauthorized(connect, credential):
    with pytest.raises(GrafanaUnauthorizedError):
        connect(credential).organization.get_current_organization()


def test_grafana_api_signs_in_with_a_password(face):
    assert face.organization.get_current_organization()["name"] == "Main Org."


def test_the_clients_leave_the_servers_urllib3_in_place():
    """grafana-client's urllib3-future must sit beside urllib3, not replace it: the server is tested on what it
    ships with. The test install builds it from source with URLLIB3_NO_OVERRIDE=1 (see requirements-test.in): no
    start-up hook that copies it over urllib3, and no urllib3 package of its own."""
    import site
    from importlib.metadata import files, version
    from pathlib import Path

    import urllib3

    assert urllib3.__version__ == version("urllib3")
    assert [path for folder in site.getsitepackages() if (path := Path(folder, "urllib3_future.pth")).exists()] == []
    assert sorted({str(path).split("/")[0] for path in files("urllib3-future") if "/" in str(path)}) == [
        "urllib3_future", f"urllib3_future-{version('urllib3-future')}.dist-info"]
