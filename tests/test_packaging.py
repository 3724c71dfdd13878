"""`pip install .` installs one import package, `dashsnap`, with the `dashsnap` command, and a host app can use
it from there (not from the checkout)."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    target = tmp_path_factory.mktemp("site-packages")
    # --no-build-isolation: built with the venv's locked setuptools (requirements-build.txt), not a fresh download.
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
                    "--target", str(target), str(ROOT)], check=True, capture_output=True, timeout=300)
    return target


def run_installed(target: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    environ = {**os.environ, "PYTHONPATH": str(target)}
    return subprocess.run([sys.executable, *args], cwd=cwd, env=environ, capture_output=True, text=True,
                          timeout=60)


def test_only_the_dashsnap_package_lands_in_site_packages(installed):
    top_level = {path.name for path in installed.iterdir()} - {"bin", "__pycache__"}
    assert {name for name in top_level if not name.endswith(".dist-info")} == {"dashsnap"}
    for module in ("app.py", "cli.py", "config.py", "storage/backup.py", "blueprints/snapshots.py",
                   "schemas/snapshots.py"):
        assert (installed / "dashsnap" / module).is_file(), module
    for data_file in ("templates/snapshot.html", "templates/snapshot_not_found.html", "templates/login.html",
                      "static/snapshot.js", "static/login.css", "static/vendor/uplot/uPlot.iife.min.js",
                      "static/vendor/uplot/LICENSE"):
        assert (installed / "dashsnap" / data_file).is_file(), data_file


def test_a_host_app_mounts_the_installed_package(installed, tmp_path):
    script = ("from flask import Flask\n"
              "from dashsnap.app import DashSnap\n"
              "import dashsnap.cli, sys\n"
              "host = Flask('host')\n"
              "host.config['DASHSNAP_CLEANUP_INTERVAL'] = 0\n"
              "DashSnap(host, url_prefix='/grafana', data_dir=sys.argv[1])\n"
              "answer = host.test_client().get('/grafana/api/health')\n"
              "print(dashsnap.cli.__file__, answer.status_code, answer.get_json()['database'])\n")
    result = run_installed(installed, "-c", script, str(tmp_path / "data"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    module_file, status, database = result.stdout.split()
    assert Path(module_file).is_relative_to(installed) and (status, database) == ("200", "ok")


def test_the_installed_command_lists_its_commands(installed, tmp_path):
    result = run_installed(installed, str(installed / "bin" / "dashsnap"), "--help", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "reset-admin-password" in result.stdout and "export" in result.stdout


def test_the_installed_package_serves_the_snapshot_page_and_its_files(installed, tmp_path):
    script = ("import base64, sys\n"
              "from flask import Flask\n"
              "from dashsnap.app import DashSnap\n"
              "host = Flask('host')\n"
              "host.config['DASHSNAP_CLEANUP_INTERVAL'] = 0\n"
              "DashSnap(host, data_dir=sys.argv[1])\n"
              "client = host.test_client()\n"
              "admin = {'Authorization': 'Basic ' + base64.b64encode(b'admin:admin').decode()}\n"
              "created = client.post('/api/snapshots', json={'dashboard': {'title': 't'}}, headers=admin)\n"
              "key = created.get_json()['key']\n"
              "page = client.get('/dashboard/snapshot/' + key)\n"
              "script = client.get('/public/dashsnap/vendor/uplot/uPlot.iife.min.js', buffered=True)\n"
              "print(page.status_code, 'data-testid=\"dashboard-title\"' in page.get_data(as_text=True),\n"
              "      script.status_code, len(script.get_data()) > 10000)\n")
    result = run_installed(installed, "-c", script, str(tmp_path / "data"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["200", "True", "200", "True"]
