"""What the store raises; the web layer turns each into Grafana's answer."""
import sqlite3
import sys

from filelock import Timeout as LockTimeout


# Functions, not tuples, so that a server on the data dir never imports psycopg (a tenth of its start-up): until
# a PostgreSQL store has loaded it, no psycopg error can be raised. `except store_failures():` asks when it is met.
def unavailable() -> tuple[type[BaseException], ...]:
    """A shared database that cannot be reached now (down, restarting, or every connection busy): worth a retry."""
    if "psycopg_pool" not in sys.modules:
        return ()
    return sys.modules["psycopg"].OperationalError, sys.modules["psycopg_pool"].PoolTimeout


def store_failures() -> tuple[type[BaseException], ...]:
    """The ways the disk, the index, the database or a lock can fail under any store call (as opposed to Conflict
    and Missing, which are answers about the data)."""
    database = (sys.modules["psycopg"].Error, *unavailable()) if "psycopg_pool" in sys.modules else ()
    return OSError, sqlite3.Error, LockTimeout, *database


class Conflict(Exception):
    """A unique field (named in .field) is already taken by another document."""

    def __init__(self, field: str):
        super().__init__(field)
        self.field = field


class Missing(Exception):
    """The document (named in .args[0]) that an operation needs does not exist."""


class Invalid(Exception):
    """An operation the data's own rules refuse (named in .args[0]), such as a folder moved into itself."""
