"""The index: a SQLite file that lists documents so no request has to read them all.

It is a cache. Each row records the document's path and mtime; `Collection.reconcile` brings the rows back in
line with the files (rows for missing files go, new or changed files are read again), and a missing or outdated
index file is simply rebuilt (a damaged one too: see `open_store`). SQLite's own locking lets several
processes share it.
"""
from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from . import documents
from .errors import Conflict
from .ids import Sequence

SCHEMA_VERSION = "6"
CHANGE_COUNTS = "change_counts"  # per table of a counted Collection, how many row changes it has had
INDEX_FILE = "index.sqlite3"
INDEX_FILES = tuple(INDEX_FILE + suffix for suffix in ("", "-wal", "-shm"))
log = logging.getLogger(__name__)
T = TypeVar("T")


class Index:
    """The index in a SQLite file beside the documents, which `files` (the documents module) keeps."""

    files = documents
    integrity_error: type[Exception] = sqlite3.IntegrityError
    login_failures = None  # the login throttle counts in each process's memory

    def __init__(self, path: Path):
        self.path = path
        self._local = threading.local()
        self._queue_lock = threading.Lock()
        self._pending: list[_Write] = []
        self._leading = False
        self._writers = documents.SharedLock(path.with_name(".index-writers.lock"))
        self._open_checked()

    def close(self) -> None:
        """Nothing to give back: each thread's connection closes with the thread."""

    def _connect(self) -> sqlite3.Connection:
        connection = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
        connection.row_factory = sqlite3.Row
        connection.execute("PRAGMA busy_timeout = 30000")
        # A cache that can be rebuilt from the files needs no fsync of its own.
        connection.execute("PRAGMA synchronous = NORMAL")
        return connection

    @staticmethod
    def discard(path: Path) -> None:
        """Delete a damaged index file (and its write-ahead log) so that it can be built anew."""
        for name in INDEX_FILES:
            (path.parent / name).unlink(missing_ok=True)

    def _open_checked(self) -> None:
        connection = self._connect()
        connection.execute("PRAGMA journal_mode = WAL")
        connection.execute("CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT)")
        row = connection.execute("SELECT value FROM meta WHERE name = 'schema'").fetchone()
        if row is not None and row["value"] != SCHEMA_VERSION:
            # Made by another version: start afresh (the tables include full-text ones that cannot be dropped
            # piecemeal); reconcile then fills the new index from the documents.
            connection.close()
            self.discard(self.path)
            connection = self._connect()
            connection.execute("PRAGMA journal_mode = WAL")
            connection.execute("CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT)")
        connection.execute("INSERT OR REPLACE INTO meta VALUES ('schema', ?)", (SCHEMA_VERSION,))
        self._local.connection = connection

    @property
    def connection(self) -> sqlite3.Connection:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = self._local.connection = self._connect()
        return connection

    def query(self, sql: str, params: tuple | list = ()) -> list[dict[str, Any]]:
        return [dict(row) for row in self.connection.execute(sql, params)]

    def create_table(self, table: str, columns: str) -> None:
        """A documents table: its path, how the file was stored, then columns (SQL)."""
        self.connection.execute(f"CREATE TABLE IF NOT EXISTS {table} (path TEXT PRIMARY KEY, mtime_ns INTEGER, "
                                f"size INTEGER, body_at INTEGER, {columns})")

    @staticmethod
    def conflict_field(error: Exception) -> str:
        """The column an integrity error names ("UNIQUE constraint failed: snapshots.key" -> "key")."""
        return str(error).rsplit(".", 1)[-1]

    def json_array(self, members: dict[str, str], least: str, rows: str, params: tuple | list) -> tuple[bytes, Any]:
        """What `Collection.select_json` answers, for the rows the SQL rows selects."""
        pairs = ", ".join(f"'{name}', {expression}" for name, expression in members.items())
        # A subquery with a LIMIT is never merged into the aggregate over it, so its order is the array's.
        listed, smallest = self.connection.execute(
            f"SELECT json_group_array(json_object({pairs})), min({least}) FROM ({rows})", params).fetchone()
        return listed.encode(), smallest

    def write(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """work(connection)'s result, run in a write transaction; its error if it failed, and then nothing it did
        is kept.

        Group commit: writes that arrive while one transaction runs share the next. The first waiting leads it:
        it runs each write in a savepoint of its own (one that fails is undone alone), commits them all at once,
        wakes their writers and hands the lead to the next. SQLite's commit and the locks between writers, a file
        lock between processes (which, unlike SQLite's busy handler, wakes a waiter at once), are paid once per
        batch rather than once per write."""
        mine = _Write(work)
        with self._queue_lock:
            self._pending.append(mine)
            leading = not self._leading
            self._leading = True
        if not leading:
            mine.woken.wait()
        if not mine.finished:  # asked to lead: mine is in the next batch
            self._commit_batch()
        if mine.error is not None:
            raise mine.error
        return mine.result

    def _commit_batch(self) -> None:
        with self._queue_lock:
            batch, self._pending = self._pending, []
        try:
            with self._transaction() as connection:
                for write in batch:
                    connection.execute("SAVEPOINT write")
                    try:
                        write.result = write.work(connection)
                    except BaseException as error:
                        write.error = error
                        connection.execute("ROLLBACK TO write")
                    connection.execute("RELEASE write")
        except BaseException as error:  # nothing of the batch is kept
            for write in batch:
                write.error = write.error or error
        finally:
            with self._queue_lock:
                if self._pending:
                    self._pending[0].woken.set()  # the next batch's lead
                else:
                    self._leading = False
            for write in batch:
                write.finished = True
                write.woken.set()


    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """A write transaction, committed when the block ends (rolled back when it raises), with no other
        process's at the same time."""
        with self._writers.alone():
            connection = self.connection
            connection.execute("BEGIN IMMEDIATE")
            try:
                yield connection
                connection.execute("COMMIT")
            except BaseException:
                if connection.in_transaction:
                    connection.execute("ROLLBACK")
                raise


class _Write:
    """A write waiting for a transaction: its work, and once finished its result or error."""

    def __init__(self, work: Callable[[sqlite3.Connection], Any]):
        self.work = work
        self.woken = threading.Event()
        self.finished = False
        self.result: Any = None
        self.error: BaseException | None = None


Attach = Callable[[sqlite3.Connection, int, "dict | None"], None]



@dataclass
class Collection:
    """Documents of one kind under the data dir and the index table listing them.

    With `sequence`, documents carry an integer `id` handed out by the collection. `attach(connection, rowid,
    document)` keeps rows of other tables (tags, search terms) in step with a document's row, in the same
    transaction; it is called with None when the row goes. In a `versioned` collection a document is renamed by
    writing the new name before removing the old, so two files may briefly carry the same id: the higher
    `version` is the live one, and reconcile removes the other. A collection with a `body` keeps that member last in
    each file and its row records where it begins, so that `open_body` can send it without parsing the file.
    """

    index: Index
    root: Path
    table: str
    columns: dict[str, str]            # column name -> SQL type and constraints
    pattern: str | tuple[str, ...]     # glob(s), relative to root, that find every document of the kind
    row_of: Callable[[dict], dict]     # index columns of one document
    indexes: list[str] = field(default_factory=list)
    constraints: list[str] = field(default_factory=list)   # e.g. "UNIQUE (org_id, slug)"
    attach: Attach | None = None
    sequence: bool = True
    id_space: str | None = None        # the sequence whose ids it shares (folders share the dashboards'), else its own
    versioned: bool = False
    belongs: Callable[[str, dict], bool] | None = None   # does the document sit where its contents say?
    body: str | None = None
    counted: bool = False              # keep a count of its row changes, for caches of what it lists (`changes`)

    def __post_init__(self) -> None:
        self._files = self.index.files
        self._guard = self._files.WriteGuard(self.root)
        self._ids = Sequence(self.root, self.id_space or self.table, self.index) if self.sequence else None
        self._patterns = (self.pattern,) if isinstance(self.pattern, str) else self.pattern
        self.index.create_table(self.table, ", ".join(
            [f"{name} {kind}" for name, kind in self.columns.items()] + self.constraints))
        for columns_of_index in self.indexes:
            name = f"{self.table}_by_{columns_of_index.replace(',', '').replace(' ', '_')}"
            self.index.connection.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {self.table} ({columns_of_index})")
        if self.counted:
            self.index.connection.execute(
                f"CREATE TABLE IF NOT EXISTS {CHANGE_COUNTS} (name TEXT PRIMARY KEY, changes INTEGER NOT NULL)")

    def _relative(self, path: Path) -> str:
        return path.relative_to(self.root).as_posix()

    def _put_row(self, connection: sqlite3.Connection, path: Path, document: dict,
                 stored: documents.Stored) -> None:
        row = self.row_of(document)
        names = ["path", "mtime_ns", "size", "body_at", *row]
        # An upsert on the path alone: a document repeating another's unique column (key, id) is refused with
        # IntegrityError rather than silently evicting the other's row, as INSERT OR REPLACE would.
        rowid = connection.execute(
            f"INSERT INTO {self.table} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))}) "
            f"ON CONFLICT (path) DO UPDATE SET {', '.join(f'{name} = excluded.{name}' for name in names[1:])} "
            f"RETURNING rowid", [self._relative(path), stored.mtime_ns, stored.size, stored.body_at,
                                  *row.values()]).fetchone()[0]
        if self.attach:
            self.attach(connection, rowid, document)
        self._count_change(connection)

    def _drop_row(self, connection: sqlite3.Connection, relative: str) -> None:
        found = connection.execute(f"SELECT rowid FROM {self.table} WHERE path = ?", (relative,)).fetchone()
        if found is None:
            return
        if self.attach:
            self.attach(connection, found[0], None)
        connection.execute(f"DELETE FROM {self.table} WHERE rowid = ?", (found[0],))
        self._count_change(connection)

    def _count_change(self, connection: sqlite3.Connection) -> None:
        """One more change of the table, in the transaction that made it: whichever process wrote it."""
        if self.counted:
            connection.execute(f"INSERT INTO {CHANGE_COUNTS} (name, changes) VALUES (?, 1) "
                               f"ON CONFLICT (name) DO UPDATE SET changes = {CHANGE_COUNTS}.changes + 1", (self.table,))

    def changes(self) -> int:
        """How many times a row of the table has changed (for a counted one): a cache of what the table lists is
        current while this stays the same."""
        found = self.index.connection.execute(f"SELECT changes FROM {CHANGE_COUNTS} WHERE name = ?",
                                              (self.table,)).fetchone()
        return found[0] if found else 0

    def create(self, path: Path, document: dict, *, replacing: Path | None = None) -> None:
        """Write a new document (in place of `replacing`, when given: a rename); FileExistsError when its name
        is taken, Conflict(column) when another document holds one of its unique index columns."""
        with self._guard.writing():
            stored = self._files.create_document(path, document, self.body)
            def index_it(connection: sqlite3.Connection) -> None:
                if replacing is not None:
                    self._drop_row(connection, self._relative(replacing))
                self._put_row(connection, path, document, stored)

            try:
                self.index.write(index_it)
            except BaseException as error:
                # Not acknowledged, so not kept: a document the index does not list would be half-created.
                self._files.remove_document(path)
                if isinstance(error, self.index.integrity_error):
                    raise Conflict(self.index.conflict_field(error)) from None
                raise
            if replacing is not None:
                self._files.remove_document(replacing)

    def save(self, path: Path, document: dict) -> None:
        with self._guard.writing():
            stored = self._files.write_document(path, document, self.body)
            self.index.write(lambda connection: self._put_row(connection, path, document, stored))

    def set_aside(self, path: Path) -> None:
        """Move a leftover document at path out of the way (see `documents.set_aside`)."""
        with self._guard.writing():
            self._files.set_aside(path)

    def read(self, path: Path) -> dict | None:
        return self._files.read_document(path)

    def open_body(self, row: dict) -> documents.StoredBody | None:
        """The body of the document a row (with path, mtime_ns, size and body_at) lists, as stored; None when the
        file is gone or has changed since the row was written (the caller then reads the document)."""
        return self._files.open_body(self.root / row["path"], documents.Stored(
            row["mtime_ns"], row["size"], row["body_at"]))

    def delete(self, path: Path) -> bool:
        with self._guard.writing():
            removed = self._files.remove_document(path)
            self.index.write(lambda connection: self._drop_row(connection, self._relative(path)))
        return removed

    def _select_sql(self, where: str, order_by: str | None, limit: int | None, offset: int, columns: str) -> str:
        sql = f"SELECT {columns} FROM {self.table} WHERE {where}"
        if order_by:
            sql += f" ORDER BY {order_by}"
        if limit is not None:
            sql += f" LIMIT {int(limit)} OFFSET {int(offset)}"
        return sql

    def select(self, where: str = "TRUE", params: tuple | list = (), *, order_by: str | None = None,
               limit: int | None = None, offset: int = 0, columns: str = "*") -> list[dict[str, Any]]:
        return self.index.query(self._select_sql(where, order_by, limit, offset, columns), params)

    def select_json(self, members: dict[str, str], least: str, where: str = "TRUE", params: tuple | list = (), *,
                    order_by: str | None = None, limit: int | None = None, offset: int = 0) -> tuple[bytes, Any]:
        """The selected rows as one JSON array of objects, in order, made by SQLite in one step (fetching rows one
        by one costs more than the rest of a listing request), members mapping each object's keys to SQL; and the
        least value of the column `least` among them (None for no rows)."""
        return self.index.json_array(members, least, self._select_sql(where, order_by, limit, offset, "*"), params)

    def next_id(self) -> int:
        return self._ids.next()

    def claim_id(self, fixed_id: int) -> None:
        self._ids.claim(fixed_id)

    def _settle_clash(self, connection: sqlite3.Connection, path: Path, document: dict,
                      stored: documents.Stored) -> None:
        """Two files with one id in one folder: the remains of a rename a crash interrupted. The higher version
        is the live one; the other is moved aside (renamed to *.superseded), never deleted."""
        other = connection.execute(f"SELECT path, version FROM {self.table} WHERE id = ?",
                                   (document["id"],)).fetchone()
        # Both in one org's folder of the kind (a rename may move a document between its subfolders).
        if other is None or other["path"].split("/")[:3] != self._relative(path).split("/")[:3]:
            raise self.index.integrity_error("another document holds one of its unique values")
        if document["version"] > other["version"]:
            self._drop_row(connection, other["path"])
            self._files.set_aside(self.root / other["path"])
            self._put_row(connection, path, document, stored)
        else:
            self._files.set_aside(path)

    def reconcile(self) -> None:
        """Make the index table list exactly the documents on disk, and the id sequence pass every id in it
        (documents restored from a backup keep their ids, which are then never handed out again)."""
        indexed = {row[0]: (row[1], row[2]) for row in self.index.connection.execute(
            f"SELECT path, mtime_ns, size FROM {self.table}")}
        on_disk = {}
        for pattern in self._patterns:
            on_disk.update(self._files.scan_documents(self.root, pattern))

        def bring_in_line(connection: sqlite3.Connection) -> None:
            # Rows of vanished documents go first: after a restore, such a row may still hold the unique values
            # (a uid, say) of a document that came back under its old name.
            for relative in indexed.keys() - on_disk.keys():
                self._drop_row(connection, relative)
            for relative, stamp in on_disk.items():
                if indexed.get(relative) == stamp:
                    continue
                path = self.root / relative
                try:
                    found = self._files.read_stored(path, self.body)
                    if found is None:
                        self._drop_row(connection, relative)  # deleted since the scan
                        continue
                    document, stored = found
                    if not isinstance(document, dict):
                        raise ValueError("it is not a JSON object")
                    if self.belongs and not self.belongs(relative, document):
                        raise ValueError("its contents name another place than where it is")
                    try:
                        self._put_row(connection, path, document, stored)
                    except self.index.integrity_error:
                        if not self.versioned:
                            raise
                        self._settle_clash(connection, path, document, stored)
                except (ValueError, KeyError, TypeError, self.index.integrity_error) as error:
                    log.warning("not indexing %s: %s", relative, error)
                    self._drop_row(connection, relative)

        self.index.write(bring_in_line)
        for pattern in self._patterns:
            self._files.remove_stale_temp_files(self.root / Path(pattern).parent)
        if self._ids:
            self._ids.claim(self.select(columns="coalesce(max(id), 0) AS id")[0]["id"])
