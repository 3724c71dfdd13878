"""The only module that touches the file system: safe names, durable writes, reads, deletes, scans, locks.

A write never leaves a torn document: the bytes go to a temporary file in the target's own folder, are
fsynced, then renamed over the target (or hard-linked to it when the name must be new), and the folder is
fsynced so the rename itself survives a crash.
"""
from __future__ import annotations

import fcntl
import fnmatch
import glob
import os
import re
import shutil
import stat
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from filelock import FileLock

from .. import jsoncodec

# Names that come from URLs or payloads (snapshot keys, slugs) become file names only through this pattern,
# so no input can climb out of its folder or hide as a dotfile.
_SAFE_NAME = re.compile(r"[A-Za-z0-9_-]{1,128}")
TEMP_PREFIX = ".tmp-"
STALE_TEMP_SECONDS = 3600


class UnsafeName(ValueError):
    """A name that may not become part of a path."""


def safe_name(name: str) -> str:
    if not isinstance(name, str) or not _SAFE_NAME.fullmatch(name):
        raise UnsafeName(name)
    return name


class _FolderSync:
    """Group commit of one folder's fsyncs. A writer that has renamed a file into the folder needs an fsync that
    starts after its rename: it waits for the next one, or runs it for every writer waiting when it starts."""

    def __init__(self, folder: Path):
        self._folder = folder
        self._condition = threading.Condition()
        self._requested = self._done = 0
        self._running = False

    def sync(self) -> None:
        with self._condition:
            self._requested += 1
            ticket = self._requested
            while self._done < ticket:
                if self._running:
                    self._condition.wait()
                    continue
                self._running, batch = True, self._requested
                self._condition.release()
                try:
                    fd = os.open(self._folder, os.O_RDONLY | os.O_DIRECTORY)
                    try:
                        os.fsync(fd)
                    finally:
                        os.close(fd)
                finally:
                    self._condition.acquire()
                    self._running = False
                    self._condition.notify_all()  # on failure, another waiter tries
                self._done = batch


_folder_syncs: dict[Path, _FolderSync] = {}
_folder_syncs_lock = threading.Lock()


def _forget_folder_syncs() -> None:
    """A forked child starts with none: another thread of its parent may have held one of their locks."""
    global _folder_syncs_lock
    _folder_syncs.clear()
    _folder_syncs_lock = threading.Lock()


os.register_at_fork(after_in_child=_forget_folder_syncs)


def _fsync_dir(folder: Path) -> None:
    """Make the renames and links done so far in folder durable, sharing the fsync with other threads'."""
    sync = _folder_syncs.get(folder)
    if sync is None:
        with _folder_syncs_lock:
            sync = _folder_syncs.setdefault(folder, _FolderSync(folder))
    sync.sync()


@dataclass(frozen=True)
class Stored:
    """How a document was written: the file's mtime and size (a later change to the file alters them), and where
    the value of its body member begins (None when it has none, or the file is not in the form encode makes)."""

    mtime_ns: int
    size: int
    body_at: int | None = None


def encode(document: dict, body: str | None = None) -> tuple[bytes, int | None]:
    """The document's bytes, with its body member (the dashboard of a snapshot, say) last, so that the body's
    own bytes can later be sent as they are; and the offset they begin at."""
    if body is None or body not in document:
        return jsoncodec.dumps(document), None
    head = jsoncodec.dumps({name: value for name, value in document.items() if name != body})
    lead = head[:-1] + (b"," if len(head) > 2 else b"") + jsoncodec.dumps(body) + b":"
    return lead + jsoncodec.dumps(document[body]) + b"}", len(lead)


def _write_temp(folder: Path, data: bytes) -> tuple[str, os.stat_result]:
    folder.mkdir(parents=True, exist_ok=True)
    fd, temp_path = tempfile.mkstemp(dir=folder, prefix=TEMP_PREFIX)
    try:
        with os.fdopen(fd, "wb") as temp_file:
            temp_file.write(data)
            temp_file.flush()
            os.fsync(temp_file.fileno())
            status = os.fstat(temp_file.fileno())  # a rename or link keeps the inode, and so its mtime
    except BaseException:
        os.unlink(temp_path)
        raise
    return temp_path, status


