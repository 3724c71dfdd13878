"""The stores' SQL, written for SQLite, as PostgreSQL takes it; and rows that read as SQLite's do.

The stores write one dialect. What differs is small and mechanical: `?` placeholders, `instr`, a JSON list
passed as one parameter (`IN (SELECT value FROM json_each(?))`, which becomes `= ANY(list)`), LIKE's case
(SQLite's ignores it), and column types in a CREATE TABLE (SQLite's INTEGER is 64 bits, and text compares byte
by byte, as the "C" collation does). `json(...)` and `iif(...)` are functions the schema defines.

PostgreSQL's text cannot hold U+0000, which a title or a name may: every string parameter is escaped on the way
in and every string read back unescaped, with two noncharacters no client sends in earnest (U+0000 becomes
U+10FFFF U+10FFFE, U+10FFFF is doubled). Escaped text still matches by part, LIKE and `=` as the original does;
only sorting differs (the escaped U+0000 counts as the highest character, not the lowest).
"""
from __future__ import annotations

import functools
import json
import re
from collections.abc import Sequence
from typing import Any

_TOKENS = re.compile(r"IN \(SELECT value FROM json_each\(\?\)\)|'[^']*'|\?|%|\binstr\(|\bLIKE\b")
_TYPES = re.compile(r"\bINTEGER PRIMARY KEY AUTOINCREMENT\b|\bINTEGER\b|\bREAL\b|\bTEXT\b")
_PG_TYPES = {"INTEGER PRIMARY KEY AUTOINCREMENT": "BIGSERIAL PRIMARY KEY", "INTEGER": "BIGINT",
             "REAL": "DOUBLE PRECISION", "TEXT": 'TEXT COLLATE "C"'}


@functools.lru_cache(maxsize=1024)
def translate(sql: str) -> tuple[str, tuple[int, ...]]:
    """The statement for PostgreSQL, and the positions of the parameters that hold a JSON list (to be passed as
    an array)."""
    if sql.lstrip().upper().startswith("CREATE TABLE"):
        sql = _TYPES.sub(lambda found: _PG_TYPES[found.group()], sql)
    parts, lists, position = [], [], 0
    last = 0
    for found in _TOKENS.finditer(sql):
        token = found.group()
        parts.append(sql[last:found.start()])
        last = found.end()
        if token.startswith("IN ("):
            parts.append("= ANY(%s)")
            lists.append(position)
            position += 1
        elif token == "?":
            parts.append("%s")
            position += 1
        elif token == "%":
            parts.append("%%")
        elif token == "instr(":
            parts.append("strpos(")
        elif token == "LIKE":
            parts.append("ILIKE")
        else:  # a string literal, as it is
            parts.append(token)
    parts.append(sql[last:])
    return "".join(parts), tuple(lists)


_ESCAPE, _NUL_ESCAPED = "\U0010ffff", "\U0010ffff\U0010fffe"


def _escaped(value: Any) -> Any:
    if value.__class__ is str and ("\0" in value or _ESCAPE in value):
        return value.replace(_ESCAPE, _ESCAPE * 2).replace("\0", _NUL_ESCAPED)
    return value


def unescaped(value: Any) -> Any:
    if value.__class__ is str and _ESCAPE in value:
        return re.sub("\U0010ffff(.)", lambda found: "\0" if found.group(1) == "\U0010fffe" else found.group(1), value)
    return value


def holds_escapes(encoded: bytes) -> bool:
    """Whether UTF-8 text made of stored strings holds an escape to undo."""
    return _ESCAPE.encode() in encoded


def parameters(params: Sequence[Any], lists: tuple[int, ...]) -> list[Any]:
    values = [_escaped(value) for value in params]
    for position in lists:
        values[position] = [_escaped(value) for value in json.loads(values[position])]
    return values


class Row(tuple):
    """A row readable by position and by column name, as sqlite3.Row is (and so by dict())."""

    def __new__(cls, values: Sequence[Any], names: dict[str, int]):
        row = super().__new__(cls, values)
        row._names = names
        return row

    def __getitem__(self, key):
        return super().__getitem__(self._names[key] if isinstance(key, str) else key)

    def keys(self) -> list[str]:
        return list(self._names)


def row_factory(cursor):
    names = {column.name: position for position, column in enumerate(cursor.description or ())}
    return lambda values: Row(map(unescaped, values), names)
