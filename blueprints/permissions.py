"""Folder and dashboard permissions: read and set the whole list of items, as grafana-backup saves and restores
them. Both need Admin on the folder or dashboard (org Admins have it everywhere)."""
from __future__ import annotations

import time

from ..schemas.permissions import PermissionItemsSchema
from ..storage.permissions import DEFAULT_FOLDER_ITEMS
from ..storage.slugs import slugify
from ..storage.timestamps import rfc3339
from .access import ADMIN, NAMES, access, editor_somewhere, require
from .auth import current_identity, signed_in
from .context import app_path, store
from .dashboards import NOT_FOUND
from .decorators import body
from .errors import BadRequest, NotFound
from .folders import folder_url, permitted
from .responses import json_response
from .routing import ApiBlueprint

bp = ApiBlueprint("permissions", __name__)
permissions_schema = PermissionItemsSchema()


def _listed(items: list[dict], target: dict, *, inherited: bool = False) -> list[dict]:
    """Grafana's items: who (with the user's login and email), what, and of which folder or dashboard."""
    org_id = current_identity().org_id
    listed = []
    for number, item in enumerate(items, start=1):
        user = store().users.get(item["userId"]) if item.get("userId") else None
        team = store().teams.get(org_id, item["teamId"]) if item.get("teamId") else None
        listed.append({
            "id": number, "folderId" if target["isFolder"] else "dashboardId": target["id"],
            "created": item.get("created", ""), "updated": item.get("updated", ""),
            "userId": item.get("userId", 0), "userLogin": user["login"] if user else "",
            "userEmail": user["email"] if user else "", "teamId": item.get("teamId", 0),
            "team": team["name"] if team else "",
            "role": item.get("role", ""), "permission": item["permission"],
            "permissionName": NAMES[item["permission"]], "uid": target["uid"], "title": target["title"],
            "slug": slugify(target["title"]), "isFolder": target["isFolder"], "url": target["url"],
            "inherited": inherited})
        if user is not None and str(org_id) not in user["orgs"]:
            listed[-1].update(userLogin="", userEmail="")
    return listed


def _kept(items: list[dict]) -> list[dict]:
    """The items as stored, each checked: a user must be a member of the org, a team one of its teams."""
    org_id = current_identity().org_id
    now = rfc3339(time.time())
    kept = []
    for item in items:
        if item["user_id"]:
            user = store().users.get(item["user_id"])
            if user is None or str(org_id) not in user["orgs"]:
                raise BadRequest("Failed to update permissions: no such user in the organization")
        if item["team_id"] and store().teams.get(org_id, item["team_id"]) is None:
            raise BadRequest("Failed to update permissions: no such team in the organization")
        kept.append({"userId": item["user_id"], "teamId": item["team_id"], "role": item["role"],
                     "permission": item["permission"], "created": now, "updated": now})
    seen = {(item["userId"], item["teamId"], item["role"]) for item in kept}
    if len(seen) != len(kept):
        raise BadRequest("Failed to update permissions: an item names someone twice")
    return kept


def _folder_target(folder: dict) -> dict:
    return {"id": folder["id"], "uid": folder["uid"], "title": folder["title"], "isFolder": True,
            "url": folder_url(folder["uid"], folder["title"])}


@bp.get("/api/folders/<uid>/permissions")
@signed_in
def get_folder_permissions(uid: str):
    """Who may do what in the folder."""
    folder = permitted(uid, ADMIN)
    items = store().permissions.items(folder["orgId"], "folders", uid)
    return json_response(_listed(DEFAULT_FOLDER_ITEMS if items is None else items, _folder_target(folder)))


@bp.post("/api/folders/<uid>/permissions")
@signed_in
@editor_somewhere
@body(permissions_schema)
def set_folder_permissions(uid: str, body: dict):
    """Replace who may do what in the folder with the items sent."""
    folder = permitted(uid, ADMIN)
    store().permissions.put(folder["orgId"], "folders", uid, _kept(body["items"]))
    return json_response({"message": "Folder permissions updated", "id": folder["id"], "title": folder["title"]})


def _dashboard(uid: str) -> dict:
    org_id = current_identity().org_id
    found = store().dashboards.summary(org_id, uid=uid)
    if found is None:
        raise NotFound(NOT_FOUND)
    require(ADMIN, access().dashboard(found["uid"], found["folderUid"]))
    return found


def _dashboard_by_id(dashboard_id: int) -> dict:
    uid = store().dashboards.uid_of(current_identity().org_id, dashboard_id)
    if uid is None:
        raise NotFound(NOT_FOUND)
    return _dashboard(uid)


def _dashboard_permissions(found: dict):
    """The dashboard's own items, then those its folder (and the folders above) give it, marked inherited."""
    org_id = current_identity().org_id
    record = store().dashboards.get_by_uid(org_id, found["uid"])
    target = {"id": found["id"], "uid": found["uid"], "title": record["title"] if record else "",
              "isFolder": False, "url": app_path(f"d/{found['uid']}/{found['slug']}")}
    own = _listed(store().permissions.items(org_id, "dashboards", found["uid"]) or [], target)
    inherited = []
    folder_uid = found["folderUid"]
    if folder_uid:
        chain = store().folders.parents(org_id, folder_uid)
        for folder in chain:
            items = store().permissions.items(org_id, "folders", folder["uid"])
            inherited += _listed(DEFAULT_FOLDER_ITEMS if items is None else items, target, inherited=True)
    else:
        inherited = _listed(DEFAULT_FOLDER_ITEMS, target, inherited=True)
    return json_response(inherited + own)


def _set_dashboard_permissions(found: dict, items: list[dict]):
    store().permissions.put(current_identity().org_id, "dashboards", found["uid"], _kept(items))
    return json_response({"message": "Dashboard permissions updated"})


@bp.get("/api/dashboards/uid/<uid>/permissions")
@signed_in
def get_dashboard_permissions(uid: str):
    """Who may do what with the dashboard: its folder's items (inherited) and its own."""
    return _dashboard_permissions(_dashboard(uid))


@bp.get("/api/dashboards/id/<int:dashboard_id>/permissions")
@signed_in
def get_dashboard_permissions_by_id(dashboard_id: int):
    """The permissions of a dashboard given by its id."""
    return _dashboard_permissions(_dashboard_by_id(dashboard_id))


@bp.post("/api/dashboards/uid/<uid>/permissions")
@signed_in
@editor_somewhere
@body(permissions_schema)
def set_dashboard_permissions(uid: str, body: dict):
    """Replace the dashboard's own items (its folder's still apply)."""
    return _set_dashboard_permissions(_dashboard(uid), body["items"])


@bp.post("/api/dashboards/id/<int:dashboard_id>/permissions")
@signed_in
@editor_somewhere
@body(permissions_schema)
def set_dashboard_permissions_by_id(dashboard_id: int, body: dict):
    """Replace the own items of a dashboard given by its id."""
    return _set_dashboard_permissions(_dashboard_by_id(dashboard_id), body["items"])
