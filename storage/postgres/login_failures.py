"""The login throttle's counts in the database, one row per key, so that every server on it counts the same
guesses: a guesser spread over the servers behind a load balancer is slowed as one behind a single server."""
from __future__ import annotations

import itertools
import time
from collections.abc import Callable

from .database import Database

FORGET_AFTER = 900  # seconds: as the throttle's own forget_after, past which a row counts for nothing
Row = tuple  # (failures, when the last was, since when a guess has been checked or None)


class LoginFailures:
    def __init__(self, database: Database):
        self._pool = database.pool
        self._inserts = itertools.count(1)

    def change(self, slot: bytes, decide: Callable[[Row | None], tuple[Row | None, object]]) -> object:
        """Apply decide to the slot's row (None when there is none) and keep what it answers, alone on the slot
        for every server; decide's answer."""
        with self._pool.connection() as connection, connection.transaction():
            connection.execute("SELECT pg_advisory_xact_lock(%s)", (int.from_bytes(slot[:8], "big", signed=True),))
            found = connection.execute("SELECT failures, last_at, checking_since FROM login_failures WHERE slot = %s",
                                       (slot,)).fetchone()
            current = None if found is None else tuple(found)
            changed, answer = decide(current)
            if changed is None and current is not None:
                connection.execute("DELETE FROM login_failures WHERE slot = %s", (slot,))
            elif changed is not None and tuple(changed) != current:
                connection.execute(
                    "INSERT INTO login_failures VALUES (%s, %s, %s, %s) ON CONFLICT (slot) DO UPDATE SET "
                    "failures = excluded.failures, last_at = excluded.last_at, "
                    "checking_since = excluded.checking_since", (slot, *changed))
                if current is None and next(self._inserts) % 256 == 0:
                    connection.execute("DELETE FROM login_failures WHERE last_at < %s", (time.time() - FORGET_AFTER,))
        return answer
