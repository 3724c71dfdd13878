"""The only module that touches the file system: safe names, durable writes, reads, deletes, scans, locks.

A write never leaves a torn document: the bytes go to a temporary file in the target's own folder, are
fsynced, then renamed over the target (or hard-linked to it when the name must be new), and the folder is
fsynced so the rename itself survives a crash.
"""
from __future__ import annotations

import fcntl
import glob
import os
import re
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
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


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_temp(folder: Path, data: bytes) -> str:
    folder.mkdir(parents=True, exist_ok=True)
    fd, temp_path = tempfile.mkstemp(dir=folder, prefix=TEMP_PREFIX)
    try:
        with os.fdopen(fd, "wb") as temp_file:
            temp_file.write(data)
            temp_file.flush()
            os.fsync(temp_file.fileno())
    except BaseException:
        os.unlink(temp_path)
        raise
    return temp_path


def write_document(path: Path, document: object) -> None:
    """Replace (or create) the document at path atomically and durably."""
    temp_path = _write_temp(path.parent, jsoncodec.dumps(document))
    try:
        os.replace(temp_path, path)
    except BaseException:
        os.unlink(temp_path)
        raise
    _fsync_dir(path.parent)


def create_document(path: Path, document: object) -> None:
    """Create the document at path atomically; raise FileExistsError when a document already has that name."""
    create_file(path, jsoncodec.dumps(document))


def create_file(path: Path, data: bytes) -> None:
    """Create path with data (mode 0600) atomically; raise FileExistsError when the name is taken."""
    temp_path = _write_temp(path.parent, data)
    try:
        os.link(temp_path, path)  # unlike rename, link refuses to replace an existing name
    finally:
        os.unlink(temp_path)
    _fsync_dir(path.parent)


def set_aside(path: Path) -> None:
    """Keep a document that lost its place under a name no scan picks up (`<name>.superseded`)."""
    try:
        os.replace(path, path.with_name(path.name + ".superseded"))
    except FileNotFoundError:
        return
    _fsync_dir(path.parent)


def read_document(path: Path) -> object | None:
    """The parsed document at path, or None when there is none."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    return jsoncodec.loads(data)


def remove_document(path: Path) -> bool:
    """Delete the document; True when this call removed it (a concurrent deleter may have won)."""
    try:
        os.unlink(path)
    except FileNotFoundError:
        return False
    _fsync_dir(path.parent)
    return True


def scan_documents(folder: Path, pattern: str) -> Iterator[tuple[Path, int]]:
    """Yield (path, mtime_ns) of every document under folder matching the glob pattern."""
    for name in glob.glob(os.path.join(folder, pattern)):
        try:
            yield Path(name), os.stat(name).st_mtime_ns
        except FileNotFoundError:
            continue


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


def mtime_ns(path: Path) -> int:
    return path.stat().st_mtime_ns


def lock(path: Path) -> FileLock:
    """An inter-process (and inter-thread) lock held in a file beside the data it guards."""
    path.parent.mkdir(parents=True, exist_ok=True)
    return FileLock(str(path), timeout=30)


class WriteGuard:
    """A data dir's write guard: every write holds it shared, a backup holds it alone, so a backup sees a moment
    at which no write is half done. flock locks belong to an open file, so they also order threads."""

    def __init__(self, data_dir: Path):
        self._path = data_dir / ".writes.lock"

    @contextmanager
    def _held(self, mode: int) -> Iterator[None]:
        fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, mode)
            yield
        finally:
            os.close(fd)  # and with it the lock

    def writing(self):
        return self._held(fcntl.LOCK_SH)

    def frozen(self):
        return self._held(fcntl.LOCK_EX)


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