def write_document(path: Path, document: dict, body: str | None = None) -> Stored:
    """Replace (or create) the document at path atomically and durably."""
    data, body_at = encode(document, body)
    temp_path, status = _write_temp(path.parent, data)
    try:
        os.replace(temp_path, path)
    except BaseException:
        os.unlink(temp_path)
        raise
    _fsync_dir(path.parent)
    return Stored(status.st_mtime_ns, status.st_size, body_at)


def create_document(path: Path, document: dict, body: str | None = None) -> Stored:
    """Create the document at path atomically; raise FileExistsError when a document already has that name."""
    data, body_at = encode(document, body)
    status = create_file(path, data)
    return Stored(status.st_mtime_ns, status.st_size, body_at)


def create_file(path: Path, data: bytes) -> os.stat_result:
    """Create path with data (mode 0600) atomically; raise FileExistsError when the name is taken."""
    temp_path, status = _write_temp(path.parent, data)
    try:
        os.link(temp_path, path)  # unlike rename, link refuses to replace an existing name
    finally:
        os.unlink(temp_path)
    _fsync_dir(path.parent)
    return status


def keep_as(path: Path, target: Path) -> bool:
    """Give the document at path a second, lasting name at target (replacing what target held), durably: a hard
    link, which holds the document's bytes of now, since documents are replaced and never changed in place (a
    copy where the file system has no links). False when path is gone."""
    target.parent.mkdir(parents=True, exist_ok=True)
    temp_path = target.with_name(f"{TEMP_PREFIX}{os.getpid()}-{threading.get_ident()}-{target.name}")
    try:
        os.link(path, temp_path)
    except FileNotFoundError:
        return False
    except FileExistsError:
        os.unlink(temp_path)
        return keep_as(path, target)
    except OSError:
        temp_path, _ = _write_temp(target.parent, path.read_bytes())
    try:
        os.replace(temp_path, target)
    except BaseException:
        os.unlink(temp_path)
        raise
    _fsync_dir(target.parent)
    return True


def remove_folder(folder: Path) -> None:
    """Remove a folder of documents with everything in it (nothing when it is not there)."""
    shutil.rmtree(folder, ignore_errors=True)
    if folder.parent.is_dir():
        _fsync_dir(folder.parent)


def set_aside(path: Path) -> None:
    """Keep a document that lost its place under a name no scan picks up (`<name>.superseded`)."""
    try:
        os.replace(path, path.with_name(path.name + ".superseded"))
    except FileNotFoundError:
        return
    _fsync_dir(path.parent)


def _read_file(path: Path) -> tuple[bytes, os.stat_result] | None:
    """A file's bytes and status in four system calls (Path.read_bytes makes about nine, and each gives up the
    interpreter lock, which costs far more under a busy server than the call itself); None when it is missing."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return None
    try:
        status = os.fstat(fd)
        data = os.read(fd, status.st_size + 1)
        while len(data) > status.st_size:  # it grew since the fstat: read the rest
            more = os.read(fd, 1 << 20)
            if not more:
                break
            data += more
        return data, status
    finally:
        os.close(fd)


def read_file(path: Path) -> bytes:
    """A file's bytes; FileNotFoundError when it is missing."""
    found = _read_file(path)
    if found is None:
        raise FileNotFoundError(path)
    return found[0]


def folder_names(folder: Path) -> list[str]:
    """The names in a folder, sorted ([] when it is not there)."""
    try:
        return sorted(os.listdir(folder))
    except (FileNotFoundError, NotADirectoryError):
        return []


def read_document(path: Path) -> object | None:
    """The parsed document at path, or None when there is none."""
    found = _read_file(path)
    return None if found is None else jsoncodec.loads(found[0])


