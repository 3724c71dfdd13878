"""Dashboards of the caller's org: save, read and delete by slug or uid; the home dashboard; tags; and the
read-only dashboards of a folder of JSON files."""
from __future__ import annotations

from ..schemas.dashboards import DashboardSaveSchema
from ..storage import Conflict as StoreConflict
from ..storage import Missing
from .auth import Identity, current_identity, role_required, signed_in
from .context import app_path, settings, state, store
from .decorators import body
from .errors import NotFound, PreconditionFailed
from .responses import json_response, json_response_with
from .routing import ApiBlueprint

bp = ApiBlueprint("dashboards", __name__)
save_schema = DashboardSaveSchema()

ZERO_TIME = "0001-01-01T00:00:00Z"
GENERAL_FOLDER = {"folderId": 0, "folderUid": "", "folderTitle": "General", "folderUrl": ""}
# Grafana's built-in home dashboard, as its 2.x HTTP API reference shows it.
HOME_DASHBOARD = {"editable": False, "hideControls": True, "nav": [{"enable": False, "type": "timepicker"}],
                  "rows": [{}], "style": "dark", "tags": [], "templating": {"list": []}, "time": {},
                  "timezone": "browser", "title": "Home", "version": 5}
NAME_EXISTS = "A dashboard with the same name already exists"
NOT_FOUND = "Dashboard not found"


def dashboard_url(record: dict) -> str:
    return app_path(f"d/{record['uid']}/{record['slug']}")


def _not_found() -> NotFound:
    return NotFound(NOT_FOUND)


def _read_only_meta(**fields) -> dict:
    """Meta of a dashboard that cannot be saved (the home and file dashboards)."""
    return {**fields, "canSave": False, "canEdit": current_identity().has_role("Editor"), "canStar": False,
            "slug": "", "expires": ZERO_TIME, "created": ZERO_TIME, "updated": ZERO_TIME, **GENERAL_FOLDER}


def _answer(identity: Identity, record: dict):
    starred = identity.user_id > 0 and store().stars.is_starred(identity.user_id, record["id"])
    meta = {"type": "db", "isStarred": starred, "canSave": identity.has_role("Editor"),
            "canEdit": identity.has_role("Editor"), "canAdmin": identity.has_role("Admin"),
            "canStar": identity.user_id > 0, "slug": record["slug"], "url": dashboard_url(record),
            "expires": ZERO_TIME, "created": record["created"], "updated": record["updated"],
            "createdBy": record["createdBy"], "updatedBy": record["updatedBy"], "version": record["version"],
            "hasAcl": False, "isFolder": False, "provisioned": False, **GENERAL_FOLDER}
    return json_response_with({"meta": meta}, "dashboard", record["dashboard"])


@bp.post("/api/dashboards/db")
@role_required("Editor")
@body(save_schema)
def save_dashboard(body: dict):
    """Create (id null) or update a dashboard; 412 when it changed meanwhile or its name is taken."""
    identity = current_identity()
    try:
        record = store().dashboards.save(identity.org_id, body["dashboard"], overwrite=bool(body["overwrite"]),
                                         author=identity.login or "Anonymous")
    except Missing:
        raise NotFound(NOT_FOUND, status="not-found") from None
    except StoreConflict as conflict:
        if conflict.field == "version":
            raise PreconditionFailed("The dashboard has been changed by someone else",
                                     status="version-mismatch") from None
        raise PreconditionFailed(NAME_EXISTS, status="name-exists") from None
    return json_response({"id": record["id"], "slug": record["slug"], "status": "success", "uid": record["uid"],
                          "url": dashboard_url(record), "version": record["version"]})


@bp.get("/api/dashboards/db/<slug>")
@signed_in
def get_dashboard(slug: str):
    """A dashboard by its slug (case-insensitive)."""
    record = store().dashboards.get_stored(current_identity().org_id, slug=slug.lower())
    if record is None:
        raise _not_found()
    return _answer(current_identity(), record)


@bp.get("/api/dashboards/uid/<uid>")
@signed_in
def get_dashboard_by_uid(uid: str):
    """A dashboard by its uid."""
    record = store().dashboards.get_stored(current_identity().org_id, uid=uid)
    if record is None:
        raise _not_found()
    return _answer(current_identity(), record)


def _deleted(record: dict | None):
    if record is None:
        raise _not_found()
    return json_response({"title": record["title"], "message": f"Dashboard {record['title']} deleted",
                          "id": record["id"]})


@bp.delete("/api/dashboards/db/<slug>")
@role_required("Editor")
def delete_dashboard(slug: str):
    """Delete a dashboard by its slug (case-insensitive); it leaves search, tags and stars."""
    return _deleted(store().delete_dashboard(current_identity().org_id, slug=slug.lower()))


@bp.delete("/api/dashboards/uid/<uid>")
@role_required("Editor")
def delete_dashboard_by_uid(uid: str):
    """Delete a dashboard by its uid."""
    return _deleted(store().delete_dashboard(current_identity().org_id, uid=uid))


@bp.get("/api/dashboards/home")
@signed_in
def get_home_dashboard():
    """The home dashboard: a file's when the config or the data dir provides one, else the built-in one."""
    dashboard = store().home_dashboard(settings()["DASHSNAP_HOME_DASHBOARD_PATH"]) or HOME_DASHBOARD
    return json_response({"meta": _read_only_meta(isHome=True), "dashboard": dashboard})


@bp.get("/api/dashboards/tags")
@signed_in
def get_tags():
    """Every tag of the org's dashboards with how many carry it, by term."""
    return json_response(store().dashboards.tags(current_identity().org_id))


@bp.get("/api/dashboards/file/<name>")
@bp.get("/file/<name>")
@signed_in
def get_file_dashboard(name: str):
    """A read-only dashboard from the `[dashboards.json]` folder, by its file's base name."""
    dashboard = state().file_dashboards.get(name) if settings()["DASHSNAP_DASHBOARDS_JSON_ENABLED"] else None
    if dashboard is None:
        raise _not_found()
    return json_response({"meta": _read_only_meta(type="file"),
                          "dashboard": dashboard if "version" in dashboard else {**dashboard, "version": 0}})
