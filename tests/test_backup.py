"""Export and import of a data dir: one moment's documents, taken while writers keep writing, and an import
that accepts only what an export makes."""
import io
import json
import tarfile
import threading
from pathlib import Path

import pytest
from dashsnap.storage import open_store, rebuild_index
from dashsnap.storage.backup import MANIFEST, BackupError, export_archive, import_archive


def new_snapshot(name: str) -> dict:
    return {"key": f"key-{name}", "deleteKeyHash": f"hash-{name}", "name": name, "orgId": 1, "userId": 1,
            "external": False, "externalUrl": "", "externalDeleteUrl": "", "expires": "2099-01-01T00:00:00Z",
            "created": "2026-01-01T00:00:00Z", "updated": "2026-01-01T00:00:00Z", "dashboard": {"title": name}}


def names_in(archive: Path) -> list[str]:
    with tarfile.open(archive) as tar:
        return tar.getnames()


def hand_made_archive(path: Path, entries: dict[str, bytes], *, manifest: object = None) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for name, data in {MANIFEST: json.dumps(manifest if manifest is not None else {"format": 1}).encode(),
                           **entries}.items():
            entry = tarfile.TarInfo(name)
            entry.size = len(data)
            tar.addfile(entry, io.BytesIO(data))
    return path


def test_an_export_holds_the_documents_and_none_of_the_index_locks_or_temp_files(tmp_path):
    data_dir = tmp_path / "data"
    store = open_store(data_dir)
    store.snapshots.create(new_snapshot("one"))
    (data_dir / "snapshots" / ".tmp-crashed-writer").write_bytes(b"half")

    count = export_archive(data_dir, tmp_path / "backup.tar.gz")

    names = names_in(tmp_path / "backup.tar.gz")
    assert MANIFEST in names and count == len(names) - 1
    assert any(name.startswith("data/snapshots/") and name.endswith("key-one.json") for name in names)
    assert not [name for name in names if "index.sqlite3" in name or "/." in name]
    assert not list(data_dir.glob(".export-*")), "the staging folder is cleaned up"


def test_an_export_taken_while_writers_write_has_every_earlier_write_and_only_whole_documents(tmp_path):
    data_dir = tmp_path / "data"
    store = open_store(data_dir)
    for number in range(50):
        store.snapshots.create(new_snapshot(f"before-{number}"))
    stop = threading.Event()
    written = []

    def keep_writing(writer: int):
        number = 0
        while not stop.is_set():
            store.snapshots.create(new_snapshot(f"during-{writer}-{number}"))
            written.append(number)
            number += 1

    writers = [threading.Thread(target=keep_writing, args=(writer,)) for writer in range(2)]
    for writer in writers:
        writer.start()
    while len(written) < 2:
        threading.Event().wait(0.001)
    try:
        export_archive(data_dir, tmp_path / "backup.tar.gz")
    finally:
        stop.set()
        for writer in writers:
            writer.join()

    import_archive(tmp_path / "backup.tar.gz", tmp_path / "restored")
    restored = open_store(tmp_path / "restored")
    keys = {row["key"] for row in restored.snapshots.list_for_org(1, limit=10_000)}
    assert {f"key-before-{number}" for number in range(50)} <= keys
    for path in (tmp_path / "restored" / "snapshots").glob("*/*.json"):
        assert json.loads(path.read_bytes())["dashboard"]["title"]  # whole, parseable documents
    assert store.snapshots.count() == 50 + len(written), "no writer lost a write to the export"


def test_import_rebuilds_nothing_itself_but_keeps_ids_from_being_handed_out_again(tmp_path):
    store = open_store(tmp_path / "data")
    old = store.snapshots.create(new_snapshot("old"))
    export_archive(tmp_path / "data", tmp_path / "backup.tar.gz")

    import_archive(tmp_path / "backup.tar.gz", tmp_path / "restored")
    restored = open_store(tmp_path / "restored")

    assert restored.snapshots.get("key-old")["name"] == "old"
    assert restored.snapshots.create(new_snapshot("new"))["id"] > old["id"]