def read_stored(path: Path, body: str | None = None) -> tuple[object, Stored] | None:
    """The parsed document at path and how it is stored (see Stored), or None when there is none."""
    found = _read_file(path)
    if found is None:
        return None
    data, status = found
    document = jsoncodec.loads(data)
    body_at = None
    if isinstance(document, dict):
        encoded, body_at = encode(document, body)
        if encoded != data:  # written by hand, or by other means: its body must be parsed to be sent
            body_at = None
    return document, Stored(status.st_mtime_ns, status.st_size, body_at)


class EncodedBody:
    """JSON bytes of a document's body member, held in memory."""

    def __init__(self, data: bytes):
        self._data = data
        self.size = len(data)

    def read(self) -> bytes:
        return self._data

    def chunks(self) -> Iterator[bytes]:
        yield self._data

    def close(self) -> None:
        pass


class StoredBody:
    """The bytes of a document's body member, straight from its file: small ones read at once, big ones read in
    chunks as they are sent from the file kept open (readable even if the document is replaced meanwhile)."""

    CHUNK_BYTES = 256 * 1024

    def __init__(self, fd: int, start: int, end: int):
        self._fd, self._start, self._end = fd, start, end
        self.size = end - start

    @classmethod
    def open(cls, path: Path, stored: Stored) -> StoredBody | EncodedBody | None:
        """The body of the document at path if the file is still the one stored describes; else None."""
        if stored.body_at is None:
            return None
        try:
            fd = os.open(path, os.O_RDONLY)
        except FileNotFoundError:
            return None
        status = os.fstat(fd)
        if (status.st_mtime_ns, status.st_size) != (stored.mtime_ns, stored.size):
            os.close(fd)
            return None
        body = cls(fd, stored.body_at, stored.size - 1)  # the document's closing brace ends the file
        return EncodedBody(body.read()) if body.size <= cls.CHUNK_BYTES else body

    def read(self) -> bytes:
        try:
            return os.pread(self._fd, self.size, self._start)
        finally:
            self.close()

    def chunks(self) -> Iterator[bytes]:
        try:
            for offset in range(self._start, self._end, self.CHUNK_BYTES):
                yield os.pread(self._fd, min(self.CHUNK_BYTES, self._end - offset), offset)
        finally:
            self.close()

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    __del__ = close  # a body dropped unread (an error answered instead) gives its file back


def open_body(path: Path, stored: Stored) -> StoredBody | EncodedBody | None:
    """The body of the document at path, as stored describes it (see StoredBody.open)."""
    return StoredBody.open(path, stored)


def remove_document(path: Path) -> bool:
    """Delete the document; True when this call removed it (a concurrent deleter may have won)."""
    try:
        os.unlink(path)
    except FileNotFoundError:
        return False
    _fsync_dir(path.parent)
    return True


def scan_documents(root: Path, pattern: str) -> dict[str, tuple[int, int]]:
    """The (mtime_ns, size) of every document under root matching the glob pattern, by its path relative to
    root; the pattern's last part matches file names. Plain strings and scandir: one stat per file, and no
    path objects, which cost more than the stat at 100,000 files."""
    folder_pattern, _, name_pattern = pattern.rpartition("/")
    name_match = re.compile(fnmatch.translate(name_pattern)).match
    found = {}
    # A trailing slash globs folders only: without it, each of the files beside them (100,000 dashboards in
    # one folder) would be tried as a folder too.
    for folder in glob.glob(f"{folder_pattern}/", root_dir=root) if folder_pattern else [""]:
        try:
            entries = os.scandir(os.path.join(root, folder))
        except (FileNotFoundError, NotADirectoryError):
            continue
        with entries:
            for entry in entries:
                if name_match(entry.name) and not entry.name.startswith("."):
                    try:
                        status = entry.stat()
                    except FileNotFoundError:
                        continue
                    if stat.S_ISREG(status.st_mode):
                        found[folder + entry.name] = (status.st_mtime_ns, status.st_size)
    return found


