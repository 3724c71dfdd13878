"""The `dashsnap` command: serving by default, and the commands that look after a data dir."""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner
from conftest import ADMIN, ServerProcess, basic, free_port
from dashsnap.cli import main

DASHSNAP = Path(sys.executable).parent / "dashsnap"


@pytest.fixture
def data_dir(tmp_path) -> Path:
    return tmp_path / "data"


def run(*args: str, input: str | None = None):
    return CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)


def start(args: list[str], cwd: Path, **env: str) -> ServerProcess:
    environ = {**{k: v for k, v in os.environ.items() if not k.startswith("GF_")},
               "GF_SERVER_HTTP_ADDR": "127.0.0.1", **env}
    return ServerProcess([str(DASHSNAP), *args], cwd=cwd, env=environ, log=cwd / "server.log")


def round_trip_snapshot(url: str) -> dict:
    created = requests.post(f"{url}/api/snapshots", json={"dashboard": {"title": "from the cli"}},
                            headers=ADMIN, timeout=5)
    assert created.status_code == 200, created.text
    read = requests.get(f"{url}/api/snapshots/{created.json()['key']}", timeout=5)
    assert read.json()["dashboard"]["title"] == "from the cli"
    return created.json()


def test_help_lists_every_command():
    result = run("--help")
    assert result.exit_code == 0
    for command in ("serve", "create-user", "reset-admin-password", "cleanup", "export", "import", "reindex"):
        assert command in result.output


def test_dashsnap_alone_serves_port_3000_settings_with_data_in_the_working_directory(tmp_path):
    port = free_port()
    server = start([], cwd=tmp_path, GF_SERVER_HTTP_PORT=str(port))
    try:
        url = f"http://127.0.0.1:{port}"
        round_trip_snapshot(url)
        assert list((tmp_path / "data" / "snapshots").glob("*/*.json"))
    finally:
        server.stop()


def test_request_lines_reach_the_log_while_serving_and_at_sigterm(tmp_path):
    """Request lines are written in batches (at least every 0.1 s); a SIGTERM writes those still waiting."""
    port = free_port()
    server = start([], cwd=tmp_path, GF_SERVER_HTTP_PORT=str(port))
    try:
        assert requests.get(f"http://127.0.0.1:{port}/api/health", timeout=5).status_code == 200
        assert server.wait_for(b"method=GET path=/api/health status=200")
        for number in range(30):
            requests.get(f"http://127.0.0.1:{port}/api/snapshots/unknown-{number}", timeout=5)
    finally:
        assert server.stop() == -signal.SIGTERM
    assert server.log.read_bytes().count(b"path=/api/snapshots/*** status=404") == 30


def test_serve_options_win_over_the_environment_and_root_url_follows_the_port(tmp_path, data_dir):
    port = free_port()
    server = start(["serve", "--port", str(port), "--data", str(data_dir)], cwd=tmp_path,
                   GF_SERVER_HTTP_PORT=str(free_port()), GF_PATHS_DATA=str(tmp_path / "elsewhere"))
    try:
        url = f"http://127.0.0.1:{port}"
        created = round_trip_snapshot(url)
        assert created["url"].startswith(f"http://localhost:{port}/dashboard/snapshot/")
        assert (data_dir / "secret_key").exists() and not (tmp_path / "elsewhere").exists()
    finally:
        server.stop()


def test_a_bad_setting_stops_with_its_name_and_exit_code_2(tmp_path, monkeypatch):
    monkeypatch.setenv("GF_SERVER_HTTP_PORT", "three thousand")
    result = CliRunner().invoke(main, ["serve", "--data", str(tmp_path / "data")])
    assert result.exit_code == 2
    assert "http_port" in result.output and "three thousand" in result.output


@pytest.mark.data_dir_only
def test_create_user_reads_the_password_from_stdin_and_the_user_signs_in(make_app, data_dir):
    result = run("create-user", "--data", str(data_dir), "--login", "ops", "--email", "ops@example.test",
                 "--role", "Editor", "--password-from-stdin", input="s3cret-pass\n")
    assert result.exit_code == 0, result.output
    client = make_app().test_client()
    me = client.get("/api/user", headers=basic("ops", "s3cret-pass"))
    assert me.status_code == 200
    assert me.get_json()["email"] == "ops@example.test" and not me.get_json()["isGrafanaAdmin"]
    members = client.get("/api/org/users", headers=ADMIN).get_json()
    assert {"login": "ops", "role": "Editor"}.items() <= next(m for m in members if m["login"] == "ops").items()


