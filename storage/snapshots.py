"""Snapshots: one document per view key, fanned out by a hash of the key so no folder grows past a few
hundred files at 100,000 snapshots; the index lists them by org and finds them by delete-key hash."""
from __future__ import annotations

import hashlib
import math
import time
from pathlib import Path
from typing import Any

from .. import jsoncodec
from . import documents
from .errors import Conflict
from .index import Collection, Index
from .timestamps import seconds

# A snapshot as Grafana lists it: each member and the index column it comes from.
LISTED = {"id": "id", "name": "name", "key": "key", "orgId": "org_id", "userId": "user_id", "external": "external",
          "externalUrl": "external_url", "expires": "expires", "created": "created", "updated": "updated"}
LISTED_AS_JSON = {**LISTED, "external": "json(iif(external, 'true', 'false'))"}  # for the index to make the JSON
LIST_FIELDS = ", ".join(LISTED.values())
STORED_FIELDS = LIST_FIELDS + ", glance, path, mtime_ns, size, body_at"
LISTING_BYTES_KEPT = 8 * 1024 * 1024  # what the kept listings may hold together


def _scalar(value: object) -> object:
    return value if isinstance(value, (str, int, float, bool)) or value is None else None


def _glance(dashboard: object) -> dict[str, Any]:
    """What a look at the dashboard shows without reading it whole: its title and time range."""
    if not isinstance(dashboard, dict):
        return {}
    time_range = dashboard.get("time") if isinstance(dashboard.get("time"), dict) else {}
    return {"title": _scalar(dashboard.get("title")),
            "time": {"from": _scalar(time_range.get("from")), "to": _scalar(time_range.get("to"))}}


def _row(snapshot: dict) -> dict:
    return {
        "id": snapshot["id"],
        "key": snapshot["key"],
        "delete_key_hash": snapshot["deleteKeyHash"],
        "org_id": snapshot["orgId"],
        "user_id": snapshot["userId"],
        "name": snapshot["name"],
        "name_folded": snapshot["name"].casefold(),
        "external": int(snapshot["external"]),
        "external_url": snapshot["externalUrl"],
        "expires_at": seconds(snapshot["expires"]),
        "expires": snapshot["expires"],
        "created": snapshot["created"],
        "updated": snapshot["updated"],
        "glance": jsoncodec.dumps(_glance(snapshot["dashboard"])).decode(),
    }


def _listed(row: dict) -> dict:
    return {**{name: row[column] for name, column in LISTED.items()}, "external": bool(row["external"])}


