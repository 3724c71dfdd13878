"""Folders of the caller's org, nested as in Grafana 10+: list, create, read by uid or id, update, move, delete
(with everything inside). What other resources show of a folder (meta, search hits) is built here too."""
from __future__ import annotations

from ..schemas.folders import FolderCreateSchema, FolderListQuerySchema, FolderMoveSchema, FolderUpdateSchema
from ..storage import Conflict as StoreConflict
from ..storage import Invalid, Missing
from ..storage.slugs import slugify
from .access import ADMIN, EDIT, VIEW, access, editor_somewhere, require
from .auth import current_identity, signed_in
from .context import app_path, store
from .decorators import body, query
from .errors import BadRequest, Conflict, Forbidden, NotFound, PreconditionFailed
from .responses import json_response
from .routing import ApiBlueprint

bp = ApiBlueprint("folders", __name__)
create_schema = FolderCreateSchema()
update_schema = FolderUpdateSchema()
move_schema = FolderMoveSchema()
list_schema = FolderListQuerySchema()

DEFAULT_LIMIT = 1000
NOT_FOUND = "folder not found"
PARENT_NOT_FOUND = "parent folder not found"
SAME_NAME = "a folder with the same name already exists"
SAME_UID = "a folder with the same uid already exists"
CHANGED = "the folder has been changed by someone else"
CIRCULAR = "circular reference detected"
TOO_DEEP = "Maximum nested folder depth reached"
GENERAL = {"folderId": 0, "folderUid": "", "folderTitle": "General", "folderUrl": ""}


def folder_url(uid: str, title: str) -> str:
    return app_path(f"dashboards/f/{uid}/{slugify(title)}")


def folder_fields(org_id: int, folder_uid: str) -> dict:
    """What a dashboard's meta says of its folder: {folderId, folderUid, folderTitle, folderUrl}."""
    folder = store().folders.get(org_id, folder_uid) if folder_uid else None
    if folder is None:
        return GENERAL
    return {"folderId": folder["id"], "folderUid": folder["uid"], "folderTitle": folder["title"],
            "folderUrl": folder_url(folder["uid"], folder["title"])}


def folder_id_to_uid(org_id: int, folder_id: int) -> str:
    """The uid of the org's folder with that id ("" for General, id 0); Missing("folder") when it has none."""
    if not folder_id:
        return ""
    uid = store().folders.uid_of_id(org_id, folder_id)
    if uid is None:
        raise Missing("folder")
    return uid


def _answer(record: dict, *, with_parents: bool = True) -> dict:
    """Grafana's folder: who may do what, and (nested) its parent and the folders above it."""
    level = access().folder(record["uid"])
    answer = {"id": record["id"], "uid": record["uid"], "orgId": record["orgId"], "title": record["title"],
              "url": folder_url(record["uid"], record["title"]), "hasAcl": False, "canSave": level >= EDIT,
              "canEdit": level >= EDIT, "canAdmin": level >= ADMIN, "canDelete": level >= EDIT,
              "createdBy": record["createdBy"], "created": record["created"], "updatedBy": record["updatedBy"],
              "updated": record["updated"], "version": record["version"]}
    if record["parentUid"]:
        answer["parentUid"] = record["parentUid"]
        if with_parents:
            above = [store().folders.get(record["orgId"], parent["uid"])
                     for parent in store().folders.parents(record["orgId"], record["parentUid"])]
            answer["parents"] = [_answer(parent, with_parents=False) for parent in above if parent]
    return answer


def _found(record: dict | None, level: int = VIEW) -> dict:
    """The folder; 404 for none, 403 when the caller may not reach level in it."""
    if record is None:
        raise NotFound(NOT_FOUND)
    require(level, access().folder(record["uid"]))
    return record


def permitted(uid: str, level: int) -> dict:
    """The caller's org's folder with that uid, if the caller reaches level in it (404, 403 otherwise)."""
    return _found(store().folders.get(current_identity().org_id, uid), level)


def _may_put_into(parent_uid: str) -> None:
    """403 unless the caller may make folders in parent_uid: Edit there, or at the top an Editor's role."""
    if parent_uid:
        if store().folders.get(current_identity().org_id, parent_uid) is not None:
            require(EDIT, access().folder(parent_uid))
    elif not current_identity().has_role("Editor"):
        raise Forbidden()