@pytest.mark.data_dir_only
def test_create_user_asks_for_the_password_twice_when_none_is_piped(make_app, data_dir):
    result = run("create-user", "--data", str(data_dir), "--login", "boss", "--server-admin",
                 input="long-enough\nlong-enough\n")
    assert result.exit_code == 0, result.output
    assert "long-enough" not in result.output
    me = make_app().test_client().get("/api/user", headers=basic("boss", "long-enough"))
    assert me.get_json()["isGrafanaAdmin"] is True


def test_create_user_refuses_a_taken_login_and_a_short_password(data_dir):
    assert run("create-user", "--data", str(data_dir), "--login", "admin", "--password-from-stdin",
               input="whatever\n").exit_code == 1
    short = run("create-user", "--data", str(data_dir), "--login", "new", "--password-from-stdin", input="abc\n")
    assert short.exit_code == 1 and "at least 4" in short.output


@pytest.mark.data_dir_only
def test_reset_admin_password_ends_the_old_password_and_the_sessions(make_app, data_dir):
    client = make_app().test_client()
    assert client.post("/login", json={"user": "admin", "password": "admin"}).status_code == 200
    assert client.get("/api/user").status_code == 200

    result = run("reset-admin-password", "--data", str(data_dir), "--password-from-stdin", input="brand-new\n")

    assert result.exit_code == 0, result.output
    assert client.get("/api/user").status_code == 401  # the session cookie no longer fits
    assert client.get("/api/user", headers=ADMIN).status_code == 401
    assert client.get("/api/user", headers=basic("admin", "brand-new")).status_code == 200


@pytest.mark.data_dir_only
def test_reset_admin_password_takes_the_password_as_argument_and_another_login(make_app, data_dir, make_user):
    make_user("second")
    result = run("reset-admin-password", "--data", str(data_dir), "--login", "second", "other-pass")
    assert result.exit_code == 0, result.output
    client = make_app().test_client()
    assert client.get("/api/user", headers=basic("second", "other-pass")).status_code == 200
    assert client.get("/api/user", headers=ADMIN).status_code == 200  # the admin keeps theirs
    assert run("reset-admin-password", "--data", str(data_dir), "--login", "nobody", "pass-word").exit_code == 1


@pytest.mark.data_dir_only
def test_cleanup_deletes_expired_snapshots_now(client, data_dir):
    expiring = client.post("/api/snapshots", json={"dashboard": {}, "expires": 1}, headers=ADMIN).get_json()
    lasting = client.post("/api/snapshots", json={"dashboard": {}}, headers=ADMIN).get_json()
    time.sleep(1.1)

    result = run("cleanup", "--data", str(data_dir))

    assert result.exit_code == 0 and "removed 1 expired snapshot" in result.output
    assert client.get(f"/api/snapshots/{expiring['key']}").status_code == 404
    assert client.get(f"/api/snapshots/{lasting['key']}").status_code == 200


@pytest.mark.data_dir_only
def test_reindex_reads_documents_whose_change_the_index_could_not_see(client, make_app, data_dir):
    client.post("/api/dashboards/db", json={"dashboard": {"title": "Before"}}, headers=ADMIN)
    path = next(data_dir.glob("orgs/1/dashboards/*.json"))
    stat = path.stat()
    path.write_text(path.read_text().replace('"Before"', '"After"'))
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # a hand edit that kept the time stamp

    assert run("reindex", "--data", str(data_dir)).exit_code == 0

    found = make_app().test_client().get("/api/search?query=After", headers=ADMIN).get_json()
    assert [hit["title"] for hit in found] == ["After"]


def test_export_then_import_restores_a_working_data_dir(client, make_app, tmp_path, data_dir):
    snapshot = client.post("/api/snapshots", json={"dashboard": {"title": "kept"}}, headers=ADMIN).get_json()
    client.put("/api/user/password", json={"oldPassword": "admin", "newPassword": "changed!"}, headers=ADMIN)
    archive = tmp_path / "backup.tar.gz"

    exported = run("export", "--data", str(data_dir), str(archive))
    imported = run("import", "--data", str(tmp_path / "restored"), str(archive))

    assert exported.exit_code == 0 and imported.exit_code == 0, exported.output + imported.output
    restored = make_app(tmp_path / "restored").test_client()
    assert restored.get(f"/api/snapshots/{snapshot['key']}").get_json()["dashboard"]["title"] == "kept"
    assert restored.get("/api/user", headers=basic("admin", "changed!")).status_code == 200
    newer = restored.post("/api/snapshots", json={"dashboard": {}}, headers=basic("admin", "changed!")).get_json()
    assert newer["id"] > snapshot["id"]


