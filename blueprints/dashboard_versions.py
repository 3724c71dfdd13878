"""Dashboard versions: the kept versions of a dashboard by uid or id, one of them whole, and a restore (which
saves that version's model as a new version)."""
from __future__ import annotations

from flask import Response

from ..schemas.dashboard_versions import DiffSchema, RestoreSchema, VersionsQuerySchema
from ..storage import Save
from .access import EDIT, VIEW, access, editor_somewhere, require
from .auth import current_identity, signed_in
from .context import store
from .dashboards import NOT_FOUND, save, saved
from .decorators import annotate, body, query
from .errors import NotFound
from .json_diff import json_diff_html
from .responses import json_response
from .routing import ApiBlueprint

bp = ApiBlueprint("dashboard_versions", __name__)
versions_schema = VersionsQuerySchema()
restore_schema = RestoreSchema()
diff_schema = DiffSchema()

VERSION_NOT_FOUND = "Dashboard version not found"
DEFAULT_LIMIT = 1000


def _uid_of_id(dashboard_id: int) -> str:
    uid = store().dashboards.uid_of(current_identity().org_id, dashboard_id)
    if uid is None:
        raise NotFound(NOT_FOUND)
    return uid


def _permitted(uid: str, level: int) -> dict:
    """The dashboard's summary ({id, uid, slug, folderUid}); 404 for none, 403 below level."""
    found = store().dashboards.summary(current_identity().org_id, uid=uid)
    if found is None:
        raise NotFound(NOT_FOUND)
    require(level, access().dashboard(uid, found["folderUid"]))
    return found


def _listing(dashboard_id: int, uid: str, kept: dict) -> dict:
    return {"id": kept["id"], "dashboardId": dashboard_id, "dashboardUid": uid, "uid": uid,
            "parentVersion": kept["parentVersion"], "restoredFrom": kept["restoredFrom"], "version": kept["version"],
            "created": kept["created"], "createdBy": kept["createdBy"], "message": kept["message"]}


def _versions(uid: str, query: dict):
    dashboard_id = _permitted(uid, VIEW)["id"]
    kept = store().dashboards.versions(current_identity().org_id, uid) or []
    limit = query["limit"] if query["limit"] > 0 else DEFAULT_LIMIT
    start = max(query["start"], 0)
    return json_response([_listing(dashboard_id, uid, version) for version in kept[start:start + limit]])


def _version(uid: str, version: int):
    _permitted(uid, VIEW)
    found = store().dashboards.version(current_identity().org_id, uid, version)
    if found is None:
        raise NotFound(VERSION_NOT_FOUND)
    record = found["record"]
    return json_response({**_listing(record["id"], uid, found), "data": record["dashboard"]})


def _restore(uid: str, version: int):
    identity = current_identity()
    _permitted(uid, EDIT)
    current = store().dashboards.get_by_uid(identity.org_id, uid)
    if current is None:
        raise NotFound(NOT_FOUND)
    found = store().dashboards.version(identity.org_id, uid, version)
    if found is None:
        raise NotFound(VERSION_NOT_FOUND)
    # The old model, as an update of the current version, in the folder the dashboard is in now (as Grafana does).
    model = {**found["record"]["dashboard"], "id": current["id"], "uid": uid, "version": current["version"]}
    return saved(save(identity, model, Save(
        author=identity.login or "Anonymous", folder_uid=current.get("folderUid", ""),
        message=f"Restored from version {version}", restored_from=version)))


@bp.get("/api/dashboards/uid/<uid>/versions")
@signed_in
@query(versions_schema)
def list_versions(uid: str, query: dict):
    """The kept versions of a dashboard, newest first: `limit` of them from `start`."""
    return _versions(uid, query)


@bp.get("/api/dashboards/id/<int:dashboard_id>/versions")
@signed_in
@query(versions_schema)
def list_versions_by_id(dashboard_id: int, query: dict):
    """The kept versions of a dashboard given by its id."""
    return _versions(_uid_of_id(dashboard_id), query)


@bp.get("/api/dashboards/uid/<uid>/versions/<int:version>")
@signed_in
def get_version(uid: str, version: int):
    """One kept version of a dashboard, with its model in `data`."""
    return _version(uid, version)


@bp.get("/api/dashboards/id/<int:dashboard_id>/versions/<int:version>")
@signed_in
def get_version_by_id(dashboard_id: int, version: int):
    """One kept version of a dashboard given by its id."""
    return _version(_uid_of_id(dashboard_id), version)


@bp.post("/api/dashboards/uid/<uid>/restore")
@signed_in
@editor_somewhere
@body(restore_schema)
def restore_version(uid: str, body: dict):
    """Save a kept version's model as the dashboard's next version."""
    return _restore(uid, body["version"])


@bp.post("/api/dashboards/id/<int:dashboard_id>/restore")
@signed_in
@editor_somewhere
@body(restore_schema)
def restore_version_by_id(dashboard_id: int, body: dict):
    """Restore a version of a dashboard given by its id."""
    return _restore(_uid_of_id(dashboard_id), body["version"])


def _diff_side(target: dict) -> object:
    """The model a diff compares: the unsaved one sent, else that version of that dashboard (the caller must be
    able to save it, as Grafana asks)."""
    if target["dashboard_uid"]:
        uid = target["dashboard_uid"]
    elif target["dashboard_id"]:
        uid = _uid_of_id(target["dashboard_id"])
    else:
        raise NotFound(NOT_FOUND)
    _permitted(uid, EDIT)
    if target["unsaved_dashboard"] is not None:
        return target["unsaved_dashboard"]
    found = store().dashboards.version(current_identity().org_id, uid, target["version"])
    if found is None:
        raise NotFound(VERSION_NOT_FOUND)
    return found["record"]["dashboard"]


@bp.post("/api/dashboards/calculate-diff")
@signed_in
@editor_somewhere
@body(diff_schema)
def calculate_diff(body: dict):
    """The difference between two versions (`base` and `new`, each a `dashboardId` or `dashboardUid` and a
    `version`, or an `unsavedDashboard`), as Grafana's `json` diff: an HTML line per line of JSON."""
    base, new = _diff_side(body["base"]), _diff_side(body["new"])
    return Response(json_diff_html(base, new), content_type="text/html; charset=utf-8")


annotate(calculate_diff, produces="text/html")
