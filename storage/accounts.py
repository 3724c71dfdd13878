"""Orgs, users and API keys.

Layout: `orgs/<org_id>/org.json`, `orgs/<org_id>/api_keys/<key_id>.json`, `users/<user_id>.json`. A user's
org memberships and roles live in the user document (`orgs: {"<org_id>": "<role>"}`); passwords and key
secrets arrive here already hashed.
"""
from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path
from typing import Any

from .errors import Conflict, Missing
from .index import Collection, Index
from .timestamps import rfc3339, seconds

# Logged-out sessions a user document keeps refusing; one more ends all of the user's sessions instead.
MAX_REVOKED_SESSIONS = 100


class OrgStore:
    def __init__(self, root: Path, index: Index):
        self._folder = root / "orgs"
        self._lock = index.files.lock(self._folder / ".orgs.lock")
        self._documents = Collection(
            index, root, "orgs", {"id": "INTEGER UNIQUE", "name": "TEXT", "name_folded": "TEXT UNIQUE"},
            "orgs/*/org.json",
            lambda org: {"id": org["id"], "name": org["name"], "name_folded": org["name"].casefold()})

    def _path(self, org_id: int) -> Path:
        return self._folder / str(int(org_id)) / "org.json"

    def reconcile(self) -> None:
        self._documents.reconcile()

    def get(self, org_id: int) -> dict[str, Any] | None:
        return self._documents.read(self._path(org_id))

    def create(self, name: str) -> dict[str, Any]:
        """Create an org under the next id; Conflict("name") when the name is taken (case-insensitively)."""
        with self._lock:
            if self._documents.select("name_folded = ?", (name.casefold(),), columns="id"):
                raise Conflict("name")
            now = rfc3339(time.time())
            org = {"id": self._documents.next_id(), "name": name, "created": now, "updated": now}
            self._documents.create(self._path(org["id"]), org)
        return org

    def rename(self, org_id: int, name: str) -> dict[str, Any] | None:
        """Give the org a new name; None when there is no such org, Conflict("name") when another has it."""
        with self._lock:
            org = self.get(org_id)
            if org is None:
                return None
            if self._documents.select("name_folded = ? AND id != ?", (name.casefold(), org_id), columns="id"):
                raise Conflict("name")
            org = {**org, "name": name, "updated": rfc3339(time.time())}
            self._documents.save(self._path(org_id), org)
        return org

    def find_by_name(self, name: str) -> dict[str, Any] | None:
        rows = self._documents.select("name_folded = ?", (name.casefold(),), columns="id")
        return self.get(rows[0]["id"]) if rows else None

    def search(self, query: str = "", *, limit: int, offset: int = 0) -> list[dict[str, Any]]:
        """Orgs whose name starts with query (case-insensitive), by id: {id, name}."""
        return self._documents.select("substr(name_folded, 1, ?) = ?", (len(query.casefold()), query.casefold()),
                                      order_by="id", limit=limit, offset=offset, columns="id, name")

    def delete(self, org_id: int) -> bool:
        return self._documents.delete(self._path(org_id))

    def ensure_main_org(self, name: str) -> dict[str, Any]:
        """Org 1, created on first start."""
        with self._lock:
            org = self.get(1)
            if org is None:
                self._documents.claim_id(1)
                now = rfc3339(time.time())
                org = {"id": 1, "name": name, "created": now, "updated": now}
                self._documents.save(self._path(1), org)
        return org


def _user_row(user: dict) -> dict:
    return {"id": user["id"], "login": user["login"], "email": user["email"], "name": user["name"],
            "is_admin": int(user["isGrafanaAdmin"]), "login_folded": user["login"].casefold(),
            "email_folded": user["email"].casefold(),
            "searchable": " ".join((user["login"], user["email"], user["name"])).casefold()}


def _attach_memberships(connection: sqlite3.Connection, rowid: int, user: dict | None) -> None:
    connection.execute("DELETE FROM org_members WHERE member = ?", (rowid,))
    if user is not None:
        connection.executemany("INSERT INTO org_members (member, org_id, user_id, role) VALUES (?, ?, ?, ?)",
                               [(rowid, int(org_id), user["id"], role) for org_id, role in user["orgs"].items()])


def _sessions_ended(user: dict) -> dict[str, Any]:
    """The changes that end every session of the user: the generation their cookies are signed with moves on."""
    return {"revokedSessions": {}, "sessionGeneration": user.get("sessionGeneration", 0) + 1}


