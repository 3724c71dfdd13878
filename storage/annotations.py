"""Annotations: `orgs/<org_id>/annotations/<id>.json`, {id, orgId, dashboardId, dashboardUID ("" for an org
annotation), panelId, userId, time, timeEnd, text, tags, data, created, updated}, times in epoch milliseconds.

The index row holds every field an answer shows, so finding annotations reads no document; `annotation_tags`
lists each tag of each annotation by key and value, for the tag filters, and `annotation_tag_counts` how many
annotations of an org carry each tag. A range query walks the index on (org, end, start) latest end first, from
the range's start up to its end plus the org's longest annotation: no annotation that ends later can begin inside
the range. A tag filter either checks each annotation of that walk or, for a tag few annotations carry, starts
from those and sorts them.
"""
from __future__ import annotations

import json
import math
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

from .. import jsoncodec
from .index import Collection, Index

TAGS = "annotation_tags"
COUNTS = "annotation_tag_counts"
COUNTED_UP_TO = 20_000  # how far a query counts annotations to choose between its two ways (see _leading_tags)
LARGEST = 2**63 - 1
# What an answer shows, from the row and the creator's user row.
FIELDS = ("a.id, a.dashboard_id, a.dashboard_uid, a.panel_id, a.user_id, a.created, a.updated, a.epoch, a.epoch_end, "
          "a.text, a.tags, a.data, u.login, u.email")


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def tag_pair(tag: str) -> tuple[str, str]:
    """(key, value) of a settled tag: `key` or `key:value`."""
    key, _, value = tag.partition(":")
    return key, value


def settled_times(start: int, end: int) -> tuple[int, int]:
    """Grafana's rule for a time range: an end of 0 is the start (a point), a start of 0 the end, and a range
    given backwards is turned round."""
    end = end or start
    start = start or end
    return min(start, end), max(start, end)


def _row(annotation: dict) -> dict:
    return {"id": annotation["id"], "org_id": annotation["orgId"], "dashboard_id": annotation["dashboardId"],
            "dashboard_uid": annotation["dashboardUID"], "panel_id": annotation["panelId"],
            "user_id": annotation["userId"], "epoch": annotation["time"], "epoch_end": annotation["timeEnd"],
            "span": annotation["timeEnd"] - annotation["time"], "created": annotation["created"],
            "updated": annotation["updated"], "text": annotation["text"],
            "tags": jsoncodec.dumps(annotation["tags"]).decode(),
            "data": jsoncodec.dumps(annotation.get("data")).decode()}


