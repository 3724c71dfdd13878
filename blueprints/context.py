"""How views reach the app's dashsnap state: store, settings, password checker. Nothing is module-global,
so two apps with two data dirs can live in one process."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask import current_app

from ..security import PasswordChecker
from ..storage import Store

EXTENSION = "dashsnap"


@dataclass
class DashSnapState:
    store: Store
    settings: Mapping[str, Any]
    passwords: PasswordChecker


def state() -> DashSnapState:
    return current_app.extensions[EXTENSION]


def store() -> Store:
    return state().store


def settings() -> Mapping[str, Any]:
    return state().settings


def public_url(path: str) -> str:
    """An absolute url for a path of ours, from the configured root_url (as Grafana builds them)."""
    return settings()["DASHSNAP_ROOT_URL"].rstrip("/") + "/" + path.lstrip("/")
