"""Dashboards of the caller's org: save, read and delete by slug or uid; the home dashboard; tags; and the
read-only dashboards of a folder of JSON files."""
from __future__ import annotations

from ..schemas.dashboards import DashboardSaveSchema
from ..storage import Conflict as StoreConflict
from ..storage import Missing, Save
from .access import ADMIN, EDIT, VIEW, access, editor_somewhere, require
from .auth import Identity, current_identity, signed_in
from .context import app_path, settings, state, store
from .decorators import body
from .errors import BadRequest, Forbidden, NotFound, PreconditionFailed
from .folders import GENERAL, folder_fields, folder_id_to_uid
from .responses import json_response, json_response_with
from .routing import ApiBlueprint

bp = ApiBlueprint("dashboards", __name__)
save_schema = DashboardSaveSchema()

ZERO_TIME = "0001-01-01T00:00:00Z"
# Grafana's built-in home dashboard, as its 2.x HTTP API reference shows it.
HOME_DASHBOARD = {"editable": False, "hideControls": True, "nav": [{"enable": False, "type": "timepicker"}],
                  "rows": [{}], "style": "dark", "tags": [], "templating": {"list": []}, "time": {},
                  "timezone": "browser", "title": "Home", "version": 5}
NAME_EXISTS = "A dashboard with the same name in the folder already exists"
NOT_FOUND = "Dashboard not found"
FOLDER_NOT_FOUND = "Folder not found"


def dashboard_url(record: dict) -> str:
    return app_path(f"d/{record['uid']}/{record['slug']}")


def _not_found() -> NotFound:
    return NotFound(NOT_FOUND)


def _read_only_meta(**fields) -> dict:
    """Meta of a dashboard that cannot be saved (the home and file dashboards)."""
    return {**fields, "canSave": False, "canEdit": current_identity().has_role("Editor"), "canStar": False,
            "slug": "", "expires": ZERO_TIME, "created": ZERO_TIME, "updated": ZERO_TIME, **GENERAL}


def _answer(identity: Identity, record: dict | None):
    """The dashboard with Grafana's meta; 404 for none, 403 when the caller may not view it."""
    if record is None:
        raise _not_found()
    level = access().dashboard(record["uid"], record.get("folderUid", ""))
    if level < VIEW:
        record["dashboard"].close()
        raise Forbidden()
    starred = identity.user_id > 0 and store().stars.is_starred(identity.user_id, record["id"])
    meta = {"type": "db", "isStarred": starred, "canSave": level >= EDIT, "canEdit": level >= EDIT,
            "canAdmin": level >= ADMIN, "canStar": identity.user_id > 0, "canDelete": level >= EDIT,
            "slug": record["slug"], "url": dashboard_url(record),
            "expires": ZERO_TIME, "created": record["created"], "updated": record["updated"],
            "createdBy": record["createdBy"], "updatedBy": record["updatedBy"], "version": record["version"],
            "hasAcl": store().permissions.items(identity.org_id, "dashboards", record["uid"]) is not None,
            "isFolder": False, "provisioned": False, **folder_fields(identity.org_id, record.get("folderUid", ""))}
    return json_response_with({"meta": meta}, "dashboard", record["dashboard"])


def may_save(dashboard: dict, folder_uid: str) -> None:
    """403 unless the caller may edit the dashboard a save replaces (the one its id or uid names) and, for a new
    one or a move, the folder it goes into."""
    org_id = current_identity().org_id
    current = None
    if dashboard.get("id"):
        current = store().dashboards.summary(org_id, dashboard_id=dashboard["id"])
    elif dashboard.get("uid"):
        current = store().dashboards.summary(org_id, uid=dashboard["uid"])
    if current is not None:
        require(EDIT, access().dashboard(current["uid"], current["folderUid"]))
    if current is None or current["folderUid"] != folder_uid:
        require(EDIT, access().folder(folder_uid))


