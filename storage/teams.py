"""Teams: `orgs/<org_id>/teams/<id>.json`, {id, uid, orgId, name, email, members: {"<userId>": permission},
created, updated}, a member's permission 0 (Member) or 4 (Admin) as in Grafana. Names are unique per org. The
index lists every membership, so "the teams of a user" and member counts read no document."""
from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path
from typing import Any

from .errors import Conflict, Missing
from .ids import new_uid
from .index import Collection, Index
from .timestamps import rfc3339

MEMBER, TEAM_ADMIN = 0, 4


def _row(team: dict) -> dict:
    return {"id": team["id"], "uid": team["uid"], "org_id": team["orgId"], "name": team["name"],
            "name_folded": team["name"].casefold(), "email": team["email"]}


def _attach_members(connection: sqlite3.Connection, rowid: int, team: dict | None) -> None:
    connection.execute("DELETE FROM team_members WHERE member = ?", (rowid,))
    if team is not None:
        connection.executemany(
            "INSERT INTO team_members (member, org_id, team_id, user_id, permission) VALUES (?, ?, ?, ?, ?)",
            [(rowid, team["orgId"], team["id"], int(user_id), permission)
             for user_id, permission in team["members"].items()])


def _belongs(relative_path: str, team: dict) -> bool:
    return relative_path == f"orgs/{team['orgId']}/teams/{team['id']}.json"


