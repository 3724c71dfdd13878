"""A PostgreSQL database that several dashsnap servers share: its connections, its schema and its locks.

The schema is created or brought up to date by the first server to start, holding an advisory lock that the
others wait for; its version is recorded, and a server refuses a database made by a newer dashsnap.
"""
from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from psycopg_pool import ConnectionPool

from .sql import row_factory

SCHEMA_VERSION = 1
log = logging.getLogger(__name__)

# What each schema version adds to the one before (the stores' own tables follow, created if missing).
MIGRATIONS = {
    1: [
        "CREATE SEQUENCE IF NOT EXISTS document_generations",
        'CREATE TABLE IF NOT EXISTS documents (path TEXT COLLATE "C" PRIMARY KEY, data BYTEA NOT NULL, '
        "size BIGINT NOT NULL, generation BIGINT NOT NULL DEFAULT nextval('document_generations'))",
        # The two SQLite functions the stores' SQL uses beyond what PostgreSQL has.
        "CREATE OR REPLACE FUNCTION iif(condition BIGINT, yes TEXT, no TEXT) RETURNS TEXT LANGUAGE sql IMMUTABLE "
        "AS $$ SELECT CASE WHEN condition <> 0 THEN yes ELSE no END $$",
        "CREATE OR REPLACE FUNCTION json(value TEXT) RETURNS json LANGUAGE sql IMMUTABLE AS $$ SELECT value::json $$",
        "CREATE TABLE IF NOT EXISTS login_failures (slot BYTEA PRIMARY KEY, failures INTEGER NOT NULL, "
        "last_at DOUBLE PRECISION NOT NULL, checking_since DOUBLE PRECISION)",
        "CREATE INDEX IF NOT EXISTS login_failures_by_age ON login_failures (last_at)",
    ],
}
MIGRATING = "dashsnap: migrating the schema"


class DatabaseTooNew(RuntimeError):
    """The database was made by a newer dashsnap than this one."""


def lock_key(name: str) -> int:
    """The advisory lock number of a named lock."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


def conninfo(settings: dict) -> str:
    """A libpq connection string from Grafana's [database] settings: url, or host (host:port), name, user,
    password and ssl_mode."""
    if settings.get("url"):
        return settings["url"]
    host, _, port = (settings.get("host") or "127.0.0.1:5432").partition(":")
    return psycopg.conninfo.make_conninfo(
        host=host, port=port or "5432", dbname=settings.get("name") or "dashsnap",
        user=settings.get("user") or None, password=settings.get("password") or None,
        sslmode=settings.get("ssl_mode") or "disable")


class Database:
    def __init__(self, conninfo_text: str, *, max_connections: int = 40):
        # A request waits for a connection only while the database cannot be reached (the pool holds enough for
        # every thread's needs), so a short wait answers it with a 503 soon rather than leaving it hanging; and
        # reconnecting gives up after a few seconds, to start again (at its shortest delay) with the next request,
        # so that the server is back within a second or two of the database, however long that was away.
        self.pool = ConnectionPool(
            conninfo_text, min_size=2, max_size=max_connections, open=False, timeout=3, reconnect_timeout=3,
            kwargs={"autocommit": True, "row_factory": row_factory, "connect_timeout": 5},
            name="dashsnap")
        self.pool.open(wait=True, timeout=15)
        self._kept: dict[int, psycopg.Connection] = {}
        self._kept_lock = threading.Lock()

    def close(self) -> None:
        for connection in self._kept.values():
            connection.close()
        self.pool.close()

    @contextmanager
    def holding(self, name: str, *, shared: bool = False) -> Iterator[None]:
        """Hold the named advisory lock for the block, on a connection of its own (so on the server, for every
        process and every server on the database)."""
        key = lock_key(name)
        with self.pool.connection() as connection:
            connection.execute("SELECT pg_advisory_lock_shared(%s)" if shared else "SELECT pg_advisory_lock(%s)",
                               (key,))
            try:
                yield
            finally:
                if not connection.closed:
                    connection.execute("SELECT pg_advisory_unlock_shared(%s)" if shared
                                       else "SELECT pg_advisory_unlock(%s)", (key,))

    def take_kept(self, name: str) -> bool:
        """Take the named advisory lock without waiting, and keep it for as long as this process runs (and its
        connection lasts: the database gives it up if that breaks, and the next call may take it again)."""
        key = lock_key(name)
        with self._kept_lock:
            held = self._kept.get(key)
            if held is not None and not held.closed and not held.broken:
                try:
                    held.execute("SELECT 1")
                    return True
                except psycopg.Error:
                    held.close()
            self._kept.pop(key, None)
            connection = psycopg.connect(self.pool.conninfo, autocommit=True, connect_timeout=5)
            if connection.execute("SELECT pg_try_advisory_lock(%s)", (key,)).fetchone()[0]:
                self._kept[key] = connection
                return True
            connection.close()
            return False

    @contextmanager
    def migrating(self) -> Iterator[None]:
        """Bring the schema to this version holding the migration lock; the block (which creates the stores'
        tables) runs under it too, and the version is recorded when it ends."""
        with self.holding(MIGRATING), self.pool.connection() as connection:
            connection.execute("CREATE TABLE IF NOT EXISTS schema_meta (name TEXT PRIMARY KEY, value TEXT)")
            found = connection.execute("SELECT value FROM schema_meta WHERE name = 'version'").fetchone()
            version = int(found[0]) if found else 0
            if version > SCHEMA_VERSION:
                raise DatabaseTooNew(
                    f"the database's schema is version {version}, made by a newer dashsnap; this one understands "
                    f"up to version {SCHEMA_VERSION}: upgrade dashsnap, or point it at another database")
            for step in range(version + 1, SCHEMA_VERSION + 1):
                log.info("migrating the database schema to version %d", step)
                with connection.transaction():
                    for statement in MIGRATIONS[step]:
                        connection.execute(statement)
            yield
            connection.execute("INSERT INTO schema_meta VALUES ('version', %s) ON CONFLICT (name) DO UPDATE "
                               "SET value = excluded.value", (str(SCHEMA_VERSION),))
