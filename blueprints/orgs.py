"""Orgs as the server admin sees them: list, look up, create, rename, delete, and their users."""
from __future__ import annotations

from ..schemas.orgs import OrgSearchSchema, OrgUpdateSchema
from ..storage import Conflict as StoreConflict
from .auth import SERVER_ADMIN, current_identity, role_required, signed_in
from .context import settings, store
from .decorators import body, check_first, query
from .errors import BadRequest, Forbidden, NotFound
from .org import org_view
from .org_users import add_member, add_schema, change_member_role, list_members, remove_member, role_schema
from .responses import json_response
from .routing import ApiBlueprint

bp = ApiBlueprint("orgs", __name__)
name_schema = OrgUpdateSchema()
search_schema = OrgSearchSchema()
NAME_TAKEN = "Organization name taken"


def _existing(org_id: int) -> dict:
    org = store().orgs.get(org_id)
    if org is None:
        raise NotFound("Organization not found")
    return org


def _may_create_orgs() -> None:
    identity = current_identity()
    if not identity.user_id or not (settings()["DASHSNAP_ALLOW_ORG_CREATE"] or identity.is_server_admin):
        raise Forbidden("Access denied")


@bp.get("/api/orgs")
@role_required(SERVER_ADMIN)
@query(search_schema)
def list_orgs(query: dict):
    """Every org, or those whose name starts with `query`, `perpage` per `page`; or the one named `name`."""
    if query["name"]:
        org = store().orgs.find_by_name(query["name"])
        return json_response([{"id": org["id"], "name": org["name"]}] if org else [])
    return json_response(store().orgs.search(query["query"], limit=query["limit"], offset=query["offset"]))


@bp.post("/api/orgs")
@signed_in
@check_first(_may_create_orgs)
@body(name_schema)
def create_org(body: dict):
    """Create an org with the caller as its Admin (server admins, or anyone with [users] allow_org_create)."""
    try:
        org = store().orgs.create(body["name"])
    except StoreConflict:
        raise BadRequest(NAME_TAKEN) from None
    store().users.set_membership(current_identity().user_id, org["id"], "Admin")
    return json_response({"orgId": org["id"], "message": "Organization created"})


@bp.get("/api/orgs/<int:org_id>")
@role_required(SERVER_ADMIN)
def get_org(org_id: int):
    """An org by id."""
    return json_response(org_view(_existing(org_id)))


@bp.get("/api/orgs/name/<name>")
@role_required(SERVER_ADMIN)
def get_org_by_name(name: str):
    """An org by its name."""
    org = store().orgs.find_by_name(name)
    if org is None:
        raise NotFound("Organization not found")
    return json_response(org_view(org))


@bp.put("/api/orgs/<int:org_id>")
@role_required(SERVER_ADMIN)
@check_first(_existing)
@body(name_schema)
def rename_org(org_id: int, body: dict):
    """Rename an org."""
    try:
        store().orgs.rename(org_id, body["name"])
    except StoreConflict:
        raise BadRequest(NAME_TAKEN) from None
    return json_response({"message": "Organization updated"})


@bp.delete("/api/orgs/<int:org_id>")
@role_required(SERVER_ADMIN)
def delete_org(org_id: int):
    """Delete an org with its dashboards, snapshots, API keys and memberships."""
    if org_id == current_identity().org_id:
        raise BadRequest("Cannot delete the organization you are using")
    _existing(org_id)
    store().delete_org(org_id)
    return json_response({"message": "Organization deleted"})


@bp.get("/api/orgs/<int:org_id>/users")
@role_required(SERVER_ADMIN)
def list_users_of_org(org_id: int):
    """An org's users with their roles."""
    _existing(org_id)
    return list_members(org_id)


@bp.post("/api/orgs/<int:org_id>/users")
@role_required(SERVER_ADMIN)
@check_first(_existing)
@body(add_schema)
def add_user_to_org(org_id: int, body: dict):
    """Add an existing user to an org with a role."""
    return add_member(org_id, body)


@bp.patch("/api/orgs/<int:org_id>/users/<int:user_id>")
@role_required(SERVER_ADMIN)
@check_first(_existing)
@body(role_schema)
def update_user_in_org(org_id: int, user_id: int, body: dict):
    """Change a member's role in an org; the org always keeps an Admin."""
    return change_member_role(org_id, user_id, body["role"])


@bp.delete("/api/orgs/<int:org_id>/users/<int:user_id>")
@role_required(SERVER_ADMIN)
def remove_user_from_org(org_id: int, user_id: int):
    """Remove a member from an org; the org always keeps an Admin."""
    _existing(org_id)
    return remove_member(org_id, user_id)
