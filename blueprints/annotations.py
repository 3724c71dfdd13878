"""Annotations of the caller's org: find, create (also in Graphite's form), replace, patch and delete them, and
count their tags. An annotation of a dashboard is read with View on the dashboard and written with Edit; an org
annotation (no dashboard) is read by every member and written by Editors and Admins."""
from __future__ import annotations

from ..schemas.annotations import (
    AnnotationChangeSchema,
    AnnotationCreateSchema,
    AnnotationQuerySchema,
    AnnotationTagsQuerySchema,
    GraphiteAnnotationSchema,
    settled_tags,
)
from .access import EDIT, access, editor_somewhere
from .auth import current_identity, role_required, signed_in
from .context import avatar_url, store
from .decorators import body, check_first, query
from .errors import BadRequest, Forbidden, NotFound
from .responses import json_response
from .routing import ApiBlueprint

bp = ApiBlueprint("annotations", __name__)
create_schema = AnnotationCreateSchema()
change_schema = AnnotationChangeSchema()
graphite_schema = GraphiteAnnotationSchema()
query_schema = AnnotationQuerySchema()
tags_query_schema = AnnotationTagsQuerySchema()

DEFAULT_LIMIT = 100
MAX_BODY_BYTES = 1024 * 1024  # an annotation's row holds all of it, and a listing sends a hundred of them
NOT_FOUND = "Annotation not found"
FAILED_TO_SAVE = "Failed to save annotation"
ACCESS_DENIED = "Access denied to this dashboard"
INVALID_UID = "Invalid dashboard UID in annotation request"
INVALID_ID = "Invalid dashboard ID in annotation request"
FAILED_TO_SAVE_GRAPHITE = "Failed to save Graphite annotation"


def item(row: dict) -> dict:
    """An annotation as Grafana 9-11 answers it (`alertId`, `newState` and the like are for alerts: none here)."""
    email = row["email"] or ""
    return {"id": row["id"], "alertId": 0, "alertName": "", "dashboardId": row["dashboard_id"],
            "dashboardUID": row["dashboard_uid"] or None, "panelId": row["panel_id"], "userId": row["user_id"],
            "newState": "", "prevState": "", "created": row["created"], "updated": row["updated"],
            "time": row["epoch"], "timeEnd": row["epoch_end"], "text": row["text"],
            "tags": row["tags"], "login": row["login"] or "", "email": email,
            "avatarUrl": avatar_url(email) if email else "", "data": {} if row["data"] is None else row["data"]}


def parsed_id(raw: str) -> int:
    """The id in a path as Grafana parses it: 400 unless it is a 64-bit integer."""
    text = raw.strip() if raw.isascii() else ""
    digits = text[1:] if text[:1] in "+-" else text
    if not digits.isdigit() or not -(2**63) <= int(text) < 2**63:
        raise BadRequest("annotationId is invalid")
    return int(text)


def _dashboard_of(dashboard_uid: str, dashboard_id: int) -> dict | None:
    """{id, uid, folderUid} of the dashboard a body or query names (a uid wins over an id), None for none; 400
    when it names no dashboard of the caller's org. (Grafana 9-11 makes an org annotation of a POST naming an
    unknown uid; dashsnap refuses it, as Grafana refuses that uid in a query and newer ones an unknown id.)"""
    org_id = current_identity().org_id
    if dashboard_uid:
        found = store().dashboards.summary(org_id, uid=dashboard_uid)
        if found is None:
            raise BadRequest(INVALID_UID)
        return found
    if dashboard_id:
        found = store().dashboards.summary(org_id, dashboard_id=dashboard_id)
        if found is None:
            raise BadRequest(INVALID_ID)
        return found
    return None


def _may_write(dashboard_uid: str, folder_uid: str) -> None:
    """403 unless the caller may edit the dashboard, or (for an org annotation) is an Editor or Admin."""
    if dashboard_uid:
        if access().dashboard(dashboard_uid, folder_uid) < EDIT:
            raise Forbidden(ACCESS_DENIED)
    elif not current_identity().has_role("Editor"):
        raise Forbidden()


def _found(raw_id: str) -> dict:
    """The row of the caller's annotation with that id; 404 when the org has none the caller may see."""
    rows = store().annotations.find(current_identity().org_id, annotation_id=parsed_id(raw_id),
                                    visible=access().hidden(), limit=1)
    if not rows:
        raise NotFound(NOT_FOUND)
    return rows[0]


def _writable(annotation_id: str) -> dict:
    """The row of an annotation the caller may change (404, or 403 without Edit on its dashboard)."""
    row = _found(annotation_id)
    dashboard = store().dashboards.summary(current_identity().org_id, uid=row["dashboard_uid"]) \
        if row["dashboard_uid"] else None
    _may_write(row["dashboard_uid"], dashboard["folderUid"] if dashboard else "")
    return row


def _create(fields: dict) -> int:
    identity = current_identity()
    return store().annotations.create(identity.org_id, {**fields, "userId": identity.user_id})["id"]


@bp.get("/api/annotations")
@signed_in
@query(query_schema)
def find_annotations(query: dict):
    """The annotations matching every filter given, latest end first: overlapping `from`..`to`, of a dashboard
    (`dashboardUID`, or `dashboardId`) or panel, made by `userId`, carrying all `tags` (any with `matchAny`)."""
    org_id = current_identity().org_id
    if query["type"] == "alert" or query["alert_id"] > 0:
        return json_response([])  # dashsnap keeps no alert annotations
    dashboard_uid = None
    if query["dashboard_uid"]:
        dashboard_uid = _dashboard_of(query["dashboard_uid"], 0)["uid"]
    elif query["dashboard_id"]:
        dashboard_uid = store().dashboards.uid_of(org_id, query["dashboard_id"])
        if dashboard_uid is None:
            return json_response([])
    rows = store().annotations.find(
        org_id, dashboard_uid=dashboard_uid, panel_id=query["panel_id"], user_id=query["user_id"],
        from_ms=query["from_ms"], to_ms=query["to_ms"], tags=query["tags"], match_any=query["match_any"],
        visible=access().hidden(), limit=query["limit"] if query["limit"] > 0 else DEFAULT_LIMIT)
    return json_response([item(row) for row in rows])


