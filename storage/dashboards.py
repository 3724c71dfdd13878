"""Dashboards: `orgs/<org_id>/dashboards/<slug>.json` in the General folder and
`orgs/<org_id>/dashboards/<folder_uid>/<slug>.json` in another, so the file system itself keeps slugs unique
per folder, as Grafana keeps titles.

The index lists them, a row per dashboard; search and tags answer from the catalog (catalog.py), which holds
those rows in memory in title order.

Versions: a save gives the file it replaces a second name, `orgs/<org_id>/dashboard-versions/<id>/<version>.json`
(a hard link, so keeping it copies nothing), and each record lists the versions kept, newest last, in
`versions`; the index row holds that list too, so listing them reads no document.
"""
from __future__ import annotations

import json
import secrets
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import jsoncodec
from . import catalog, documents
from .errors import Conflict, Missing
from .ids import Sequence
from .index import Collection, Index
from .slugs import slugify
from .timestamps import rfc3339

ROW_FIELDS = "id, uid, folder_uid, slug, version, created, created_by, updated, updated_by, versions"
DEFAULT_VERSIONS_TO_KEEP = 20  # Grafana's [dashboards] versions_to_keep
STORED_FIELDS = "id, uid, org_id, folder_uid, slug, title, version, created, updated, created_by, updated_by, " \
                "path, mtime_ns, size, body_at"


def _fold(text: str) -> str:
    """Titles and queries as search compares them: case-folded, and without NUL (which FTS5 cannot take)."""
    return text.casefold().replace("\0", " ")


def _relative_path(org_id: int, folder_uid: str, slug: str) -> str:
    return f"orgs/{org_id}/dashboards/{folder_uid + '/' if folder_uid else ''}{slug}.json"


def _belongs(relative_path: str, record: dict) -> bool:
    return relative_path == _relative_path(record["orgId"], record.get("folderUid", ""), record["slug"])


def _row(record: dict) -> dict:
    return {"id": record["id"], "uid": record["uid"], "org_id": record["orgId"],
            "folder_uid": record.get("folderUid", ""), "slug": record["slug"], "title": record["title"],
            "title_folded": _fold(record["title"]), "version": record["version"],
            "tags": json.dumps(sorted(record["tags"])), "created": record["created"], "updated": record["updated"],
            "created_by": record["createdBy"], "updated_by": record["updatedBy"],
            "versions": json.dumps(record.get("versions") or [])}


def kept_versions(row: dict) -> list[dict]:
    """The versions a dashboard's index row lists, newest last: {id, version, parentVersion, restoredFrom,
    created, createdBy, message}. A dashboard saved before versions were kept lists its current one."""
    return json.loads(row["versions"]) or [
        {"id": 0, "version": row["version"], "parentVersion": max(row["version"] - 1, 0), "restoredFrom": 0,
         "created": row["updated"], "createdBy": row["updated_by"], "message": ""}]


def _attach(connection: sqlite3.Connection, rowid: int, record: dict | None) -> None:
    catalog.log_change(connection, rowid)


def new_record(org_id: int, dashboard: dict, *, dashboard_id: int, folder_uid: str, version: int, uid: str,
               created: str, created_by: str, author: str, now: str, versions: list[dict]) -> dict[str, Any]:
    """The document kept for a dashboard: what the index needs, the versions kept, and the model as sent with
    id, uid, version."""
    return {"id": dashboard_id, "uid": uid, "orgId": org_id, "folderUid": folder_uid,
            "slug": slugify(dashboard["title"]), "title": dashboard["title"], "version": version,
            "tags": list(dashboard.get("tags") or []), "created": created, "updated": now, "createdBy": created_by,
            "updatedBy": author, "versions": versions,
            "dashboard": {**dashboard, "id": dashboard_id, "uid": uid, "version": version}}


@dataclass(frozen=True)
class Save:
    """What a save asks for besides the model: the folder, Grafana's overwrite, who saves, and the version's
    message (and the version it restores, for a restore)."""

    author: str
    folder_uid: str = ""
    overwrite: bool = False
    message: str = ""
    restored_from: int = 0


