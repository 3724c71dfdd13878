"""Frontend settings: what Grafana's web app (and clients reading the server's version) learn at start."""
from __future__ import annotations

from ..datasource_types import DATASOURCE_TYPES
from ..version import DASHSNAP_VERSION, GRAFANA_API_VERSION
from .auth import current_identity, signed_in
from .context import app_path, settings, store, sub_path
from .responses import json_response
from .routing import ApiBlueprint

bp = ApiBlueprint("frontend", __name__)
BUILT_IN = {"-- Grafana --": {"type": "grafana", "name": "-- Grafana --", "meta": {"id": "grafana",
                                                                                   "builtIn": True}},
            "-- Mixed --": {"type": "mixed", "name": "-- Mixed --", "meta": {"id": "mixed", "builtIn": True}}}


def _entry(source: dict) -> dict:
    entry = {"id": source["id"], "uid": source["uid"], "type": source["type"], "name": source["name"],
             "url": app_path(f"api/datasources/proxy/{source['id']}") if source["access"] == "proxy"
             else source["url"], "isDefault": source["isDefault"], "meta": DATASOURCE_TYPES[source["type"]]}
    if source["jsonData"]:
        entry["jsonData"] = source["jsonData"]
    if source["database"]:
        entry["database"] = source["database"]
    return entry


@bp.get("/api/frontend/settings")
@signed_in
def get_frontend_settings():
    """The caller's org's data sources by name, the default one, the build and the app's sub-path."""
    identity = current_identity()
    sources = [source for source in store().datasources.list_for_org(identity.org_id)
               if source["type"] in DATASOURCE_TYPES]
    default = next((source["name"] for source in sources if source["isDefault"]), "-- Grafana --")
    return json_response({
        "datasources": {**{source["name"]: _entry(source) for source in sources}, **BUILT_IN},
        "defaultDatasource": default,
        "appSubUrl": sub_path(),
        "allowOrgCreate": bool(identity.user_id) and (settings()["DASHSNAP_ALLOW_ORG_CREATE"]
                                                      or identity.is_server_admin),
        "buildInfo": {"version": GRAFANA_API_VERSION, "commit": DASHSNAP_VERSION, "buildstamp": 0,
                      "edition": "Open Source", "env": "production", "database": "ok",
                      "dashsnapVersion": DASHSNAP_VERSION},
    })
