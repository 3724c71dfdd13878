"""Documents kept in PostgreSQL: what the documents module does with files, done with rows of one table.

A document's path (relative to the data dir, as the stores name it) is the row's key and its bytes are the
file's, as the stores encoded them, so an answer is the same with either store. Each write takes a new
generation number, which plays the part of a file's mtime. Locks are advisory locks, held by every server on
the database.
"""
from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Iterator
from contextlib import nullcontext
from pathlib import Path

import psycopg

from ...jsoncodec import loads
from .. import documents
from .database import Database

_NEW_GENERATION = "nextval('document_generations')"


class _Status:
    """What create_file answers, as os.stat_result does."""

    def __init__(self, generation: int, size: int):
        self.st_mtime_ns, self.st_size = generation, size


class PgFiles:
    def __init__(self, database: Database, root: Path):
        self._database = database
        self._pool = database.pool
        self._root = root

    def _key(self, path: Path) -> str:
        return path.relative_to(self._root).as_posix()

    def _execute(self, sql: str, params: tuple = ()) -> psycopg.Cursor:
        with self._pool.connection() as connection:
            return connection.execute(sql, params)

    def _one(self, sql: str, params: tuple = ()):
        with self._pool.connection() as connection:
            return connection.execute(sql, params).fetchone()

    # Writes.
    def _put(self, path: Path, data: bytes, *, replace: bool) -> int:
        sql = (f"INSERT INTO documents (path, data, size, generation) VALUES (%s, %s, %s, {_NEW_GENERATION}) ")
        if replace:
            sql += "ON CONFLICT (path) DO UPDATE SET data = excluded.data, size = excluded.size, " \
                   "generation = excluded.generation "
        try:
            return self._one(sql + "RETURNING generation", (self._key(path), data, len(data)))[0]
        except psycopg.errors.UniqueViolation:
            raise FileExistsError(str(path)) from None

    def write_document(self, path: Path, document: dict, body: str | None = None) -> documents.Stored:
        data, body_at = documents.encode(document, body)
        return documents.Stored(self._put(path, data, replace=True), len(data), body_at)

    def create_document(self, path: Path, document: dict, body: str | None = None) -> documents.Stored:
        data, body_at = documents.encode(document, body)
        return documents.Stored(self._put(path, data, replace=False), len(data), body_at)

    def create_file(self, path: Path, data: bytes) -> _Status:
        return _Status(self._put(path, data, replace=False), len(data))

    def keep_as(self, path: Path, target: Path) -> bool:
        cursor = self._execute(
            f"INSERT INTO documents (path, data, size, generation) SELECT %s, data, size, {_NEW_GENERATION} "
            "FROM documents WHERE path = %s ON CONFLICT (path) DO UPDATE SET data = excluded.data, "
            "size = excluded.size, generation = excluded.generation", (self._key(target), self._key(path)))
        return cursor.rowcount > 0

    def set_aside(self, path: Path) -> None:
        key = self._key(path)
        with self._pool.connection() as connection, connection.transaction():
            connection.execute("DELETE FROM documents WHERE path = %s", (key + ".superseded",))
            connection.execute("UPDATE documents SET path = %s WHERE path = %s", (key + ".superseded", key))

    def remove_document(self, path: Path) -> bool:
        return self._execute("DELETE FROM documents WHERE path = %s", (self._key(path),)).rowcount > 0

    def remove_folder(self, folder: Path) -> None:
        self._execute("DELETE FROM documents WHERE path >= %s AND path < %s", _under(self._key(folder)))

    def remove_stale_temp_files(self, folder_pattern: Path) -> None:
        """Nothing to do: a write is one statement, and leaves nothing behind."""

    # Reads.
    def read_file(self, path: Path) -> bytes:
        found = self._one("SELECT data FROM documents WHERE path = %s", (self._key(path),))
        if found is None:
            raise FileNotFoundError(str(path))
        return found[0]

    def read_document(self, path: Path) -> object | None:
        try:
            return loads(self.read_file(path))
        except FileNotFoundError:
            return None

    def read_stored(self, path: Path, body: str | None = None) -> tuple[object, documents.Stored] | None:
        found = self._one("SELECT data, generation FROM documents WHERE path = %s", (self._key(path),))
        if found is None:
            return None
        data, generation = found
        document = loads(data)
        body_at = None
        if isinstance(document, dict):
            encoded, body_at = documents.encode(document, body)
            if encoded != data:
                body_at = None
        return document, documents.Stored(generation, len(data), body_at)

    def open_body(self, path: Path, stored: documents.Stored) -> documents.EncodedBody | None:
        """The body of the document at path if it is still as stored describes; else None."""
        if stored.body_at is None:
            return None
        found = self._one("SELECT substring(data FROM %s FOR %s) FROM documents WHERE path = %s AND "
                          "generation = %s AND size = %s", (stored.body_at + 1, stored.size - stored.body_at - 1,
                                                            self._key(path), stored.mtime_ns, stored.size))
        return None if found is None else documents.EncodedBody(found[0])

    def scan_documents(self, root: Path, pattern: str) -> dict[str, tuple[int, int]]:
        """Every document whose path matches the glob pattern (whose `*` stays within one folder), as
        documents.scan_documents answers: (generation, size) by path."""
        prefix = (self._key(root) + "/" if root != self._root else "") + pattern
        fixed = prefix.split("*", 1)[0].rsplit("/", 1)[0] + "/"
        matches = re.compile("".join("[^/]*" if part == "*" else re.escape(part)
                                     for part in re.split(r"(\*)", prefix)) + r"\Z").match
        start = len(self._key(root)) + 1 if root != self._root else 0
        with self._pool.connection() as connection:
            rows = connection.execute("SELECT path, generation, size FROM documents WHERE path >= %s AND path < %s",
                                      _under(fixed.rstrip("/"))).fetchall()
        return {path[start:]: (generation, size) for path, generation, size in rows
                if matches(path) and not path.rsplit("/", 1)[-1].startswith(".")}

    def folder_names(self, folder: Path) -> list[str]:
        key = self._key(folder)
        rows = self._execute("SELECT DISTINCT split_part(substr(path, %s), '/', 1) FROM documents "
                             "WHERE path >= %s AND path < %s", (len(key) + 2, *_under(key))).fetchall()
        return sorted(row[0] for row in rows)

    def is_writable(self, folder: Path) -> bool:
        try:
            return self._one("SELECT NOT pg_is_in_recovery()")[0]
        except psycopg.Error:
            return False

    # Backups.
    def every_document(self) -> Iterator[tuple[str, bytes]]:
        """Every document, (its path in the data dir, its bytes) by path, as of one moment of the database."""
        with psycopg.connect(self._pool.conninfo, autocommit=False) as connection:
            connection.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
            with connection.cursor(name="every_document") as cursor:
                cursor.itersize = 200
                cursor.execute("SELECT path, data FROM documents ORDER BY path")
                yield from cursor

    def load(self, rows: Iterable[tuple[str, bytes]], *, replace: bool) -> int | None:
        """Put the documents of rows in, all or none; how many, or None when there are documents and not replace
        (with replace, they go)."""
        with self._pool.connection() as connection, connection.transaction():
            connection.execute("LOCK TABLE documents IN EXCLUSIVE MODE")
            if connection.execute("SELECT EXISTS (SELECT 1 FROM documents)").fetchone()[0]:
                if not replace:
                    return None
                connection.execute("DELETE FROM documents")
            count = 0
            with connection.cursor().copy("COPY documents (path, data, size) FROM STDIN") as copy:
                for path, data in rows:
                    copy.write_row((path, data, len(data)))
                    count += 1
            return count

    # Locks, by the path of the file the data dir would hold.
    def lock(self, path: Path) -> "_Lock":
        return _Lock(self._database, f"lock:{self._key(path)}")

    def SharedLock(self, path: Path) -> "_SharedLock":
        return _SharedLock(self._database, f"lock:{self._key(path)}")

    def WriteGuard(self, root: Path) -> "_NoGuard":
        """A backup of the database reads one transaction's moment, so writes need no guard against it."""
        return _NoGuard()

    def KeptLock(self, path: Path) -> "_KeptLock":
        return _KeptLock(self._database, f"kept:{self._key(path)}")


def _under(folder: str) -> tuple[str, str]:
    """The range of keys under a folder: from "folder/" up to "folder0" ("0" follows "/")."""
    return folder + "/", folder + "0"


class _Lock:
    """An exclusive lock that a thread may take again while it holds it, as a FileLock."""

    def __init__(self, database: Database, name: str):
        self._database, self._name = database, name
        self._held = threading.local()

    def __enter__(self) -> "_Lock":
        depth = getattr(self._held, "depth", 0)
        if depth == 0:
            self._held.context = self._database.holding(self._name)
            self._held.context.__enter__()
        self._held.depth = depth + 1
        return self

    def __exit__(self, *exc) -> None:
        self._held.depth -= 1
        if self._held.depth == 0:
            self._held.context.__exit__(*exc)


class _SharedLock:
    def __init__(self, database: Database, name: str):
        self._database, self._name = database, name

    def shared(self):
        return self._database.holding(self._name, shared=True)

    def alone(self):
        return self._database.holding(self._name)


class _NoGuard:
    def writing(self):
        return nullcontext()

    frozen = writing


class _KeptLock:
    def __init__(self, database: Database, name: str):
        self._database, self._name = database, name

    def take(self) -> bool:
        return self._database.take_kept(self._name)

