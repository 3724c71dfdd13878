"""dashsnap's routes: one parent blueprint holding one blueprint per resource, the error handlers that turn
every failure into JSON (the snapshot page and the sign-in form, read by people, render their own), the hooks that
time and log every request, and a catch-all that answers unknown `/api` routes (and wrong methods) with Grafana's
404."""
# No `from __future__ import annotations` here: its name would shadow the annotations blueprint in the import below.
from . import (
    admin,
    annotations,
    api_keys,
    dashboard_versions,
    dashboards,
    datasources,
    folders,
    frontend,
    health,
    login,
    metrics,
    openapi,
    org,
    org_users,
    orgs,
    pages,
    permissions,
    preferences,
    proxy,
    search,
    service_accounts,
    snapshot_page,
    snapshots,
    stars,
    teams,
    user,
    users,
)
from .decorators import annotate
from .errors import NotFound, register_error_handlers
from .observe import register_request_hooks
from .routing import ApiBlueprint

ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


def unknown_route(**_: str):
    """Grafana's 404 for a path or method no route takes (not an operation of the API: left out of its document)."""
    raise NotFound()


annotate(unknown_route, undocumented=True)


def build_blueprint(*, catch_wrong_methods: bool, observe_requests: bool) -> ApiBlueprint:
    """A fresh parent blueprint (one per app, so each app can mount it under its own prefix). `observe_requests`
    puts the hooks that time and log requests on it (left out where the app has them).

    A wrong method on a route is a routing error, which reaches no blueprint's handlers, so under a host app's
    prefix it would get the host's HTML 405: `catch_wrong_methods` adds rules that take every method our routes do
    not (without a prefix they would take the host's own routes on those paths, so they are left out)."""
    api = ApiBlueprint("dashsnap", __name__)
    # Werkzeug tries rules of equal weight in the order they were added: these sit in a blueprint registered
    # after the resources.
    wrong_method = ApiBlueprint("wrong_method", __name__)
    for resource in (health, login, api_keys, snapshots, snapshot_page, pages, dashboards, dashboard_versions,
                     folders, permissions, search, stars, user, preferences, org, org_users, orgs, users, admin,
                     service_accounts, teams, annotations, datasources, proxy, frontend, metrics, openapi):
        api.register_blueprint(resource.bp)
        for number, rule in enumerate(resource.bp.rules_outside_api if catch_wrong_methods else []):
            wrong_method.add_url_rule(rule, f"{resource.bp.name}_{number}", unknown_route, methods=ALL_METHODS)
    if catch_wrong_methods:
        api.register_blueprint(wrong_method)
        api.add_url_rule("/api", "unknown_api_root", unknown_route, methods=ALL_METHODS)
    register_error_handlers(api)
    if observe_requests:
        register_request_hooks(api)
    api.add_url_rule("/api/<path:unknown>", "unknown_api_route", unknown_route, methods=ALL_METHODS)
    return api