@pytest.mark.data_dir_only
def test_import_refuses_a_data_dir_with_data_unless_told_to_replace(client, tmp_path, data_dir):
    archive = tmp_path / "backup.tar.gz"
    assert run("export", "--data", str(data_dir), str(archive)).exit_code == 0

    refused = run("import", "--data", str(data_dir), str(archive))
    replaced = run("import", "--data", str(data_dir), "--replace", str(archive))

    assert refused.exit_code == 1 and "already holds data" in refused.output
    assert replaced.exit_code == 0, replaced.output
    assert len(list(data_dir.glob(".replaced-*/users/1.json"))) == 1


def test_export_of_a_missing_data_dir_says_so(tmp_path):
    result = run("export", "--data", str(tmp_path / "none"), str(tmp_path / "backup.tar.gz"))
    assert result.exit_code == 1 and "no data dir" in result.output


def test_import_and_reindex_refuse_a_data_dir_a_server_is_running_on(client, tmp_path, data_dir):
    archive = tmp_path / "backup.tar.gz"
    assert run("export", "--data", str(data_dir), str(archive)).exit_code == 0
    port = free_port()
    server = start(["serve", "--port", str(port), "--data", str(data_dir)], cwd=tmp_path)
    try:
        refused_import = run("import", "--data", str(data_dir), "--replace", str(archive))
        refused_reindex = run("reindex", "--data", str(data_dir))
    finally:
        server.stop()
    for refused in (refused_import, refused_reindex):
        assert refused.exit_code == 1 and "server is running" in refused.output
    assert not list(data_dir.glob(".replaced-*"))
    assert run("reindex", "--data", str(data_dir)).exit_code == 0  # once it has stopped


def test_maintenance_commands_refuse_a_data_dir_that_does_not_exist(tmp_path):
    missing = str(tmp_path / "typo")
    for args in (["cleanup"], ["reindex"], ["reset-admin-password", "pass-word"]):
        result = run(*args, "--data", missing)
        assert result.exit_code == 1 and "no data dir" in result.output
    assert not (tmp_path / "typo").exists()


@pytest.mark.parametrize("login", [" padded ", "tab\there"])
def test_create_user_checks_the_login_as_the_api_does(data_dir, client, login):
    result = run("create-user", "--data", str(data_dir), "--login", login, "--password-from-stdin", input="pass-word\n")
    assert result.exit_code == 1 and "login" in result.output


@pytest.mark.parametrize("workers", ["1", "2"])  # with workers, refused before any of them starts
def test_serve_on_a_port_in_use_says_so(tmp_path, workers):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        process = subprocess.run([str(DASHSNAP), "serve", "--port", str(port), "--data", str(tmp_path / "data")],
                                 env={**os.environ, "GF_SERVER_HTTP_ADDR": "127.0.0.1", "GF_SERVER_WORKERS": workers},
                                 capture_output=True, text=True, timeout=60)
    assert process.returncode == 1 and "cannot listen" in process.stderr and "Traceback" not in process.stderr
    assert "worker" not in process.stderr


def test_options_may_come_before_the_command(client, data_dir):
    result = run("--data", str(data_dir), "cleanup")
    assert result.exit_code == 0 and "removed 0 expired snapshots" in result.output
    assert run("-h").exit_code == 0


def test_an_unreachable_database_is_named_without_its_password(tmp_path, monkeypatch):
    archive = tmp_path / "backup.tar.gz"
    archive.write_bytes(b"")
    monkeypatch.setenv("GF_DATABASE_TYPE", "postgres")
    monkeypatch.setenv("GF_DATABASE_URL", f"postgres://dashsnap:hunter2@127.0.0.1:{free_port()}/backups")
    result = run("import", "--data", str(tmp_path / "data"), str(archive))  # after waiting for it to come up
    assert result.exit_code == 1
    assert "cannot reach the database PostgreSQL database 'backups' on 127.0.0.1:" in result.output
    assert "hunter2" not in result.output


def test_a_search_as_soon_as_the_server_answers_finds_every_dashboard(make_app, data_dir, tmp_path):
    client = make_app(data_dir).test_client()
    titles = sorted(f"Board {number:03}" for number in range(300))
    for title in titles:
        client.post("/api/dashboards/db", json={"dashboard": {"title": title, "tags": ["kept"]}}, headers=ADMIN)
    port = free_port()
    server = start(["serve", "--data", str(data_dir)], cwd=tmp_path, GF_SERVER_HTTP_PORT=str(port))
    try:  # the search catalog loads in the background once the server answers: a search waits for it
        found = requests.get(f"http://127.0.0.1:{port}/api/search", params={"tag": "kept"}, headers=ADMIN, timeout=10)
        assert [hit["title"] for hit in found.json()] == titles
    finally:
        server.stop()
