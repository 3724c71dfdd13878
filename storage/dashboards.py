"""Dashboards: `orgs/<org_id>/dashboards/<slug>.json`, so the file system itself keeps slugs unique per org.

The index lists them, a row per dashboard; search and tags answer from the catalog (catalog.py), which holds
those rows in memory in title order.
"""
from __future__ import annotations

import json
import secrets
import sqlite3
import time
from pathlib import Path
from typing import Any

from .. import jsoncodec
from . import catalog, documents
from .errors import Conflict, Missing
from .index import Collection, Index
from .slugs import slugify
from .timestamps import rfc3339

ROW_FIELDS = "id, uid, slug, version, created, created_by"
STORED_FIELDS = "id, uid, org_id, slug, title, version, created, updated, created_by, updated_by, path, mtime_ns, " \
                "size, body_at"


def _fold(text: str) -> str:
    """Titles and queries as search compares them: case-folded, and without NUL (which FTS5 cannot take)."""
    return text.casefold().replace("\0", " ")


def _belongs(relative_path: str, record: dict) -> bool:
    return relative_path == f"orgs/{record['orgId']}/dashboards/{record['slug']}.json"


def _row(record: dict) -> dict:
    return {"id": record["id"], "uid": record["uid"], "org_id": record["orgId"], "slug": record["slug"],
            "title": record["title"], "title_folded": _fold(record["title"]), "version": record["version"],
            "tags": json.dumps(sorted(record["tags"])), "created": record["created"], "updated": record["updated"],
            "created_by": record["createdBy"], "updated_by": record["updatedBy"]}


def _attach(connection: sqlite3.Connection, rowid: int, record: dict | None) -> None:
    catalog.log_change(connection, rowid)


def new_record(org_id: int, dashboard: dict, *, dashboard_id: int, version: int, uid: str, created: str,
               created_by: str, author: str, now: str) -> dict[str, Any]:
    """The document kept for a dashboard: what the index needs, and the model as sent with id, uid, version."""
    return {"id": dashboard_id, "uid": uid, "orgId": org_id, "slug": slugify(dashboard["title"]),
            "title": dashboard["title"], "version": version, "tags": list(dashboard.get("tags") or []),
            "created": created, "updated": now, "createdBy": created_by, "updatedBy": author,
            "dashboard": {**dashboard, "id": dashboard_id, "uid": uid, "version": version}}