class SnapshotStore:
    def __init__(self, root: Path, index: Index):
        self._folder = root / "snapshots"
        self._folder.mkdir(exist_ok=True)
        self._documents = Collection(
            index, root, "snapshots",
            {"id": "INTEGER UNIQUE", "key": "TEXT UNIQUE", "delete_key_hash": "TEXT UNIQUE", "org_id": "INTEGER",
             "user_id": "INTEGER", "name": "TEXT", "name_folded": "TEXT", "external": "INTEGER",
             "external_url": "TEXT", "expires_at": "REAL", "expires": "TEXT", "created": "TEXT", "updated": "TEXT",
             "glance": "TEXT"},
            "snapshots/*/*.json", _row, indexes=["org_id, id", "org_id, user_id, id", "expires_at"], body="dashboard",
            counted=True)
        # Listings as sent, by what they list: (the table's change count, when the first of them expires, bytes).
        self._listings: dict[tuple, tuple[int, float, bytes]] = {}
        self._listing_bytes = 0

    def _path(self, key: str) -> Path:
        fan_out = hashlib.sha256(documents.safe_name(key).encode()).hexdigest()[:2]
        return self._folder / fan_out / f"{key}.json"

    def reconcile(self) -> None:
        self._documents.reconcile()

    def create(self, snapshot: dict[str, Any]) -> dict[str, Any]:
        """Store a new snapshot under the next id and return it.

        Raises Conflict("key") or Conflict("deleteKey") when another snapshot holds either, and
        UnsafeName for a key that cannot be a file name.
        """
        path = self._path(snapshot["key"])
        # No lock: the file system refuses a taken key (a link never replaces a name), and the index's unique
        # column a taken delete key, so creators in any thread or process run side by side.
        record = {"id": self._documents.next_id(), **snapshot}
        try:
            self._documents.create(path, record)
        except FileExistsError:
            raise Conflict("key") from None
        except Conflict as conflict:
            raise Conflict("deleteKey" if conflict.field == "delete_key_hash" else "key") from None
        return record

    def get(self, key: str) -> dict[str, Any] | None:
        """The whole snapshot (with its dashboard), or None when no snapshot has that key."""
        try:
            return self._documents.read(self._path(key))
        except documents.UnsafeName:
            return None

    def get_stored(self, key: str) -> dict[str, Any] | None:
        """The snapshot as listed, with `glance` (its dashboard's title and time range) and `dashboard` as its
        stored bytes (a body with size, read() and chunks()); None when no snapshot has that key."""
        rows = self._documents.select("key = ?", (key,), columns=STORED_FIELDS)
        body = self._documents.open_body(rows[0]) if rows else None
        if body is not None:
            return {**_listed(rows[0]), "glance": jsoncodec.loads(rows[0]["glance"]), "dashboard": body}
        snapshot = self.get(key)  # written by other means than ours, or changed since the row was: read it
        if snapshot is None:
            return None
        return {**snapshot, "glance": _glance(snapshot["dashboard"]),
                "dashboard": documents.EncodedBody(jsoncodec.dumps(snapshot["dashboard"]))}

    def find_by_delete_key_hash(self, delete_key_hash: str) -> dict[str, Any] | None:
        rows = self._documents.select("delete_key_hash = ?", (delete_key_hash,), columns="key")
        return self.get(rows[0]["key"]) if rows else None

    def list_for_org(self, org_id: int, *, user_id: int | None = None, query: str = "", limit: int = 1000,
                     now: float | None = None) -> list[dict[str, Any]]:
        """Unexpired snapshots of the org, newest first, optionally only one user's and only names containing
        query (case-insensitive); each as Grafana lists it, without dashboard or delete key."""
        return jsoncodec.loads(self.listing(org_id, user_id=user_id, query=query, limit=limit, now=now))

    def listing(self, org_id: int, *, user_id: int | None = None, query: str = "", limit: int = 1000,
                now: float | None = None) -> bytes:
        """list_for_org's list as JSON, made by the index in one step: fetching its rows one by one cost more than
        the rest of the request. A listing made now is kept until a snapshot changes (in any process) or one of
        those it lists expires: no other can join it as time passes."""
        if now is not None:
            return self._listed_json(org_id, user_id, query, limit, now)[0]
        key, changes, now = (org_id, user_id, query, limit), self._documents.changes(), time.time()
        kept = self._listings.get(key)
        if kept is not None and kept[0] == changes and now < kept[1]:
            return kept[2]
        listed, first_expiry = self._listed_json(org_id, user_id, query, limit, now)
        if self._listing_bytes + len(listed) > LISTING_BYTES_KEPT:
            self._listings.clear()
            self._listing_bytes = 0
        if len(listed) <= LISTING_BYTES_KEPT:
            self._listings[key] = (changes, first_expiry, listed)
            self._listing_bytes += len(listed)
        return listed

    def _listed_json(self, org_id: int, user_id: int | None, query: str, limit: int,
                     now: float) -> tuple[bytes, float]:
        """The listing, and when the first snapshot in it expires (infinity for none)."""
        where, params = "org_id = ? AND expires_at > ?", [org_id, now]
        if user_id is not None:
            where += " AND user_id = ?"
            params.append(user_id)
        if query:
            where += " AND instr(name_folded, ?) > 0"
            params.append(query.casefold())
        listed, first_expiry = self._documents.select_json(LISTED_AS_JSON, "expires_at", where, params,
                                                           order_by="id DESC", limit=limit)
        return listed, math.inf if first_expiry is None else first_expiry

    def delete(self, key: str) -> bool:
        """Remove the snapshot; False when it was already gone."""
        return self._documents.delete(self._path(key))

    def keys_of_org(self, org_id: int) -> list[str]:
        return [row["key"] for row in self._documents.select("org_id = ?", (org_id,), columns="key")]

    def purge_expired(self, now: float | None = None) -> int:
        """Delete every snapshot whose expiry has passed; return how many this call removed."""
        expired = self._documents.select("expires_at <= ?", (time.time() if now is None else now,),
                                         columns="key")
        return sum(self.delete(row["key"]) for row in expired)

    def count(self) -> int:
        return self._documents.select(columns="count(*) AS n")[0]["n"]