def _parsed(text: str) -> Any:
    """A JSON column of our own rows, written by jsoncodec: orjson alone, without the guards against hostile input
    (whose depth check costs ~100 us for a value of many brackets), and jsoncodec only for what orjson cannot read,
    such as integers past 64 bits."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return jsoncodec.loads(text)


def _attach_tags(connection: sqlite3.Connection, rowid: int, annotation: dict | None) -> None:
    """The annotation's rows in the tag table, and the org's count of each tag kept in step."""
    old = connection.execute(f"SELECT org_id, key, value FROM {TAGS} WHERE annotation = ?", (rowid,)).fetchall()
    connection.executemany(f"UPDATE {COUNTS} SET count = {COUNTS}.count - 1 "
                           "WHERE org_id = ? AND key = ? AND value = ?", old)
    connection.executemany(f"DELETE FROM {COUNTS} WHERE org_id = ? AND key = ? AND value = ? AND count <= 0", old)
    connection.execute(f"DELETE FROM {TAGS} WHERE annotation = ?", (rowid,))
    if annotation is not None:
        new = [(annotation["orgId"], *tag_pair(tag)) for tag in annotation["tags"]]
        connection.executemany(f"INSERT INTO {TAGS} (annotation, org_id, key, value) VALUES (?, ?, ?, ?)",
                               [(rowid, *tag) for tag in new])
        connection.executemany(f"INSERT INTO {COUNTS} (org_id, key, value, count) VALUES (?, ?, ?, 1) "
                               f"ON CONFLICT (org_id, key, value) DO UPDATE SET count = {COUNTS}.count + 1", new)


def _belongs(relative_path: str, annotation: dict) -> bool:
    return relative_path == f"orgs/{annotation['orgId']}/annotations/{annotation['id']}.json"


def _tag_condition(tags: list[str]) -> tuple[str, list]:
    """A condition on one tag row matching any of the tags: a tag without a value matches its key whatever the
    value, as in Grafana."""
    parts, params = [], []
    for key, value in map(tag_pair, tags):
        parts.append("(t.key = ? AND t.value = ?)" if value else "t.key = ?")
        params += [key, value] if value else [key]
    return " OR ".join(parts), params


def _visible_condition(org_id: int, visible: tuple[list[str], list[str]] | None) -> tuple[str, list]:
    """Org annotations, and those of the dashboards in the visible folders or among the visible dashboards (the
    dashboards' index table is read, not written)."""
    if visible is None:
        return "", []
    return (" AND (a.dashboard_uid = '' OR a.dashboard_uid IN (SELECT uid FROM dashboards WHERE org_id = ? AND "
            "(folder_uid IN (SELECT value FROM json_each(?)) OR uid IN (SELECT value FROM json_each(?)))))",
            [org_id, json.dumps(visible[0]), json.dumps(visible[1])])


def _like(part: str) -> str:
    return "%" + part.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


class AnnotationStore:
    def __init__(self, root: Path, index: Index):
        self._root = root
        index.connection.execute(
            f"CREATE TABLE IF NOT EXISTS {TAGS} (annotation INTEGER, org_id INTEGER, key TEXT, value TEXT)")
        index.connection.execute(f"CREATE INDEX IF NOT EXISTS {TAGS}_by_annotation ON {TAGS} (annotation, key, value)")
        index.connection.execute(
            f"CREATE INDEX IF NOT EXISTS {TAGS}_by_org ON {TAGS} (org_id, key, value, annotation)")
        index.connection.execute(f"CREATE TABLE IF NOT EXISTS {COUNTS} (org_id INTEGER, key TEXT, value TEXT, "
                                 "count INTEGER, UNIQUE (org_id, key, value))")
        self._documents = Collection(
            index, root, "annotations",
            {"id": "INTEGER UNIQUE", "org_id": "INTEGER", "dashboard_id": "INTEGER", "dashboard_uid": "TEXT",
             "panel_id": "INTEGER", "user_id": "INTEGER", "epoch": "INTEGER", "epoch_end": "INTEGER",
             "span": "INTEGER", "created": "INTEGER", "updated": "INTEGER", "text": "TEXT", "tags": "TEXT",
             "data": "TEXT"},
            "orgs/*/annotations/*.json", _row,
            indexes=["org_id, epoch_end, epoch, id", "org_id, dashboard_uid, epoch_end, epoch, id", "org_id, span"],
            attach=_attach_tags, belongs=_belongs)
        self._index = index

    def _folder(self, org_id: int) -> Path:
        return self._root / "orgs" / str(int(org_id)) / "annotations"

    def _path(self, org_id: int, annotation_id: int) -> Path:
        return self._folder(org_id) / f"{int(annotation_id)}.json"

    def reconcile(self) -> None:
        self._documents.reconcile()

    def create(self, org_id: int, fields: dict[str, Any]) -> dict[str, Any]:
        """Store a new annotation under the next id: fields are dashboardId, dashboardUID, panelId, userId, time,
        timeEnd (0 for a point), text, tags (settled), data. A time of 0 is now."""
        created = now_ms()
        start, end = settled_times(fields["time"] or created, fields["timeEnd"])
        annotation = {"id": self._documents.next_id(), "orgId": org_id, "dashboardId": fields["dashboardId"],
                      "dashboardUID": fields["dashboardUID"], "panelId": fields["panelId"],
                      "userId": fields["userId"], "time": start, "timeEnd": end, "text": fields["text"],
                      "tags": list(fields["tags"]), "data": fields.get("data"), "created": created,
                      "updated": created}
        self._documents.create(self._path(org_id, annotation["id"]), annotation)
        return annotation

    def get(self, org_id: int, annotation_id: int) -> dict[str, Any] | None:
        return self._documents.read(self._path(org_id, annotation_id))

    def update(self, org_id: int, annotation_id: int, change: Callable[[dict], dict]) -> dict[str, Any] | None:
        """Replace the annotation with change(current), its times settled and `updated` now (who made it and where
        it belongs stay); None when the org has no such annotation. Changes to one org's annotations take turns,
        so two at once both count."""
        with self._index.files.lock(self._folder(org_id) / ".lock"):
            current = self.get(org_id, annotation_id)
            if current is None:
                return None
            changed = change(current)
            start, end = settled_times(changed["time"], changed["timeEnd"])
            annotation = {**current, "time": start, "timeEnd": end, "text": changed["text"],
                          "tags": list(changed["tags"]), "data": changed.get("data"), "updated": now_ms()}
            self._documents.save(self._path(org_id, annotation_id), annotation)
        return annotation

    def delete(self, org_id: int, annotation_id: int) -> bool:
        """Delete the org's annotation; False when it had none with that id."""
        with self._index.files.lock(self._folder(org_id) / ".lock"):
            return self._documents.delete(self._path(org_id, annotation_id))

    def find(self, org_id: int, *, annotation_id: int = 0, dashboard_uid: str | None = None, panel_id: int = 0,
             user_id: int = 0, from_ms: int = 0, to_ms: int = 0, tags: list[str] = (), match_any: bool = False,
             visible: tuple[list[str], list[str]] | None = None, limit: int = 100) -> list[dict[str, Any]]:
        """The org's annotations matching every filter given, latest end first (then latest start, then newest),
        at most limit: each row's fields (tags and data parsed) with the creator's login and email (None when there
        is no such user).

        With from_ms and to_ms (both above 0), those that overlap the range; with tags, those carrying all of
        them (any of them with match_any); with visible (folder uids, dashboard uids), only org annotations and
        those of the dashboards that lets the caller see."""
        where, params = ["a.org_id = ?"], [org_id]
        for column, value in (("id", annotation_id), ("panel_id", panel_id), ("user_id", user_id)):
            if value:
                where.append(f"a.{column} = ?")
                params.append(value)
        if dashboard_uid is not None:
            where.append("a.dashboard_uid = ?")
            params.append(dashboard_uid)
        bounds = None
        if from_ms > 0 and to_ms > 0:
            bounds = (from_ms, min(to_ms + self._longest(org_id), LARGEST))
            where.append("a.epoch_end BETWEEN ? AND ? AND a.epoch <= ?")
            params += [*bounds, to_ms]
        source, source_params = "annotations a", []
        groups = ([tags] if match_any else [[tag] for tag in tags]) if tags else []
        if groups:
            leading = self._leading_tags(org_id, groups, bounds, limit)
            if leading is not None:  # start from that tag's annotations (CROSS JOIN keeps SQLite to that order)
                groups.remove(leading)
                condition, values = _tag_condition(leading)
                source = (f"(SELECT DISTINCT t.annotation FROM {TAGS} t WHERE t.org_id = ? AND ({condition})) d "
                          "CROSS JOIN annotations a")  # its join in WHERE: PostgreSQL takes no ON after CROSS JOIN
                source_params = [org_id, *values]
                where.append("a.rowid = d.annotation")
        for group in groups:
            condition, values = _tag_condition(group)
            where.append(f"EXISTS (SELECT 1 FROM {TAGS} t WHERE t.annotation = a.rowid AND ({condition}))")
            params += values
        visible_sql, visible_params = _visible_condition(org_id, visible)
        sql = (f"SELECT {FIELDS} FROM {source} LEFT JOIN users u ON u.id = a.user_id AND a.user_id > 0 "
               f"WHERE {' AND '.join(where)}{visible_sql} ORDER BY a.epoch_end DESC, a.epoch DESC, a.id DESC "
               f"LIMIT {int(limit)}")
        return [{**row, "tags": _parsed(row["tags"]), "data": _parsed(row["data"])}
                for row in self._index.query(sql, source_params + params + visible_params)]

    def _leading_tags(self, org_id: int, groups: list[list[str]], bounds: tuple[int, int] | None,
                      limit: int) -> list[str] | None:
        """The tag filter (a group of tags, any of which matches) to start from, or None to walk the annotations
        in time order instead. The walk looks at about r * min(1, limit / t) annotations, r those in the range (or
        the org), t those carrying the tag; starting from the tag looks up t and sorts them. Each count stops
        once the answer is known (r at COUNTED_UP_TO)."""
        r = self._count("SELECT 1 FROM annotations WHERE org_id = ? AND epoch_end BETWEEN ? AND ?",
                        [org_id, *bounds], COUNTED_UP_TO) if bounds else \
            self._count("SELECT 1 FROM annotations WHERE org_id = ?", [org_id], COUNTED_UP_TO)
        best, fewest = None, r
        for group in groups:
            condition, values = _tag_condition(group)
            t = self._count(f"SELECT 1 FROM {TAGS} t WHERE t.org_id = ? AND ({condition})", [org_id, *values],
                            min(fewest, math.isqrt(limit * r) + 1))
            if t < fewest and t * t < limit * r:
                best, fewest = group, t
        return best

    def _count(self, sql: str, params: list, at_most: int) -> int:
        """How many rows sql selects, counting no further than at_most."""
        return self._index.query(f"SELECT count(*) AS n FROM ({sql} LIMIT {int(at_most)}) AS found", params)[0]["n"]

    def _longest(self, org_id: int) -> int:
        rows = self._documents.select("org_id = ?", (org_id,), columns="max(span) AS span")
        return max(rows[0]["span"] or 0, 0)

    def tags(self, org_id: int, *, part: str = "", limit: int = 100,
             visible: tuple[list[str], list[str]] | None = None) -> list[dict[str, Any]]:
        """[{key, value, count}] of the tags of the org's annotations whose key or value contains part
        (case-insensitive), by key and value; with visible, of the annotations the caller may see only (counted
        afresh: the kept counts are of all of them)."""
        visible_sql, visible_params = _visible_condition(org_id, visible)
        like = _like(part)
        matches = "(t.key LIKE ? ESCAPE '\\' OR t.value LIKE ? ESCAPE '\\')"
        if not visible_sql:
            return self._index.query(
                f"SELECT t.key, t.value, t.count FROM {COUNTS} t WHERE t.org_id = ? AND {matches} "
                f"ORDER BY t.key, t.value LIMIT {int(limit)}", [org_id, like, like])
        return self._index.query(
            f"SELECT t.key, t.value, count(*) AS count FROM {TAGS} t JOIN annotations a ON a.rowid = t.annotation "
            f"WHERE t.org_id = ? AND {matches}{visible_sql} "
            f"GROUP BY t.key, t.value ORDER BY t.key, t.value LIMIT {int(limit)}",
            [org_id, like, like, *visible_params])

    def forget_dashboard(self, org_id: int, dashboard_uid: str) -> int:
        """Delete every annotation of the dashboard (as Grafana does with the dashboard); how many went."""
        if not dashboard_uid:
            return 0
        rows = self._documents.select("org_id = ? AND dashboard_uid = ?", (org_id, dashboard_uid), columns="id")
        return sum(self.delete(org_id, row["id"]) for row in rows)

    def forget_org(self, org_id: int) -> None:
        for row in self._documents.select("org_id = ?", (org_id,), columns="id"):
            self.delete(org_id, row["id"])

    def count(self, org_id: int) -> int:
        return self._documents.select("org_id = ?", (org_id,), columns="count(*) AS n")[0]["n"]
