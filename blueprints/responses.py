"""JSON responses exactly as built: orjson-encoded, keys in the order given (a dashboard reads back as saved)."""
from __future__ import annotations

from collections.abc import Mapping

from flask import Response

from .. import jsoncodec


def json_response(value: object, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    return Response(jsoncodec.dumps(value), status=status, headers=headers, content_type="application/json")
