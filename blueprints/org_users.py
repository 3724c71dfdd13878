"""The users of the caller's current org (org Admin): list, add, change role, remove."""
from __future__ import annotations

from ..schemas.org_users import OrgUserAddSchema, OrgUserRoleSchema
from ..storage import Conflict as StoreConflict
from ..storage import Missing
from .auth import current_identity, role_required
from .context import store
from .decorators import body
from .errors import BadRequest, Conflict, NotFound
from .responses import json_response
from .routing import ApiBlueprint
from .users import USER_NOT_FOUND

bp = ApiBlueprint("org_users", __name__)
add_schema = OrgUserAddSchema()
role_schema = OrgUserRoleSchema()


def list_members(org_id: int):
    return json_response([{"orgId": org_id, **member} for member in store().users.members(org_id)])


def add_member(org_id: int, membership: dict):
    user = store().users.find_by_login_or_email(membership["login_or_email"])
    if user is None:
        raise NotFound(USER_NOT_FOUND)
    if str(org_id) in user["orgs"]:
        raise Conflict("User is already member of this organization")
    try:
        store().users.set_membership(user["id"], org_id, membership["role"])
    except Missing:  # deleted meanwhile
        raise NotFound(USER_NOT_FOUND) from None
    return json_response({"message": "User added to organization", "userId": user["id"]})


def change_member_role(org_id: int, user_id: int, role: str):
    user = store().users.get(user_id)
    if user is None or str(org_id) not in user["orgs"]:
        raise NotFound(USER_NOT_FOUND)
    try:
        store().users.set_membership(user_id, org_id, role)
    except Missing:
        raise NotFound(USER_NOT_FOUND) from None
    except StoreConflict:
        raise BadRequest("Cannot change role so that there is no organization admin left") from None
    return json_response({"message": "Organization user updated"})


def remove_member(org_id: int, user_id: int):
    user = store().users.get(user_id)
    if user is not None and user_id == current_identity().user_id and list(user["orgs"]) == [str(org_id)]:
        raise BadRequest("Cannot remove yourself from your only organization")
    try:
        store().users.set_membership(user_id, org_id, None)
    except Missing:
        raise NotFound(USER_NOT_FOUND) from None
    except StoreConflict:
        raise BadRequest("Cannot remove last organization admin") from None
    store().forget_team_memberships(user_id, org_id)
    return json_response({"message": "User removed from organization"})


@bp.get("/api/org/users")
@role_required("Admin")
def list_org_users():
    """The current org's users with their roles, by email."""
    return list_members(current_identity().org_id)


@bp.post("/api/org/users")
@role_required("Admin")
@body(add_schema)
def add_org_user(body: dict):
    """Add an existing user (by login or email) to the current org with a role."""
    return add_member(current_identity().org_id, body)


@bp.patch("/api/org/users/<int:user_id>")
@role_required("Admin")
@body(role_schema)
def update_org_user(user_id: int, body: dict):
    """Change a member's role; the org always keeps an Admin."""
    return change_member_role(current_identity().org_id, user_id, body["role"])


@bp.delete("/api/org/users/<int:user_id>")
@role_required("Admin")
def remove_org_user(user_id: int):
    """Remove a member from the current org; the org always keeps an Admin."""
    return remove_member(current_identity().org_id, user_id)
