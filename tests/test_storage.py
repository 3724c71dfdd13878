"""The directory-based JSON store, tested on real data dirs: crashes, leftovers, concurrency, the index as a cache.

Every test opens a real store on its own data dir under tmp_path. Crashes are real too: a child Python process
opens the same data dir, replaces one system call (`os.replace` or `os.link`) with `os._exit`, and dies at
that exact point of a write, as a server would on a power cut or a kill -9. The test process then looks at
what the crash left behind.

Snapshot documents live at `snapshots/<first two hex digits of sha256(key)>/<key>.json`; the index is
`index.sqlite3` in the data dir and may be deleted or damaged at any time without losing anything.
"""
from __future__ import annotations

import hashlib
import json
import os
import secrets
import stat
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest
from dashsnap.storage import Conflict, Store, UnsafeName, documents, open_store
from dashsnap.storage.timestamps import rfc3339

CRASHED = 9  # exit status of a child that "crashed" on purpose
CHILD_TIMEOUT = 20


# --- helpers -----------------------------------------------------------------------------------------------

def snapshot_doc(**fields) -> dict:
    """A complete snapshot document as `snapshots.create` takes it, with a fresh random key and delete-key hash
    (random, so documents made in different processes never collide)."""
    return {"key": secrets.token_urlsafe(32), "deleteKeyHash": secrets.token_hex(32), "name": "n", "orgId": 1,
            "userId": 1, "external": False, "externalUrl": "", "externalDeleteUrl": "",
            "expires": "2099-01-01T00:00:00Z", "created": "2026-01-01T00:00:00Z",
            "updated": "2026-01-01T00:00:00Z", "dashboard": {"title": "t"}, **fields}


def snapshot_path(data_dir: Path, key: str) -> Path:
    """Where the store keeps the snapshot with this key."""
    return data_dir / "snapshots" / hashlib.sha256(key.encode()).hexdigest()[:2] / f"{key}.json"


def snapshot_files(data_dir: Path) -> list[Path]:
    return sorted(data_dir.glob("snapshots/*/*.json"))


def temp_files(folder: Path) -> list[Path]:
    return sorted(folder.rglob(f"{documents.TEMP_PREFIX}*"))


def listed_keys(store: Store) -> set[str]:
    return {row["key"] for row in store.snapshots.list_for_org(1)}


def shut(store: Store) -> None:
    """Close the store's index connection (this thread's), as a stopped server would: SQLite checkpoints its
    write-ahead log into index.sqlite3 and removes the -wal and -shm files."""
    store.index.connection.close()


