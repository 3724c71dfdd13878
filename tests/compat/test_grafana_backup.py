"""grafana-backup (PyPI `grafana-backup`), the save/restore tool, run as its command against real dashsnap servers:
`save` of the folders (with their permissions), the dashboards and their versions from one, then `restore` of the
archive onto another started on an empty data dir.

What grafana-backup 1.4.2 does, as these tests pin it:
* `save --components=folders` lists the folders with /api/search?type=dash-folder (every folder, nested ones too)
  and keeps each one's GET /api/folders/<uid> (`<uid>.folder`) and GET /api/folders/<uid>/permissions
  (`<uid>.folder_permission`); there is no `folder_permissions` component to save, `folders` saves both.
* `save --components=dashboard-versions` keeps every version of every dashboard, GET /api/dashboards/id/<id>/
  versions/<n>, as `dashboard_versions/<ts>/<uid>/<n>.version`; nothing restores them (its help says so), so the
  restored dashboards start their history afresh.
* `restore` POSTs each folder as it was read (parentUid included, so nesting is kept) in the order its directory
  lists the files: a nested folder listed before its parent is refused (400 "parent folder not found") and the
  dashboards in it go to General, since grafana-backup reads the folder's 404 as "folder id 0". Another run of
  the folders restore creates what the last one could not; a tree N deep needs at most N runs.
* It POSTs the permission items as it read them: users by their id, not their login, so the users must exist on
  the target with the same ids, and be members of the org.
* It POSTs each dashboard's model with `folderId` (the target's id of the folder the save named by uid) and
  `overwrite: true`: content and uid are kept; id and version are the target's own.
* `save --components=teams,team-members` keeps each hit of /api/teams/search?perPage=5000 and each member of
  GET /api/teams/<id>/members. `restore` POSTs each team hit as it was read, in the order its directory lists the
  files, and each member to the team of the saved *id*, finding the user by email (then by name) through
  /api/users/lookup with the server admin's password (GRAFANA_ADMIN_ACCOUNT, GRAFANA_ADMIN_PASSWORD).
* `save --components=annotations` asks /api/annotations?type=annotation&limit=5000 for each month of the last 13,
  and `restore` POSTs each annotation as it was read: the dashboard by its uid, the times, text and tags kept.
"""
from __future__ import annotations

import functools
import json
import os
import secrets
import subprocess
import sys
import tarfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests
from conftest import free_port, on_postgres, serve
from server_pair import servers_behind_haproxy

# uid, title, parent uid: a tree three deep, and a top folder beside it with permissions of its own.
FOLDERS = [("platform", "Platform", ""), ("platform-db", "Bases de données", "platform"),
           ("platform-db-pg", "Postgres", "platform-db"), ("teams", "Teams", "")]
DEPTH = 3
# uid, title, folder uid ("" for General), how many times it is saved.
DASHBOARDS = [("home", "Home Overview", "", 3), ("slo", "Platform SLOs", "platform", 2),
              ("pg", "Postgres Replication", "platform-db-pg", 3), ("team-board", "Team Board", "teams", 2)]
ALICE = {"login": "alice", "email": "alice@example.test", "name": "Alice", "password": "alice-secret"}
TIMESTAMP = "dashsnap"  # BACKUP_FILE_FORMAT without a % directive: the backup's fixed name


class Dashsnap:
    """A dashsnap at url (stop() ends it), driven over HTTP as the server admin (admin:admin)."""

    def __init__(self, url: str, stop: Callable[[], None]):
        self.url, self.stop = url, stop
        self.http = requests.Session()
        self.http.auth = ("admin", "admin")

    @functools.cached_property
    def key(self) -> str:
        """An Admin API key, as grafana-backup is configured with (GRAFANA_TOKEN)."""
        # A name of its own: a store moved from another server holds that server's keys.
        name = f"grafana-backup {secrets.token_hex(4)}"
        return self.call("POST", "/api/auth/keys", json={"name": name, "role": "Admin"})["key"]

    def call(self, method: str, path: str, **kwargs):
        answer = self.http.request(method, self.url + path, timeout=10, **kwargs)
        assert answer.status_code == 200, (method, path, answer.status_code, answer.text)
        return answer.json()

    def folders(self) -> dict[str, dict]:
        return {hit["uid"]: self.call("GET", f"/api/folders/{hit['uid']}")
                for hit in self.call("GET", "/api/search", params={"type": "dash-folder"})}

    def permissions(self, uid: str) -> list[tuple]:
        return [(item["userId"], item["userLogin"], item["teamId"], item["role"], item["permission"])
                for item in self.call("GET", f"/api/folders/{uid}/permissions")]

    def dashboards(self) -> dict[str, dict]:
        """Each dashboard by uid: {folderUid, model (without id and version), versions [(version, message)]}."""
        found = {}
        for hit in self.call("GET", "/api/search", params={"type": "dash-db"}):
            read = self.call("GET", f"/api/dashboards/uid/{hit['uid']}")
            model = {key: value for key, value in read["dashboard"].items() if key not in ("id", "version")}
            versions = self.call("GET", f"/api/dashboards/uid/{hit['uid']}/versions")
            found[hit["uid"]] = {"folderUid": read["meta"]["folderUid"], "model": model,
                                 "versions": [(kept["version"], kept["message"]) for kept in versions]}
        return found

    def close(self) -> None:
        self.http.close()
        self.stop()