def _refused(error: Exception):
    """The answer to a refused folder write."""
    if isinstance(error, StoreConflict):
        if error.field == "version":
            return PreconditionFailed(CHANGED)
        return Conflict(SAME_UID if error.field == "uid" else SAME_NAME)
    if isinstance(error, Missing):
        return BadRequest(PARENT_NOT_FOUND) if error.args[0] == "parent" else NotFound(NOT_FOUND)
    return BadRequest(CIRCULAR if error.args[0] == "circular" else TOO_DEEP)


REFUSALS = (StoreConflict, Missing, Invalid)


@bp.get("/api/folders")
@signed_in
@query(list_schema)
def list_folders(query: dict):
    """The folders right under `parentUid` (the top ones without it), by title: `limit` per `page`."""
    limit = query["limit"] if query["limit"] > 0 else DEFAULT_LIMIT
    offset = (max(query["page"], 1) - 1) * limit
    found = store().folders.children(current_identity().org_id, query["parent_uid"], limit=None, offset=0)
    viewable = [folder for folder in found if access().folder(folder["uid"]) >= VIEW]
    return json_response([{"id": folder["id"], "uid": folder["uid"], "title": folder["title"],
                           **({"parentUid": folder["parent_uid"]} if folder["parent_uid"] else {})}
                          for folder in viewable[offset:offset + limit]])


@bp.post("/api/folders")
@signed_in
@editor_somewhere
@body(create_schema)
def create_folder(body: dict):
    """A new folder (in `parentUid`, when given); its uid is made when not given."""
    identity = current_identity()
    _may_put_into(body["parent_uid"])
    try:
        record = store().create_folder(identity.org_id, creator_id=identity.user_id, title=body["title"],
                                       uid=body["uid"], description=body["description"],
                                       parent_uid=body["parent_uid"], author=identity.login or "Anonymous")
    except REFUSALS as error:
        raise _refused(error) from None
    return json_response(_answer(record))


@bp.get("/api/folders/<uid>")
@signed_in
def get_folder(uid: str):
    """A folder by its uid."""
    return json_response(_answer(permitted(uid, VIEW)))


@bp.get("/api/folders/id/<int:folder_id>")
@signed_in
def get_folder_by_id(folder_id: int):
    """A folder by its id."""
    org_id = current_identity().org_id
    uid = store().folders.uid_of_id(org_id, folder_id)
    return json_response(_answer(_found(store().folders.get(org_id, uid) if uid else None)))


@bp.put("/api/folders/<uid>")
@signed_in
@editor_somewhere
@body(update_schema)
def update_folder(uid: str, body: dict):
    """A new title or description; `version` must be the stored one unless `overwrite`."""
    identity = current_identity()
    permitted(uid, EDIT)
    try:
        record = store().folders.update(identity.org_id, uid, title=body["title"], description=body["description"],
                                        version=body["version"], overwrite=body["overwrite"],
                                        author=identity.login or "Anonymous")
    except REFUSALS as error:
        raise _refused(error) from None
    return json_response(_answer(record))


@bp.post("/api/folders/<uid>/move")
@signed_in
@editor_somewhere
@body(move_schema)
def move_folder(uid: str, body: dict):
    """Move a folder (with what it holds) under `parentUid`, or to the top without it."""
    identity = current_identity()
    permitted(uid, EDIT)
    _may_put_into(body["parent_uid"])
    try:
        record = store().folders.move(identity.org_id, uid, body["parent_uid"], author=identity.login or "Anonymous")
    except REFUSALS as error:
        raise _refused(error) from None
    return json_response(_answer(record))


@bp.delete("/api/folders/<uid>")
@signed_in
@editor_somewhere
def delete_folder(uid: str):
    """Delete a folder with its dashboards and folders, and theirs; the answer counts what went."""
    permitted(uid, EDIT)
    deleted = store().delete_folder(current_identity().org_id, uid)
    if deleted is None:
        raise NotFound(NOT_FOUND)
    folder, folders, dashboards = deleted
    return json_response({"title": folder["title"], "message": f"Folder {folder['title']} deleted",
                          "id": folder["id"], "deletedFolders": folders, "deletedDashboards": dashboards})