def save(identity: Identity, dashboard: dict, how: Save) -> dict:
    """Save a dashboard of the caller's org as Grafana does; its record, or Grafana's refusal."""
    try:
        return store().save_dashboard(identity.org_id, dashboard, how)
    except Missing as missing:
        if missing.args[0] == "folder":
            raise BadRequest(FOLDER_NOT_FOUND) from None
        raise NotFound(NOT_FOUND, status="not-found") from None
    except StoreConflict as conflict:
        if conflict.field == "version":
            raise PreconditionFailed("The dashboard has been changed by someone else",
                                     status="version-mismatch") from None
        raise PreconditionFailed(NAME_EXISTS, status="name-exists") from None


def saved(record: dict):
    """Grafana's answer to a save (a Go map, so its keys come sorted)."""
    return json_response({"folderUid": record["folderUid"], "id": record["id"], "slug": record["slug"],
                          "status": "success", "uid": record["uid"], "url": dashboard_url(record),
                          "version": record["version"]})


@bp.post("/api/dashboards/db")
@signed_in
@editor_somewhere
@body(save_schema)
def save_dashboard(body: dict):
    """Create (id null) or update a dashboard in a folder (`folderUid`, or `folderId`; General without either);
    412 when it changed meanwhile or its name is taken in the folder, 400 for an unknown folder."""
    identity = current_identity()
    try:
        folder_uid = body["folder_uid"] or folder_id_to_uid(identity.org_id, body["folder_id"])
    except Missing:
        raise BadRequest(FOLDER_NOT_FOUND) from None
    may_save(body["dashboard"], folder_uid)
    return saved(save(identity, body["dashboard"], Save(
        author=identity.login or "Anonymous", folder_uid=folder_uid, overwrite=bool(body["overwrite"]),
        message=body["message"])))


@bp.get("/api/dashboards/db/<slug>")
@signed_in
def get_dashboard(slug: str):
    """A dashboard by its slug (case-insensitive)."""
    return _answer(current_identity(), store().dashboards.get_stored(current_identity().org_id, slug=slug.lower()))


@bp.get("/api/dashboards/uid/<uid>")
@signed_in
def get_dashboard_by_uid(uid: str):
    """A dashboard by its uid."""
    return _answer(current_identity(), store().dashboards.get_stored(current_identity().org_id, uid=uid))


def _delete(**which: str):
    """Delete the dashboard with that slug or uid, if the caller may edit it."""
    org_id = current_identity().org_id
    found = store().dashboards.summary(org_id, **which)
    if found is None:
        raise _not_found()
    require(EDIT, access().dashboard(found["uid"], found["folderUid"]))
    record = store().delete_dashboard(org_id, uid=found["uid"])
    if record is None:
        raise _not_found()
    return json_response({"title": record["title"], "message": f"Dashboard {record['title']} deleted",
                          "id": record["id"]})


@bp.delete("/api/dashboards/db/<slug>")
@signed_in
@editor_somewhere
def delete_dashboard(slug: str):
    """Delete a dashboard by its slug (case-insensitive); it leaves search, tags and stars."""
    return _delete(slug=slug.lower())


@bp.delete("/api/dashboards/uid/<uid>")
@signed_in
@editor_somewhere
def delete_dashboard_by_uid(uid: str):
    """Delete a dashboard by its uid."""
    return _delete(uid=uid)


@bp.get("/api/dashboards/home")
@signed_in
def get_home_dashboard():
    """The home dashboard: where the user's (else the org's) preferences point to, if they name one that is
    there; else a file's when the config or the data dir provides one; else the built-in one."""
    identity = current_identity()
    for preferences in store().preferences.chain(identity.org_id, identity.user_id):
        home_uid = preferences.get("homeDashboardUID")
        home = store().dashboards.summary(identity.org_id, uid=home_uid) if home_uid else None
        if home is not None:
            return json_response({"redirectUri": dashboard_url(home)})
    dashboard = store().home_dashboard(settings()["DASHSNAP_HOME_DASHBOARD_PATH"]) or HOME_DASHBOARD
    return json_response({"meta": _read_only_meta(isHome=True), "dashboard": dashboard})


@bp.get("/api/dashboards/tags")
@signed_in
def get_tags():
    """Every tag of the org's dashboards that the caller may view, with how many carry it, by term."""
    return json_response(store().dashboards.tags(current_identity().org_id, access().hidden()))


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
