"""Data sources: `orgs/<org_id>/datasources/<id>.json`. Names and uids are unique per org, and at most one is
the org's default; both are kept under the org's lock. Secrets are stored as given (the proxy needs them) and
the web layer never shows them."""
from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

from .errors import Conflict
from .index import Collection, Index


def _row(source: dict) -> dict:
    return {"id": source["id"], "uid": source["uid"], "org_id": source["orgId"], "name": source["name"],
            "name_folded": source["name"].casefold(), "is_default": int(source["isDefault"])}


class DatasourceStore:
    def __init__(self, root: Path, index: Index):
        self._root = root
        self._files = index.files
        self._documents = Collection(
            index, root, "datasources",
            {"id": "INTEGER UNIQUE", "uid": "TEXT", "org_id": "INTEGER", "name": "TEXT", "name_folded": "TEXT",
             "is_default": "INTEGER"},
            "orgs/*/datasources/*.json", _row, constraints=["UNIQUE (org_id, name_folded)", "UNIQUE (org_id, uid)"])

    def _folder(self, org_id: int) -> Path:
        return self._root / "orgs" / str(int(org_id)) / "datasources"

    def _path(self, org_id: int, source_id: int) -> Path:
        return self._folder(org_id) / f"{int(source_id)}.json"

    def reconcile(self) -> None:
        self._documents.reconcile()

    def _id_where(self, org_id: int, column: str, value: Any) -> int | None:
        rows = self._documents.select(f"org_id = ? AND {column} = ?", (org_id, value), columns="id")
        return rows[0]["id"] if rows else None

    def find(self, org_id: int, *, source_id: int | None = None, name: str | None = None,
             uid: str | None = None) -> dict[str, Any] | None:
        """The org's data source with that id, name (case-insensitive) or uid, or None."""
        if source_id is None:
            source_id = self._id_where(org_id, "name_folded", name.casefold()) if name is not None \
                else self._id_where(org_id, "uid", uid)
        return self._documents.read(self._path(org_id, source_id)) if source_id is not None else None

    def list_for_org(self, org_id: int) -> list[dict[str, Any]]:
        """The org's data sources by name (an org has a handful: each document is read)."""
        rows = self._documents.select("org_id = ?", (org_id,), order_by="name_folded", columns="id")
        found = (self._documents.read(self._path(org_id, row["id"])) for row in rows)
        return [source for source in found if source is not None]

    def save(self, org_id: int, fields: dict[str, Any], source_id: int | None = None) -> dict[str, Any] | None:
        """Create (no source_id) or replace a data source; None when source_id names none of the org's.
        Raises Conflict("name") or Conflict("uid") when another data source of the org has it."""
        with self._files.lock(self._folder(org_id) / ".lock"):
            current = self.find(org_id, source_id=source_id) if source_id is not None else None
            if source_id is not None and current is None:
                return None
            own_id = current["id"] if current else 0
            for field, column, value in (("name", "name_folded", fields["name"].casefold()),
                                         ("uid", "uid", fields.get("uid"))):
                holder = self._id_where(org_id, column, value) if value else None
                if holder is not None and holder != own_id:
                    raise Conflict(field)
            source = {**fields, "id": own_id or self._documents.next_id(), "orgId": org_id,
                      "uid": fields.get("uid") or (current["uid"] if current else secrets.token_urlsafe(7)),
                      "version": current["version"] + 1 if current else 1}
            if source["isDefault"]:  # one default per org: saving a new one clears the old
                for row in self._documents.select("org_id = ? AND is_default = 1 AND id != ?", (org_id, source["id"]),
                                                  columns="id"):
                    other = self._documents.read(self._path(org_id, row["id"]))
                    self._documents.save(self._path(org_id, row["id"]), {**other, "isDefault": False})
            save = self._documents.save if current else self._documents.create
            save(self._path(org_id, source["id"]), source)
        return source

    def delete(self, org_id: int, source_id: int) -> bool:
        with self._files.lock(self._folder(org_id) / ".lock"):
            return self._documents.delete(self._path(org_id, source_id))

    def ids_of_org(self, org_id: int) -> list[int]:
        return [row["id"] for row in self._documents.select("org_id = ?", (org_id,), columns="id")]