@bp.post("/api/annotations")
@signed_in
@editor_somewhere
@body(create_schema, max_bytes=MAX_BODY_BYTES)
def create_annotation(body: dict):
    """Add an annotation: of a dashboard (`dashboardUID`, or `dashboardId`) and panel, or of the org without
    either; `time` and `timeEnd` in epoch milliseconds (a point without `timeEnd`; now without `time`)."""
    dashboard = _dashboard_of(body["dashboard_uid"], body["dashboard_id"])
    _may_write(dashboard["uid"] if dashboard else "", dashboard["folderUid"] if dashboard else "")
    if not body["text"]:
        raise BadRequest(FAILED_TO_SAVE)
    new_id = _create({"dashboardId": dashboard["id"] if dashboard else 0,
                      "dashboardUID": dashboard["uid"] if dashboard else "", "panelId": body["panel_id"],
                      "time": body["time"], "timeEnd": body["time_end"], "text": body["text"],
                      "tags": body["tags"], "data": body["data"]})
    return json_response({"message": "Annotation added", "id": new_id})


def _graphite_tags(tags: object) -> list[str]:
    """Graphite's tags: a list of strings, or (before Graphite 0.10) one string of them separated by spaces."""
    if isinstance(tags, str):
        return tags.split(" ")
    if isinstance(tags, list) and all(isinstance(tag, str) for tag in tags):
        return tags
    raise BadRequest(FAILED_TO_SAVE_GRAPHITE)


@bp.post("/api/annotations/graphite")
@role_required("Editor")
@body(graphite_schema, max_bytes=MAX_BODY_BYTES)
def create_graphite_annotation(body: dict):
    """Add an org annotation in Graphite's event form: `what` (its text, with `data` on a line below), `tags`,
    `when` in epoch seconds (now without it)."""
    tags = _graphite_tags(body["tags"])
    if not body["what"]:
        raise BadRequest(FAILED_TO_SAVE_GRAPHITE)
    new_id = _create({"dashboardId": 0, "dashboardUID": "", "panelId": 0, "time": body["when"] * 1000,
                      "timeEnd": 0, "text": body["what"] + ("\n" + body["data"] if body["data"] else ""),
                      "tags": settled_tags(tags), "data": None})
    return json_response({"message": "Graphite annotation added", "id": new_id})


@bp.get("/api/annotations/tags")
@signed_in
@query(tags_query_schema)
def annotation_tags(query: dict):
    """The tags of the org's annotations containing `tag` in their key or value, by tag, with how many
    annotations carry each."""
    found = store().annotations.tags(current_identity().org_id, part=query["tag"], visible=access().hidden(),
                                     limit=query["limit"] if query["limit"] > 0 else DEFAULT_LIMIT)
    return json_response({"result": {"tags": [
        {"tag": f"{tag['key']}:{tag['value']}" if tag["value"] else tag["key"], "count": tag["count"]}
        for tag in found]}})


@bp.get("/api/annotations/<annotation_id>")
@signed_in
def get_annotation(annotation_id: str):
    """One annotation by id."""
    return json_response(item(_found(annotation_id)))


def _change(annotation_id: str, change) -> None:
    if store().annotations.update(current_identity().org_id, parsed_id(annotation_id), change) is None:
        raise NotFound(NOT_FOUND)  # deleted meanwhile


@bp.put("/api/annotations/<annotation_id>")
@signed_in
@editor_somewhere
@check_first(_writable)
@body(change_schema, max_bytes=MAX_BODY_BYTES)
def replace_annotation(annotation_id: str, body: dict):
    """Replace an annotation's text and tags (none sent: none kept), and the times sent (a time of 0 or none
    keeps the stored one); `data`, when sent, replaces the stored data."""
    _change(annotation_id, lambda current: {
        "time": body["time"] or current["time"], "timeEnd": body["time_end"] or current["timeEnd"],
        "text": body["text"], "tags": body["tags"] or [],
        "data": current.get("data") if body["data"] is None else body["data"]})
    return json_response({"message": "Annotation updated"})


@bp.patch("/api/annotations/<annotation_id>")
@signed_in
@editor_somewhere
@check_first(_writable)
@body(change_schema, max_bytes=MAX_BODY_BYTES)
def patch_annotation(annotation_id: str, body: dict):
    """Change only what is sent: a text that is not empty, tags, times above 0, data."""
    _change(annotation_id, lambda current: {
        "time": body["time"] if body["time"] > 0 else current["time"],
        "timeEnd": body["time_end"] if body["time_end"] > 0 else current["timeEnd"],
        "text": body["text"] or current["text"],
        "tags": current["tags"] if body["tags"] is None else body["tags"],
        "data": current.get("data") if body["data"] is None else body["data"]})
    return json_response({"message": "Annotation patched"})


@bp.delete("/api/annotations/<annotation_id>")
@signed_in
@editor_somewhere
def delete_annotation(annotation_id: str):
    """Delete an annotation by id."""
    row = _writable(annotation_id)
    store().annotations.delete(current_identity().org_id, row["id"])
    return json_response({"message": "Annotation deleted"})
