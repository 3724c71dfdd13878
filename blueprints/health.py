"""Health: whether the server can use its data dir (no sign-in; backup and import tools check it first)."""
from __future__ import annotations

from ..version import DASHSNAP_VERSION, GRAFANA_API_VERSION
from .context import store
from .responses import json_response
from .routing import ApiBlueprint

bp = ApiBlueprint("health", __name__)


@bp.get("/api/health")
def get_health():
    """"ok" with 200 while the data dir is writable, "failing" with 503 when it is not."""
    healthy = store().is_writable()
    return json_response({"commit": DASHSNAP_VERSION, "database": "ok" if healthy else "failing",
                          "version": GRAFANA_API_VERSION}, 200 if healthy else 503)