class DashboardStore:
    def __init__(self, root: Path, index: Index):
        self._root = root
        catalog.create_change_log(index.connection)
        self._documents = Collection(
            index, root, "dashboards",
            {"id": "INTEGER UNIQUE", "uid": "TEXT", "org_id": "INTEGER", "slug": "TEXT", "title": "TEXT",
             "title_folded": "TEXT", "version": "INTEGER", "tags": "TEXT", "created": "TEXT", "updated": "TEXT",
             "created_by": "TEXT", "updated_by": "TEXT"},
            "orgs/*/dashboards/*.json", _row,
            constraints=["UNIQUE (org_id, slug)", "UNIQUE (org_id, uid)"], attach=_attach, versioned=True,
            belongs=_belongs, body="dashboard")
        self._catalog = catalog.DashboardCatalog(index)

    def _folder(self, org_id: int) -> Path:
        return self._root / "orgs" / str(int(org_id)) / "dashboards"

    def _lock(self, org_id: int) -> documents.SharedLock:
        return documents.SharedLock(self._folder(org_id) / ".lock")

    def _path(self, org_id: int, slug: str) -> Path:
        return self._folder(org_id) / f"{documents.safe_name(slug)}.json"

    def reconcile(self) -> None:
        self._documents.reconcile()

    def _row(self, org_id: int, column: str, value: Any) -> dict | None:
        rows = self._documents.select(f"org_id = ? AND {column} = ?", (org_id, value), columns=ROW_FIELDS)
        return rows[0] if rows else None

    def _find(self, org_id: int, column: str, value: Any) -> dict | None:
        row = self._row(org_id, column, value)
        return self._documents.read(self._path(org_id, row["slug"])) if row else None

    def get_by_slug(self, org_id: int, slug: str) -> dict | None:
        """The dashboard record ({id, uid, orgId, slug, title, version, tags, created, ..., dashboard}) or None."""
        return self._find(org_id, "slug", slug)

    def get_by_uid(self, org_id: int, uid: str) -> dict | None:
        return self._find(org_id, "uid", uid)

    def get_stored(self, org_id: int, *, slug: str | None = None, uid: str | None = None) -> dict | None:
        """The record of the org's dashboard with that slug or uid, its `dashboard` as the stored bytes (a body
        with size, read() and chunks()); None when it has none."""
        column, value = ("slug", slug) if uid is None else ("uid", uid)
        rows = self._documents.select(f"org_id = ? AND {column} = ?", (org_id, value), columns=STORED_FIELDS)
        if not rows:
            return None
        row = rows[0]
        body = self._documents.open_body(row)
        if body is None:  # written by other means than ours, or changed since the row was: read it
            record = self._documents.read(self._path(org_id, row["slug"]))
            return record and {**record, "dashboard": documents.EncodedBody(jsoncodec.dumps(record["dashboard"]))}
        return {"id": row["id"], "uid": row["uid"], "orgId": row["org_id"], "slug": row["slug"], "title": row["title"],
                "version": row["version"], "created": row["created"], "updated": row["updated"],
                "createdBy": row["created_by"], "updatedBy": row["updated_by"], "dashboard": body}

    def id_of(self, org_id: int, *, dashboard_id: int | None = None, uid: str | None = None) -> int | None:
        """The id of the org's dashboard with that id or uid, from the index alone; None when it has none."""
        row = self._row(org_id, "id", dashboard_id) if uid is None else self._row(org_id, "uid", uid)
        return row["id"] if row else None

    def save(self, org_id: int, dashboard: dict, *, overwrite: bool, author: str) -> dict:
        """Create or update a dashboard by Grafana's rules and return its record.

        `dashboard` is the model as sent: `id` null for a new one, else the id to update; `version` must match
        the stored one unless `overwrite`. Raises Missing for an unknown id, Conflict("version") on a version
        mismatch, Conflict("name") when another dashboard has the title's slug (or the uid) and not `overwrite`.
        """
        slug = slugify(dashboard["title"])
        # A new dashboard is written holding the org's lock shared, beside other new ones: the file system refuses
        # a taken slug and the index a taken uid. Anything else (an update, or a clash) is decided holding it alone.
        with self._lock(org_id).shared():
            if self._replaced_row(org_id, dashboard, slug, overwrite) is None:
                record = self._new_record(org_id, dashboard, author)
                try:
                    self._documents.create(self._path(org_id, slug), record)
                    return record
                except (FileExistsError, Conflict):
                    pass
        with self._lock(org_id).alone():
            current = self._replaced_row(org_id, dashboard, slug, overwrite)
            if current:
                # A dashboard keeps its uid for good, so links to it keep working.
                record = new_record(org_id, dashboard, dashboard_id=current["id"], version=current["version"] + 1,
                                    uid=current["uid"], created=current["created"],
                                    created_by=current["created_by"], author=author, now=rfc3339(time.time()))
            else:
                record = self._new_record(org_id, dashboard, author)
            self._write(org_id, record, current)
        return record

    def _new_record(self, org_id: int, dashboard: dict, author: str) -> dict:
        now = rfc3339(time.time())
        return new_record(org_id, dashboard, dashboard_id=self._documents.next_id(), version=1,
                          uid=dashboard.get("uid") or secrets.token_urlsafe(7), created=now, created_by=author,
                          author=author, now=now)

    def _replaced_row(self, org_id: int, dashboard: dict, slug: str, overwrite: bool) -> dict | None:
        """The index row of the dashboard this save replaces, if any, after Grafana's version and name checks.

        An id names the dashboard to update (its uid may not belong to another one); without an id, a known
        uid does. When another dashboard holds the title's slug, `overwrite` takes that one over in place."""
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
        if current and not overwrite and (dashboard.get("version") or 0) != current["version"]:
            raise Conflict("version")
        slug_holder = self._row(org_id, "slug", slug)
        if slug_holder and (current is None or slug_holder["id"] != current["id"]):
            if not overwrite:
                raise Conflict("name")
            current = slug_holder
        return current

    def _write(self, org_id: int, record: dict, current: dict | None) -> None:
        path = self._path(org_id, record["slug"])
        if current is None or current["slug"] != record["slug"]:
            # The index knows no dashboard by this slug, and we hold the org's lock: a file already there is a
            # leftover (of a rename a crash interrupted, say). Keep it aside rather than refuse the name forever.
            self._documents.set_aside(path)
        try:
            if current is None:
                self._documents.create(path, record)
            elif current["slug"] == record["slug"]:
                self._documents.save(path, record)
            else:
                self._documents.create(path, record, replacing=self._path(org_id, current["slug"]))
        except (FileExistsError, Conflict):
            raise Conflict("name") from None

    def delete(self, org_id: int, *, slug: str | None = None, uid: str | None = None) -> dict | None:
        """Delete the org's dashboard with that slug or uid; the deleted record, or None when there is none."""
        with self._lock(org_id).alone():
            record = self.get_by_slug(org_id, slug) if uid is None else self.get_by_uid(org_id, uid)
            if record is None or not self._documents.delete(self._path(org_id, record["slug"])):
                return None
        return record

    def uids_of_org(self, org_id: int) -> list[str]:
        return [row["uid"] for row in self._documents.select("org_id = ?", (org_id,), columns="uid")]

    def load_catalog(self) -> None:
        """Load the search catalog now rather than at the first search (0.3 s at 100,000 dashboards)."""
        self._catalog.refresh()

    def tags(self, org_id: int) -> list[dict[str, Any]]:
        """Every tag of the org's dashboards, by term, with how many carry it: [{term, count}]."""
        return self._catalog.tags(org_id)

    def search(self, org_id: int, *, query: str = "", tags: list[str] = (), ids: list[int] | None = None,
               uids: list[str] | None = None, starred_by: int | None = None, limit: int = 1000,
               offset: int = 0) -> list[dict[str, Any]]:
        """The org's dashboards matching every filter, by case-insensitive title: {id, uid, title, slug, tags}.

        `query` is a case-insensitive part of the title; every tag must be carried; `starred_by` keeps the
        dashboards that user starred."""
        among = []  # the rowids each of the filters the catalog does not hold lets through
        for column, values in (("id", ids), ("uid", uids)):
            if values is not None:
                among.append({row[0] for row in self._documents.index.connection.execute(
                    f"SELECT rowid FROM dashboards WHERE org_id = ? AND {column} IN (SELECT value FROM json_each(?))",
                    (org_id, json.dumps(values)))})
        if starred_by is not None:
            among.append({row[0] for row in self._documents.index.connection.execute(
                "SELECT d.rowid FROM stars s JOIN dashboards d ON d.id = s.dashboard_id "
                "WHERE s.user_id = ? AND d.org_id = ?", (starred_by, org_id))})
        return self._catalog.search(org_id, part=_fold(query), tags=list(tags), among=among, limit=limit,
                                    offset=offset)

    def count(self) -> int:
        return self._documents.select(columns="count(*) AS n")[0]["n"]
