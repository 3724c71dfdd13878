"""The index in PostgreSQL: the same tables and statements as the SQLite index (see sql.py for the few that
differ), shared by every server on the database."""
from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson
import psycopg
from psycopg.rows import tuple_row

from ..index import Index
from .database import Database, lock_key
from .files import PgFiles
from .login_failures import LoginFailures
from .sql import holds_escapes, parameters, translate, unescaped

_WRITING_KEY = lock_key("dashsnap: writing the index")
_KEY_COLUMNS = re.compile(r"Key \(([^)]*)\)")


class _Result:
    """A statement's rows, fetched before its connection went back to the pool."""

    def __init__(self, rows: list, rowcount: int):
        self._rows, self.rowcount = rows, rowcount

    def fetchone(self):
        return self._rows[0] if self._rows else None

    def fetchall(self) -> list:
        return self._rows

    def __iter__(self) -> Iterator:
        return iter(self._rows)


class _Statements:
    """execute() and executemany() in the stores' SQL, on one connection (a transaction's)."""

    def __init__(self, connection: psycopg.Connection):
        self._connection = connection

    def execute(self, sql: str, params: tuple | list = ()) -> psycopg.Cursor:
        statement, lists = translate(sql)
        return self._connection.execute(statement, parameters(params, lists))

    def executemany(self, sql: str, rows) -> None:
        statement, lists = translate(sql)
        with self._connection.cursor() as cursor:
            cursor.executemany(statement, [parameters(row, lists) for row in rows])

    @property
    def in_transaction(self) -> bool:
        return self._connection.info.transaction_status != psycopg.pq.TransactionStatus.IDLE


class _Pooled:
    """execute() in the stores' SQL, each statement on a connection from the pool, in a transaction of its own."""

    def __init__(self, database: Database):
        self._pool = database.pool

    def execute(self, sql: str, params: tuple | list = (), *, escaped: bool = False) -> _Result:
        """The statement's rows; with `escaped`, plain tuples whose strings are as stored (see sql.py), which
        spares a long listing the unescaping of every value."""
        statement, lists = translate(sql)
        with self._pool.connection() as connection:
            cursor = connection.cursor(row_factory=tuple_row) if escaped else connection.cursor()
            cursor.execute(statement, parameters(params, lists))
            return _Result(cursor.fetchall() if cursor.description else [], cursor.rowcount)

    def executemany(self, sql: str, rows) -> None:
        with self._pool.connection() as connection:
            _Statements(connection).executemany(sql, rows)


class PgIndex(Index):
    integrity_error = psycopg.IntegrityError

    def __init__(self, database: Database, root: Path):
        self.database = database
        self.files = PgFiles(database, root)
        self.login_failures = LoginFailures(database)
        self._pooled = _Pooled(database)
        self._queue_lock = threading.Lock()
        self._pending = []
        self._leading = False

    def close(self) -> None:
        self.database.close()

    @property
    def connection(self) -> _Pooled:
        return self._pooled

    def create_table(self, table: str, columns: str) -> None:
        # SQLite gives every row a rowid of its own; here it is a column.
        self.connection.execute(f"CREATE TABLE IF NOT EXISTS {table} (rowid BIGSERIAL UNIQUE, path TEXT PRIMARY KEY, "
                                f"mtime_ns INTEGER, size INTEGER, body_at INTEGER, {columns})")

    @staticmethod
    def conflict_field(error: Exception) -> str:
        """The column a unique violation names ("Key (org_id, uid)=(1, x) already exists." -> "uid")."""
        detail = getattr(getattr(error, "diag", None), "message_detail", None) or str(error)
        found = _KEY_COLUMNS.search(detail)
        return found.group(1).rsplit(",", 1)[-1].strip() if found else ""

    def json_array(self, members: dict[str, str], least: str, rows: str, params: tuple | list) -> tuple[bytes, Any]:
        names = list(members)
        selected = ", ".join(f"{expression} AS _{position}" for position, expression in enumerate(members.values()))
        found = self.connection.execute(f"SELECT {selected}, {least} AS _least FROM ({rows}) AS listed", params,
                                        escaped=True)
        listed = [dict(zip(names, row[:-1])) for row in found]
        smallest = min((row[-1] for row in found if row[-1] is not None), default=None)
        listing = orjson.dumps(listed)
        if holds_escapes(listing):
            listing = orjson.dumps([{name: unescaped(value) for name, value in row.items()} for row in listed])
        return listing, smallest

    @contextmanager
    def _transaction(self) -> Iterator[_Statements]:
        # One writer at a time, on every server: writes then commit in the order they run, as in SQLite, which
        # the catalog's change log relies on. Concurrent writes of one server share a transaction (see write).
        with self.database.pool.connection() as connection:
            with connection.transaction():
                connection.execute("SELECT pg_advisory_xact_lock(%s)", (_WRITING_KEY,))
                yield _Statements(connection)

