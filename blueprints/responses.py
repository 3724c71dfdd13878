"""JSON responses exactly as built: orjson-encoded, keys in the order given (a dashboard reads back as saved)."""
from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Protocol

from flask import Response

from .. import jsoncodec

STREAM_FROM_BYTES = 512 * 1024  # smaller answers are sent in one piece


class Body(Protocol):
    """JSON bytes as the store keeps them (storage's StoredBody and EncodedBody)."""

    size: int

    def chunks(self) -> Iterator[bytes]: ...

    def close(self) -> None: ...


def json_response(value: object, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    return Response(jsoncodec.dumps(value), status=status, headers=headers, content_type="application/json")


def encoded_json_response(data: bytes, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    """JSON the store has encoded already."""
    return Response(data, status=status, headers=headers, content_type="application/json")


def json_response_with(head: Mapping[str, object], name: str, body: Body, status: int = 200,
                       headers: Mapping[str, str] | None = None) -> Response:
    """The JSON object head with one more member, name, whose value is body's bytes sent as they are (big ones
    streamed)."""
    before = jsoncodec.dumps(head)[:-1] + (b"," if head else b"") + jsoncodec.dumps(name) + b":"
    after = b"}"
    if body.size < STREAM_FROM_BYTES:
        return Response(b"".join((before, *body.chunks(), after)), status=status, headers=headers,
                        content_type="application/json")

    response = Response(_Streamed(before, body, after), status=status, headers=headers,
                        content_type="application/json")
    response.content_length = len(before) + body.size + len(after)
    return response


class _Streamed:
    """An answer's bytes around a body read as they are sent; the server's close() releases the body even when
    nothing was sent (a HEAD request)."""

    def __init__(self, before: bytes, body: Body, after: bytes):
        self._before, self._body, self._after = before, body, after

    def __iter__(self) -> Iterator[bytes]:
        yield self._before
        yield from self._body.chunks()
        yield self._after

    def close(self) -> None:
        self._body.close()