def remove_stale_temp_files(folder_pattern: Path) -> None:
    """Remove temp files that crashed writers left in the folders matching the glob; fresh ones may still
    belong to a writer at work in another process."""
    now = time.time()
    for name in glob.glob(os.path.join(folder_pattern, f"{TEMP_PREFIX}*")):
        try:
            if now - os.stat(name).st_mtime > STALE_TEMP_SECONDS:
                os.unlink(name)
        except FileNotFoundError:
            continue


def lock(path: Path) -> FileLock:
    """An inter-process (and inter-thread) lock held in a file beside the data it guards."""
    path.parent.mkdir(parents=True, exist_ok=True)
    return FileLock(str(path), timeout=30)


class SharedLock:
    """A lock in a file that many may hold shared at once, or one alone, across threads and processes (flock locks
    belong to an open file, so each holder opens its own)."""

    def __init__(self, path: Path):
        self._path = path

    @contextmanager
    def _held(self, mode: int) -> Iterator[None]:
        try:
            fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
        except FileNotFoundError:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, mode)
            yield
        finally:
            os.close(fd)  # and with it the lock

    def shared(self):
        return self._held(fcntl.LOCK_SH)

    def alone(self):
        return self._held(fcntl.LOCK_EX)


class WriteGuard(SharedLock):
    """A data dir's write guard: every write holds it shared, a backup holds it alone, so a backup sees a moment
    at which no write is half done."""

    def __init__(self, data_dir: Path):
        super().__init__(data_dir / ".writes.lock")

    def writing(self):
        return self.shared()

    def frozen(self):
        return self.alone()


class DataDirInUse(Exception):
    """A server is running on the data dir."""


class ServingLock:
    """Held shared by each server on a data dir for as long as it runs, so that a command that must have the data
    dir to itself (an import, a reindex) can tell, without waiting, that one is running."""

    def __init__(self, data_dir: Path):
        self._path = data_dir / ".serving.lock"
        self._held: int | None = None

    def hold(self) -> None:
        self._path.parent.mkdir(parents=True, exist_ok=True)
        self._held = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(self._held, fcntl.LOCK_SH)

    @contextmanager
    def alone(self) -> Iterator[None]:
        """Raise DataDirInUse when a server holds the data dir; else keep servers out until the block ends."""
        self._path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise DataDirInUse(str(self._path.parent)) from None
            yield
        finally:
            os.close(fd)


class KeptLock:
    """An exclusive lock that the first process to ask takes without waiting and keeps for as long as it runs: the
    kernel drops it with the process, however that ends, so the next to ask takes over. It picks the one process
    on a data dir that does a job which must run once, however many servers share the data dir."""

    def __init__(self, path: Path):
        self._path = path
        self._held: int | None = None

    def take(self) -> bool:
        """True when this process holds the lock (now, or since an earlier call)."""
        if self._held is None:
            fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                return False
            self._held = fd
        return True


def link_tree(source: Path, target: Path, keep: Callable[[PurePosixPath], bool]) -> int:
    """Hard-link (copy, where the file system has no links) every file under source that keep accepts into the
    same place under target; how many. Documents are replaced, never changed in place, so a link keeps the
    bytes of the moment it was made."""
    count = 0
    seen_folders = set()
    for folder, subfolders, names in os.walk(source, followlinks=True):
        real = os.path.realpath(folder)
        if real in seen_folders:  # a symlink back into the tree
            subfolders[:] = []
            continue
        seen_folders.add(real)
        relative_folder = PurePosixPath(Path(folder).relative_to(source).as_posix())
        subfolders[:] = sorted(name for name in subfolders if keep(relative_folder / name))
        for name in sorted(names):
            relative = relative_folder / name
            if not keep(relative):
                continue
            destination = target / relative
            destination.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.link(Path(folder) / name, destination)
            except FileNotFoundError:
                continue  # removed since the walk listed it
            except OSError:
                shutil.copy2(Path(folder) / name, destination)
            count += 1
    return count


def is_writable(folder: Path) -> bool:
    try:
        with tempfile.TemporaryFile(dir=folder, prefix=TEMP_PREFIX):
            return True
    except OSError:
        return False
