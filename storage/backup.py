"""Backups of a data dir: export to a .tar.gz while the server runs, and import one into a data dir.

An export holds the data dir's write guard alone only while it hard-links every document into a hidden
staging folder, so it captures one moment at which no write is half done and blocks writers for just those
links; the archive is then written while writes go on. The index is left out: it is a cache, rebuilt from
the documents after an import.
"""
from __future__ import annotations

import io
import json
import os
import shutil
import tarfile
import tempfile
import time
from pathlib import Path, PurePosixPath

from . import documents
from .index import INDEX_FILES

MANIFEST = "dashsnap-export.json"
FORMAT = 1
DOCUMENTS_FOLDER = "data"


class BackupError(Exception):
    """An archive that cannot be imported, or a data dir that cannot take it."""


def _is_data(relative: PurePosixPath) -> bool:
    """Documents and the data dir's own files; not the index, locks, temp files or staging folders (every name
    that starts with a dot: no document's name can)."""
    if relative.parts and relative.parts[0] in INDEX_FILES:
        return False
    return not any(part.startswith(".") for part in relative.parts)


def _data_entries(data_dir: Path) -> list[Path]:
    return sorted(entry for entry in data_dir.iterdir() if _is_data(PurePosixPath(entry.name)))


def export_archive(data_dir: Path, target: Path) -> int:
    """Write every document of data_dir into the .tar.gz at target (mode 0600: it holds password hashes and the
    secret key; replaced whole, never left half written); how many files it holds."""
    if target.resolve().is_relative_to(data_dir.resolve()):
        raise BackupError("the archive may not be written inside the data dir it backs up")
    staging = Path(tempfile.mkdtemp(prefix=".export-", dir=data_dir))
    try:
        with documents.WriteGuard(data_dir).frozen():
            documents.link_tree(data_dir, staging, _is_data)
        return _write_archive(target, ((path.relative_to(staging).as_posix(), path)
                                       for path in sorted(staging.rglob("*")) if path.is_file()))
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def export_database(files, target: Path) -> int:
    """export_archive for a store on a database (`files`, its documents): the archive holds the same names and
    bytes a data dir's export would, read as of one moment of the database, so either store imports it."""
    return _write_archive(target, ((name, data) for name, data in files.every_document() if _is_data(
        PurePosixPath(name))))


