"""Health: whether the server can use its data dir (no sign-in; backup and import tools check it first)."""
from __future__ import annotations

import time

from ..version import DASHSNAP_VERSION, GRAFANA_API_VERSION
from .context import state
from .responses import json_response
from .routing import ApiBlueprint

bp = ApiBlueprint("health", __name__)
# How long a check of the store stands, as Grafana keeps its database check for 5 s: creating a file costs more
# than the rest of the request, and a monitor asking many times a second needs no fresher answer.
CHECK_SECONDS = 1.0


def _store_writable() -> bool:
    now, app_state = time.monotonic(), state()
    checked = app_state.store_checked
    if checked is None or now - checked[0] >= CHECK_SECONDS:
        checked = app_state.store_checked = (now, app_state.store.is_writable())
    return checked[1]


@bp.get("/api/health")
def get_health():
    """"ok" with 200 while the store can be written (the data dir, or the PostgreSQL database), "failing" with 503
    when it cannot (checked at most once a second)."""
    healthy = _store_writable()
    return json_response({"commit": DASHSNAP_VERSION, "database": "ok" if healthy else "failing",
                          "version": GRAFANA_API_VERSION}, 200 if healthy else 503)
