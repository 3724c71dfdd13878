"""Every request dashsnap answers is timed, recorded in the app's metrics and logged in one line on the
`dashsnap.requests` logger, e.g. `method=GET path=/api/snapshots/*** status=200 duration_ms=1.4 caller=admin`.

The hooks sit on dashsnap's own blueprint, so a host app's requests are never touched; the standalone app installs
them app-wide instead, which covers the requests no route of ours took too (routing 404s and 405s).
"""
from __future__ import annotations

import functools
import json
import logging
import re
import time

from flask import Blueprint, Flask, Response, g, request
from werkzeug.routing import Rule

from .context import caller_name, state

log = logging.getLogger("dashsnap.requests")
KNOWN_METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "CONNECT", "TRACE"}

# Path parts that are capabilities: whoever knows a snapshot's view key or delete key may read or delete it.
# Matched on the path itself, so that wrong methods, unknown sub-paths and routes not (yet) served are hidden too.
_SECRET_PART = re.compile(r"(/(?:api/+snapshots|api/+snapshots-delete|dashboard/+snapshot)/+)[^/]+", re.IGNORECASE)
_ROUTE_ARGUMENT = re.compile(r"<(?:(\w+)(?:\([^>]*\))?:)?(\w+)>")
_LOGFMT_BARE = re.compile(r"[!#-<>-~]+")  # printable ASCII without space, '"' or '='


def loggable_path(path: str) -> str:
    """The path with every secret part replaced by ***."""
    return _SECRET_PART.sub(r"\1***", path)


@functools.cache
def _route_name(rule: str, url_prefix: str) -> str:
    """A rule in Grafana's style (`/api/snapshots/:key`, `*` for a path), without the mount prefix."""
    route = rule.removeprefix(url_prefix)
    return _ROUTE_ARGUMENT.sub(lambda argument: "*" if argument[1] == "path" else f":{argument[2]}", route)


def _handler(rule: Rule | None, url_prefix: str) -> str:
    """The matched route in Grafana's style, never the raw path."""
    return "unknown" if rule is None else _route_name(rule.rule, url_prefix)


def _logfmt(value: str) -> str:
    """A logfmt value: bare when it can be, else quoted and escaped, so that no path can forge a log line."""
    return value if _LOGFMT_BARE.fullmatch(value) else json.dumps(value)


def _method(method: str) -> str:
    """The request's method, or "other": a client may send any word there, which must not grow the metrics."""
    return method if method in KNOWN_METHODS else "other"


def _start() -> None:
    g.dashsnap_request_started = time.perf_counter()


def _finish(response: Response) -> Response:
    started = g.pop("dashsnap_request_started", None)
    if started is None:  # a host app's hook answered before ours ran: not a request of ours
        return response
    seconds = time.perf_counter() - started
    # The objects behind the proxies, looked up once: each look-up through a proxy costs as much as a field.
    current, app_state = request._get_current_object(), state()
    method = _method(current.method)
    app_state.metrics.observe_request(_handler(current.url_rule, app_state.url_prefix), method,
                                      response.status_code, seconds)
    if log.isEnabledFor(logging.INFO):  # else the line's fields need not be worked out
        _log_request(method, current.path, response.status_code, seconds)
    return response


def _log_request(method: str, path: str, status: int, seconds: float) -> None:
    """The request's line; method is _method()'s, a bare word already."""
    caller = caller_name()
    log.info("method=%s path=%s status=%d duration_ms=%.1f caller=%s", method, _logfmt(loggable_path(path)), status,
             seconds * 1000, _logfmt(caller) if caller else "anonymous")


def register_request_hooks(target: Blueprint | Flask) -> None:
    """Observe every request target handles: dashsnap's blueprint (its children's included), or the whole app when
    it is dashsnap alone."""
    target.before_request(_start)
    target.after_request(_finish)