def _write_archive(target: Path, members) -> int:
    """The export at target, of members ((name in the data dir, its file or its bytes), in order); their count."""
    partial = target.with_name(f".{target.name}.partial")
    count = 0
    try:
        with os.fdopen(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as output, \
                tarfile.open(fileobj=output, mode="w:gz") as archive:
            for name, content in members:
                if isinstance(content, Path):
                    archive.add(content, f"{DOCUMENTS_FOLDER}/{name}", recursive=False)
                else:
                    entry = tarfile.TarInfo(f"{DOCUMENTS_FOLDER}/{name}")
                    entry.size, entry.mtime, entry.mode = len(content), int(time.time()), 0o600
                    archive.addfile(entry, io.BytesIO(content))
                count += 1
            # Last, so that it can say how many files came before it.
            manifest = json.dumps({"format": FORMAT, "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                                   "files": count}).encode()
            entry = tarfile.TarInfo(MANIFEST)
            entry.size, entry.mtime, entry.mode = len(manifest), int(time.time()), 0o600
            archive.addfile(entry, io.BytesIO(manifest))
        os.replace(partial, target)
    except OSError as error:
        raise BackupError(f"cannot write {target}: {error.strerror or error}") from None
    finally:
        partial.unlink(missing_ok=True)
    return count


def _read_manifest(archive: tarfile.TarFile) -> dict:
    try:
        entry = archive.getmember(MANIFEST)
        manifest = json.load(archive.extractfile(entry)) if entry.isfile() else None
    except (KeyError, ValueError):
        manifest = None
    if not isinstance(manifest, dict):
        raise BackupError(f"not a dashsnap export: no readable {MANIFEST}")
    if manifest.get("format") != FORMAT:
        raise BackupError(f"export format {manifest.get('format')!r} is not one this version reads ({FORMAT})")
    return manifest


def _documents_of(archive: tarfile.TarFile) -> list[tarfile.TarInfo]:
    """The archive's document entries, after checking it is one of ours and holds nothing but plain files and
    folders inside its documents folder."""
    _read_manifest(archive)
    entries = []
    for entry in archive.getmembers():
        if entry.name == MANIFEST:
            continue
        relative = PurePosixPath(entry.name)
        inside = relative.parts[:1] == (DOCUMENTS_FOLDER,) and ".." not in relative.parts
        if (not inside or relative.is_absolute() or not _is_data(PurePosixPath(*relative.parts[1:]))
                or not (entry.isfile() or entry.isdir()) or (relative.parts == (DOCUMENTS_FOLDER,) and entry.isfile())):
            raise BackupError(f"refusing the archive: unexpected entry {entry.name!r}")
        entries.append(entry)
    return entries


def _check_room(entries: list[tarfile.TarInfo], data_dir: Path) -> None:
    needed = sum(entry.size for entry in entries if entry.isfile())
    free = shutil.disk_usage(data_dir).free
    if needed * 2 > free:  # unpacked, then the index built from it
        raise BackupError(f"the archive unpacks to {needed} bytes; the data dir's disk has {free} bytes free")


def _move_in(staging: Path, data_dir: Path, *, replace: bool) -> Path | None:
    """Move the unpacked documents into data_dir (what is there into `.replaced-*`, with `replace`), all or
    nothing; where the replaced data went, or None."""
    existing = _data_entries(data_dir)
    if existing and not replace:
        raise BackupError(f"{data_dir} already holds data; import into an empty data dir, or replace it")
    replaced = None
    if existing:
        replaced = Path(tempfile.mkdtemp(prefix=f".replaced-{time.strftime('%Y%m%dT%H%M%S')}-", dir=data_dir))
    moved_aside, moved_in = [], []
    try:
        for entry in existing:
            os.replace(entry, replaced / entry.name)
            moved_aside.append(entry)
        restored = staging / DOCUMENTS_FOLDER
        for entry in sorted(restored.iterdir()) if restored.is_dir() else []:
            os.replace(entry, data_dir / entry.name)
            moved_in.append(data_dir / entry.name)
    except OSError:
        for entry in moved_in:
            shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
        for entry in moved_aside:
            os.replace(replaced / entry.name, entry)
        raise
    return replaced


def import_archive(archive_path: Path, data_dir: Path, *, replace: bool = False) -> tuple[int, Path | None]:
    """Put the documents of an export into data_dir; (how many files, where the replaced ones went or None).

    The archive's contents are trusted once it passes the checks (users, password hashes and the secret key are
    restored as they are). A data dir that already holds documents is refused unless `replace`: then they are
    moved, not deleted, into a `.replaced-<time>` folder inside it. Build the index anew afterwards
    (`rebuild_index`)."""
    data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    if _data_entries(data_dir) and not replace:
        raise BackupError(f"{data_dir} already holds data; import into an empty data dir, or replace it")
    staging = Path(tempfile.mkdtemp(prefix=".import-", dir=data_dir))
    try:
        try:
            with tarfile.open(archive_path, "r:gz") as archive:
                entries = _documents_of(archive)
                _check_room(entries, data_dir)
                archive.extractall(staging, members=entries, filter="data")
        except (tarfile.TarError, EOFError, OSError, ValueError) as error:
            raise BackupError(f"cannot read {archive_path}: {error}") from None
        with documents.WriteGuard(data_dir).frozen():
            replaced = _move_in(staging, data_dir, replace=replace)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return sum(1 for entry in entries if entry.isfile()), replaced


def import_into_database(archive_path: Path, files, *, replace: bool = False) -> int:
    """import_archive for a store on a database (`files`, its documents), all in one transaction: a database
    that holds documents is refused unless `replace`, which deletes them in that same transaction (a failed
    import leaves them as they were). Open the store afterwards to bring its index in line; how many files."""
    try:
        with tarfile.open(archive_path, "r:gz") as archive:
            entries = [entry for entry in _documents_of(archive) if entry.isfile()]
            loaded = files.load(((PurePosixPath(*PurePosixPath(entry.name).parts[1:]).as_posix(),
                                  archive.extractfile(entry).read()) for entry in entries), replace=replace)
    except (tarfile.TarError, EOFError, OSError, ValueError) as error:
        raise BackupError(f"cannot read {archive_path}: {error}") from None
    if loaded is None:
        raise BackupError("the database already holds data; import into an empty database, or replace it")
    return loaded