class TeamStore:
    def __init__(self, root: Path, index: Index):
        self._root = root
        self._lock = index.files.lock(root / "orgs" / ".teams.lock")
        index.connection.execute("CREATE TABLE IF NOT EXISTS team_members (member INTEGER, org_id INTEGER, "
                                 "team_id INTEGER, user_id INTEGER, permission INTEGER)")
        index.connection.execute("CREATE INDEX IF NOT EXISTS team_members_by_member ON team_members (member)")
        index.connection.execute(
            "CREATE INDEX IF NOT EXISTS team_members_by_user ON team_members (user_id, org_id)")
        self._documents = Collection(
            index, root, "teams",
            {"id": "INTEGER UNIQUE", "uid": "TEXT", "org_id": "INTEGER", "name": "TEXT", "name_folded": "TEXT",
             "email": "TEXT"},
            "orgs/*/teams/*.json", _row, constraints=["UNIQUE (org_id, name_folded)", "UNIQUE (org_id, uid)"],
            attach=_attach_members, belongs=_belongs)

    def _path(self, org_id: int, team_id: int) -> Path:
        return self._root / "orgs" / str(int(org_id)) / "teams" / f"{int(team_id)}.json"

    def reconcile(self) -> None:
        self._documents.reconcile()

    def get(self, org_id: int, team_id: int) -> dict[str, Any] | None:
        return self._documents.read(self._path(org_id, team_id))

    def _name_taken(self, org_id: int, name: str, team_id: int = 0) -> bool:
        return bool(self._documents.select("org_id = ? AND name_folded = ? AND id != ?",
                                           (org_id, name.casefold(), team_id), columns="id"))

    def create(self, org_id: int, *, name: str, email: str = "",
               members: dict[int, int] | None = None) -> dict[str, Any]:
        """Create a team under the next id; Conflict("name") when the org has a team of that name."""
        with self._lock:
            if self._name_taken(org_id, name):
                raise Conflict("name")
            now = rfc3339(time.time())
            team = {"id": self._documents.next_id(), "uid": new_uid(),
                    "orgId": org_id, "name": name, "email": email,
                    "members": {str(user_id): permission for user_id, permission in (members or {}).items()},
                    "created": now, "updated": now}
            self._documents.create(self._path(org_id, team["id"]), team)
        return team

    def update(self, org_id: int, team_id: int, **changes: Any) -> dict[str, Any] | None:
        """Change name or email; None when the org has no such team, Conflict("name") when the name is another's."""
        with self._lock:
            team = self.get(org_id, team_id)
            if team is None:
                return None
            if "name" in changes and self._name_taken(org_id, changes["name"], team_id):
                raise Conflict("name")
            team = {**team, **changes, "updated": rfc3339(time.time())}
            self._documents.save(self._path(org_id, team_id), team)
        return team

    def set_member(self, org_id: int, team_id: int, user_id: int, permission: int | None, *,
                   adding: bool = False) -> dict[str, Any]:
        """Give the user that permission in the team (None: take them out). Missing("team") for an unknown team;
        with adding, Conflict("member") when they are in it already; Missing("member") when taking out one who
        is not."""
        with self._lock:
            team = self.get(org_id, team_id)
            if team is None:
                raise Missing("team")
            members = dict(team["members"])
            if adding and str(user_id) in members:
                raise Conflict("member")
            if permission is None:
                if members.pop(str(user_id), None) is None:
                    raise Missing("member")
            else:
                members[str(user_id)] = permission
            team = {**team, "members": members, "updated": rfc3339(time.time())}
            self._documents.save(self._path(org_id, team_id), team)
        return team

    def search(self, org_id: int, *, query: str = "", name: str | None = None, team_ids: list[int] | None = None,
               limit: int, offset: int = 0) -> tuple[int, list[dict[str, Any]]]:
        """(how many match, the page of them by name, each with memberCount): the org's teams whose name
        contains query (or is name), among team_ids when given."""
        where, params = "org_id = ? AND instr(name_folded, ?) > 0", [org_id, query.casefold()]
        if name is not None:
            where += " AND name_folded = ?"
            params.append(name.casefold())
        if team_ids is not None:
            where += " AND id IN (SELECT value FROM json_each(?))"
            params.append(json.dumps(team_ids))
        total = self._documents.select(where, params, columns="count(*) AS n")[0]["n"]
        rows = self._documents.select(
            where, params, order_by="name_folded", limit=limit, offset=offset,
            columns="id, uid, org_id, name, email, "
                    "(SELECT count(*) FROM team_members m WHERE m.team_id = teams.id) AS member_count")
        return total, [{"id": row["id"], "uid": row["uid"], "orgId": row["org_id"], "name": row["name"],
                        "email": row["email"], "memberCount": row["member_count"]} for row in rows]

    def members(self, org_id: int, team_id: int) -> list[dict[str, Any]]:
        """The team's members by login, from the index alone: {userId, login, email, name, permission}."""
        return self._documents.index.query(
            "SELECT m.user_id AS \"userId\", u.login, u.email, u.name, m.permission FROM team_members m "
            "JOIN users u ON u.id = m.user_id WHERE m.org_id = ? AND m.team_id = ? ORDER BY u.login_folded",
            (org_id, team_id))

    def of_user(self, user_id: int, org_id: int | None = None) -> dict[int, int]:
        """{team id: the user's permission in it} of the user's teams (in that org, when given), from the index."""
        where, params = "user_id = ?", [user_id]
        if org_id is not None:
            where += " AND org_id = ?"
            params.append(org_id)
        return {row["team_id"]: row["permission"] for row in self._documents.index.query(
            f"SELECT team_id, permission FROM team_members WHERE {where}", params)}

    def orgs_of_teams(self, team_ids: list[int]) -> dict[int, int]:
        """{team id: its org id}."""
        rows = self._documents.select("id IN (SELECT value FROM json_each(?))", (json.dumps(team_ids),),
                                      columns="id, org_id")
        return {row["id"]: row["org_id"] for row in rows}

    def count(self) -> int:
        return self._documents.select(columns="count(*) AS n")[0]["n"]

    def delete(self, org_id: int, team_id: int) -> bool:
        return self._documents.delete(self._path(org_id, team_id))

    def ids_of_org(self, org_id: int) -> list[int]:
        return [row["id"] for row in self._documents.select("org_id = ?", (org_id,), columns="id")]
