"""Decorators that act on a request and record on the view what they did, for the OpenAPI document: `@body`
and `@query` load through a schema; the guards in auth.py note who may call.

Put `@body` and `@query` under the auth guards, so a caller who may not call hears 401 or 403 before 400."""
from __future__ import annotations

import inspect
from collections.abc import Callable
from functools import lru_cache, wraps
from typing import Any

from flask import request
from marshmallow import Schema, fields

from .context import caller_name, settings
from .wire import load, query_args, request_object

NOTES = "_openapi"


def annotate(view: Callable, **notes: Any) -> Callable:
    """Record notes on the view. A new dict each time: `functools.wraps` hands the inner view's dict to the
    wrapper, and the wrapper's notes must not leak back into it."""
    setattr(view, NOTES, {**getattr(view, NOTES, {}), **notes})
    return view


def annotations(view: Callable) -> dict[str, Any]:
    return getattr(view, NOTES, {})


# What a caller who has not signed in may send, where a route does not take more from anyone: parsing builds
# objects many times the size of their JSON, and nobody should make the server do that before proving who they are.
ANONYMOUS_MAX_BODY_BYTES = 64 * 1024


def body(schema: Schema, *, forms: bool = False, max_bytes: int | None = None,
         open_to_anonymous: bool = False) -> Callable[[Callable], Callable]:
    """Load the JSON body (size-capped, gunzipped) through schema and pass it to the view as `body=`; with forms,
    an HTML form's fields go through the same schema (see `wire.request_object`).

    The cap is max_bytes (a route that needs little), else the server's max_body_bytes; a caller who has not
    signed in gets at most ANONYMOUS_MAX_BODY_BYTES unless the route is open_to_anonymous (public snapshots)."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def with_body(*args, **kwargs):
            limit = min(max_bytes or settings()["DASHSNAP_MAX_BODY_BYTES"], settings()["DASHSNAP_MAX_BODY_BYTES"])
            if caller_name() is None and not open_to_anonymous:
                limit = min(limit, ANONYMOUS_MAX_BODY_BYTES)
            data = load(schema, request_object(limit, forms=forms))
            return view(*args, body=data, **kwargs)

        return annotate(with_body, body=schema, forms=forms)

    return decorator


def query(schema: Schema) -> Callable[[Callable], Callable]:
    """Load the query string through schema and pass it to the view as `query=`. Its booleans and integers must
    be the query kinds, which read values as Grafana does (`True`, `1`; "invalid means 0"), not JSON's."""
    loose = [name for name, field in schema.fields.items()
             if type(field) in (fields.Boolean, fields.Integer)]
    if loose:
        raise TypeError(f"{type(schema).__name__}: use QueryBoolean or QueryInteger for {', '.join(loose)}")

    # A query string always loads the same way, and clients repeat theirs (a dashboard's refresh, a backup's
    # paging), so what a valid one loaded to is kept (a short one: the memory stays small whatever is sent);
    # each view gets its own copy to change.
    @lru_cache(maxsize=256)
    def loaded(query_string: bytes) -> dict[str, Any]:
        return query_args(schema)

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def with_query(*args, **kwargs):
            kept = loaded(request.query_string) if len(request.query_string) <= 1024 else query_args(schema)
            query = {name: list(value) if isinstance(value, list) else value for name, value in kept.items()}
            return view(*args, query=query, **kwargs)

        return annotate(with_query, query=schema)

    return decorator


def check_first(check: Callable[..., object]) -> Callable[[Callable], Callable]:
    """Run check (which raises to refuse) with the path arguments it names, before the view and before the
    decorators under this one, such as `@body`: who may call, and whether the path names something, come
    before what the body says."""
    names = inspect.signature(check).parameters

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def checked(*args, **kwargs):
            check(**{name: value for name, value in kwargs.items() if name in names})
            return view(*args, **kwargs)

        return checked

    return decorator
