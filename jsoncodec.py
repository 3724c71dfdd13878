"""JSON in and out: the standard library parses (exact, big integers kept), orjson serialises (~10x faster).

Dashboards must read back as they were saved, so key order is kept and nothing is sorted. What the parser
accepts can always be written back: no NaN or infinities (JSON has none), no lone UTF-16 surrogates (they
cannot be encoded), and no nesting deeper than MAX_DEPTH.
"""
from __future__ import annotations

import json
import math
import re

import orjson

MAX_DEPTH = 100
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")


def _refuse_constant(name: str) -> None:
    raise ValueError(f"{name} is not a JSON value")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"the number {text[:20]} is too large")
    return value


def _check_tree(value: object, check_strings: bool) -> None:
    pending = [(value, 1)]
    while pending:
        node, depth = pending.pop()
        children = node.values() if isinstance(node, dict) else node
        if depth > MAX_DEPTH + 1:  # the tree is wrapped in one list of our own
            raise ValueError(f"nested deeper than {MAX_DEPTH} levels")
        for child in children:
            if isinstance(child, (dict, list)):
                pending.append((child, depth + 1))
            elif check_strings and isinstance(child, str):
                child.encode()  # UnicodeEncodeError for a lone surrogate
        if check_strings and isinstance(node, dict):
            for key in node:
                key.encode()


def loads(data: bytes | str) -> object:
    """Parse JSON; ValueError for anything invalid or that could not be written back as it came."""
    raw = data.encode() if isinstance(data, str) else data
    try:
        value = json.loads(raw, parse_constant=_refuse_constant, parse_float=_finite_float)
    except RecursionError:
        raise ValueError(f"nested deeper than {MAX_DEPTH} levels") from None
    try:
        # Strings are only checked when an escaped surrogate occurs at all: paired ones are fine.
        _check_tree([value], check_strings=bool(_SURROGATE_ESCAPE.search(raw)))
    except UnicodeEncodeError:
        raise ValueError("a string holds a lone UTF-16 surrogate") from None
    return value


def dumps(value: object) -> bytes:
    try:
        return orjson.dumps(value)
    except TypeError:  # integers beyond 64 bits, which orjson refuses and the standard library keeps
        return json.dumps(value, separators=(",", ":")).encode()
