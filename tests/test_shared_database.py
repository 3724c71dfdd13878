"""The store on PostgreSQL (`[database] type = postgres`): the same answers as the data dir's, and several servers
sharing one database. The contract tests run against both stores."""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import psycopg
import pytest
from conftest import ADMIN, close_store, on_postgres
from dashsnap.blueprints.context import EXTENSION
from dashsnap.config import ConfigError, database_settings, settings_by_section
from dashsnap.storage import open_store
from dashsnap.storage.postgres import DatabaseTooNew

DASHBOARD = {"title": "CPU load", "tags": ["prod"], "panels": [{"id": 1, "type": "graph", "title": "x"}]}


@pytest.fixture(params=["data dir", "postgres"])
def make_instance(request, make_app, tmp_path):
    """Build servers on one store: the data dir, or one PostgreSQL database (each server with a data dir of its
    own, so that nothing but the database is shared)."""
    if request.param == "data dir":
        return lambda: make_app()
    url = request.getfixturevalue("make_database")()
    made = []

    def make():
        made.append(make_app(tmp_path / f"instance-{len(made)}", **on_postgres(url)))
        return made[-1]

    return make


def store_of(app):
    return app.extensions[EXTENSION].store


def test_a_snapshot_round_trips_byte_for_byte(make_instance):
    client = make_instance().test_client()
    body = b'{"dashboard":{"title":"Numbers","b":1,"a":[1.50,2e3,-0.0,12345678901234567890]},"expires":0}'
    created = client.post("/api/snapshots", data=body, content_type="application/json", headers=ADMIN)
    assert created.status_code == 200
    answer = client.get(f"/api/snapshots/{created.json['key']}", headers=ADMIN)
    # Numbers as the data dir's store has always answered them; keys in the order sent.
    assert answer.data.endswith(b'"dashboard":{"title":"Numbers","b":1,"a":[1.5,2000.0,-0.0,12345678901234567890]}}')


def test_ids_are_unique_and_never_repeat(make_instance):
    client = make_instance().test_client()
    first = client.post("/api/snapshots", json={"dashboard": DASHBOARD}, headers=ADMIN).json
    assert client.delete(f"/api/snapshots/{first['key']}", headers=ADMIN).status_code == 200
    second = client.post("/api/snapshots", json={"dashboard": DASHBOARD}, headers=ADMIN).json
    assert second["id"] > first["id"]
    taken = client.post("/api/snapshots", json={"dashboard": DASHBOARD, "key": second["key"]}, headers=ADMIN)
    assert taken.status_code == 409 or taken.status_code == 400
    assert client.get(f"/api/snapshots/{second['key']}", headers=ADMIN).status_code == 200


def test_concurrent_creates_each_get_their_own_id(make_instance):
    app = make_instance()

    def create(_):
        return app.test_client().post("/api/snapshots", json={"dashboard": DASHBOARD}, headers=ADMIN).json["id"]

    with ThreadPoolExecutor(8) as pool:
        ids = list(pool.map(create, range(40)))
    assert len(set(ids)) == 40
    listed = app.test_client().get("/api/dashboard/snapshots?limit=1000", headers=ADMIN).json
    assert sorted(snapshot["id"] for snapshot in listed) == sorted(ids)


def test_a_stale_version_is_refused_and_names_clash(make_instance):
    client = make_instance().test_client()
    saved = client.post("/api/dashboards/db", json={"dashboard": DASHBOARD}, headers=ADMIN).json
    update = {**DASHBOARD, "uid": saved["uid"], "version": saved["version"]}
    assert client.post("/api/dashboards/db", json={"dashboard": update}, headers=ADMIN).json["version"] == 2
    stale = client.post("/api/dashboards/db", json={"dashboard": update}, headers=ADMIN)
    assert stale.status_code == 412 and stale.json["status"] == "version-mismatch"
    clash = client.post("/api/dashboards/db", json={"dashboard": DASHBOARD}, headers=ADMIN)
    assert clash.status_code == 412 and clash.json["status"] == "name-exists"


