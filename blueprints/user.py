"""The signed-in user: profile, password, orgs, and which org is active."""
from __future__ import annotations

from .. import security
from ..schemas.users import PasswordChangeSchema, UserUpdateSchema
from ..storage import Conflict as StoreConflict
from .auth import client_address, current_identity, signed_in, start_guess
from .context import state, store
from .decorators import body, check_first
from .errors import BadRequest, Conflict, Forbidden, Unauthorized
from .responses import json_response
from .routing import ApiBlueprint

bp = ApiBlueprint("user", __name__)
update_schema = UserUpdateSchema()
password_schema = PasswordChangeSchema()
NO_USER = "This needs a signed-in user: API keys and anonymous access have no user"
USERS_ONLY = "Endpoint only available for users"


def user_required() -> None:
    """API keys and anonymous callers have no user (Grafana answers 500 there)."""
    if not current_identity().user_id:
        raise BadRequest(NO_USER)


def person_required() -> None:
    """What only a user (not a service account) has: a password, a profile to edit, orgs to switch between."""
    user_required()
    if current_identity().service_account:
        raise Forbidden(USERS_ONLY)


def _caller() -> dict:
    """The caller's user document, as signing in read it."""
    user_required()
    return current_identity().user


def profile(user: dict) -> dict:
    return {"id": user["id"], "email": user["email"], "name": user["name"], "login": user["login"],
            "theme": user.get("theme", ""), "orgId": user["orgId"], "isGrafanaAdmin": user["isGrafanaAdmin"],
            "isDisabled": user.get("isDisabled", False)}


@bp.get("/api/user")
@signed_in
def get_user():
    """The caller's profile."""
    return json_response(profile(_caller()))


def already_exists(email: str, login: str) -> Conflict:
    return Conflict(f"User with email '{email}' or username '{login}' already exists")


def update_profile(user: dict, changed_fields: dict):
    """Apply the name, email, login or theme to the user; fields left out or empty keep their value."""
    changes = {field: value for field, value in changed_fields.items() if value != ""}
    try:
        store().users.update(user["id"], **changes)
    except StoreConflict:
        raise already_exists(changes.get("email", user["email"]), changes.get("login", user["login"])) from None
    return json_response({"message": "User updated"})


def orgs_of(user: dict):
    orgs = ((store().orgs.get(int(org_id)), role) for org_id, role in user["orgs"].items())
    return json_response(sorted(({"orgId": org["id"], "name": org["name"], "role": role}
                                 for org, role in orgs if org is not None), key=lambda org: org["orgId"]))


@bp.put("/api/user")
@signed_in
@check_first(person_required)
@body(update_schema)
def update_user(body: dict):
    """Change the caller's name, email, login or theme; fields left out keep their value."""
    return update_profile(_caller(), body)


@bp.put("/api/user/password")
@signed_in
@check_first(person_required)
@body(password_schema)
def change_password(body: dict):
    """Change the caller's password, given the old one."""
    user = _caller()
    guess = f"old password of user {user['id']} from {client_address()}"
    start_guess(guess)
    if not state().passwords.check(user["id"], user["passwordHash"], body["old_password"]):
        state().login_throttle.failed(guess)
        raise Unauthorized("Invalid old password")
    state().login_throttle.succeeded(guess)
    store().users.update(user["id"], passwordHash=security.hash_password(body["new_password"]))
    return json_response({"message": "User password changed"})


@bp.get("/api/user/orgs")
@signed_in
def list_user_orgs():
    """The orgs the caller belongs to, with the caller's role in each."""
    return orgs_of(_caller())


def make_active_org(user: dict | None, org_id: str):
    """Make org_id (as the path gave it) the user's active org; they must belong to it."""
    if user is None or org_id not in user["orgs"] or store().orgs.get(int(org_id)) is None:
        raise Unauthorized("Not a valid organization")  # Grafana answers 401 here, not 403
    store().users.update(user["id"], orgId=int(org_id))
    return json_response({"message": "Active organization changed"})


@bp.post("/api/user/using/<org_id>")
@signed_in
def switch_org(org_id: str):
    """Make another of the caller's orgs the active one."""
    person_required()
    return make_active_org(current_identity().user, org_id)