def remove_index(data_dir: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{data_dir / 'index.sqlite3'}{suffix}").unlink(missing_ok=True)


def tree(folder: Path) -> dict[str, bytes]:
    """Every file under folder with its content, to show that nothing was written."""
    return {path.relative_to(folder).as_posix(): path.read_bytes() for path in folder.rglob("*") if path.is_file()}


CHILD_PRELUDE = f"""
import json, os, sys
from pathlib import Path
from dashsnap.storage import documents, open_store

store = open_store(sys.argv[1])

def crash(*args, **kwargs):
    os._exit({CRASHED})
"""


def run_child(script: str, data_dir: Path, *args: str) -> subprocess.CompletedProcess:
    """Run script in a fresh Python process after CHILD_PRELUDE (which opens the store on data_dir as `store`);
    further arguments arrive as sys.argv[2:]."""
    code = CHILD_PRELUDE + textwrap.dedent(script)
    return subprocess.run([sys.executable, "-c", code, str(data_dir), *args], capture_output=True, text=True,
                          timeout=CHILD_TIMEOUT, cwd=data_dir.parent)


def assert_crashed(result: subprocess.CompletedProcess) -> None:
    assert result.returncode == CRASHED, f"child did not crash where it should:\n{result.stdout}{result.stderr}"


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def store(data_dir: Path) -> Store:
    return open_store(data_dir)


# --- crash safety ------------------------------------------------------------------------------------------

@pytest.fixture
def crashed_overwrite(data_dir: Path, store: Store) -> tuple[dict, bytes]:
    """A snapshot, and a child process that died right before renaming a new version over it.
    Returns the snapshot as created and the bytes of its file before the crash."""
    original = store.snapshots.create(snapshot_doc(name="original"))
    path = snapshot_path(data_dir, original["key"])
    before = path.read_bytes()
    result = run_child("""
        os.replace = crash
        documents.write_document(Path(sys.argv[2]), json.loads(sys.argv[3]))
        print("the write went through")
    """, data_dir, str(path), json.dumps({**original, "name": "overwritten", "dashboard": {}}))
    assert_crashed(result)
    assert temp_files(path.parent), "the crash should have come after the new version was written aside"
    return original, before


def test_interrupted_write_leaves_old_document_intact(data_dir, crashed_overwrite):
    original, before = crashed_overwrite
    path = snapshot_path(data_dir, original["key"])
    assert path.read_bytes() == before
    assert documents.read_document(path) == original


def test_store_reopens_and_lists_document_after_interrupted_write(data_dir, crashed_overwrite):
    original, _ = crashed_overwrite
    reopened = open_store(data_dir)
    assert reopened.snapshots.get(original["key"]) == original
    assert [row["name"] for row in reopened.snapshots.list_for_org(1)] == ["original"]


def test_crash_while_raising_the_id_bound_loses_nothing(data_dir, store):
    first = store.snapshots.create(snapshot_doc())
    doomed = snapshot_doc()
    result = run_child("""
        store.index.connection.execute("UPDATE sequences SET bound = last")  # the next id must raise the bound
        os.replace = crash  # the bound is raised with an atomic replace, before the id is counted
        store.snapshots.create(json.loads(sys.argv[2]))
    """, data_dir, json.dumps(doomed))
    assert_crashed(result)

    reopened = open_store(data_dir)
    assert reopened.snapshots.get(doomed["key"]) is None
    assert reopened.snapshots.create(snapshot_doc())["id"] == first["id"] + 1
    assert reopened.snapshots.count() == 2


def test_ids_count_on_across_reopening_and_skip_ahead_but_never_repeat_after_losing_the_index(data_dir, store):
    made = [store.snapshots.create(snapshot_doc())["id"] for _ in range(3)]
    shut(store)
    made.append(open_store(data_dir).snapshots.create(snapshot_doc())["id"])
    assert made == [1, 2, 3, 4]
    reopened = open_store(data_dir)
    reopened.snapshots.delete(reopened.snapshots.list_for_org(1)[0]["key"])  # id 4 is gone, and not to come back
    shut(reopened)
    remove_index(data_dir)
    after_loss = open_store(data_dir).snapshots.create(snapshot_doc())["id"]
    assert after_loss > 4
    assert open_store(data_dir).snapshots.create(snapshot_doc())["id"] == after_loss + 1


def test_crash_before_link_of_new_document_leaves_no_document_and_no_index_row(data_dir, store):
    doomed = snapshot_doc()
    result = run_child("""
        os.link = crash
        store.snapshots.create(json.loads(sys.argv[2]))
    """, data_dir, json.dumps(doomed))
    assert_crashed(result)

    reopened = open_store(data_dir)
    assert reopened.snapshots.get(doomed["key"]) is None
    assert reopened.snapshots.count() == 0
    assert reopened.snapshots.list_for_org(1) == []
    assert snapshot_files(data_dir) == []


def test_crash_before_link_of_new_document_does_not_block_its_key(data_dir, store):
    doomed = snapshot_doc()
    assert_crashed(run_child("""
        os.link = crash
        store.snapshots.create(json.loads(sys.argv[2]))
    """, data_dir, json.dumps(doomed)))

    reopened = open_store(data_dir)
    record = reopened.snapshots.create(doomed)
    assert record["id"] == 2  # id 1 went to the create that crashed, and ids never repeat
    assert reopened.snapshots.get(doomed["key"]) == record


def test_crash_after_link_before_index_row_is_indexed_on_reopen(data_dir, store):
    survivor = snapshot_doc()
    result = run_child("""
        real_create_document = documents.create_document

        def create_then_crash(*args):
            real_create_document(*args)
            crash()

        documents.create_document = create_then_crash
        store.snapshots.create(json.loads(sys.argv[2]))
    """, data_dir, json.dumps(survivor))
    assert_crashed(result)
    assert store.snapshots.count() == 0, "the crash should have come before the index row was written"

    reopened = open_store(data_dir)
    assert listed_keys(reopened) == {survivor["key"]}
    assert reopened.snapshots.get(survivor["key"]) == {"id": 1, **survivor}
    with pytest.raises(Conflict) as conflict:
        reopened.snapshots.create(snapshot_doc(key=survivor["key"]))
    assert conflict.value.field == "key"


# --- leftover temp files -----------------------------------------------------------------------------------

def test_temp_files_are_never_read_as_documents(data_dir):
    folder = snapshot_path(data_dir, "anything").parent
    folder.mkdir(parents=True)
    for name in (".tmp-leftover", ".tmp-leftover.json"):  # the second even matches the documents' pattern
        (folder / name).write_bytes(json.dumps({"id": 1, **snapshot_doc()}).encode())

    store = open_store(data_dir)
    assert store.snapshots.count() == 0
    assert store.snapshots.list_for_org(1) == []


def test_reconcile_removes_stale_temp_files(data_dir, store):
    stale = snapshot_path(data_dir, "anything").parent / ".tmp-stale"
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b'{"half": "writ')
    long_ago = time.time() - documents.STALE_TEMP_SECONDS - 60
    os.utime(stale, (long_ago, long_ago))

    store.reconcile()
    assert not stale.exists()