class UserStore:
    def __init__(self, root: Path, index: Index):
        self._folder = root / "users"
        self._lock = index.files.lock(self._folder / ".users.lock")
        index.connection.execute(
            "CREATE TABLE IF NOT EXISTS org_members (member INTEGER, org_id INTEGER, user_id INTEGER, role TEXT)")
        index.connection.execute("CREATE INDEX IF NOT EXISTS org_members_by_member ON org_members (member)")
        index.connection.execute("CREATE INDEX IF NOT EXISTS org_members_by_org ON org_members (org_id, role)")
        self._documents = Collection(
            index, root, "users",
            {"id": "INTEGER UNIQUE", "login": "TEXT", "email": "TEXT", "name": "TEXT", "is_admin": "INTEGER",
             "login_folded": "TEXT UNIQUE", "email_folded": "TEXT UNIQUE", "searchable": "TEXT"},
            "users/*.json", _user_row, attach=_attach_memberships)

    def _path(self, user_id: int) -> Path:
        return self._folder / f"{int(user_id)}.json"

    def reconcile(self) -> None:
        self._documents.reconcile()

    def get(self, user_id: int) -> dict[str, Any] | None:
        return self._documents.read(self._path(user_id))

    def find_by_login_or_email(self, login_or_email: str) -> dict[str, Any] | None:
        """Grafana's rule: a name containing '@' is looked up as an email, anything else as a login; a login
        that contains '@' (Grafana makes the email the login when none is given) is found too."""
        columns = ("email_folded", "login_folded") if "@" in login_or_email else ("login_folded",)
        for column in columns:
            rows = self._documents.select(f"{column} = ?", (login_or_email.casefold(),), columns="id")
            if rows:
                return self.get(rows[0]["id"])
        return None

    def count(self, query: str = "") -> int:
        """How many users there are (whose login, email or name contains query)."""
        return self._documents.select("instr(searchable, ?) > 0", (query.casefold(),), columns="count(*) AS n")[0]["n"]

    def search(self, query: str = "", *, limit: int, offset: int = 0) -> list[dict[str, Any]]:
        """Users whose login, email or name contains query (case-insensitive), by login, from the index:
        {id, name, login, email, isAdmin}."""
        rows = self._documents.select("instr(searchable, ?) > 0", (query.casefold(),), order_by="login_folded",
                                      limit=limit, offset=offset, columns="id, name, login, email, is_admin")
        return [{"id": row["id"], "name": row["name"], "login": row["login"], "email": row["email"],
                 "isAdmin": bool(row["is_admin"])} for row in rows]

    def server_admins(self) -> int:
        return self._documents.select("is_admin = 1", columns="count(*) AS n")[0]["n"]

    def delete(self, user_id: int) -> bool:
        """Delete a user (their memberships go with their document); False when there is no such user.

        Raises Conflict("last-server-admin") or Conflict("last-admin") when that would leave no server admin,
        or an org of theirs with no Admin; checked under the lock every change of those takes."""
        with self._lock:
            user = self.get(user_id)
            if user is None:
                return False
            if user["isGrafanaAdmin"] and self.server_admins() <= 1:
                raise Conflict("last-server-admin")
            if any(role == "Admin" and self._admins(int(org_id)) <= 1 for org_id, role in user["orgs"].items()):
                raise Conflict("last-admin")
            return self._documents.delete(self._path(user_id))

    def set_server_admin(self, user_id: int, is_server_admin: bool) -> dict[str, Any] | None:
        """Grant or revoke the server-admin flag; None for an unknown user, Conflict("last-server-admin") when
        none would be left."""
        with self._lock:
            user = self.get(user_id)
            if user is None:
                return None
            if user["isGrafanaAdmin"] and not is_server_admin and self.server_admins() <= 1:
                raise Conflict("last-server-admin")
            user = {**user, "isGrafanaAdmin": is_server_admin, "updated": rfc3339(time.time())}
            self._documents.save(self._path(user_id), user)
        return user

    def _taken(self, value: str, user_id: int = 0) -> bool:
        """Whether another user signs in with value: logins and emails both name an account at sign-in, so a
        login may equal no other user's email, and an email no other user's login."""
        folded = value.casefold()
        return bool(self._documents.select("(login_folded = ? OR email_folded = ?) AND id != ?",
                                           (folded, folded, user_id), columns="id"))

    def update(self, user_id: int, **changes: Any) -> dict[str, Any] | None:
        """Change fields of a user document (camelCase keys as stored); None when there is no such user.
        Raises Conflict("login") or Conflict("email") when another user has the new value."""
        with self._lock:
            user = self.get(user_id)
            if user is None:
                return None
            for field in ("login", "email"):
                unchanged = changes.get(field, "").casefold() == user[field].casefold()
                if field in changes and not unchanged and self._taken(changes[field], user_id):
                    raise Conflict(field)
            user = {**user, **changes, "updated": rfc3339(time.time())}
            self._documents.save(self._path(user_id), user)
        return user

    def revoke_session(self, user_id: int, session_id: str, until: float) -> None:
        """Refuse that session of the user until its cookie would have expired anyway. Past MAX_REVOKED_SESSIONS
        still standing, every session of the user ends instead (the generation moves on) and the list starts again."""
        with self._lock:
            user = self.get(user_id)
            if user is None:
                return
            now = time.time()
            revoked = {sid: end for sid, end in user.get("revokedSessions", {}).items() if end > now}
            revoked[session_id] = until
            changes = {"revokedSessions": revoked} if len(revoked) <= MAX_REVOKED_SESSIONS else _sessions_ended(user)
            self._documents.save(self._path(user_id), {**user, **changes})

    def set_disabled(self, user_id: int, disabled: bool) -> dict[str, Any] | None:
        """Disable a user, which ends every session of theirs, or enable them again; None when there is no such
        user."""
        with self._lock:
            user = self.get(user_id)
            if user is None:
                return None
            user = {**user, "isDisabled": disabled, **(_sessions_ended(user) if disabled else {}),
                    "updated": rfc3339(time.time())}
            self._documents.save(self._path(user_id), user)
        return user

    def members(self, org_id: int) -> list[dict[str, Any]]:
        """The org's users, by email then login: {userId, login, email, name, role}, from the index alone."""
        return self._documents.index.query(
            "SELECT u.id AS \"userId\", u.login, u.email, u.name, m.role FROM org_members m "
            "JOIN users u ON u.rowid = m.member WHERE m.org_id = ? ORDER BY u.email_folded, u.login_folded",
            (org_id,))

    def set_membership(self, user_id: int, org_id: int, role: str | None, *,
                       keep_an_admin: bool = True) -> dict[str, Any]:
        """Give the user a role in the org (None: remove them from it); the updated user.

        Raises Missing("user") for an unknown user, Missing("membership") when removing a user who is no member,
        Conflict("last-admin") when the org would be left without an Admin. A user removed from their
        active org moves to another of theirs (or to none)."""
        with self._lock:
            user = self.get(user_id)
            if user is None:
                raise Missing("user")
            orgs = dict(user["orgs"])
            old_role = orgs.get(str(org_id))
            if role is None and old_role is None:
                raise Missing("membership")
            if keep_an_admin and old_role == "Admin" and role != "Admin" and self._admins(org_id) <= 1:
                raise Conflict("last-admin")
            if role is None:
                del orgs[str(org_id)]
            else:
                orgs[str(org_id)] = role
            active = user["orgId"] if str(user["orgId"]) in orgs else min(map(int, orgs), default=0)
            user = {**user, "orgs": orgs, "orgId": active, "updated": rfc3339(time.time())}
            self._documents.save(self._path(user_id), user)
        return user

    def _admins(self, org_id: int) -> int:
        return self._documents.index.query(
            "SELECT count(*) AS n FROM org_members WHERE org_id = ? AND role = 'Admin'", (org_id,))[0]["n"]

    def create(self, *, login: str, email: str, name: str, password_hash: str, is_server_admin: bool,
               org_roles: dict[int, str]) -> dict[str, Any]:
        """Create a user under the next id; Conflict("login") or Conflict("email") when taken."""
        with self._lock:
            for field, value in (("login", login), ("email", email)):
                if self._taken(value):
                    raise Conflict(field)
            now = rfc3339(time.time())
            user = {"id": self._documents.next_id(), "login": login, "email": email, "name": name,
                    "passwordHash": password_hash, "isGrafanaAdmin": is_server_admin,
                    "orgId": min(org_roles) if org_roles else 0,
                    "orgs": {str(org_id): role for org_id, role in org_roles.items()},
                    "created": now, "updated": now}
            self._documents.create(self._path(user["id"]), user)
        return user


