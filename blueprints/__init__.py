"""dashsnap's routes: one parent blueprint holding one blueprint per resource, the error handlers that turn
every failure into JSON, and a catch-all that answers unknown `/api` routes (and wrong methods) with
Grafana's 404."""
from __future__ import annotations

from . import (
    admin,
    api_keys,
    dashboards,
    datasources,
    frontend,
    health,
    login,
    openapi,
    org,
    org_users,
    orgs,
    proxy,
    search,
    snapshots,
    stars,
    user,
    users,
)
from .errors import NotFound, register_error_handlers
from .routing import ApiBlueprint

ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


def build_blueprint() -> ApiBlueprint:
    """A fresh parent blueprint (one per app, so each app can mount it under its own prefix)."""
    api = ApiBlueprint("dashsnap", __name__)
    for resource in (health, login, api_keys, snapshots, dashboards, search, stars, user, org, org_users, orgs, users,
                     admin, datasources, proxy, frontend, openapi):
        api.register_blueprint(resource.bp)
    register_error_handlers(api)

    @api.route("/api/<path:unknown>", methods=ALL_METHODS)
    def unknown_api_route(unknown: str):
        raise NotFound()

    return api
