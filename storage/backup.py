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

MANIFEST = "dashsnap-export.json"
FORMAT = 1
DOCUMENTS_FOLDER = "data"
INDEX_FILES = ("index.sqlite3", "index.sqlite3-wal", "index.sqlite3-shm")


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
    """Write every document of data_dir into the .tar.gz at target (replaced whole, never left half written);
    how many files it holds."""
    staging = Path(tempfile.mkdtemp(prefix=".export-", dir=data_dir))
    try:
        with documents.WriteGuard(data_dir).frozen():
            count = documents.link_tree(data_dir, staging, _is_data)
        manifest = json.dumps({"format": FORMAT, "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                               "files": count}).encode()
        partial = target.with_name(f".{target.name}.partial")
        with tarfile.open(partial, "w:gz") as archive:
            entry = tarfile.TarInfo(MANIFEST)
            entry.size, entry.mtime, entry.mode = len(manifest), int(time.time()), 0o600
            archive.addfile(entry, io.BytesIO(manifest))
            for path in sorted(staging.rglob("*")):
                if path.is_file():
                    archive.add(path, f"{DOCUMENTS_FOLDER}/{path.relative_to(staging).as_posix()}", recursive=False)
        os.replace(partial, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return count


def _documents_of(archive: tarfile.TarFile) -> list[tarfile.TarInfo]:
    """The archive's document entries, after checking it is one of ours and holds nothing but plain files and
    folders inside its documents folder."""
    names = archive.getnames()
    if MANIFEST not in names:
        raise BackupError(f"not a dashsnap export: {MANIFEST} is missing")
    manifest = json.load(archive.extractfile(MANIFEST))
    if manifest.get("format") != FORMAT:
        raise BackupError(f"export format {manifest.get('format')!r} is not one this version reads ({FORMAT})")
    entries = []
    for entry in archive.getmembers():
        if entry.name == MANIFEST:
            continue
        relative = PurePosixPath(entry.name)
        if (relative.parts[:1] != (DOCUMENTS_FOLDER,) or ".." in relative.parts or relative.is_absolute()
                or not _is_data(PurePosixPath(*relative.parts[1:])) or not (entry.isfile() or entry.isdir())):
            raise BackupError(f"refusing the archive: unexpected entry {entry.name!r}")
        entries.append(entry)
    return entries


def import_archive(archive_path: Path, data_dir: Path, *, replace: bool = False) -> tuple[int, Path | None]:
    """Put the documents of an export into data_dir; (how many files, where the replaced ones went or None).

    A data dir that already holds documents is refused unless `replace`: then they are moved, not deleted,
    into a `.replaced-<time>` folder inside it. Rebuild the index afterwards (`Store.reconcile(full=True)`)."""
    data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    if _data_entries(data_dir) and not replace:
        raise BackupError(f"{data_dir} already holds data; import into an empty data dir, or replace it")
    staging = Path(tempfile.mkdtemp(prefix=".import-", dir=data_dir))
    try:
        try:
            with tarfile.open(archive_path, "r:gz") as archive:
                entries = _documents_of(archive)
                archive.extractall(staging, members=entries, filter="data")
        except (tarfile.TarError, EOFError, OSError, ValueError) as error:
            raise BackupError(f"cannot read {archive_path}: {error}") from None
        with documents.WriteGuard(data_dir).frozen():
            replaced = None
            existing = _data_entries(data_dir)
            if existing:
                replaced = Path(tempfile.mkdtemp(prefix=f".replaced-{time.strftime('%Y%m%dT%H%M%S')}-", dir=data_dir))
                for entry in existing:
                    os.replace(entry, replaced / entry.name)
            restored = staging / DOCUMENTS_FOLDER
            for entry in sorted(restored.iterdir()) if restored.exists() else []:
                os.replace(entry, data_dir / entry.name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return sum(1 for entry in entries if entry.isfile()), replaced
