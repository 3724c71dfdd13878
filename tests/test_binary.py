"""The one-file binary, built as the README says (packaging/build-binary.sh) and run as a user would: no Python
of ours on its PATH or in its environment."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests
from conftest import ADMIN, ServerProcess, free_port

pytestmark = pytest.mark.binary
ROOT = Path(__file__).parent.parent
COMMANDS = ("serve", "create-user", "reset-admin-password", "cleanup", "export", "import", "reindex")


@pytest.fixture(scope="session")
def binary(tmp_path_factory) -> Path:
    output = tmp_path_factory.mktemp("dist")
    build = subprocess.run([str(ROOT / "packaging" / "build-binary.sh"), str(output)], capture_output=True,
                           text=True, timeout=1200, env={**os.environ, "PYTHON": sys.executable})
    assert build.returncode == 0, f"the build failed:\n{build.stdout}\n{build.stderr}"
    return output / "dashsnap"


def _environment(unpacked: Path, **variables: str) -> dict[str, str]:
    # TMPDIR: where a one-file binary unpacks itself, so the test can see it clean up.
    return {"PATH": "/usr/bin:/bin", "TMPDIR": str(unpacked), "GF_SERVER_HTTP_ADDR": "127.0.0.1", **variables}


@contextmanager
def serving(binary: Path, cwd: Path, *args: str, port: int, stopped_with: int = -signal.SIGTERM,
            **variables: str) -> Iterator[str]:
    """Run the binary as a server in cwd; yield its url; then stop it and check it exited and cleaned up."""
    unpacked = cwd / "unpacked"
    unpacked.mkdir()
    server = ServerProcess([str(binary), *args], cwd=cwd, env=_environment(unpacked, **variables),
                           log=cwd / "server.log")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        status = server.stop()
    assert status == stopped_with, server.log.read_text()
    assert list(unpacked.iterdir()) == []


def test_binary_help_lists_every_command(binary, tmp_path):
    (tmp_path / "unpacked").mkdir()
    result = subprocess.run([str(binary), "--help"], capture_output=True, text=True, timeout=60,
                            env=_environment(tmp_path / "unpacked"))
    assert result.returncode == 0, result.stderr
    assert all(f"  {command} " in result.stdout for command in COMMANDS), result.stdout


def test_binary_holds_every_module_of_the_package(binary):
    from PyInstaller.archive.readers import CArchiveReader

    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    package_root = ROOT / setuptools["package-dir"]["dashsnap"]
    modules = set()
    for package in setuptools["packages"]:
        folder = package_root.joinpath(*package.split(".")[1:])
        modules |= {package, *(f"{package}.{module.stem}" for module in folder.glob("*.py"))}
    modules -= {f"{package}.__init__" for package in setuptools["packages"]}
    bundled = set(CArchiveReader(str(binary)).open_embedded_archive("PYZ.pyz").toc)
    assert sorted(modules - bundled) == []


def test_binary_serves_snapshots_and_dashboards(binary, tmp_path):
    port = free_port()
    with serving(binary, tmp_path, "serve", "--port", str(port), "--data", str(tmp_path / "kept"), port=port) as url:
        created = requests.post(f"{url}/api/snapshots", json={"dashboard": {"title": "t"}}, headers=ADMIN, timeout=10)
        assert created.status_code == 200, created.text
        snapshot = requests.get(f"{url}/api/snapshots/{created.json()['key']}", timeout=10)
        assert snapshot.status_code == 200 and snapshot.json()["dashboard"]["title"] == "t"
        # The snapshot page needs the templates and static files the binary carries as data.
        page = requests.get(f"{url}/dashboard/snapshot/{created.json()['key']}", timeout=10)
        assert page.status_code == 200 and 'data-testid="dashboard-title">t<' in page.text, page.text
        script = requests.get(f"{url}/public/dashsnap/vendor/uplot/uPlot.iife.min.js", timeout=10)
        assert script.status_code == 200 and script.headers["Content-Type"].startswith("text/javascript")
        sign_in = requests.get(f"{url}/login", timeout=10)
        assert sign_in.status_code == 200 and 'name="password"' in sign_in.text, sign_in.text
        # A non-ASCII title is slugged with anyascii's tables, data files the binary must carry.
        saved = requests.post(f"{url}/api/dashboards/db", json={"dashboard": {"title": "Größe Überblick"}},
                              headers=ADMIN, timeout=10)
        assert saved.status_code == 200 and saved.json()["slug"] == "grosse-uberblick", saved.text
    assert (tmp_path / "kept" / "secret_key").exists()


def test_binary_with_no_arguments_serves_with_data_in_the_working_directory(binary, tmp_path):
    port = free_port()
    with serving(binary, tmp_path, port=port, GF_SERVER_HTTP_PORT=str(port)) as url:
        assert requests.get(f"{url}/api/user", headers=ADMIN, timeout=10).json()["login"] == "admin"
        assert (tmp_path / "data" / "secret_key").exists()


def test_binary_serves_with_two_workers_and_exits_0_on_sigterm(binary, tmp_path):
    port = free_port()
    with serving(binary, tmp_path, port=port, stopped_with=0, GF_SERVER_HTTP_PORT=str(port),
                 GF_SERVER_WORKERS="2") as url:
        assert requests.get(f"{url}/api/user", headers=ADMIN, timeout=10).json()["login"] == "admin"
    assert "and 2 workers" in (tmp_path / "server.log").read_text()


def test_binary_keeps_its_data_in_postgresql_when_told(binary, tmp_path, make_database):
    import psycopg

    database, port = make_database(), free_port()
    with serving(binary, tmp_path, "serve", "--port", str(port), "--data", str(tmp_path / "kept"), port=port,
                 GF_DATABASE_TYPE="postgres", GF_DATABASE_URL=database) as url:
        created = requests.post(f"{url}/api/snapshots", json={"dashboard": {"title": "on postgres"}},
                                headers=ADMIN, timeout=10)
        assert created.status_code == 200, created.text
        snapshot = requests.get(f"{url}/api/snapshots/{created.json()['key']}", timeout=10)
        assert snapshot.json()["dashboard"]["title"] == "on postgres"
    # The snapshot is a document in the database (psycopg's bundled libpq travelled in the binary), not a file.
    with psycopg.connect(database) as connection:
        paths = [row[0] for row in connection.execute("SELECT path FROM documents")]
    assert any(created.json()["key"] in path for path in paths), paths
    assert not list((tmp_path / "kept").rglob(f"*{created.json()['key']}*"))