def test_import_into_a_data_dir_with_data_is_refused_or_moves_the_old_data_aside(tmp_path):
    store = open_store(tmp_path / "data")
    store.snapshots.create(new_snapshot("exported"))
    export_archive(tmp_path / "data", tmp_path / "backup.tar.gz")
    store.snapshots.create(new_snapshot("later"))

    with pytest.raises(BackupError, match="already holds data"):
        import_archive(tmp_path / "backup.tar.gz", tmp_path / "data")
    count, replaced = import_archive(tmp_path / "backup.tar.gz", tmp_path / "data", replace=True)

    reopened = rebuild_index(tmp_path / "data")
    assert reopened.snapshots.get("key-later") is None and reopened.snapshots.get("key-exported") is not None
    assert replaced is not None and list(replaced.glob("snapshots/*/key-later.json"))


@pytest.mark.parametrize("name", ["../escaped.json", "/etc/evil.json", "data/../../escaped.json",
                                  "elsewhere/users/1.json", "data/.hidden/users/1.json",
                                  "data/index.sqlite3"])
def test_import_refuses_entries_outside_the_documents(tmp_path, name):
    archive = hand_made_archive(tmp_path / "evil.tar.gz", {"data/users/1.json": b"{}", name: b"{}"})
    with pytest.raises(BackupError):
        import_archive(archive, tmp_path / "restored")
    assert not (tmp_path / "escaped.json").exists()
    assert not list((tmp_path / "restored").glob("users/*"))


def test_import_refuses_links(tmp_path):
    archive = tmp_path / "links.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        manifest = json.dumps({"format": 1}).encode()
        entry = tarfile.TarInfo(MANIFEST)
        entry.size = len(manifest)
        tar.addfile(entry, io.BytesIO(manifest))
        link = tarfile.TarInfo("data/users/1.json")
        link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
        tar.addfile(link)
    with pytest.raises(BackupError, match="unexpected entry"):
        import_archive(archive, tmp_path / "restored")


def test_import_refuses_what_is_not_an_export(tmp_path):
    (tmp_path / "garbage.tar.gz").write_bytes(b"not an archive at all")
    with pytest.raises(BackupError, match="cannot read"):
        import_archive(tmp_path / "garbage.tar.gz", tmp_path / "restored")
    with tarfile.open(tmp_path / "plain.tar.gz", "w:gz"):
        pass
    with pytest.raises(BackupError, match="not a dashsnap export"):
        import_archive(tmp_path / "plain.tar.gz", tmp_path / "restored")
    future = hand_made_archive(tmp_path / "future.tar.gz", {}, manifest={"format": 99})
    with pytest.raises(BackupError, match="format"):
        import_archive(future, tmp_path / "restored")


def test_writes_wait_while_an_export_holds_the_data_dir_still(tmp_path):
    from dashsnap.storage.documents import WriteGuard

    store = open_store(tmp_path / "data")
    done = threading.Event()
    writer = threading.Thread(target=lambda: (store.snapshots.create(new_snapshot("waiting")), done.set()))
    with WriteGuard(tmp_path / "data").frozen():
        writer.start()
        assert not done.wait(0.3), "a write went through while the data dir was held still"
        assert store.snapshots.get("key-waiting") is None
    writer.join(timeout=10)
    assert done.is_set() and store.snapshots.get("key-waiting")["name"] == "waiting"


def test_an_export_is_readable_by_its_owner_only_and_never_written_into_the_data_dir(tmp_path):
    open_store(tmp_path / "data")
    export_archive(tmp_path / "data", tmp_path / "backup.tar.gz")
    assert (tmp_path / "backup.tar.gz").stat().st_mode & 0o777 == 0o600
    with pytest.raises(BackupError, match="inside the data dir"):
        export_archive(tmp_path / "data", tmp_path / "data" / "backup.tar.gz")
    with pytest.raises(BackupError, match="cannot write"):
        export_archive(tmp_path / "data", tmp_path / "no-such-folder" / "backup.tar.gz")
    assert not list(tmp_path.glob(".*.partial")) and not list((tmp_path / "data").glob(".export-*"))


@pytest.mark.data_dir_only
def test_an_older_backup_restored_over_a_renamed_dashboard_keeps_it(make_app, tmp_path):
    client = make_app().test_client()
    from conftest import ADMIN

    saved = client.post("/api/dashboards/db", json={"dashboard": {"title": "Foo", "uid": "keepme"}},
                        headers=ADMIN).get_json()
    export_archive(tmp_path / "data", tmp_path / "backup.tar.gz")
    client.post("/api/dashboards/db", json={"dashboard": {"title": "Bar", "uid": "keepme", "id": saved["id"],
                                                          "version": saved["version"]}}, headers=ADMIN)

    import_archive(tmp_path / "backup.tar.gz", tmp_path / "data", replace=True)
    restored = open_store(tmp_path / "data")  # the old index, brought in line: a stale row must not win

    assert restored.dashboards.get_by_uid(1, "keepme")["title"] == "Foo"


