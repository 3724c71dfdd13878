"""Preferences of the caller's org and of the signed-in user (in that org): home dashboard, theme, timezone,
week start. The home dashboard they name is what /api/dashboards/home points to."""
from __future__ import annotations

from ..schemas.preferences import THEMES, PreferencesPatchSchema, PreferencesSchema
from .auth import current_identity, role_required, signed_in
from .context import store
from .dashboards import NOT_FOUND
from .decorators import body
from .errors import BadRequest, NotFound
from .responses import json_response
from .routing import ApiBlueprint
from .user import user_required

bp = ApiBlueprint("preferences", __name__)
put_schema = PreferencesSchema()
patch_schema = PreferencesPatchSchema()

FIELDS = {"theme": "", "homeDashboardId": 0, "homeDashboardUID": "", "timezone": "", "weekStart": "", "language": ""}
SCHEMA_NAMES = {"theme": "theme", "home_dashboard_id": "homeDashboardId", "home_dashboard_uid": "homeDashboardUID",
                "timezone": "timezone", "week_start": "weekStart", "language": "language"}
UPDATED = {"message": "Preferences updated"}


def _answer(kept: dict) -> dict:
    """Grafana's preferences: every field, with what was never set at its zero value."""
    return {**FIELDS, **{name: kept[name] for name in FIELDS if name in kept},
            "navbar": {"bookmarkUrls": None}, "queryHistory": {"homeTab": ""}}


def _settled(changes: dict) -> dict:
    """The changes under Grafana's names, with the home dashboard named by both its uid and its id (the uid wins;
    400 "Invalid theme", 404 for a home dashboard the org does not have)."""
    settled = {SCHEMA_NAMES[name]: value for name, value in changes.items() if value is not None}
    if settled.get("theme", "") not in THEMES:
        raise BadRequest("Invalid theme")
    org_id = current_identity().org_id
    if settled.get("homeDashboardUID"):
        found = store().dashboards.id_of(org_id, uid=settled["homeDashboardUID"])
        if found is None:
            raise NotFound(NOT_FOUND)
        settled["homeDashboardId"] = found
    elif settled.get("homeDashboardId"):
        uid = store().dashboards.uid_of(org_id, settled["homeDashboardId"])
        if uid is None:
            raise NotFound(NOT_FOUND)
        settled["homeDashboardUID"] = uid
    elif "homeDashboardUID" in settled or "homeDashboardId" in settled:
        settled.update(homeDashboardUID="", homeDashboardId=0)
    return settled


def _put(user_id: int | None, changes: dict, *, whole: bool):
    org_id = current_identity().org_id
    settled = _settled(changes)
    kept = settled if whole else {**store().preferences.get(org_id, user_id), **settled}
    store().preferences.put(org_id, kept, user_id)
    return json_response(UPDATED)


@bp.get("/api/org/preferences")
@role_required("Admin")
def get_org_preferences():
    """The caller's org's preferences (org Admin)."""
    return json_response(_answer(store().preferences.get(current_identity().org_id)))


@bp.put("/api/org/preferences")
@role_required("Admin")
@body(put_schema)
def put_org_preferences(body: dict):
    """Set the org's preferences; what the body leaves out goes back to its default."""
    return _put(None, body, whole=True)


@bp.patch("/api/org/preferences")
@role_required("Admin")
@body(patch_schema)
def patch_org_preferences(body: dict):
    """Change the org's preferences the body names; the others stay."""
    return _put(None, body, whole=False)


@bp.get("/api/user/preferences")
@signed_in
def get_user_preferences():
    """The signed-in user's preferences in the current org."""
    user_required()
    identity = current_identity()
    return json_response(_answer(store().preferences.get(identity.org_id, identity.user_id)))


@bp.put("/api/user/preferences")
@signed_in
@body(put_schema)
def put_user_preferences(body: dict):
    """Set the signed-in user's preferences in the current org."""
    user_required()
    return _put(current_identity().user_id, body, whole=True)


@bp.patch("/api/user/preferences")
@signed_in
@body(patch_schema)
def patch_user_preferences(body: dict):
    """Change the signed-in user's preferences the body names."""
    user_required()
    return _put(current_identity().user_id, body, whole=False)
