"""JSON in and out: the standard library parses (exact, big integers kept), orjson serialises (~10x faster).

Dashboards must read back as they were saved, so key order is kept and nothing is sorted.
"""
from __future__ import annotations

import json

import orjson


def _refuse_constant(name: str) -> None:
    raise ValueError(f"{name} is not a JSON value")


def loads(data: bytes | str) -> object:
    """Parse JSON; raise ValueError for invalid JSON, including the NaN and Infinity JSON does not have."""
    return json.loads(data, parse_constant=_refuse_constant)


def dumps(value: object) -> bytes:
    try:
        return orjson.dumps(value)
    except TypeError:  # integers beyond 64 bits, which orjson refuses and the standard library keeps
        return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()
