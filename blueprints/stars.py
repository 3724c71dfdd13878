"""Stars: a signed-in user marks dashboards of their org, by id or uid; search and meta show them."""
from __future__ import annotations

from .auth import current_identity, signed_in
from .context import store
from .dashboards import NOT_FOUND
from .errors import NotFound, PreconditionFailed
from .responses import json_response
from .routing import ApiBlueprint
from .wire import path_id

bp = ApiBlueprint("stars", __name__)


def _starring_user() -> int:
    user_id = current_identity().user_id
    if not user_id:  # anonymous callers and API keys have no user to keep stars for
        raise PreconditionFailed("You need to sign in to star dashboards")
    return user_id


def _dashboard_id(dashboard_id: str) -> int:
    return path_id(dashboard_id, "Missing dashboard id")


def _existing(dashboard_id: int | None) -> int:
    if dashboard_id is None:
        raise NotFound(NOT_FOUND)
    return dashboard_id


@bp.post("/api/user/stars/dashboard/<dashboard_id>")
@signed_in
def star_dashboard(dashboard_id: str):
    """Star a dashboard of the caller's org; starring it again changes nothing."""
    user_id = _starring_user()
    found = _existing(store().dashboards.id_of(current_identity().org_id,
                                                dashboard_id=_dashboard_id(dashboard_id)))
    store().stars.star(user_id, found)
    return json_response({"message": "Dashboard starred!"})


@bp.delete("/api/user/stars/dashboard/<dashboard_id>")
@signed_in
def unstar_dashboard(dashboard_id: str):
    """Remove the caller's star; unstarring what is not starred changes nothing."""
    store().stars.unstar(_starring_user(), _dashboard_id(dashboard_id))
    return json_response({"message": "Dashboard unstarred"})


@bp.post("/api/user/stars/dashboard/uid/<uid>")
@signed_in
def star_dashboard_by_uid(uid: str):
    """Star a dashboard of the caller's org by its uid."""
    user_id = _starring_user()
    store().stars.star(user_id, _existing(store().dashboards.id_of(current_identity().org_id, uid=uid)))
    return json_response({"message": "Dashboard starred!"})


@bp.delete("/api/user/stars/dashboard/uid/<uid>")
@signed_in
def unstar_dashboard_by_uid(uid: str):
    """Remove the caller's star of a dashboard given by its uid."""
    user_id = _starring_user()
    store().stars.unstar(user_id, _existing(store().dashboards.id_of(current_identity().org_id, uid=uid)))
    return json_response({"message": "Dashboard unstarred"})
