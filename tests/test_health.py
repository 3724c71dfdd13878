"""GET /api/health: no sign-in, the Grafana API version clients parse, and "failing" when the data dir
cannot be written."""
import shutil

import pytest
from dashsnap.blueprints import health
from dashsnap.version import GRAFANA_API_VERSION


def test_health_answers_without_credentials(client):
    response = client.get("/api/health")
    assert response.status_code == 200
    assert response.content_type == "application/json"
    body = response.get_json()
    assert body["database"] == "ok" and body["version"] == GRAFANA_API_VERSION and body["commit"]


@pytest.mark.data_dir_only
def test_health_fails_when_data_dir_is_unusable(app, client, tmp_path):
    shutil.rmtree(tmp_path / "data")
    (tmp_path / "data").write_text("not a folder any more")
    response = client.get("/api/health")
    assert response.status_code == 503
    assert response.get_json()["database"] == "failing"


@pytest.mark.data_dir_only
def test_health_notices_a_data_dir_that_breaks_once_the_last_check_is_old(app, client, tmp_path, monkeypatch):
    assert client.get("/api/health").status_code == 200
    shutil.rmtree(tmp_path / "data")
    (tmp_path / "data").write_text("not a folder any more")
    monkeypatch.setattr(health, "CHECK_SECONDS", 0)
    assert client.get("/api/health").status_code == 503