@pytest.mark.parametrize("entries", [{"data": b"a file where the documents folder goes"}])
def test_import_refuses_a_documents_folder_that_is_a_file_and_moves_nothing(tmp_path, entries):
    store = open_store(tmp_path / "data")
    store.snapshots.create(new_snapshot("present"))
    archive = hand_made_archive(tmp_path / "odd.tar.gz", entries)
    with pytest.raises(BackupError):
        import_archive(archive, tmp_path / "data", replace=True)
    assert open_store(tmp_path / "data").snapshots.get("key-present") is not None


def test_import_refuses_a_manifest_that_is_not_an_object(tmp_path):
    archive = hand_made_archive(tmp_path / "list.tar.gz", {}, manifest=[1, 2])
    with pytest.raises(BackupError, match="not a dashsnap export"):
        import_archive(archive, tmp_path / "restored")
    with tarfile.open(tmp_path / "folder.tar.gz", "w:gz") as tar:
        folder = tarfile.TarInfo(MANIFEST)
        folder.type = tarfile.DIRTYPE
        tar.addfile(folder)
    with pytest.raises(BackupError, match="not a dashsnap export"):
        import_archive(tmp_path / "folder.tar.gz", tmp_path / "restored")


def test_an_export_follows_a_folder_that_is_a_symlink(tmp_path):
    store = open_store(tmp_path / "data")
    store.snapshots.create(new_snapshot("linked"))
    (tmp_path / "data" / "snapshots").rename(tmp_path / "elsewhere")
    (tmp_path / "data" / "snapshots").symlink_to(tmp_path / "elsewhere")
    export_archive(tmp_path / "data", tmp_path / "backup.tar.gz")
    assert any(name.endswith("key-linked.json") for name in names_in(tmp_path / "backup.tar.gz"))


def test_folders_versions_permissions_and_preferences_round_trip(make_app, tmp_path):
    from conftest import ADMIN
    client = make_app().test_client()
    folder = client.post("/api/folders", json={"title": "Ops", "uid": "ops"}, headers=ADMIN).get_json()
    first = client.post("/api/dashboards/db", json={"dashboard": {"title": "Disk", "uid": "disk"},
                                                    "folderUid": "ops"}, headers=ADMIN).get_json()
    client.post("/api/dashboards/db", json={"dashboard": {"title": "Disk", "uid": "disk", "id": first["id"],
                                                          "version": 1, "refresh": "5s"}, "folderUid": "ops",
                                            "message": "faster"}, headers=ADMIN)
    items = [{"role": "Viewer", "permission": 2}]
    client.post("/api/folders/ops/permissions", json={"items": items}, headers=ADMIN)
    client.put("/api/org/preferences", json={"theme": "light", "homeDashboardUID": "disk"}, headers=ADMIN)
    export_archive(tmp_path / "data", tmp_path / "backup.tar.gz")

    import_archive(tmp_path / "backup.tar.gz", tmp_path / "restored")
    restored = make_app(tmp_path / "restored").test_client()

    assert restored.get("/api/folders/ops", headers=ADMIN).get_json()["id"] == folder["id"]
    dashboard = restored.get("/api/dashboards/uid/disk", headers=ADMIN).get_json()
    assert dashboard["meta"]["folderUid"] == "ops" and dashboard["dashboard"]["refresh"] == "5s"
    versions = restored.get("/api/dashboards/uid/disk/versions", headers=ADMIN).get_json()
    assert [(v["version"], v["message"]) for v in versions] == [(2, "faster"), (1, "")]
    assert "refresh" not in restored.get("/api/dashboards/uid/disk/versions/1", headers=ADMIN).get_json()["data"]
    got = restored.get("/api/folders/ops/permissions", headers=ADMIN).get_json()
    assert [(item["role"], item["permission"]) for item in got] == [("Viewer", 2)]
    assert restored.get("/api/org/preferences", headers=ADMIN).get_json()["theme"] == "light"