def test_expired_snapshots_are_purged(make_instance):
    app = make_instance()
    client = app.test_client()
    kept = client.post("/api/snapshots", json={"dashboard": DASHBOARD}, headers=ADMIN).json
    expiring = client.post("/api/snapshots", json={"dashboard": DASHBOARD, "expires": 60}, headers=ADMIN).json
    import time
    assert store_of(app).snapshots.purge_expired(now=time.time() + 120) == 1
    assert client.get(f"/api/snapshots/{expiring['key']}", headers=ADMIN).status_code == 404
    assert client.get(f"/api/snapshots/{kept['key']}", headers=ADMIN).status_code == 200


def test_deleting_an_org_takes_what_it_held(make_instance):
    client = make_instance().test_client()
    org_id = client.post("/api/orgs", json={"name": "Other"}, headers=ADMIN).json["orgId"]
    in_org = {**ADMIN, "X-Grafana-Org-Id": str(org_id)}
    client.post(f"/api/orgs/{org_id}/users", json={"loginOrEmail": "admin", "role": "Admin"}, headers=ADMIN)
    saved = client.post("/api/dashboards/db", json={"dashboard": DASHBOARD}, headers=in_org)
    assert saved.status_code == 200
    assert client.delete(f"/api/orgs/{org_id}", headers=ADMIN).status_code == 200
    assert client.get(f"/api/orgs/{org_id}", headers=ADMIN).status_code == 404
    assert client.get("/api/search?query=CPU", headers=ADMIN).json == []


def test_search_and_tags_answer_from_the_store(make_instance):
    client = make_instance().test_client()
    for title, tags in (("CPU load", ["prod"]), ("Disk", ["prod", "io"]), ("cpu temperature", [])):
        client.post("/api/dashboards/db", json={"dashboard": {"title": title, "tags": tags}}, headers=ADMIN)
    assert [hit["title"] for hit in client.get("/api/search?query=cpu", headers=ADMIN).json] == \
        ["CPU load", "cpu temperature"]
    assert [hit["title"] for hit in client.get("/api/search?tag=prod", headers=ADMIN).json] == ["CPU load", "Disk"]
    assert client.get("/api/dashboards/tags", headers=ADMIN).json == [{"term": "io", "count": 1},
                                                                      {"term": "prod", "count": 2}]


@pytest.mark.parametrize("odd", ["\0", "\U0010ffff", "\U0010ffff\U0010fffe", "\\0"])
def test_text_postgresql_cannot_hold_is_kept_and_found(make_instance, odd):
    client = make_instance().test_client()
    title, tag = f"before{odd}after", f"t{odd}"
    saved = client.post("/api/dashboards/db", json={"dashboard": {"title": title, "tags": [tag]}}, headers=ADMIN)
    assert saved.status_code == 200
    for query in (f"{odd}after", "after", title):
        hits = client.get("/api/search", query_string={"query": query}, headers=ADMIN).json
        assert [(hit["title"], hit["tags"]) for hit in hits] == [(title, [tag])]
    assert [hit["title"] for hit in client.get("/api/search", query_string={"tag": tag}, headers=ADMIN).json] == \
        [title]
    assert client.get("/api/dashboards/tags", headers=ADMIN).json == [{"term": tag, "count": 1}]
    assert client.get(f"/api/dashboards/uid/{saved.json['uid']}", headers=ADMIN).json["dashboard"]["title"] == title


def test_a_save_on_one_server_is_read_on_the_other(make_instance):
    one, other = make_instance().test_client(), make_instance().test_client()
    saved = one.post("/api/dashboards/db", json={"dashboard": DASHBOARD}, headers=ADMIN).json
    read = other.get(f"/api/dashboards/uid/{saved['uid']}", headers=ADMIN)
    assert read.status_code == 200 and read.json["dashboard"]["title"] == "CPU load"
    assert [hit["uid"] for hit in other.get("/api/search?query=cpu", headers=ADMIN).json] == [saved["uid"]]
    update = {**DASHBOARD, "uid": saved["uid"], "version": 1}
    assert one.post("/api/dashboards/db", json={"dashboard": update}, headers=ADMIN).status_code == 200
    assert other.post("/api/dashboards/db", json={"dashboard": update}, headers=ADMIN).status_code == 412