def on_data_dir(make_app: Callable, data_dir: Path, **settings) -> Dashsnap:
    """A dashsnap on a loopback port, its store the data dir (or what settings name)."""
    port = free_port()
    return Dashsnap(*serve(make_app(data_dir=data_dir, DASHSNAP_ROOT_URL=f"http://127.0.0.1:{port}/", **settings),
                           port))


def behind_haproxy(database_url: str, folder: Path) -> Dashsnap:
    """Two dashsnap processes on the database, behind haproxy's one address (see server_pair.py)."""
    running = servers_behind_haproxy(database_url, folder)
    pair = running.__enter__()
    return Dashsnap(pair.url.rstrip("/"), lambda: running.__exit__(None, None, None))


@pytest.fixture(params=["one server", "two servers behind haproxy"])
def dashsnaps(request, make_app, tmp_path) -> Iterator[Callable[[str], Dashsnap]]:
    """`dashsnaps(name)` starts a dashsnap on its own empty store: a data dir (tmp_path/name), or a new PostgreSQL
    database that two server processes share behind one address."""
    made: list[Dashsnap] = []

    def make(name: str) -> Dashsnap:
        if request.param == "one server":
            made.append(on_data_dir(make_app, tmp_path / name))
        else:
            made.append(behind_haproxy(request.getfixturevalue("make_database")(), tmp_path / name))
        return made[-1]

    yield make
    for server in made:
        server.close()


def grafana_backup(tmp_path: Path, server: Dashsnap, *args: str, **settings: str) -> str:
    """Run `grafana-backup args` against server with an Admin API key, configured through its environment alone
    (a HOME without ~/.grafana-backup.json, none of the caller's variables, but the settings given); its output,
    once it ended well."""
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(home), "PYTHONIOENCODING": "utf-8",
           "GRAFANA_URL": server.url, "GRAFANA_TOKEN": server.key, "BACKUP_DIR": str(tmp_path / "backups"),
           "BACKUP_FILE_FORMAT": TIMESTAMP, "VERIFY_SSL": "false", "DEBUG": "true", **settings}
    ran = subprocess.run([sys.executable, "-m", "grafana_backup.cli", *args], env=env, cwd=tmp_path,
                         capture_output=True, text=True, timeout=60)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert "Traceback" not in ran.stderr, ran.stderr
    return ran.stdout


def fill(server: Dashsnap) -> int:
    """The folder tree, custom permissions on "teams" (alice may edit, Viewers view), and each dashboard saved a
    few times with a message; alice's id."""
    alice = server.call("POST", "/api/admin/users", json=ALICE)["id"]
    for uid, title, parent in FOLDERS:
        server.call("POST", "/api/folders", json={"uid": uid, "title": title, "parentUid": parent})
    server.call("POST", "/api/folders/teams/permissions", json={"items": [
        {"userId": alice, "permission": 2}, {"role": "Viewer", "permission": 1}]})
    for uid, title, folder, saves in DASHBOARDS:
        version = 0
        for number in range(1, saves + 1):
            panels = [{"id": n, "type": "text", "title": f"Panel {n}", "gridPos": {"h": 4, "w": 6, "x": 0, "y": 4 * n},
                       "options": {"content": f"# {title} ✓", "mode": "markdown"}} for n in range(1, number + 1)]
            version = server.call("POST", "/api/dashboards/db", json={
                "dashboard": {"uid": uid, "title": title, "version": version, "schemaVersion": 39, "tags": ["backup"],
                              "panels": panels},
                "folderUid": folder, "message": f"save {number} of {title}"})["version"]
    return alice


