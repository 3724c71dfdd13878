"""`python app.py` as the README runs it: a real process, configured by an ini file and GF_* variables."""
import os
import subprocess
import sys
from pathlib import Path

import requests
from conftest import ADMIN, ServerProcess, free_port

APP = Path(__file__).parent.parent / "app.py"


def start(tmp_path: Path, *args: str, **env: str) -> tuple[ServerProcess, str]:
    port = free_port()
    environ = {**{k: v for k, v in os.environ.items() if not k.startswith("GF_")},
               "GF_SERVER_HTTP_ADDR": "127.0.0.1", "GF_SERVER_HTTP_PORT": str(port),
               "GF_PATHS_DATA": str(tmp_path / "data"), **env}
    server = ServerProcess([sys.executable, str(APP), *args], cwd=tmp_path, env=environ, log=tmp_path / "server.log")
    return server, f"http://127.0.0.1:{port}"


def test_app_script_serves_with_gf_variables_and_an_ini_file(tmp_path):
    ini = tmp_path / "grafana.ini"
    ini.write_text("[security]\nadmin_password = from-ini\n[snapshots]\nmax_expires = 60\n")
    server, url = start(tmp_path, "--config", str(ini))
    try:
        assert requests.get(f"{url}/api/auth/keys", headers=ADMIN, timeout=5).status_code == 401
        auth = ("admin", "from-ini")
        refused = requests.post(f"{url}/api/snapshots", json={"dashboard": {}, "expires": 61}, auth=auth, timeout=5)
        assert refused.status_code == 400 and "60" in refused.json()["message"]
        created = requests.post(f"{url}/api/snapshots", json={"dashboard": {"title": "t"}, "expires": 60},
                                auth=auth, timeout=5)
        assert created.status_code == 200
        assert created.json()["url"].startswith(f"http://localhost:{url.rsplit(':', 1)[1]}/dashboard/snapshot/")
        assert (tmp_path / "data" / "secret_key").exists()
    finally:
        server.stop()


def test_app_script_refuses_a_bad_setting_with_a_clear_message(tmp_path):
    result = subprocess.run([sys.executable, str(APP)], capture_output=True, text=True, timeout=30, cwd=tmp_path,
                            env={**os.environ, "GF_SERVER_HTTP_PORT": "three thousand"})
    assert result.returncode == 2
    assert "GF_SERVER_HTTP_PORT" in result.stderr and "Traceback" not in result.stderr


def test_app_script_serves_with_two_workers(tmp_path):
    server, url = start(tmp_path, GF_SERVER_WORKERS="2")
    try:
        assert requests.get(f"{url}/api/user", headers=ADMIN, timeout=30).json()["login"] == "admin"
    finally:
        assert server.stop() == 0
    assert "and 2 workers" in server.log.read_text()
