"""Folders: `orgs/<org_id>/folders/<uid>.json`, each naming its parent by uid ("" for the root), so moving a
folder rewrites that one document and none of what it holds.

Folder ids come from the dashboards' sequence, as in Grafana, where a folder is a kind of dashboard: an id names
one or the other, never both. Writes hold the org's folder lock alone; a dashboard saved into a folder holds it
shared (`holding`), so a folder cannot go while something is being saved into it.
"""
from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from . import documents
from .errors import Conflict, Invalid, Missing
from .ids import new_uid
from .index import Collection, Index
from .timestamps import rfc3339

MAX_DEPTH = 4  # Grafana's limit on nested folders: a folder and at most three above it


def _row(record: dict) -> dict:
    return {"id": record["id"], "uid": record["uid"], "org_id": record["orgId"], "title": record["title"],
            "parent_uid": record["parentUid"], "version": record["version"], "created": record["created"],
            "updated": record["updated"], "created_by": record["createdBy"], "updated_by": record["updatedBy"]}


def _belongs(relative_path: str, record: dict) -> bool:
    return relative_path == f"orgs/{record['orgId']}/folders/{record['uid']}.json"


class FolderStore:
    def __init__(self, root: Path, index: Index):
        self._root = root
        self._files = index.files
        self._documents = Collection(
            index, root, "folders",
            {"id": "INTEGER UNIQUE", "uid": "TEXT", "org_id": "INTEGER", "title": "TEXT", "parent_uid": "TEXT",
             "version": "INTEGER", "created": "TEXT", "updated": "TEXT", "created_by": "TEXT", "updated_by": "TEXT"},
            "orgs/*/folders/*.json", _row, constraints=["UNIQUE (org_id, uid)", "UNIQUE (org_id, parent_uid, title)"],
            belongs=_belongs, id_space="dashboards")

    def _lock(self, org_id: int) -> documents.SharedLock:
        return self._files.SharedLock(self._root / "orgs" / str(int(org_id)) / "folders" / ".lock")

    def _path(self, org_id: int, uid: str) -> Path:
        return self._root / "orgs" / str(int(org_id)) / "folders" / f"{documents.safe_name(uid)}.json"

    def reconcile(self) -> None:
        self._documents.reconcile()

    def get(self, org_id: int, uid: str) -> dict | None:
        """The folder record ({id, uid, orgId, title, description, parentUid, version, created, ...}) or None."""
        try:
            return self._documents.read(self._path(org_id, uid))
        except documents.UnsafeName:
            return None

    def uid_of_id(self, org_id: int, folder_id: int) -> str | None:
        rows = self._documents.select("org_id = ? AND id = ?", (org_id, folder_id), columns="uid")
        return rows[0]["uid"] if rows else None

    def summaries(self, org_id: int) -> dict[str, dict[str, Any]]:
        """Every folder of the org from the index, by uid: {id, uid, title, parent_uid}."""
        return {row["uid"]: row for row in self._documents.select(
            "org_id = ?", (org_id,), columns="id, uid, title, parent_uid")}

    def children(self, org_id: int, parent_uid: str, *, limit: int, offset: int) -> list[dict[str, Any]]:
        """The folders right under parent_uid ("" for the root), by title: {id, uid, title, parent_uid}."""
        return self._documents.select("org_id = ? AND parent_uid = ?", (org_id, parent_uid),
                                      order_by="lower(title), title", limit=limit, offset=offset,
                                      columns="id, uid, title, parent_uid")

    def parents(self, org_id: int, parent_uid: str) -> list[dict[str, Any]]:
        """The folders above one whose parent is parent_uid, from the root down: {id, uid, title, parent_uid}."""
        every = self.summaries(org_id)
        chain = []
        while parent_uid and parent_uid in every and len(chain) <= MAX_DEPTH:
            chain.append(every[parent_uid])
            parent_uid = every[parent_uid]["parent_uid"]
        return chain[::-1]

    def subtree(self, org_id: int, uid: str) -> list[str]:
        """The uids of the folder and of every folder inside it, parents before their children."""
        every = self.summaries(org_id)
        below: dict[str, list[str]] = {}
        for folder in every.values():
            below.setdefault(folder["parent_uid"], []).append(folder["uid"])
        found, pending = [], [uid]
        while pending:
            current = pending.pop(0)
            found.append(current)
            pending.extend(below.get(current, []))
        return found

    def _check_parent(self, org_id: int, parent_uid: str, moving: str | None = None) -> None:
        """Missing("parent") for an unknown parent; Invalid when the folder would be inside itself, or deeper
        than MAX_DEPTH (counting the folders it holds, when it moves)."""
        if not parent_uid:
            return
        if self.get(org_id, parent_uid) is None:
            raise Missing("parent")
        chain = [folder["uid"] for folder in self.parents(org_id, parent_uid)]
        if moving is not None and moving in chain:
            raise Invalid("circular")
        height = 1
        if moving is not None:
            every = self.summaries(org_id)
            height = max(len(self._chain_to(every, uid, moving)) for uid in self.subtree(org_id, moving))
        if len(chain) + height > MAX_DEPTH:
            raise Invalid("depth")

    @staticmethod
    def _chain_to(every: dict[str, dict], uid: str, top: str) -> list[str]:
        chain = [uid]
        while uid != top:
            uid = every[uid]["parent_uid"]
            chain.append(uid)
        return chain

    def create(self, org_id: int, *, title: str, uid: str = "", description: str = "", parent_uid: str = "",
               author: str) -> dict:
        """A new folder; Conflict("uid") or Conflict("title") (in its parent), Missing("parent"), Invalid."""
        now = rfc3339(time.time())
        with self._lock(org_id).alone():
            self._check_parent(org_id, parent_uid)
            record = {"id": self._documents.next_id(), "uid": uid or new_uid(), "orgId": org_id, "title": title,
                      "description": description, "parentUid": parent_uid, "version": 1, "created": now,
                      "updated": now, "createdBy": author, "updatedBy": author}
            self._write(org_id, record, new=True)
        return record

    def _write(self, org_id: int, record: dict, *, new: bool) -> None:
        """Write the record, holding the org's lock alone: a title taken in its parent is refused before the
        file is written (the index's unique columns back that up)."""
        taken = self._documents.select("org_id = ? AND parent_uid = ? AND title = ? AND uid != ?",
                                       (org_id, record["parentUid"], record["title"], record["uid"]), columns="uid")
        if taken:
            raise Conflict("title")
        path = self._path(org_id, record["uid"])
        if not new:
            self._documents.save(path, record)
            return
        try:
            self._documents.create(path, record)
        except FileExistsError:
            raise Conflict("uid") from None

    def update(self, org_id: int, uid: str, *, title: str | None, description: str | None, version: int | None,
               overwrite: bool, author: str) -> dict:
        """The folder with a new title or description; Missing, Conflict("version"), Conflict("title")."""
        with self._lock(org_id).alone():
            current = self.get(org_id, uid)
            if current is None:
                raise Missing("folder")
            if not overwrite and version != current["version"]:
                raise Conflict("version")
            record = {**current, "title": current["title"] if title is None else title,
                      "description": current["description"] if description is None else description,
                      "version": current["version"] + 1, "updated": rfc3339(time.time()), "updatedBy": author}
            self._write(org_id, record, new=False)
        return record

    def move(self, org_id: int, uid: str, parent_uid: str, *, author: str) -> dict:
        """The folder under a new parent; Missing("folder"), Missing("parent"), Invalid, Conflict("title")."""
        with self._lock(org_id).alone():
            current = self.get(org_id, uid)
            if current is None:
                raise Missing("folder")
            self._check_parent(org_id, parent_uid, moving=uid)
            record = {**current, "parentUid": parent_uid, "version": current["version"] + 1,
                      "updated": rfc3339(time.time()), "updatedBy": author}
            self._write(org_id, record, new=False)
        return record

    @contextmanager
    def holding(self, org_id: int, uid: str) -> Iterator[dict | None]:
        """The folder (None for the root, uid ""), kept from going until the block ends; Missing("folder") when
        there is none."""
        with self._lock(org_id).shared():
            if not uid:
                yield None
                return
            folder = self.get(org_id, uid)
            if folder is None:
                raise Missing("folder")
            yield folder

    @contextmanager
    def removing(self, org_id: int, uid: str) -> Iterator[list[dict]]:
        """The folder and every folder inside it (parents first), removed once the block (which removes what
        they hold) ends without an error; Missing("folder") when there is none."""
        with self._lock(org_id).alone():
            folder = self.get(org_id, uid)
            if folder is None:
                raise Missing("folder")
            every = self.summaries(org_id)
            tree = [every[found] for found in self.subtree(org_id, uid) if found in every]
            yield tree
            for found in reversed(tree):
                self._documents.delete(self._path(org_id, found["uid"]))

    def uids_of_org(self, org_id: int) -> list[str]:
        """The org's top folders (deleting them deletes the rest)."""
        return [row["uid"] for row in self._documents.select("org_id = ? AND parent_uid = ''", (org_id,),
                                                             columns="uid")]