class DashboardStore:
    def __init__(self, root: Path, index: Index, versions_to_keep: int = DEFAULT_VERSIONS_TO_KEEP):
        self._root = root
        self._files = index.files
        self.versions_to_keep = versions_to_keep
        catalog.create_change_log(index.connection)
        self._documents = Collection(
            index, root, "dashboards",
            {"id": "INTEGER UNIQUE", "uid": "TEXT", "org_id": "INTEGER", "folder_uid": "TEXT", "slug": "TEXT",
             "title": "TEXT", "title_folded": "TEXT", "version": "INTEGER", "tags": "TEXT", "created": "TEXT",
             "updated": "TEXT", "created_by": "TEXT", "updated_by": "TEXT", "versions": "TEXT"},
            ("orgs/*/dashboards/*.json", "orgs/*/dashboards/*/*.json"), _row,
            indexes=["org_id, folder_uid"],
            constraints=["UNIQUE (org_id, folder_uid, slug)", "UNIQUE (org_id, uid)"], attach=_attach,
            versioned=True, belongs=_belongs, body="dashboard")
        self._version_ids = Sequence(root, "dashboard_versions", index)
        self._catalog = catalog.DashboardCatalog(index)

    def _folder(self, org_id: int) -> Path:
        return self._root / "orgs" / str(int(org_id)) / "dashboards"

    def _lock(self, org_id: int) -> documents.SharedLock:
        return self._files.SharedLock(self._folder(org_id) / ".lock")

    def _path(self, org_id: int, folder_uid: str, slug: str) -> Path:
        folder = self._folder(org_id) / documents.safe_name(folder_uid) if folder_uid else self._folder(org_id)
        return folder / f"{documents.safe_name(slug)}.json"

    def _version_path(self, org_id: int, dashboard_id: int, version: int) -> Path:
        return self._root / "orgs" / str(int(org_id)) / "dashboard-versions" / str(int(dashboard_id)) / \
            f"{int(version)}.json"

    def reconcile(self) -> None:
        self._documents.reconcile()

    def _row(self, org_id: int, column: str, value: Any) -> dict | None:
        # By slug, the General folder's dashboard first (the slug routes predate folders), then by folder.
        rows = self._documents.select(f"org_id = ? AND {column} = ?", (org_id, value), columns=ROW_FIELDS,
                                      order_by="folder_uid", limit=1)
        return rows[0] if rows else None

    def _row_in_folder(self, org_id: int, folder_uid: str, slug: str) -> dict | None:
        rows = self._documents.select("org_id = ? AND folder_uid = ? AND slug = ?", (org_id, folder_uid, slug),
                                      columns=ROW_FIELDS)
        return rows[0] if rows else None

    def _find(self, org_id: int, column: str, value: Any) -> dict | None:
        row = self._row(org_id, column, value)
        return self._documents.read(self._path(org_id, row["folder_uid"], row["slug"])) if row else None

    def get_by_slug(self, org_id: int, slug: str) -> dict | None:
        """The dashboard record ({id, uid, orgId, folderUid, slug, title, version, tags, created, ..., versions,
        dashboard}) or None."""
        return self._find(org_id, "slug", slug)

    def get_by_uid(self, org_id: int, uid: str) -> dict | None:
        return self._find(org_id, "uid", uid)

    def get_stored(self, org_id: int, *, slug: str | None = None, uid: str | None = None) -> dict | None:
        """The record of the org's dashboard with that slug or uid, its `dashboard` as the stored bytes (a body
        with size, read() and chunks()); None when it has none."""
        column, value = ("slug", slug) if uid is None else ("uid", uid)
        rows = self._documents.select(f"org_id = ? AND {column} = ?", (org_id, value), columns=STORED_FIELDS,
                                      order_by="folder_uid", limit=1)
        if not rows:
            return None
        row = rows[0]
        body = self._documents.open_body(row)
        if body is None:  # written by other means than ours, or changed since the row was: read it
            record = self._documents.read(self._path(org_id, row["folder_uid"], row["slug"]))
            return record and {"folderUid": "", **record,
                               "dashboard": documents.EncodedBody(jsoncodec.dumps(record["dashboard"]))}
        return {"id": row["id"], "uid": row["uid"], "orgId": row["org_id"], "folderUid": row["folder_uid"],
                "slug": row["slug"], "title": row["title"], "version": row["version"], "created": row["created"],
                "updated": row["updated"], "createdBy": row["created_by"], "updatedBy": row["updated_by"],
                "dashboard": body}

    def id_of(self, org_id: int, *, dashboard_id: int | None = None, uid: str | None = None) -> int | None:
        """The id of the org's dashboard with that id or uid, from the index alone; None when it has none."""
        row = self._row(org_id, "id", dashboard_id) if uid is None else self._row(org_id, "uid", uid)
        return row["id"] if row else None

    def summary(self, org_id: int, *, uid: str | None = None, slug: str | None = None,
                dashboard_id: int | None = None) -> dict | None:
        """{id, uid, slug, folderUid} of the org's dashboard with that uid, slug or id, from the index alone; or
        None."""
        column, value = (("uid", uid) if uid is not None else ("slug", slug) if slug is not None
                         else ("id", dashboard_id))
        row = self._row(org_id, column, value)
        return row and {"id": row["id"], "uid": row["uid"], "slug": row["slug"], "folderUid": row["folder_uid"]}

    def uid_of(self, org_id: int, dashboard_id: int) -> str | None:
        row = self._row(org_id, "id", dashboard_id)
        return row["uid"] if row else None

    def save(self, org_id: int, dashboard: dict, how: Save) -> dict:
        """Create or update a dashboard by Grafana's rules and return its record.

        `dashboard` is the model as sent: `id` null for a new one, else the id to update; `version` must match
        the stored one unless `how.overwrite`. Raises Missing for an unknown id, Conflict("version") on a version
        mismatch, Conflict("name") when another dashboard in the folder has the title's slug (or the uid) and not
        `overwrite`. The caller makes sure the folder exists (and stays while this runs).
        """
        slug = slugify(dashboard["title"])
        # A new dashboard is written holding the org's lock shared, beside other new ones: the file system refuses
        # a taken slug and the index a taken uid. Anything else (an update, or a clash) is decided holding it alone.
        with self._lock(org_id).shared():
            if self._replaced_row(org_id, dashboard, how, slug) is None:
                record = self._new_record(org_id, dashboard, how)
                try:
                    self._documents.create(self._path(org_id, how.folder_uid, slug), record)
                    return record
                except (FileExistsError, Conflict):
                    pass
        with self._lock(org_id).alone():
            current = self._replaced_row(org_id, dashboard, how, slug)
            if current:
                # A dashboard keeps its uid for good, so links to it keep working.
                version = current["version"] + 1
                now = rfc3339(time.time())
                versions = kept_versions(current) + [self._version_meta(version, how, now)]
                record = new_record(org_id, dashboard, dashboard_id=current["id"], folder_uid=how.folder_uid,
                                    version=version, uid=current["uid"], created=current["created"],
                                    created_by=current["created_by"], author=how.author, now=now,
                                    versions=versions[-max(self.versions_to_keep, 1):])
            else:
                record = self._new_record(org_id, dashboard, how)
            self._write(org_id, record, current)
        return record

    def _version_meta(self, version: int, how: Save, now: str) -> dict:
        return {"id": self._version_ids.next(), "version": version, "parentVersion": max(version - 1, 0),
                "restoredFrom": how.restored_from, "created": now, "createdBy": how.author, "message": how.message}

    def _new_record(self, org_id: int, dashboard: dict, how: Save) -> dict:
        now = rfc3339(time.time())
        return new_record(org_id, dashboard, dashboard_id=self._documents.next_id(), folder_uid=how.folder_uid,
                          version=1, uid=dashboard.get("uid") or secrets.token_urlsafe(7), created=now,
                          created_by=how.author, author=how.author, now=now,
                          versions=[self._version_meta(1, how, now)])

    def _replaced_row(self, org_id: int, dashboard: dict, how: Save, slug: str) -> dict | None:
        """The index row of the dashboard this save replaces, if any, after Grafana's version and name checks.

        An id names the dashboard to update (its uid may not belong to another one); without an id, a known
        uid does. When another dashboard in the folder holds the title's slug, `overwrite` takes that one over
        in place."""
        current = None
        if dashboard.get("id"):
            current = self._row(org_id, "id", dashboard["id"])
            if current is None:
                raise Missing("dashboard")
            uid_holder = self._row(org_id, "uid", dashboard["uid"]) if dashboard.get("uid") else None
            if uid_holder and uid_holder["id"] != current["id"]:
                raise Conflict("name")
        elif dashboard.get("uid"):
            current = self._row(org_id, "uid", dashboard["uid"])
        if current and not how.overwrite and (dashboard.get("version") or 0) != current["version"]:
            raise Conflict("version")
        slug_holder = self._row_in_folder(org_id, how.folder_uid, slug)
        if slug_holder and (current is None or slug_holder["id"] != current["id"]):
            if not how.overwrite:
                raise Conflict("name")
            current = slug_holder
        return current

    def _write(self, org_id: int, record: dict, current: dict | None) -> None:
        path = self._path(org_id, record["folderUid"], record["slug"])
        moved = current is not None and (current["folder_uid"], current["slug"]) != (record["folderUid"],
                                                                                     record["slug"])
        if current is None or moved:
            # The index knows no dashboard by this name, and we hold the org's lock: a file already there is a
            # leftover (of a rename a crash interrupted, say). Keep it aside rather than refuse the name forever.
            self._documents.set_aside(path)
        if current is not None:
            self._files.keep_as(self._path(org_id, current["folder_uid"], current["slug"]),
                              self._version_path(org_id, current["id"], current["version"]))
        try:
            if current is None:
                self._documents.create(path, record)
            elif not moved:
                self._documents.save(path, record)
            else:
                self._documents.create(path, record, replacing=self._path(org_id, current["folder_uid"],
                                                                          current["slug"]))
        except (FileExistsError, Conflict):
            raise Conflict("name") from None
        if current is not None:
            self._forget_versions(org_id, current["id"], kept_versions(current), record["versions"])

    def _forget_versions(self, org_id: int, dashboard_id: int, before: list[dict], kept: list[dict]) -> None:
        still = {version["version"] for version in kept}
        for version in before:
            if version["version"] not in still:
                self._files.remove_document(self._version_path(org_id, dashboard_id, version["version"]))

    def versions(self, org_id: int, uid: str) -> list[dict] | None:
        """The versions kept of the org's dashboard with that uid, newest first; None when it has none."""
        row = self._row(org_id, "uid", uid)
        return None if row is None else kept_versions(row)[::-1]

    def version(self, org_id: int, uid: str, version: int) -> dict | None:
        """A kept version of the dashboard: its listing ({id, version, ..., message}) with the record as it was
        then in `record`; None when the dashboard or that version is not kept."""
        row = self._row(org_id, "uid", uid)
        if row is None:
            return None
        listed = next((kept for kept in kept_versions(row) if kept["version"] == version), None)
        if listed is None:
            return None
        if version == row["version"]:
            record = self._documents.read(self._path(org_id, row["folder_uid"], row["slug"]))
        else:
            record = self._files.read_document(self._version_path(org_id, row["id"], version))
        return {**listed, "record": record} if isinstance(record, dict) else None

    def delete(self, org_id: int, *, slug: str | None = None, uid: str | None = None) -> dict | None:
        """Delete the org's dashboard with that slug or uid, and its versions; the deleted record, or None when
        there is none."""
        with self._lock(org_id).alone():
            record = self.get_by_slug(org_id, slug) if uid is None else self.get_by_uid(org_id, uid)
            if record is None or not self._documents.delete(
                    self._path(org_id, record.get("folderUid", ""), record["slug"])):
                return None
        self._files.remove_folder(self._version_path(org_id, record["id"], 0).parent)
        return record

    def uids_in_folders(self, org_id: int, folder_uids: list[str]) -> list[str]:
        return [row["uid"] for row in self._documents.select(
            "org_id = ? AND folder_uid IN (SELECT value FROM json_each(?))", (org_id, json.dumps(folder_uids)),
            columns="uid")]

    def uids_of_org(self, org_id: int) -> list[str]:
        return [row["uid"] for row in self._documents.select("org_id = ?", (org_id,), columns="uid")]

    def load_catalog(self) -> None:
        """Load the search catalog now rather than at the first search (0.3 s at 100,000 dashboards)."""
        self._catalog.refresh()

    def tags(self, org_id: int, visible: tuple[list[str], list[str]] | None = None) -> list[dict[str, Any]]:
        """Every tag of the org's dashboards (with visible, of those in its folders or among its uids), by term,
        with how many carry it: [{term, count}]."""
        return self._catalog.tags(org_id, visible)

    def search(self, org_id: int, *, query: str = "", tags: list[str] = (), ids: list[int] | None = None,
               uids: list[str] | None = None, folder_uids: list[str] | None = None, starred_by: int | None = None,
               visible: tuple[list[str], list[str]] | None = None, limit: int = 1000,
               offset: int = 0) -> list[dict[str, Any]]:
        """The org's dashboards matching every filter, by case-insensitive title: {id, uid, title, slug, tags,
        folderUid}.

        `query` is a case-insensitive part of the title; every tag must be carried; `folder_uids` keeps the
        dashboards in those folders ("" is General); `starred_by` keeps the dashboards that user starred."""
        among = []  # the rowids each of the filters the catalog does not hold lets through
        for column, values in (("id", ids), ("uid", uids), ("folder_uid", folder_uids)):
            if values is not None:
                among.append({row[0] for row in self._documents.index.connection.execute(
                    f"SELECT rowid FROM dashboards WHERE org_id = ? AND {column} IN (SELECT value FROM json_each(?))",
                    (org_id, json.dumps(values)))})
        if visible is not None:
            among.append({row[0] for row in self._documents.index.connection.execute(
                "SELECT rowid FROM dashboards WHERE org_id = ? AND (folder_uid IN (SELECT value FROM json_each(?)) "
                "OR uid IN (SELECT value FROM json_each(?)))",
                (org_id, json.dumps(visible[0]), json.dumps(visible[1])))})
        if starred_by is not None:
            among.append({row[0] for row in self._documents.index.connection.execute(
                "SELECT d.rowid FROM stars s JOIN dashboards d ON d.id = s.dashboard_id "
                "WHERE s.user_id = ? AND d.org_id = ?", (starred_by, org_id))})
        return self._catalog.search(org_id, part=_fold(query), tags=list(tags), among=among, limit=limit,
                                    offset=offset)

    def count(self) -> int:
        return self._documents.select(columns="count(*) AS n")[0]["n"]
