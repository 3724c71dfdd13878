"""The JSON codec reads exactly what the standard library reads, and refuses what could not be written back."""
import json
from pathlib import Path

import pytest
from dashsnap import jsoncodec

FIXTURES = Path(__file__).parent / "fixtures" / "dashboards"


def same(left, right) -> bool:
    """Equal, with the same types (1 is not 1.0) and the same key order, all the way down."""
    if type(left) is not type(right):
        return False
    if isinstance(left, dict):
        return list(left) == list(right) and all(same(left[key], right[key]) for key in left)
    if isinstance(left, list):
        return len(left) == len(right) and all(same(a, b) for a, b in zip(left, right))
    return left == right


@pytest.mark.parametrize("name", sorted(path.name for path in FIXTURES.glob("*.json")))
def test_real_dashboards_read_as_the_standard_library_reads_them(name):
    raw = (FIXTURES / name).read_bytes()
    assert same(jsoncodec.loads(raw), json.loads(raw))


@pytest.mark.parametrize("text", ["[18446744073709551615]", "[-9223372036854775808]", "[-9223372036854775809]",
                                  "[123456789012345678901234567890]", '{"n": -99999999999999999999}',
                                  "[0.12345678901234567890123, 1e308, -0.0, 5e-324, 1E2]",
                                  '{"a": 1, "b": 2, "a": 3}', '"\\ud83d\\ude00"', "\ufeff[1]"])
def test_numbers_and_strings_come_back_exactly(text):
    raw = text.encode()
    assert same(jsoncodec.loads(raw), json.loads(raw))
    assert jsoncodec.loads(jsoncodec.dumps(jsoncodec.loads(raw))) == json.loads(raw)


def test_nesting_is_allowed_to_the_depth_limit_and_not_past_it():
    at_limit = "[" * jsoncodec.MAX_DEPTH + "]" * jsoncodec.MAX_DEPTH
    assert jsoncodec.loads(at_limit) == json.loads(at_limit)
    inside_limit = "[" * (jsoncodec.MAX_DEPTH - 1) + "]" * (jsoncodec.MAX_DEPTH - 1)
    wide_and_deep = '{"a": [' + ", ".join(["{}"] * 500) + '], "b": ' + inside_limit + "}"
    assert jsoncodec.loads(wide_and_deep) == json.loads(wide_and_deep)
    with pytest.raises(ValueError, match="nested deeper"):
        jsoncodec.loads("[" * (jsoncodec.MAX_DEPTH + 1) + "]" * (jsoncodec.MAX_DEPTH + 1))
    with pytest.raises(ValueError, match="nested deeper"):
        jsoncodec.loads('{"a": [1, {"b": ' + "[" * jsoncodec.MAX_DEPTH + "]" * jsoncodec.MAX_DEPTH + "}]}")


@pytest.mark.parametrize("text", ["NaN", "[Infinity]", "[-Infinity]", "[1e400]", '["\\ud800"]', '["\\udc00 x"]',
                                  '[1, 2', "[1,]", '{"a" 1}', "", "[01]", '"\\x41"', "1],[2", "1]]", '"x"]',
                                  "[[1]", "  ", "{}],[{}"])
def test_what_json_cannot_hold_is_refused(text):
    with pytest.raises(ValueError):
        jsoncodec.loads(text.encode())


def test_bytes_that_are_not_utf8_are_refused():
    with pytest.raises(ValueError):
        jsoncodec.loads(b'["\xff"]')
