"""Integer ids that never repeat, even after a document is deleted or the index is rebuilt; and uids of
Grafana's short form.

Ids are counted in the index, which every process shares, so handing one out costs no fsync. A small document
per sequence (truth, not cache) holds a bound that no id handed out has passed, raised a block of ids at a time
before the count reaches it. An index that is lost or rebuilt resumes counting from the bound: ids then skip
ahead once, and never repeat.
"""
from __future__ import annotations

import secrets
import sqlite3
import string
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .index import Index

BLOCK = 1000
UID_ALPHABET = string.ascii_lowercase + string.digits


def new_uid() -> str:
    """A uid of Grafana's short form: 14 lowercase letters and digits, a letter first."""
    return secrets.choice(string.ascii_lowercase) + "".join(secrets.choice(UID_ALPHABET) for _ in range(13))


class Sequence:
    def __init__(self, data_dir: Path, name: str, index: "Index"):
        folder = data_dir / "sequences"
        self._name = name
        self._path = folder / f"{name}.json"
        self._index = index
        self._files = index.files
        self._guard = self._files.WriteGuard(data_dir)
        index.connection.execute(
            "CREATE TABLE IF NOT EXISTS sequences (name TEXT PRIMARY KEY, last INTEGER, bound INTEGER)")

    def next(self) -> int:
        return self._count(lambda last: last + 1)

    def claim(self, value: int) -> None:
        """Record that value is in use (a fixed id such as org 1), so next() never hands it out."""
        self._count(lambda last: max(last, value))

    def _count(self, advance: Callable[[int], int]) -> int:
        def count(connection: sqlite3.Connection) -> int:
            row = connection.execute("SELECT last, bound FROM sequences WHERE name = ?", (self._name,)).fetchone()
            last, bound = tuple(row) if row else (self._stored_bound(),) * 2
            last = advance(last)
            if last > bound:
                bound = last + BLOCK
                with self._guard.writing():  # durable before any id past the old bound is counted
                    self._files.write_document(self._path, {"last": bound})
            connection.execute("INSERT INTO sequences VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE "
                               "SET last = excluded.last, bound = excluded.bound", (self._name, last, bound))
            return last

        return self._index.write(count)

    def _stored_bound(self) -> int:
        state = self._files.read_document(self._path) or {"last": 0}
        return state["last"]
