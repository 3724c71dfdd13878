"""What the store raises; the web layer turns each into Grafana's answer."""
import sqlite3

import psycopg
from filelock import Timeout as LockTimeout
from psycopg_pool import PoolTimeout

# A shared database that cannot be reached now (down, restarting, or every connection busy): worth a retry.
UNAVAILABLE = (psycopg.OperationalError, PoolTimeout)
# The ways the disk, the index, the database or a lock can fail under any store call (as opposed to Conflict and
# Missing, which are answers about the data).
STORE_FAILURES = (OSError, sqlite3.Error, LockTimeout, psycopg.Error, PoolTimeout)


class Conflict(Exception):
    """A unique field (named in .field) is already taken by another document."""

    def __init__(self, field: str):
        super().__init__(field)
        self.field = field


class Missing(Exception):
    """The document (named in .args[0]) that an operation needs does not exist."""


class Invalid(Exception):
    """An operation the data's own rules refuse (named in .args[0]), such as a folder moved into itself."""
