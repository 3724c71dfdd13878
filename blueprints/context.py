"""How views reach the app's dashsnap state: store, settings, password checker. Nothing is module-global,
so two apps with two data dirs can live in one process."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from flask import current_app

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
    openapi: dict[str, Any] | None = None  # the OpenAPI document, built on its first request


def state() -> DashSnapState:
    return current_app.extensions[EXTENSION]


def store() -> Store:
    return state().store


def settings() -> Mapping[str, Any]:
    return state().settings


def app_path(path: str) -> str:
    """A path of ours as the browser sees it (Grafana's relative `url` fields, e.g. /d/<uid>/<slug>), under
    the sub-path that root_url names, as Grafana's appSubUrl."""
    return urlsplit(settings()["DASHSNAP_ROOT_URL"]).path.rstrip("/") + "/" + path.lstrip("/")


def public_url(path: str) -> str:
    """An absolute url for a path of ours, from the configured root_url (as Grafana builds them)."""
    return settings()["DASHSNAP_ROOT_URL"].rstrip("/") + "/" + path.lstrip("/")
