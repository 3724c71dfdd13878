"""Permissions set on a folder or a dashboard: `orgs/<org_id>/permissions/folders/<uid>.json` and
`orgs/<org_id>/permissions/dashboards/<uid>.json`, each the whole list of items ({userId, teamId, role,
permission, created, updated}) in Grafana's shape. A folder that has no such file has Grafana's defaults; a
dashboard without one has only what its folder gives. The index lists them all, so a request that checks many
reads one query."""
from __future__ import annotations

import json
from pathlib import Path

from . import documents
from .index import Collection, Index

KINDS = ("folders", "dashboards")
VIEW, EDIT, ADMIN = 1, 2, 4
# What a folder nobody has set permissions on grants (Grafana's defaults for a new folder), and General.
DEFAULT_FOLDER_ITEMS = [{"userId": 0, "teamId": 0, "role": "Editor", "permission": EDIT},
                        {"userId": 0, "teamId": 0, "role": "Viewer", "permission": VIEW}]


def _row(record: dict) -> dict:
    return {"org_id": record["orgId"], "kind": record["kind"], "uid": record["uid"],
            "items": json.dumps(record["items"])}


def _belongs(relative_path: str, record: dict) -> bool:
    return relative_path == f"orgs/{record['orgId']}/permissions/{record['kind']}/{record['uid']}.json"


class PermissionStore:
    def __init__(self, root: Path, index: Index):
        self._root = root
        self._documents = Collection(
            index, root, "permissions", {"org_id": "INTEGER", "kind": "TEXT", "uid": "TEXT", "items": "TEXT"},
            "orgs/*/permissions/*/*.json", _row, constraints=["UNIQUE (org_id, kind, uid)"], sequence=False,
            belongs=_belongs)

    def _path(self, org_id: int, kind: str, uid: str) -> Path:
        if kind not in KINDS:
            raise ValueError(kind)
        return self._root / "orgs" / str(int(org_id)) / "permissions" / kind / f"{documents.safe_name(uid)}.json"

    def reconcile(self) -> None:
        self._documents.reconcile()

    def items(self, org_id: int, kind: str, uid: str) -> list[dict] | None:
        """The items set on that folder or dashboard, or None when none were ever set."""
        rows = self._documents.select("org_id = ? AND kind = ? AND uid = ?", (org_id, kind, uid), columns="items")
        return json.loads(rows[0]["items"]) if rows else None

    def of_org(self, org_id: int) -> dict[tuple[str, str], list[dict]]:
        """Every list of items set in the org, by (kind, uid)."""
        return {(row["kind"], row["uid"]): json.loads(row["items"]) for row in self._documents.select(
            "org_id = ?", (org_id,), columns="kind, uid, items")}

    def put(self, org_id: int, kind: str, uid: str, items: list[dict]) -> None:
        """Set the whole list of items of that folder or dashboard."""
        path = self._path(org_id, kind, uid)
        self._documents.save(path, {"orgId": org_id, "kind": kind, "uid": uid, "items": items})

    def forget(self, org_id: int, kind: str, uid: str) -> None:
        self._documents.delete(self._path(org_id, kind, uid))
