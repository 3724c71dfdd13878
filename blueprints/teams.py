"""Teams of the caller's org and their members; the teams of a user.

As in Grafana with its default roles: org Admins manage every team; a team's own Admins (member permission 4)
manage that team and its members; a member reads the teams they are in. What folder and dashboard permissions
grant a team, they grant its members (blueprints/access.py)."""
from __future__ import annotations

from ..schemas.teams import TeamMemberSchema, TeamSchema, TeamSearchSchema
from ..storage import Conflict as StoreConflict
from ..storage import Missing
from ..storage.teams import MEMBER, TEAM_ADMIN
from .auth import SERVER_ADMIN, current_identity, role_required, signed_in
from .context import avatar_url, store
from .decorators import body, check_first, query
from .errors import BadRequest, Conflict, Forbidden, NotFound
from .responses import json_response
from .routing import ApiBlueprint
from .wire import path_id

bp = ApiBlueprint("teams", __name__)
team_schema = TeamSchema()
search_schema = TeamSearchSchema()
member_schema = TeamMemberSchema()
NOT_FOUND = "Team not found"
NAME_TAKEN = "Team name taken"
INVALID_ID = "teamId is invalid"


def _own_teams() -> dict[int, int]:
    """{team id: permission} of the caller's teams in their org."""
    identity = current_identity()
    return store().teams.of_user(identity.user_id, identity.org_id) if identity.user_id else {}


def _team(team_id: str, *, manage: bool = False) -> dict:
    """The org's team with that id, if the caller may read it (manage: may change it); else 404 or 403. A team
    the caller may not read answers 404, as one that does not exist."""
    identity = current_identity()
    team = store().teams.get(identity.org_id, path_id(team_id, INVALID_ID))
    own = {} if identity.has_role("Admin") else _own_teams()
    if team is None or not (identity.has_role("Admin") or team["id"] in own):
        raise NotFound(NOT_FOUND)
    if manage and not (identity.has_role("Admin") or own.get(team["id"]) == TEAM_ADMIN):
        raise Forbidden()
    return team


def _require_manager(team_id: str) -> None:
    _team(team_id, manage=True)


def team_view(team: dict, member_count: int, permission: int) -> dict:
    return {"id": team["id"], "uid": team["uid"], "orgId": team["orgId"], "name": team["name"],
            "email": team["email"], "avatarUrl": avatar_url(team["email"] or team["name"]), "memberCount": member_count,
            "permission": permission, "accessControl": None}


def _views(teams: list[dict], permissions: dict[int, int]) -> list[dict]:
    return [team_view(team, team["memberCount"], permissions.get(team["id"], MEMBER)) for team in teams]


@bp.get("/api/teams/search")
@signed_in
@query(search_schema)
def search_teams(query: dict):
    """The org's teams by name whose name contains `query` (or is `name`), `perpage` per `page`; an org Admin
    sees every team, others the teams they are in."""
    identity = current_identity()
    own = _own_teams()
    total, teams = store().teams.search(
        identity.org_id, query=query["query"], name=query["name"],
        team_ids=None if identity.has_role("Admin") else list(own), limit=query["limit"], offset=query["offset"])
    return json_response({"totalCount": total, "teams": _views(teams, own), "page": query["page"],
                          "perPage": query["perpage"]})


@bp.post("/api/teams")
@role_required("Admin")
@body(team_schema)
def create_team(body: dict):
    """Create a team in the caller's org; a user who creates one is its first Admin (a service account is not)."""
    identity = current_identity()
    creator = {identity.user_id: TEAM_ADMIN} if identity.user_id and not identity.service_account else {}
    try:
        team = store().teams.create(identity.org_id, name=body["name"], email=body["email"], members=creator)
    except StoreConflict:
        raise Conflict(NAME_TAKEN) from None
    return json_response({"message": "Team created", "teamId": team["id"], "uid": team["uid"]})


@bp.get("/api/teams/<team_id>")
@signed_in
def get_team(team_id: str):
    """A team with its member count and the caller's permission in it."""
    team = _team(team_id)
    return json_response(team_view(team, len(team["members"]), _own_teams().get(team["id"], MEMBER)))


@bp.put("/api/teams/<team_id>")
@signed_in
@check_first(_require_manager)
@body(team_schema)
def update_team(team_id: str, body: dict):
    """Rename a team or change its email."""
    try:
        store().teams.update(current_identity().org_id, int(team_id), name=body["name"], email=body["email"])
    except StoreConflict:
        raise BadRequest(NAME_TAKEN) from None  # 400 here, where creating answers 409: Grafana's codes
    return json_response({"message": "Team updated"})


@bp.delete("/api/teams/<team_id>")
@signed_in
def delete_team(team_id: str):
    """Delete a team; what permissions granted it goes with it."""
    team = _team(team_id, manage=True)
    store().delete_team(team["orgId"], team["id"])
    return json_response({"message": "Team deleted"})


@bp.get("/api/teams/<team_id>/members")
@signed_in
def list_members(team_id: str):
    """The team's members by login, with their permission in it (0 Member, 4 Admin)."""
    team = _team(team_id)
    return json_response([
        {"orgId": team["orgId"], "teamId": team["id"], "teamUID": team["uid"], "userId": member["userId"],
         "email": member["email"], "name": member["name"], "login": member["login"],
         "avatarUrl": avatar_url(member["email"]), "labels": [], "permission": member["permission"]}
        for member in store().teams.members(team["orgId"], team["id"])])


@bp.post("/api/teams/<team_id>/members")
@signed_in
@check_first(_require_manager)
@body(member_schema)
def add_member(team_id: str, body: dict):
    """Add a member of the org to the team."""
    org_id = current_identity().org_id
    user = store().users.get(body["user_id"])
    if user is None or str(org_id) not in user["orgs"]:
        raise NotFound("User not found")
    try:
        store().teams.set_member(org_id, int(team_id), user["id"], MEMBER, adding=True)
    except StoreConflict:
        raise BadRequest("User is already added to this team") from None
    except Missing:
        raise NotFound(NOT_FOUND) from None
    return json_response({"message": "Member added to Team"})


@bp.delete("/api/teams/<team_id>/members/<user_id>")
@signed_in
def remove_member(team_id: str, user_id: str):
    """Take a member out of the team."""
    team = _team(team_id, manage=True)
    try:
        store().teams.set_member(team["orgId"], team["id"], path_id(user_id, "userId is invalid"), None)
    except Missing:
        raise NotFound("Team member not found") from None
    return json_response({"message": "Team Member removed"})


def teams_of(user_id: int, org_id: int) -> list[dict]:
    teams = store().teams.of_user(user_id, org_id)
    found = store().teams.search(org_id, team_ids=list(teams), limit=len(teams))[1] if teams else []
    return _views(found, teams)


@bp.get("/api/user/teams")
@signed_in
def list_own_teams():
    """The caller's teams in their org."""
    identity = current_identity()
    if identity.service_account:
        raise Forbidden("Endpoint only available for users")
    return json_response(teams_of(identity.user_id, identity.org_id) if identity.user_id else [])


@bp.get("/api/users/<int:user_id>/teams")
@role_required(SERVER_ADMIN)
def list_user_teams(user_id: int):
    """A user's teams in the server admin's org (none for an unknown user, as in Grafana)."""
    return json_response(teams_of(user_id, current_identity().org_id))