def saved(tmp_path: Path, source: Dashsnap) -> Path:
    """The archive `grafana-backup save` makes of source's folders, dashboards and dashboard versions."""
    output = grafana_backup(tmp_path, source, "save", "--components=folders,dashboards,dashboard-versions")
    assert "[Pre-Check] Server status is 'OK' !!" in output
    archive = tmp_path / "backups" / f"{TIMESTAMP}.tar.gz"
    assert archive.is_file(), output
    return archive


def members(archive: Path) -> dict[str, object]:
    """The archive's files by their path from the backup dir (`folders/dashsnap/platform.folder`), read as JSON."""
    with tarfile.open(archive) as tar:
        return {name.split("/backups/", 1)[1]: json.load(tar.extractfile(name))
                for name in tar.getnames() if tar.getmember(name).isfile() and not name.endswith(".txt")}


def test_save_keeps_folders_with_their_permissions_dashboards_and_every_version(dashsnaps, tmp_path):
    source = dashsnaps("source")
    alice = fill(source)
    files = members(saved(tmp_path, source))

    folders = f"folders/{TIMESTAMP}"
    assert {path for path in files if path.startswith(folders)} == {
        f"{folders}/{uid}.{kind}" for uid, _, _ in FOLDERS for kind in ("folder", "folder_permission")}
    for uid, title, parent in FOLDERS:
        folder = files[f"{folders}/{uid}.folder"]
        assert (folder["uid"], folder["title"], folder.get("parentUid", "")) == (uid, title, parent)
        assert files[f"{folders}/{uid}.folder_permission"] == source.call("GET", f"/api/folders/{uid}/permissions")
    assert [(item["userId"], item["userLogin"], item["role"], item["permission"])
            for item in files[f"{folders}/teams.folder_permission"]] == [(alice, "alice", "", 2), (0, "", "Viewer", 1)]

    dashboards = source.dashboards()
    for uid, title, folder, saves in DASHBOARDS:
        kept = files[f"dashboards/{TIMESTAMP}/{uid}.dashboard"]
        assert (kept["meta"]["folderUid"], kept["dashboard"]["title"], kept["dashboard"]["version"]) == (
            folder, title, saves)
        assert {key: value for key, value in kept["dashboard"].items() if key not in ("id", "version")} == \
            dashboards[uid]["model"]
        for number in range(1, saves + 1):
            version = files[f"dashboard_versions/{TIMESTAMP}/{uid}/{number}.version"]
            assert (version["dashboardUid"], version["version"], version["message"]) == (
                uid, number, f"save {number} of {title}")
            assert [panel["title"] for panel in version["data"]["panels"]] == [
                f"Panel {n}" for n in range(1, number + 1)]
        assert f"dashboard_versions/{TIMESTAMP}/{uid}/{saves + 1}.version" not in files


def test_restore_onto_an_empty_dashsnap_brings_back_folders_permissions_and_dashboards(dashsnaps, tmp_path):
    source = dashsnaps("source")
    alice = fill(source)
    archive = saved(tmp_path, source)
    before = {"folders": source.folders(), "dashboards": source.dashboards(),
              "permissions": {uid: source.permissions(uid) for uid, _, _ in FOLDERS}}

    target = dashsnaps("target")
    # grafana-backup restores permission items by user id: alice must exist there with the same id.
    assert target.call("POST", "/api/admin/users", json=ALICE)["id"] == alice
    assert target.folders() == {} and target.dashboards() == {}

    grafana_backup(tmp_path, target, "restore", "--components=folders,folder_permissions,dashboards", str(archive))
    # One run: the top folders always come back; a nested one only when its parent's file was listed first, but
    # never anywhere but under its own parent. A dashboard comes back in its folder, or in General without it.
    folders = target.folders()
    assert {"platform", "teams"} <= set(folders)
    assert all(folder.get("parentUid", "") == before["folders"][uid].get("parentUid", "")
               for uid, folder in folders.items())
    assert target.permissions("teams") == before["permissions"]["teams"]
    dashboards = target.dashboards()
    assert set(dashboards) == set(before["dashboards"])
    for uid, restored in dashboards.items():
        folder = before["dashboards"][uid]["folderUid"]
        assert restored["folderUid"] == (folder if folder in folders or not folder else "")
        assert restored["model"] == before["dashboards"][uid]["model"]

    for _ in range(DEPTH - 1):  # each run of the folders restore creates at least the next level down
        grafana_backup(tmp_path, target, "restore", "--components=folders", str(archive))
    grafana_backup(tmp_path, target, "restore", "--components=folder_permissions,dashboards", str(archive))

    assert target.folders().keys() == before["folders"].keys()
    for uid, folder in target.folders().items():
        wanted = before["folders"][uid]
        assert (folder["title"], folder.get("parentUid"), [parent["uid"] for parent in folder.get("parents", [])]) \
            == (wanted["title"], wanted.get("parentUid"), [parent["uid"] for parent in wanted.get("parents", [])])
    assert {uid: target.permissions(uid) for uid, _, _ in FOLDERS} == before["permissions"]
    dashboards = target.dashboards()
    assert {uid: (restored["folderUid"], restored["model"]) for uid, restored in dashboards.items()} == {
        uid: (kept["folderUid"], kept["model"]) for uid, kept in before["dashboards"].items()}
    # The saved versions are not restored: each dashboard's history is its two restores, without messages.
    assert {uid: restored["versions"] for uid, restored in dashboards.items()} == {
        uid: [(2, ""), (1, "")] for uid in before["dashboards"]}