def test_reconcile_keeps_fresh_temp_files(data_dir, store):
    fresh = snapshot_path(data_dir, "anything").parent / ".tmp-fresh"  # a writer may be filling it right now
    fresh.parent.mkdir(parents=True)
    fresh.write_bytes(b'{"half": "writ')

    store.reconcile()
    assert fresh.read_bytes() == b'{"half": "writ'


# --- concurrency -------------------------------------------------------------------------------------------

def test_writers_in_one_folder_share_its_fsyncs_and_each_waits_for_one_after_its_own_link(tmp_path, monkeypatch):
    writers, events, events_lock = 16, [], threading.Lock()
    real_fsync, real_link = os.fsync, os.link

    def note(*event):
        with events_lock:
            events.append(event)

    def slow_folder_fsync(fd):
        if not stat.S_ISDIR(os.fstat(fd).st_mode):
            return real_fsync(fd)
        note("fsync started")
        time.sleep(0.05)  # long enough for every other writer to arrive while it runs
        real_fsync(fd)
        note("fsync ended")

    def noted_link(source, target, **kwargs):
        real_link(source, target, **kwargs)
        note("linked", Path(target).name)

    monkeypatch.setattr(os, "fsync", slow_folder_fsync)
    monkeypatch.setattr(os, "link", noted_link)
    barrier = threading.Barrier(writers)

    def write(number: int) -> None:
        barrier.wait(timeout=30)
        documents.create_document(tmp_path / f"{number}.json", {"number": number})
        note("answered", f"{number}.json")

    threads = [threading.Thread(target=write, args=(number,)) for number in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(path.name for path in tmp_path.glob("*.json")) == sorted(f"{n}.json" for n in range(writers))
    assert 1 <= events.count(("fsync started",)) <= writers // 4
    for number in range(writers):
        linked, answered = events.index(("linked", f"{number}.json")), events.index(("answered", f"{number}.json"))
        covering = [at for at in range(linked, answered) if events[at] == ("fsync started",)]
        assert covering and ("fsync ended",) in events[covering[0]:answered], f"writer {number} answered too soon"


def test_a_file_edited_in_place_with_its_old_mtime_kept_is_read_again_on_reopening(data_dir, store):
    """Start-up compares each file's mtime and size with its row (a stat per file, no read); a tool that puts the
    old mtime back (rsync -t, cp -p) still changes the size."""
    created = store.snapshots.create(snapshot_doc(name="before"))
    path = snapshot_path(data_dir, created["key"])
    status = path.stat()
    path.write_text(json.dumps({**created, "name": "after, a longer name"}))
    os.utime(path, ns=(status.st_atime_ns, status.st_mtime_ns))
    shut(store)
    assert open_store(data_dir).snapshots.list_for_org(1)[0]["name"] == "after, a longer name"


def test_concurrent_creates_from_threads_lose_nothing_and_never_share_an_id(store):
    threads, per_thread = 8, 25
    start = threading.Barrier(threads)
    created: list[dict] = []
    errors: list[BaseException] = []

    def create_many() -> None:
        try:
            start.wait()
            for _ in range(per_thread):
                created.append(store.snapshots.create(snapshot_doc()))
        except BaseException as error:  # noqa: BLE001 - reported by the test thread below
            errors.append(error)

    workers = [threading.Thread(target=create_many) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    assert errors == []

    total = threads * per_thread
    assert sorted(record["id"] for record in created) == list(range(1, total + 1))
    listed = store.snapshots.list_for_org(1)
    assert [row["id"] for row in listed] == list(range(total, 0, -1))
    assert {row["key"] for row in listed} == {record["key"] for record in created}
    assert all(store.snapshots.get(record["key"]) == record for record in created)


def test_concurrent_creates_from_processes_lose_nothing_and_never_share_an_id(data_dir, store):
    children, per_process = 3, 20
    script = CHILD_PRELUDE + textwrap.dedent("""
        batch = json.loads(sys.argv[2])
        print("ready", flush=True)
        sys.stdin.readline()  # wait for the go, so all processes create at once
        print(json.dumps([store.snapshots.create(document)["id"] for document in batch]), flush=True)
    """)
    batches = [[snapshot_doc() for _ in range(per_process)] for _ in range(children + 1)]
    processes = [subprocess.Popen([sys.executable, "-c", script, str(data_dir), json.dumps(batch)],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  text=True, cwd=data_dir.parent)
                 for batch in batches[:children]]
    try:
        for process in processes:
            assert process.stdout.readline().strip() == "ready", process.stderr.read()
        for process in processes:
            process.stdin.write("go\n")
            process.stdin.flush()
        ids = [store.snapshots.create(document)["id"] for document in batches[-1]]
        for process in processes:
            out, err = process.communicate(timeout=CHILD_TIMEOUT)
            assert process.returncode == 0, err
            ids += json.loads(out)
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait()

    total = (children + 1) * per_process
    assert sorted(ids) == list(range(1, total + 1))
    fresh = open_store(data_dir)
    assert sorted(row["id"] for row in fresh.snapshots.list_for_org(1)) == list(range(1, total + 1))
    assert listed_keys(fresh) == {document["key"] for batch in batches for document in batch}
    assert len(snapshot_files(data_dir)) == total


# --- ids ---------------------------------------------------------------------------------------------------

def test_ids_never_repeat_after_delete_and_index_loss(data_dir, store):
    created = [store.snapshots.create(snapshot_doc()) for _ in range(3)]
    assert store.snapshots.delete(created[-1]["key"])
    shut(store)
    remove_index(data_dir)

    reopened = open_store(data_dir)
    assert reopened.snapshots.create(snapshot_doc())["id"] > created[-1]["id"]  # past the bound, see ids.py


# --- the index is a cache ----------------------------------------------------------------------------------

@pytest.fixture
def five_snapshots(store: Store) -> list[dict]:
    created = [store.snapshots.create(snapshot_doc(name=f"snapshot {number}")) for number in range(5)]
    shut(store)
    return created


def listing_of(records: list[dict]) -> list[tuple[int, str, str]]:
    return sorted((record["id"], record["key"], record["name"]) for record in records)


def test_missing_index_is_rebuilt_from_documents(data_dir, five_snapshots):
    remove_index(data_dir)
    reopened = open_store(data_dir)
    assert listing_of(reopened.snapshots.list_for_org(1)) == listing_of(five_snapshots)


def test_garbage_index_file_is_rebuilt_from_documents(data_dir, five_snapshots):
    (data_dir / "index.sqlite3").write_bytes(b"this is not an SQLite database\n" * 200)
    reopened = open_store(data_dir)
    assert listing_of(reopened.snapshots.list_for_org(1)) == listing_of(five_snapshots)


def test_index_with_a_damaged_table_is_rebuilt_from_documents(data_dir, store):
    created = [store.snapshots.create(snapshot_doc()) for _ in range(5)]
    [root] = store.index.query("SELECT rootpage FROM sqlite_master WHERE type = 'table' AND name = 'snapshots'")
    shut(store)
    with open(data_dir / "index.sqlite3", "r+b") as index_file:  # the snapshots table's first page, garbled
        page_size = int.from_bytes(index_file.read(18)[16:18], "big")
        index_file.seek((root["rootpage"] - 1) * page_size)
        index_file.write(b"\x5a" * page_size)

    reopened = open_store(data_dir)
    assert listing_of(reopened.snapshots.list_for_org(1)) == listing_of(created)


def test_document_added_behind_the_index_appears_after_reconcile(data_dir, store):
    known = store.snapshots.create(snapshot_doc())
    added = {"id": 99, **snapshot_doc()}
    documents.create_document(snapshot_path(data_dir, added["key"]), added)
    assert listed_keys(store) == {known["key"]}

    store.reconcile()
    assert listed_keys(store) == {known["key"], added["key"]}
    assert store.snapshots.find_by_delete_key_hash(added["deleteKeyHash"]) == added


def test_document_removed_behind_the_index_disappears_after_reconcile(data_dir, store):
    kept, removed = store.snapshots.create(snapshot_doc()), store.snapshots.create(snapshot_doc())
    snapshot_path(data_dir, removed["key"]).unlink()

    store.reconcile()
    assert listed_keys(store) == {kept["key"]}
    assert store.snapshots.count() == 1
    assert store.snapshots.find_by_delete_key_hash(removed["deleteKeyHash"]) is None


def test_copied_document_does_not_evict_the_original_from_the_index(data_dir, store):
    original = store.snapshots.create(snapshot_doc())
    copy = snapshot_path(data_dir, secrets.token_urlsafe(32))  # e.g. a hand-made backup under another name
    documents.create_document(copy, original)

    original_path = snapshot_path(data_dir, original["key"]).relative_to(data_dir).as_posix()
    for _ in range(2):
        store.reconcile()
        indexed = store.index.query("SELECT path FROM snapshots WHERE key = ?", (original["key"],))
        assert [row["path"] for row in indexed] == [original_path]


def test_a_kept_listing_follows_what_other_processes_change(data_dir, store):
    first, second = (store.snapshots.create(snapshot_doc(name=name)) for name in ("first", "second"))
    assert listed_keys(store) == {first["key"], second["key"]}  # made, and kept

    result = run_child("""
        store.snapshots.delete(sys.argv[2])
        made = store.snapshots.create({**json.loads(sys.argv[3]), "name": "third"})
        print(made["key"])
    """, data_dir, first["key"], json.dumps(snapshot_doc()))
    assert result.returncode == 0, result.stderr
    assert listed_keys(store) == {second["key"], result.stdout.strip()}
    renamed = {**store.snapshots.get(second["key"]), "name": "second, renamed"}
    run_child("store.snapshots._documents.save(store.snapshots._path(sys.argv[2]), json.loads(sys.argv[3]))",
              data_dir, second["key"], json.dumps(renamed)).check_returncode()
    assert "second, renamed" in {row["name"] for row in store.snapshots.list_for_org(1)}


def test_a_kept_listing_lets_a_snapshot_go_when_it_expires(data_dir, store, monkeypatch):
    soon = store.snapshots.create(snapshot_doc(expires=rfc3339(time.time() + 60)))
    lasting = store.snapshots.create(snapshot_doc())
    assert listed_keys(store) == {soon["key"], lasting["key"]}
    later = time.time() + 120
    monkeypatch.setattr(time, "time", lambda: later)
    assert listed_keys(store) == {lasting["key"]}


# --- conflicts ---------------------------------------------------------------------------------------------

def test_same_key_twice_is_a_key_conflict_and_keeps_the_first(data_dir, store):
    first = store.snapshots.create(snapshot_doc(name="first"))
    before = snapshot_path(data_dir, first["key"]).read_bytes()

    with pytest.raises(Conflict) as conflict:
        store.snapshots.create(snapshot_doc(key=first["key"], name="second"))
    assert conflict.value.field == "key"
    assert snapshot_path(data_dir, first["key"]).read_bytes() == before
    assert store.snapshots.get(first["key"]) == first
    assert [row["name"] for row in store.snapshots.list_for_org(1)] == ["first"]


def test_same_delete_key_hash_twice_is_a_delete_key_conflict_and_keeps_the_first(data_dir, store):
    first = store.snapshots.create(snapshot_doc(name="first"))
    second = snapshot_doc(deleteKeyHash=first["deleteKeyHash"], name="second")

    with pytest.raises(Conflict) as conflict:
        store.snapshots.create(second)
    assert conflict.value.field == "deleteKey"
    assert store.snapshots.find_by_delete_key_hash(first["deleteKeyHash"]) == first
    assert store.snapshots.get(second["key"]) is None
    assert snapshot_files(data_dir) == [snapshot_path(data_dir, first["key"])]


# --- names that must never become paths --------------------------------------------------------------------

UNSAFE_KEYS = ["../x", "..", "a/b", "/etc/passwd", "a\\b", "", ".hidden", "x" * 129, "key\x00", "key\n",
               "%2e%2e", "ключ"]


@pytest.mark.parametrize("key", UNSAFE_KEYS)
def test_unsafe_key_is_not_found(store, key):
    assert store.snapshots.get(key) is None


@pytest.mark.parametrize("key", UNSAFE_KEYS)
def test_unsafe_key_cannot_be_created_and_writes_nothing(tmp_path, store, key):
    before = tree(tmp_path)
    with pytest.raises(UnsafeName):
        store.snapshots.create(snapshot_doc(key=key))
    assert tree(tmp_path) == before
    assert store.snapshots.count() == 0


# --- expiry ------------------------------------------------------------------------------------------------

def test_purge_expired_removes_exactly_the_expired_snapshots(data_dir, store):
    past, future = rfc3339(time.time() - 3600), rfc3339(time.time() + 3600)
    expired = [store.snapshots.create(snapshot_doc(expires=past)) for _ in range(2)]
    live = [store.snapshots.create(snapshot_doc(expires=future)) for _ in range(3)]

    assert store.snapshots.purge_expired() == 2
    assert all(not snapshot_path(data_dir, record["key"]).exists() for record in expired)
    assert all(store.snapshots.get(record["key"]) == record for record in live)
    assert store.snapshots.count() == 3
    assert store.snapshots.purge_expired() == 0


# --- what lands on disk ------------------------------------------------------------------------------------

def test_created_document_is_private_and_reads_back_as_returned(data_dir, store):
    record = store.snapshots.create(snapshot_doc(dashboard={"title": "t", "panels": [{"id": 1, "big": 2**70}]}))
    path = snapshot_path(data_dir, record["key"])
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert json.loads(path.read_bytes()) == record


def test_data_dir_is_private_to_its_owner(tmp_path):
    data_dir = tmp_path / "shared-looking"
    data_dir.mkdir(mode=0o755)
    open_store(data_dir)
    assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700


def test_create_whose_index_write_fails_leaves_no_document(data_dir, store, monkeypatch):
    import sqlite3

    def locked_index(*args):
        raise sqlite3.OperationalError("database is locked")

    document = snapshot_doc()
    monkeypatch.setattr(store.snapshots._documents, "_put_row", locked_index)
    with pytest.raises(sqlite3.OperationalError):
        store.snapshots.create(document)
    monkeypatch.undo()
    assert snapshot_files(data_dir) == []
    assert store.snapshots.get(document["key"]) is None
    assert store.snapshots.create(document)["key"] == document["key"]  # the key is still free


def test_stale_temp_files_beside_sequences_and_the_secret_key_are_removed(data_dir, store):
    leftovers = [data_dir / f"{documents.TEMP_PREFIX}secret", data_dir / "sequences" / f"{documents.TEMP_PREFIX}ids"]
    for leftover in leftovers:
        leftover.parent.mkdir(exist_ok=True)
        leftover.write_text("half")
        old = time.time() - documents.STALE_TEMP_SECONDS - 60
        os.utime(leftover, (old, old))
    store.reconcile()
    assert [leftover.exists() for leftover in leftovers] == [False, False]
