"""What a request carries: its body read within the size cap, gunzipped when the client compressed them, parsed
(JSON, or the fields of an HTML form where a route takes forms) and validated through a schema; its query
arguments; the ids in its path."""
from __future__ import annotations

import zlib
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl

from flask import request
from marshmallow import Schema, ValidationError
from marshmallow.fields import List

from .. import jsoncodec
from .context import by_session
from .errors import BadRequest, PayloadTooLarge, UnsupportedMediaType

FORM_TYPE = "application/x-www-form-urlencoded"
MAX_FORM_FIELDS = 100
MAX_JSON_CONTAINERS = 1_000_000
JSON_ONLY = "Signed in by the session cookie, a body is sent as JSON (Content-Type: application/json)"
SENT_FORM = "dashsnap.form"  # the request's WSGI environ holds the form it sent, for its error handlers too


def raw_body(max_bytes: int) -> bytes:
    """The request body exactly as sent (still compressed, if it was), never more than max_bytes."""
    length = request.content_length
    if length is not None and length > max_bytes:
        raise PayloadTooLarge(f"Request body is {length} bytes; the limit is {max_bytes} bytes")
    body = request.stream.read(max_bytes + 1)
    if len(body) > max_bytes:
        raise PayloadTooLarge(f"Request body exceeds the limit of {max_bytes} bytes")
    return body


def _gunzip(body: bytes, max_bytes: int) -> bytes:
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        # max_length bounds the output, so a gzip bomb stops at the cap instead of filling memory.
        data = inflater.decompress(body, max_bytes + 1)
    except zlib.error:
        raise BadRequest("bad request data: the gzip body is corrupt") from None
    if len(data) > max_bytes or inflater.unconsumed_tail:
        raise PayloadTooLarge(f"Decompressed request body exceeds the limit of {max_bytes} bytes")
    if not inflater.eof or inflater.unused_data:
        raise BadRequest("bad request data: the gzip body is truncated or has data after its end")
    return data


def request_body(max_bytes: int) -> bytes:
    """The request body, decompressed when Content-Encoding is gzip, never more than max_bytes."""
    body = raw_body(max_bytes)
    encoding = request.headers.get("Content-Encoding", "identity").strip().lower()
    if encoding == "gzip":
        return _gunzip(body, max_bytes)
    if encoding not in ("", "identity"):
        raise UnsupportedMediaType(f"Unsupported Content-Encoding {encoding!r}; send gzip or none")
    return body


def _json_object(body: bytes) -> dict[str, Any]:
    if not body.strip():
        raise BadRequest("bad request data: the body is empty")
    # Each object or array costs ~60 bytes once parsed, 20 times its JSON; counted before parsing builds any (an
    # upper bound: brackets inside strings count too). A real snapshot at the size cap holds well under this.
    if body.count(b"{") + body.count(b"[") > MAX_JSON_CONTAINERS:
        raise PayloadTooLarge(f"Request body holds more than {MAX_JSON_CONTAINERS} JSON objects and arrays")
    try:
        value = jsoncodec.loads(body)
    except (ValueError, UnicodeDecodeError) as error:
        raise BadRequest(f"bad request data: invalid JSON ({error})") from None
    if not isinstance(value, dict):
        raise BadRequest("bad request data: the body must be a JSON object")
    return value


def _form_fields(body: bytes) -> dict[str, str]:
    """The fields of a form-encoded body; a field sent twice keeps its first value."""
    try:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, max_num_fields=MAX_FORM_FIELDS,
                          errors="strict")
    except ValueError:  # UnicodeDecodeError among them
        raise BadRequest("bad request data: invalid form body") from None
    fields: dict[str, str] = {}
    for name, value in pairs:
        fields.setdefault(name, value)
    return fields


def request_object(max_bytes: int, *, forms: bool = False) -> dict[str, Any]:
    """The body as a JSON object (whatever Content-Type says: curl users often send none; but signed in by the
    session cookie it must say JSON). With forms, a
    form-encoded body is read as an HTML form's fields instead, unless it is a JSON object (`curl -d '{...}'` labels
    JSON form-encoded; a form's field names cannot start with `{`, browsers encode it); `sent_form()` tells which."""
    body = request_body(max_bytes)
    if forms and request.mimetype == FORM_TYPE and not body.lstrip().startswith(b"{"):
        request.environ[SENT_FORM] = _form_fields(body)
        return request.environ[SENT_FORM]
    if by_session() and not request.is_json:  # what another page's form or no-cors fetch could send
        raise UnsupportedMediaType(JSON_ONLY)
    return _json_object(body)


def sent_form() -> dict[str, str] | None:
    """The fields of the HTML form this request's body was read as; None when it was read as JSON, or not yet."""
    return request.environ.get(SENT_FORM)


def _messages(errors: Any, path: str = "") -> list[str]:
    if isinstance(errors, Mapping):
        return [message for field, nested in errors.items()
                for message in _messages(nested, f"{path}.{field}" if path else str(field))]
    if isinstance(errors, list) and all(isinstance(item, str) for item in errors):
        return [f"{path}: {' '.join(errors)}" if path and path != "_schema" else " ".join(errors)]
    return [f"{path}: {errors}"]


def query_args(schema: Schema) -> dict[str, Any]:
    """The query string through schema; parameters the schema declares as lists may repeat (`tag=a&tag=b`)."""
    repeated = {field.data_key or name for name, field in schema.fields.items() if isinstance(field, List)}
    args = {name: request.args.getlist(name) if name in repeated else value
            for name, value in request.args.items()}
    return load(schema, args)


def load(schema: Schema, data: Mapping[str, Any]) -> dict[str, Any]:
    """Validate data through schema; a 400 naming each wrong field and why."""
    try:
        return schema.load(data)
    except ValidationError as error:
        raise BadRequest("; ".join(_messages(error.messages))) from None


def path_id(value: str, message: str) -> int:
    """An id in a path, as Grafana reads it: anything but a positive 64-bit number of plain ASCII digits is a 400
    with message (int() would also take "1_0", " 5" or Arabic-Indic digits)."""
    if not (value.isascii() and value.isdigit() and 0 < int(value) < 2**63):
        raise BadRequest(message)
    return int(value)