def test_restore_grants_permission_items_to_whoever_has_the_saved_user_id(dashsnaps, tmp_path):
    source = dashsnaps("source")
    alice = fill(source)
    archive = saved(tmp_path, source)

    target = dashsnaps("target")
    bob = target.call("POST", "/api/admin/users", json={**ALICE, "login": "bob", "email": "bob@example.test"})["id"]
    assert bob == alice and target.call("POST", "/api/admin/users", json=ALICE)["id"] != alice
    grafana_backup(tmp_path, target, "restore", "--components=folders,folder_permissions", str(archive))

    # The items name users by id alone: on this target, alice's Edit on "teams" goes to bob.
    assert target.permissions("teams") == [(bob, "bob", 0, "", 2), (0, "", 0, "Viewer", 1)]


ANNOTATED = ("annotated", "Deploys")
TEAMS = {"Platform": ["alice", "carol"], "Payments": ["carol"]}


def fill_teams_and_annotations(server: Dashsnap, now_ms: int) -> None:
    """Alice and Carol, the teams of TEAMS with their members (and the admin, their maker), a dashboard with a
    deploy on its first panel, and two org annotations (one a month ago): all within the 13 months saved."""
    for login in ("alice", "carol"):
        server.call("POST", "/api/admin/users", json={**ALICE, "login": login, "email": f"{login}@example.test"})
    ids = {user["login"]: user["id"] for user in server.call("GET", "/api/users")}
    for name, logins in TEAMS.items():
        team = server.call("POST", "/api/teams", json={"name": name, "email": f"{name.lower()}@example.test"})
        for login in logins:
            server.call("POST", f"/api/teams/{team['teamId']}/members", json={"userId": ids[login]})
    uid, title = ANNOTATED
    server.call("POST", "/api/dashboards/db", json={"dashboard": {"uid": uid, "title": title, "panels": [
        {"id": 1, "type": "timeseries", "title": "Requests", "gridPos": {"h": 8, "w": 12, "x": 0, "y": 0}}]}})
    hour, month = 3_600_000, 30 * 86_400_000
    for annotation in ({"dashboardUID": uid, "panelId": 1, "time": now_ms - 2 * hour, "timeEnd": now_ms - hour,
                        "text": "Deploy 1.2", "tags": ["deploy", "service:api"]},
                       {"time": now_ms - month, "text": "Quarterly review", "tags": ["review"]},
                       {"time": now_ms - hour, "text": "Release <b>1.2</b>", "tags": []}):
        server.call("POST", "/api/annotations", json=annotation)


def teams_of(server: Dashsnap) -> dict[int, tuple[str, str, list[str]]]:
    """Each team by id: (name, email, the logins of its members)."""
    return {team["id"]: (team["name"], team["email"], [member["login"] for member in server.call(
        "GET", f"/api/teams/{team['id']}/members")]) for team in server.call("GET", "/api/teams/search")["teams"]}


def annotations_of(server: Dashsnap) -> list[tuple]:
    return [(a["dashboardUID"], a["panelId"], a["time"], a["timeEnd"], a["text"], a["tags"])
            for a in server.call("GET", "/api/annotations", params={"limit": 5000})]


