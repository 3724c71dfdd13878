"""Service accounts: `orgs/<org_id>/service_accounts/<id>.json`, {id, uid, orgId, name, login, role, isDisabled,
created, updated}. As in Grafana, a service account is an identity of one org whose ids are drawn from the users'
sequence, so the `userId` of what it makes never names a user. Its tokens are API key documents that name it
(see ApiKeyStore)."""
from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

from .errors import Conflict
from .ids import new_uid
from .index import Collection, Index
from .timestamps import rfc3339


def login_for(org_id: int, name: str) -> str:
    """Grafana's login of a service account: `sa-<org>-<name>`, lower-case, spaces as dashes."""
    return f"sa-{int(org_id)}-" + re.sub(r"\s+", "-", name.strip().lower())


def _row(account: dict) -> dict:
    return {"id": account["id"], "org_id": account["orgId"], "name": account["name"],
            "name_folded": account["name"].casefold(), "login_folded": account["login"].casefold(),
            "role": account["role"], "is_disabled": int(account["isDisabled"])}


def _belongs(relative_path: str, account: dict) -> bool:
    return relative_path == f"orgs/{account['orgId']}/service_accounts/{account['id']}.json"


class ServiceAccountStore:
    def __init__(self, root: Path, index: Index):
        self._root = root
        self._lock = index.files.lock(root / "orgs" / ".service_accounts.lock")
        self._documents = Collection(
            index, root, "service_accounts",
            {"id": "INTEGER UNIQUE", "org_id": "INTEGER", "name": "TEXT", "name_folded": "TEXT",
             "login_folded": "TEXT UNIQUE", "role": "TEXT", "is_disabled": "INTEGER"},
            "orgs/*/service_accounts/*.json", _row, constraints=["UNIQUE (org_id, name_folded)"],
            id_space="users", belongs=_belongs)

    def _path(self, org_id: int, account_id: int) -> Path:
        return self._root / "orgs" / str(int(org_id)) / "service_accounts" / f"{int(account_id)}.json"

    def reconcile(self) -> None:
        self._documents.reconcile()

    def get(self, org_id: int, account_id: int) -> dict[str, Any] | None:
        return self._documents.read(self._path(org_id, account_id))

    def _taken(self, org_id: int, name: str, account_id: int = 0) -> bool:
        return bool(self._documents.select(
            "(login_folded = ? OR (org_id = ? AND name_folded = ?)) AND id != ?",
            (login_for(org_id, name).casefold(), org_id, name.casefold(), account_id), columns="id"))

    def create(self, org_id: int, *, name: str, role: str, is_disabled: bool = False,
               login: str | None = None) -> dict[str, Any]:
        """Create a service account under the next user id (with login_for's login, unless given);
        Conflict("name") when the org has one of that name or the login is taken."""
        login = login or login_for(org_id, name)
        with self._lock:
            if self._taken(org_id, name) or self._documents.select(
                    "login_folded = ?", (login.casefold(),), columns="id"):
                raise Conflict("name")
            now = rfc3339(time.time())
            account = {"id": self._documents.next_id(), "uid": new_uid(),
                       "orgId": org_id, "name": name, "login": login, "role": role,
                       "isDisabled": is_disabled, "created": now, "updated": now}
            self._documents.create(self._path(org_id, account["id"]), account)
        return account

    def update(self, org_id: int, account_id: int, **changes: Any) -> dict[str, Any] | None:
        """Change name, role or isDisabled; None when the org has no such account, Conflict("name") when the
        new name is another's. The login stays, as in Grafana."""
        with self._lock:
            account = self.get(org_id, account_id)
            if account is None:
                return None
            if "name" in changes and self._documents.select(
                    "org_id = ? AND name_folded = ? AND id != ?", (org_id, changes["name"].casefold(), account_id),
                    columns="id"):
                raise Conflict("name")
            account = {**account, **changes, "updated": rfc3339(time.time())}
            self._documents.save(self._path(org_id, account_id), account)
        return account

    def search(self, org_id: int, query: str = "", *, disabled: bool | None = None, limit: int,
               offset: int = 0) -> tuple[int, list[dict[str, Any]]]:
        """(how many match, the page of them by login): the org's accounts whose name or login contains query."""
        where = "org_id = ? AND (instr(name_folded, ?) > 0 OR instr(login_folded, ?) > 0)"
        params: list[Any] = [org_id, query.casefold(), query.casefold()]
        if disabled is not None:
            where += " AND is_disabled = ?"
            params.append(int(disabled))
        total = self._documents.select(where, params, columns="count(*) AS n")[0]["n"]
        rows = self._documents.select(where, params, order_by="login_folded", limit=limit, offset=offset,
                                      columns="id")
        found = (self.get(org_id, row["id"]) for row in rows)
        return total, [account for account in found if account is not None]

    def count(self) -> int:
        return self._documents.select(columns="count(*) AS n")[0]["n"]

    def delete(self, org_id: int, account_id: int) -> bool:
        return self._documents.delete(self._path(org_id, account_id))

    def ids_of_org(self, org_id: int) -> list[int]:
        return [row["id"] for row in self._documents.select("org_id = ?", (org_id,), columns="id")]
