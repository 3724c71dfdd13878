"""Users as the server admin sees them: search with paging that ends, look up, read, change, their orgs."""
from __future__ import annotations

from ..schemas.users import UserLookupSchema, UserSearchSchema
from .auth import SERVER_ADMIN, role_required
from .context import store
from .decorators import body, check_first, query
from .errors import NotFound
from .responses import json_response
from .routing import ApiBlueprint
from .user import make_active_org, orgs_of, profile, update_profile, update_schema

bp = ApiBlueprint("users", __name__)
search_schema = UserSearchSchema()
lookup_schema = UserLookupSchema()
USER_NOT_FOUND = "User not found"


def existing_user(user_id: int) -> dict:
    user = store().users.get(user_id)
    if user is None:
        raise NotFound(USER_NOT_FOUND)
    return user


@bp.get("/api/users")
@role_required(SERVER_ADMIN)
@query(search_schema)
def list_users(query: dict):
    """Users by login, `perpage` per `page`; a page past the last is empty, so paging clients stop."""
    return json_response(store().users.search(query["query"], limit=query["limit"], offset=query["offset"]))


@bp.get("/api/users/search")
@role_required(SERVER_ADMIN)
@query(search_schema)
def search_users(query: dict):
    """A page of users with the total count."""
    users = store().users.search(query["query"], limit=query["limit"], offset=query["offset"])
    return json_response({"totalCount": store().users.count(query["query"]), "users": users,
                          "page": query["page"], "perPage": query["perpage"]})


@bp.get("/api/users/lookup")
@role_required(SERVER_ADMIN)
@query(lookup_schema)
def lookup_user(query: dict):
    """A user by login or email."""
    user = store().users.find_by_login_or_email(query["login_or_email"])
    if user is None:
        raise NotFound(USER_NOT_FOUND)
    return json_response(profile(user))


@bp.get("/api/users/<int:user_id>")
@role_required(SERVER_ADMIN)
def get_user(user_id: int):
    """A user's profile."""
    return json_response(profile(existing_user(user_id)))


@bp.put("/api/users/<int:user_id>")
@role_required(SERVER_ADMIN)
@check_first(existing_user)
@body(update_schema)
def update_user(user_id: int, body: dict):
    """Change a user's name, email, login or theme."""
    return update_profile(existing_user(user_id), body)


@bp.get("/api/users/<int:user_id>/orgs")
@role_required(SERVER_ADMIN)
def list_orgs_of_user(user_id: int):
    """The orgs a user belongs to, with their role in each."""
    return orgs_of(existing_user(user_id))


@bp.post("/api/users/<int:user_id>/using/<org_id>")
@role_required(SERVER_ADMIN)
def switch_org_of_user(user_id: int, org_id: str):
    """Make another of a user's orgs their active one."""
    return make_active_org(existing_user(user_id), org_id)