def test_a_session_made_on_one_server_is_valid_on_the_other(make_instance):
    one, other = make_instance().test_client(), make_instance().test_client()
    assert one.post("/login", json={"user": "admin", "password": "admin"}).status_code == 200
    cookie = one.get_cookie("grafana_session")
    other.set_cookie(cookie.key, cookie.value)
    assert other.get("/api/user").json["login"] == "admin"


def test_failed_sign_ins_count_on_every_server(make_app, make_database, tmp_path):
    url = make_database()
    one, other = (make_app(tmp_path / name, **on_postgres(url)).test_client() for name in ("one", "other"))
    guess = {"user": "admin", "password": "guess"}
    assert [one.post("/login", json=guess).status_code for _ in range(5)] == [401] * 5
    refused = other.post("/login", json=guess)
    assert refused.status_code == 429 and "try again in" in refused.json["message"]
    other.environ_base["REMOTE_ADDR"] = "192.0.2.7"  # another address is not held up
    assert other.post("/login", json={"user": "admin", "password": "admin"}).status_code == 200


def test_settings_name_grafanas_keys_and_hide_secrets():
    settings = {"DASHSNAP_DATABASE_TYPE": "postgres", "DASHSNAP_DATABASE_URL": "postgres://u:hunter2@db/x",
                "DASHSNAP_DATABASE_PASSWORD": "hunter2", "DASHSNAP_THREADS": 8}
    assert database_settings(settings)["url"] == "postgres://u:hunter2@db/x"
    shown = settings_by_section(settings)["database"]
    assert "hunter2" not in str(shown) and shown["type"] == "postgres"
    assert database_settings({"DASHSNAP_DATABASE_TYPE": "sqlite3"}) is None
    with pytest.raises(ConfigError, match=r"\[database\] type"):
        database_settings({"DASHSNAP_DATABASE_TYPE": "mysql"})


def test_gf_database_variables_choose_the_database(make_app, make_database, tmp_path, monkeypatch):
    url = make_database()
    monkeypatch.setenv("GF_DATABASE_TYPE", "postgres")
    monkeypatch.setenv("GF_DATABASE_URL", url)
    from dashsnap.app import create_app
    app = create_app({"DASHSNAP_DATA_DIR": str(tmp_path / "data"), "DASHSNAP_CLEANUP_INTERVAL": 0})
    try:
        app.test_client().post("/api/snapshots", json={"dashboard": DASHBOARD}, headers=ADMIN)
    finally:
        close_store(app)
    with psycopg.connect(url) as connection:
        assert connection.execute("SELECT count(*) FROM snapshots").fetchone()[0] == 1


def test_servers_starting_together_share_one_schema(make_database, tmp_path):
    url = make_database()
    settings = {"type": "postgres", "url": url, "max_connections": 8}
    stores = []

    def start(number):
        stores.append(open_store(tmp_path / f"data-{number}", settings))

    threads = [threading.Thread(target=start, args=(number,)) for number in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for store in stores:
        store.close()
    assert len(stores) == 4
    with psycopg.connect(url) as connection:
        assert connection.execute("SELECT value FROM schema_meta WHERE name = 'version'").fetchone()[0] == "1"


def test_a_database_from_a_newer_dashsnap_is_refused(make_database, tmp_path):
    url = make_database()
    open_store(tmp_path / "data", {"type": "postgres", "url": url, "max_connections": 4}).close()
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("UPDATE schema_meta SET value = '99' WHERE name = 'version'")
    with pytest.raises(DatabaseTooNew, match="version 99, made by a newer dashsnap"):
        open_store(tmp_path / "data", {"type": "postgres", "url": url, "max_connections": 4})


def test_a_lost_connection_answers_503_then_the_server_recovers(make_app, make_database, tmp_path):
    url = make_database()
    client = make_app(**on_postgres(url)).test_client()
    assert client.get("/api/search", headers=ADMIN).status_code == 200
    with psycopg.connect(url, autocommit=True) as connection:  # as a database restart would
        connection.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                           "WHERE datname = current_database() AND pid <> pg_backend_pid()")
    answers = [client.get("/api/dashboard/snapshots", headers=ADMIN) for _ in range(50)]
    failed = [answer for answer in answers if answer.status_code != 200]
    assert failed and all(answer.status_code == 503 for answer in failed)
    assert failed[0].json == {"message": "The database is unavailable; try again shortly"}
    assert answers[-1].status_code == 200
