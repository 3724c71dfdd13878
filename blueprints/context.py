"""How views reach the app's dashsnap state: store, settings, password checker, metrics. Nothing is module-global,
so two apps with two data dirs can live in one process."""
from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from flask import current_app, g, request

from ..metrics import Metrics
from ..security import LoginThrottle, PasswordChecker, SessionSigner
from ..storage import FileDashboards, Store

EXTENSION = "dashsnap"


@dataclass
class DashSnapState:
    store: Store
    settings: Mapping[str, Any]
    passwords: PasswordChecker
    file_dashboards: FileDashboards
    sessions: SessionSigner
    login_throttle: LoginThrottle
    metrics: Metrics
    url_prefix: str = ""   # where the app mounted dashsnap's routes ("" when dashsnap is the app)
    openapi: dict[str, Any] | None = None  # the OpenAPI document, built on its first request
    store_checked: tuple[float, bool] | None = None  # (monotonic time, writable) of health's last check


def state() -> DashSnapState:
    return current_app.extensions[EXTENSION]


def store() -> Store:
    return state().store


def settings() -> Mapping[str, Any]:
    return state().settings


def _root_url() -> str:
    """root_url, or (mounted in a host app that set none) the address this request came to, with the host app's
    own script root (the Host header is trusted: a host app that takes requests for any name sets root_url, or
    Flask's TRUSTED_HOSTS)."""
    return settings()["DASHSNAP_ROOT_URL"] or request.url_root


def sub_path() -> str:
    """Where our routes sit as the browser sees them, without a trailing slash (Grafana's appSubUrl): the path of
    root_url (a reverse proxy's sub-path), then the prefix a host app mounted dashsnap under."""
    return urlsplit(_root_url()).path.rstrip("/") + state().url_prefix.rstrip("/")


def app_path(path: str) -> str:
    """A path of ours as the browser sees it (Grafana's relative `url` fields, e.g. /d/<uid>/<slug>)."""
    return sub_path() + "/" + path.lstrip("/")


def avatar_url(text: str) -> str:
    """Grafana's avatar url for an email (or a name, where there is none): the hash of it, trimmed and lower case."""
    return app_path("avatar/" + hashlib.md5(text.strip().lower().encode(), usedforsecurity=False).hexdigest())


def public_url(path: str) -> str:
    """An absolute url for a path of ours (as Grafana builds them from root_url)."""
    return _root_url().rstrip("/") + state().url_prefix.rstrip("/") + "/" + path.lstrip("/")


def signed_in_as(name: str) -> None:
    """Note that the caller proved who they are (a login, or `api-key:<name>`): the request log names them even
    when a guard refuses them after that, and bodies are capped as a signed-in caller's."""
    g.dashsnap_caller = name


def caller_name() -> str | None:
    """Who proved who they are in this request, or None for a caller who has not (anonymous)."""
    return g.get("dashsnap_caller")


def signed_in_by_session() -> None:
    """Note that the caller signed in by the session cookie, which a browser sends with any page's request."""
    g.dashsnap_by_session = True


def by_session() -> bool:
    return g.get("dashsnap_by_session", False)
