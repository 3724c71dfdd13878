"""One error path: every failure becomes Grafana's `{"message": ...}` body with the right status.

Views raise ApiError subclasses (never `abort()`, whose status handlers a host app could override); the
handlers below are registered on dashsnap's own blueprint, and on the app only when dashsnap is the app.
"""
from __future__ import annotations

import logging

from flask import Blueprint, Flask, Response
from werkzeug.exceptions import HTTPException

from ..storage import store_failures, unavailable
from .context import state
from .responses import json_response

log = logging.getLogger(__name__)


class ApiError(Exception):
    status = 500
    message = "Internal server error"

    def __init__(self, message: str | None = None, **extra: object):
        super().__init__(message or self.message)
        self.message = message or self.message
        self.extra = extra


class BadRequest(ApiError):
    status, message = 400, "bad request data"


class Unauthorized(ApiError):
    status, message = 401, "Unauthorized"


class Forbidden(ApiError):
    status, message = 403, "Permission denied"


class NotFound(ApiError):
    status, message = 404, "Not found"


class Conflict(ApiError):
    status, message = 409, "Conflict"


class PreconditionFailed(ApiError):
    status, message = 412, "Precondition failed"


class TooManyRequests(ApiError):
    status, message = 429, "Too many requests"


class PayloadTooLarge(ApiError):
    status, message = 413, "Request body too large"


class UnsupportedMediaType(ApiError):
    status, message = 415, "Unsupported Content-Encoding"


class BadGateway(ApiError):
    status, message = 502, "Bad gateway"


class GatewayTimeout(ApiError):
    status, message = 504, "Gateway timeout"


def error_response(http_status: int, message: str, **extra: object) -> Response:
    """Grafana's error body; `extra` adds fields such as the dashboard save's "status": "name-exists"."""
    return json_response({"message": message, **extra}, http_status)


def api_error_response(error: ApiError) -> Response:
    return error_response(error.status, error.message, **error.extra)


def _http_error(error: HTTPException) -> Response:
    return error_response(error.code or 500, "Not found" if error.code == 404 else str(error.name))


def _unexpected(error: Exception) -> Response:
    if isinstance(error, store_failures()):
        state().metrics.count_store_error(error)
    if isinstance(error, unavailable()):
        # The error's text can name the database's address; the log has it, the caller needs only to retry.
        log.warning("the database is unavailable: %s", error)
        return error_response(503, "The database is unavailable; try again shortly")
    log.exception("unhandled error", exc_info=error)
    return error_response(500, "Internal server error")


def register_error_handlers(target: Blueprint | Flask) -> None:
    """Render our errors on target (dashsnap's blueprint; the app too when dashsnap is the whole app)."""
    target.register_error_handler(ApiError, api_error_response)
    target.register_error_handler(HTTPException, _http_error)
    target.register_error_handler(Exception, _unexpected)
