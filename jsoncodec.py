"""JSON in and out with orjson (~3x faster to parse and ~10x to serialise than the standard library), which
hands what it cannot do exactly to the standard library: integers past 64 bits (orjson would make them floats).

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
# Maps every digit to "0" and every other byte to a space: a long run of "0" then marks a long integer.
_DIGITS_ONLY = bytes(48 if 48 <= byte <= 57 else 32 for byte in range(256))
_LONG_DIGIT_RUN = b"0" * 19  # orjson keeps integers within 64 bits: -2**63 has 19 digits
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


ORJSON_DEPTH_LIMIT = 1024  # as deep as orjson parses, in the versions we know


def _orjson_keeps_its_depth_limit() -> bool:
    """Whether orjson parses exactly ORJSON_DEPTH_LIMIT levels and refuses one more."""
    try:
        orjson.loads(b"[" * ORJSON_DEPTH_LIMIT + b"]" * ORJSON_DEPTH_LIMIT)
    except orjson.JSONDecodeError:
        return False
    try:
        orjson.loads(b"[" * (ORJSON_DEPTH_LIMIT + 1) + b"]" * (ORJSON_DEPTH_LIMIT + 1))
    except orjson.JSONDecodeError:
        return True
    return False


# orjson stops at its own depth limit: wrapped in that limit less MAX_DEPTH arrays, a document parses only if it
# nests MAX_DEPTH levels or fewer, and the limit is checked in C rather than by walking the parsed tree.
_WRAPS = ORJSON_DEPTH_LIMIT - MAX_DEPTH if _orjson_keeps_its_depth_limit() else 0


def _within_depth(value: object) -> bool:
    """Whether value nests MAX_DEPTH levels or fewer, a level at a time (where orjson cannot tell)."""
    level = [value]
    for _ in range(MAX_DEPTH):
        level = [child for node in level for child in (node.values() if isinstance(node, dict) else node)
                 if isinstance(child, (dict, list))]
        if not level:
            return True
    return False


def _unwrapped(wrapped: object) -> tuple[bool, object]:
    """The document inside the _WRAPS arrays, if each holds exactly one value (else the body closed some of the
    arrays and opened others: not one JSON value)."""
    for _ in range(_WRAPS):
        if not (isinstance(wrapped, list) and len(wrapped) == 1):
            return False, None
        wrapped = wrapped[0]
    return True, wrapped


def _loads_fast(raw: bytes) -> tuple[bool, object]:
    """orjson's parse, within the depth limit; (False, None) when orjson refuses it (the standard library then
    says why, or reads what orjson does not, a byte order mark)."""
    # A document nests no deeper than it has brackets: most (index columns, small bodies) have too few to need
    # the check, and parsing the wrapped form costs ~100 us whatever the size.
    few_brackets = raw.count(b"{") + raw.count(b"[") <= MAX_DEPTH
    if not _WRAPS or few_brackets:
        try:
            value = orjson.loads(raw)
        except orjson.JSONDecodeError:
            return False, None
        if not few_brackets and isinstance(value, (dict, list)) and not _within_depth(value):
            raise ValueError(f"nested deeper than {MAX_DEPTH} levels")
        return True, value
    try:
        wrapped = orjson.loads(b"[" * _WRAPS + raw + b"]" * _WRAPS)
    except orjson.JSONDecodeError as error:
        if "depth limit" in str(error):
            raise ValueError(f"nested deeper than {MAX_DEPTH} levels") from None
        return False, None
    return _unwrapped(wrapped)


def _loads_exactly(raw: bytes) -> object:
    """The standard library's parse, refusing what could not be written back."""
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


def loads(data: bytes | str) -> object:
    """Parse JSON; ValueError for anything invalid or that could not be written back as it came."""
    raw = data.encode() if isinstance(data, str) else data
    if _LONG_DIGIT_RUN not in raw.translate(_DIGITS_ONLY):
        parsed, value = _loads_fast(raw)  # orjson refuses NaN, infinities and lone surrogates itself
        if parsed:
            return value
    return _loads_exactly(raw)


def dumps(value: object) -> bytes:
    try:
        return orjson.dumps(value)
    except TypeError:  # integers beyond 64 bits, which orjson refuses and the standard library keeps
        return json.dumps(value, separators=(",", ":")).encode()
