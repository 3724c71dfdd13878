"""Server administration: the effective settings (secrets masked), counts of what the server holds, and
creating, re-passwording, promoting, disabling and deleting users."""
from __future__ import annotations

from .. import security
from ..config import settings_by_section
from ..schemas.users import PasswordSetSchema, PermissionsSchema, UserCreateSchema
from ..storage import Conflict as StoreConflict
from ..storage.stats import admin_stats
from .auth import SERVER_ADMIN, role_required
from .context import settings, store
from .decorators import body, check_first
from .errors import BadRequest, NotFound
from .responses import json_response
from .routing import ApiBlueprint
from .user import already_exists
from .users import USER_NOT_FOUND, existing_user

bp = ApiBlueprint("admin", __name__)
create_schema = UserCreateSchema()
password_schema = PasswordSetSchema()
permissions_schema = PermissionsSchema()
NEW_USER_ORG, NEW_USER_ROLE = 1, "Viewer"  # Grafana's auto_assign_org and auto_assign_org_role defaults
LAST_ADMIN = "Cannot remove last grafana admin"


@bp.get("/api/admin/settings")
@role_required(SERVER_ADMIN)
def get_settings():
    """The effective configuration by ini section; secrets and passwords masked."""
    return json_response(settings_by_section(settings()))


# Grafana counts the users seen lately; dashsnap records no last-seen times, so those counts are 0.
UNTRACKED_ACTIVITY = ("activeUsers", "activeAdmins", "activeEditors", "activeViewers", "activeSessions",
                      "dailyActiveUsers", "dailyActiveAdmins", "dailyActiveEditors", "dailyActiveViewers",
                      "dailyActiveSessions", "monthlyActiveUsers", "activeDevices")


@bp.get("/api/admin/stats")
@role_required(SERVER_ADMIN)
def get_stats():
    """How many orgs, dashboards, snapshots, tags, data sources, stars and users there are, and users by their
    highest role; the activity counts are 0 (no last-seen times are kept)."""
    return json_response({**admin_stats(store()), **dict.fromkeys(UNTRACKED_ACTIVITY, 0)})


def _set_disabled(user_id: int, disabled: bool) -> None:
    if store().users.set_disabled(user_id, disabled) is None:
        raise NotFound("user not found")


@bp.post("/api/admin/users/<int:user_id>/disable")
@role_required(SERVER_ADMIN)
def disable_user(user_id: int):
    """Disable a user: they cannot sign in, and their sessions end."""
    _set_disabled(user_id, True)
    return json_response({"message": "User disabled"})


@bp.post("/api/admin/users/<int:user_id>/enable")
@role_required(SERVER_ADMIN)
def enable_user(user_id: int):
    """Let a disabled user sign in again."""
    _set_disabled(user_id, False)
    return json_response({"message": "User enabled"})


@bp.post("/api/admin/users")
@role_required(SERVER_ADMIN)
@body(create_schema)
def create_user(body: dict):
    """Create a user, a Viewer of the main org; the login defaults to the email and the email to the login."""
    login, email = body["login"], body["email"]
    try:
        user = store().users.create(login=login, email=email, name=body["name"],
                                    password_hash=security.hash_password(body["password"]), is_server_admin=False,
                                    org_roles={NEW_USER_ORG: NEW_USER_ROLE})
    except StoreConflict:
        raise already_exists(email, login) from None
    return json_response({"id": user["id"], "message": "User created"})


@bp.put("/api/admin/users/<int:user_id>/password")
@role_required(SERVER_ADMIN)
@check_first(existing_user)
@body(password_schema)
def set_password(user_id: int, body: dict):
    """Give a user a new password (their sessions end)."""
    store().users.update(user_id, passwordHash=security.hash_password(body["password"]))
    return json_response({"message": "User password updated"})


@bp.put("/api/admin/users/<int:user_id>/permissions")
@role_required(SERVER_ADMIN)
@body(permissions_schema)
def set_permissions(user_id: int, body: dict):
    """Make a user a server admin, or not; there is always one left."""
    try:
        changed = store().users.set_server_admin(user_id, body["is_grafana_admin"])
    except StoreConflict:
        raise BadRequest(LAST_ADMIN) from None
    if changed is None:
        raise NotFound(USER_NOT_FOUND)
    return json_response({"message": "User permissions updated"})


@bp.delete("/api/admin/users/<int:user_id>")
@role_required(SERVER_ADMIN)
def delete_user(user_id: int):
    """Delete a user with their memberships and stars; never the last server admin or an org's last Admin."""
    try:
        deleted = store().delete_user(user_id)
    except StoreConflict as conflict:
        raise BadRequest(LAST_ADMIN if conflict.field == "last-server-admin"
                         else "Cannot delete the last Admin of an organization") from None
    if not deleted:
        raise NotFound(USER_NOT_FOUND)
    return json_response({"message": "User deleted"})