def _key_row(api_key: dict) -> dict:
    expires = api_key.get("expires")
    return {"id": api_key["id"], "org_id": api_key["orgId"], "name": api_key["name"], "role": api_key["role"],
            "expires": expires, "expires_at": seconds(expires) if expires else None,
            "service_account_id": api_key.get("serviceAccountId"), "key_hash": api_key["keyHash"]}


class ApiKeyStore:
    def __init__(self, root: Path, index: Index):
        self._root = root
        self._lock = index.files.lock(root / "orgs" / ".api_keys.lock")
        self._documents = Collection(
            index, root, "api_keys",
            {"id": "INTEGER UNIQUE", "org_id": "INTEGER", "name": "TEXT", "role": "TEXT", "expires": "TEXT",
             "expires_at": "REAL", "service_account_id": "INTEGER", "key_hash": "TEXT"},
            "orgs/*/api_keys/*.json", _key_row, indexes=["org_id, name", "key_hash", "service_account_id"])

    def _path(self, org_id: int, key_id: int) -> Path:
        return self._root / "orgs" / str(int(org_id)) / "api_keys" / f"{int(key_id)}.json"

    def reconcile(self) -> None:
        self._documents.reconcile()

    def create(self, *, org_id: int, name: str, role: str, key_hash: str, expires_at: float | None,
               service_account_id: int | None = None) -> dict[str, Any]:
        """Create a key (a token of that service account, when given) under the next id; Conflict("name") when
        the org has a key or token of that name (Grafana keeps both in one table, unique by org and name)."""
        with self._lock:
            if self._documents.select("org_id = ? AND name = ?", (org_id, name), columns="id"):
                raise Conflict("name")
            api_key = {"id": self._documents.next_id(), "orgId": org_id, "name": name, "role": role,
                       "keyHash": key_hash, "expires": rfc3339(expires_at) if expires_at else None,
                       "created": rfc3339(time.time()), "serviceAccountId": service_account_id}
            self._documents.create(self._path(org_id, api_key["id"]), api_key)
        return api_key

    def find(self, org_id: int, name: str) -> dict[str, Any] | None:
        rows = self._documents.select("org_id = ? AND name = ?", (org_id, name), columns="id")
        return self._documents.read(self._path(org_id, rows[0]["id"])) if rows else None

    def find_by_hash(self, key_hash: str) -> dict[str, Any] | None:
        """The key or token whose secret has that hash (tokens are found by it alone), or None."""
        rows = self._documents.select("key_hash = ?", (key_hash,), columns="id, org_id")
        return self._documents.read(self._path(rows[0]["org_id"], rows[0]["id"])) if rows else None

    def get(self, org_id: int, key_id: int) -> dict[str, Any] | None:
        return self._documents.read(self._path(org_id, key_id))

    def list_for_org(self, org_id: int, *, include_expired: bool = False) -> list[dict[str, Any]]:
        """The org's keys that belong to no service account, ordered by name: id, name, role and expires (None
        for never); no secrets."""
        where, params = "org_id = ? AND service_account_id IS NULL", [org_id]
        if not include_expired:
            where += " AND (expires_at IS NULL OR expires_at > ?)"
            params.append(time.time())
        return self._documents.select(where, params, order_by="name", columns="id, name, role, expires")

    def tokens_of(self, org_id: int, account_id: int) -> list[dict[str, Any]]:
        """The service account's tokens by name (each document read: an account has a handful)."""
        rows = self._documents.select("org_id = ? AND service_account_id = ?", (org_id, account_id),
                                      order_by="name", columns="id")
        found = (self.get(org_id, row["id"]) for row in rows)
        return [token for token in found if token is not None]

    def token_counts(self, org_id: int, account_ids: list[int]) -> dict[int, int]:
        """How many tokens each of those service accounts has, from the index."""
        rows = self._documents.select(
            "org_id = ? AND service_account_id IN (SELECT value FROM json_each(?)) GROUP BY service_account_id",
            (org_id, json.dumps(account_ids)), columns="service_account_id, count(*) AS n")
        return {row["service_account_id"]: row["n"] for row in rows}

    def give_to(self, org_id: int, key_id: int, account_id: int) -> dict[str, Any] | None:
        """Make the org's key a token of the service account (it keeps working); None when there is no such key."""
        with self._lock:
            api_key = self.get(org_id, key_id)
            if api_key is None:
                return None
            api_key = {**api_key, "serviceAccountId": account_id}
            self._documents.save(self._path(org_id, key_id), api_key)
        return api_key

    def delete(self, org_id: int, key_id: int, *, service_account_id: int | None = None) -> bool:
        """Delete the org's key (or that service account's token); False when there is no such key."""
        api_key = self.get(org_id, key_id)
        if api_key is None or api_key.get("serviceAccountId") != service_account_id:
            return False
        return self._documents.delete(self._path(org_id, key_id))