def test_teams_their_members_and_annotations_round_trip(dashsnaps, tmp_path):
    source = dashsnaps("source")
    fill_teams_and_annotations(source, int(time.time() * 1000))
    output = grafana_backup(tmp_path, source, "save", "--components=dashboards,teams,team-members,annotations")
    assert "There are 2 teams:" in output
    files = members(tmp_path / "backups" / f"{TIMESTAMP}.tar.gz")
    assert sorted(team["name"] for path, team in files.items() if path.endswith(".team")) == sorted(TEAMS)
    assert sorted(member["login"] for path, member in files.items() if path.endswith(".team_member")) == [
        "admin", "admin", "alice", "carol", "carol"]
    assert sorted(a["text"] for path, a in files.items() if path.endswith(".annotation")) == [
        "Deploy 1.2", "Quarterly review", "Release <b>1.2</b>"]
    before = {"teams": teams_of(source), "annotations": annotations_of(source)}

    target = dashsnaps("target")
    for login in ("carol", "alice"):  # other ids than on the source: members are found by email
        target.call("POST", "/api/admin/users", json={**ALICE, "login": login, "email": f"{login}@example.test"})
    grafana_backup(tmp_path, target, "restore", "--components=dashboards,teams,team_members,annotations",
                   str(tmp_path / "backups" / f"{TIMESTAMP}.tar.gz"),
                   GRAFANA_ADMIN_ACCOUNT="admin", GRAFANA_ADMIN_PASSWORD="admin")

    # A team comes back with its name and email, and each member goes to the team of its saved id: the teams
    # are made in the order the archive lists them, so two teams may swap members (grafana-backup's way, as
    # with permission items). The key that restores is no user, so it joins no team.
    restored = teams_of(target)
    assert sorted((name, email) for name, email, _ in restored.values()) == sorted(
        (name, email) for name, email, _ in before["teams"].values())
    assert {team_id: logins for team_id, (_, _, logins) in restored.items()} == {
        team_id: logins for team_id, (_, _, logins) in before["teams"].items()}
    assert annotations_of(target) == before["annotations"]
    [deploy] = target.call("GET", "/api/annotations", params={"dashboardUID": ANNOTATED[0]})
    assert deploy["dashboardId"] == target.call("GET", f"/api/dashboards/uid/{ANNOTATED[0]}")["dashboard"]["id"]


def dashsnap_command(*args: str, **environment: str) -> str:
    """Run the `dashsnap` command (its click group, in this process) with the GF_* variables given; its output."""
    from click.testing import CliRunner
    from dashsnap.cli import main

    ran = CliRunner().invoke(main, list(args), env=environment, catch_exceptions=False)
    assert ran.exit_code == 0, ran.output
    return ran.output


def folder(path: Path) -> Path:
    path.mkdir()
    return path


def test_a_data_dir_moved_into_postgresql_and_back_saves_the_same_backup(make_app, make_database, tmp_path):
    """`dashsnap export` of a data dir, `dashsnap import` into PostgreSQL, then the other way: grafana-backup's
    save of each store holds the same files, and each store goes on making new things without a clash."""
    source = on_data_dir(make_app, tmp_path / "data")
    fill(source)
    source.call("POST", "/api/snapshots", json={"dashboard": {"title": "kept"}, "key": "moved-snapshot"})
    before = members(saved(folder(tmp_path / "from-data-dir"), source))
    source.close()
    dashsnap_command("export", "--data", str(tmp_path / "data"), str(tmp_path / "data.tar.gz"))

    url = make_database()
    # A data dir of its own too: without one the command would use ./data, the checkout's.
    on_database = {"GF_DATABASE_TYPE": "postgres", "GF_DATABASE_URL": url, "GF_PATHS_DATA": str(tmp_path / "cli")}
    assert "imported" in dashsnap_command("import", str(tmp_path / "data.tar.gz"), **on_database)
    moved = on_data_dir(make_app, tmp_path / "unused", **on_postgres(url))
    assert members(saved(folder(tmp_path / "from-postgres"), moved)) == before
    assert moved.call("GET", "/api/snapshots/moved-snapshot")["dashboard"]["title"] == "kept"
    made = moved.call("POST", "/api/dashboards/db", json={"dashboard": {"title": "Made after the move"}})
    assert made["id"] not in {hit["id"] for hit in moved.call("GET", "/api/search") if hit["uid"] != made["uid"]}
    moved.close()

    dashsnap_command("export", str(tmp_path / "postgres.tar.gz"), **on_database)
    dashsnap_command("import", "--data", str(tmp_path / "back"), str(tmp_path / "postgres.tar.gz"))
    back = on_data_dir(make_app, tmp_path / "back")
    after = members(saved(folder(tmp_path / "back-again"), back))
    made_path = f"dashboards/{TIMESTAMP}/{made['uid']}.dashboard"
    assert after[made_path]["dashboard"]["title"] == "Made after the move"
    assert {path: file for path, file in after.items() if made["uid"] not in path} == before
    back.close()
