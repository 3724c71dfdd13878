"""The dashboards as search sees them, held in memory: each org's titles in order, its tags, ids and uids, so a
search over 100,000 dashboards answers in a millisecond or two, where the index took tens.

It is a cache of the index's dashboards table, kept in step through the index's change log: every row written
or removed adds the row's rowid to `dashboard_changes` in the same transaction, by whichever process wrote it.
Before each search the catalog asks for changes past the last it saw, and reads only those rows again.
"""
from __future__ import annotations

import bisect
import itertools
import json
import sqlite3
import threading
from collections import defaultdict
from dataclasses import dataclass, field

import orjson

from .index import Index

CHANGES_KEPT = 10_000  # a catalog further behind than this loads the table again
CHANGES_PRUNED_EVERY = 1_000
ENTRY_FIELDS = "rowid, id, uid, org_id, slug, title, title_folded, tags, folder_uid"
SCAN_MEMBERS_FROM = 2_000  # filters leaving more candidates than this walk the title order instead of sorting


def create_change_log(connection: sqlite3.Connection) -> None:
    connection.execute("CREATE TABLE IF NOT EXISTS dashboard_changes (seq INTEGER PRIMARY KEY AUTOINCREMENT, "
                       "changed INTEGER)")


def log_change(connection: sqlite3.Connection, rowid: int) -> None:
    """Record, in the writer's transaction, that the dashboards row rowid was written or removed."""
    seq = connection.execute("INSERT INTO dashboard_changes (changed) VALUES (?) RETURNING seq", (rowid,)).fetchone()[0]
    if seq % CHANGES_PRUNED_EVERY == 0:
        connection.execute("DELETE FROM dashboard_changes WHERE seq <= ?", (seq - CHANGES_KEPT,))


# An entry is a plain tuple of strings and numbers, which Python's garbage collector stops tracking (100,000
# tracked objects made each of its full collections cost ~70 ms); in this order, so that entries sort by title.
FOLDED, TITLE, ROWID, ID, UID, SLUG, TAGS, ORG_ID, FOLDER_UID = range(9)
Entry = tuple


def _entry(row: sqlite3.Row | tuple) -> Entry:
    rowid, dashboard_id, uid, org_id, slug, title, folded, tags, folder_uid = row
    return folded, title, rowid, dashboard_id, uid, slug, tuple(orjson.loads(tags)), org_id, folder_uid


def _hit(entry: Entry) -> dict:
    return {"id": entry[ID], "uid": entry[UID], "title": entry[TITLE], "slug": entry[SLUG], "tags": list(entry[TAGS]),
            "folderUid": entry[FOLDER_UID]}


@dataclass
class _Org:
    """One org's dashboards: by rowid, in title order and by tag."""

    entries: dict[int, Entry] = field(default_factory=dict)
    order: list[Entry] = field(default_factory=list)
    by_tag: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))
    # The folded titles in order, joined by NUL (which no folded title or query holds), and where each begins:
    # str.find then scans for a part of a title at C speed. Built when a search needs it after a change.
    _joined: str | None = None
    _starts: list[int] = field(default_factory=list)

    def add(self, entry: Entry) -> None:
        rowid = entry[ROWID]
        self.entries[rowid] = entry
        bisect.insort(self.order, entry)
        for tag in set(entry[TAGS]):
            self.by_tag[tag].add(rowid)
        self._joined = None

    def load(self, entries: list[Entry]) -> None:
        """Add many entries at once (sorted once: inserting each in order would move the list every time)."""
        self.entries.update((entry[ROWID], entry) for entry in entries)
        self.order = sorted(self.entries.values())
        for entry in entries:
            for tag in set(entry[TAGS]):
                self.by_tag[tag].add(entry[ROWID])
        self._join_titles()  # now, rather than in the first search for a part of a title

    def remove(self, rowid: int) -> None:
        entry = self.entries.pop(rowid)
        del self.order[bisect.bisect_left(self.order, entry)]
        for tag in set(entry[TAGS]):
            self.by_tag[tag].discard(rowid)
            if not self.by_tag[tag]:
                del self.by_tag[tag]
        self._joined = None

    def _join_titles(self) -> None:
        self._joined = "\0".join(entry[FOLDED] for entry in self.order)
        self._starts = list(itertools.accumulate((len(entry[FOLDED]) + 1 for entry in self.order), initial=0))

    def _titles_containing(self, part: str):
        """The positions in title order of the titles that contain part, first to last."""
        if self._joined is None:
            self._join_titles()
        joined, starts = self._joined, self._starts
        at = joined.find(part)
        while at >= 0:
            position = bisect.bisect_right(starts, at) - 1
            yield position
            at = joined.find(part, starts[position + 1])

    def search(self, part: str, candidates: set[int] | None, limit: int, offset: int) -> list[Entry]:
        """The entries whose folded title contains part and, when candidates is given, whose rowid is one of
        them; in title order, limit of them after skipping offset."""
        wanted = offset + limit
        if candidates is not None and len(candidates) < SCAN_MEMBERS_FROM:
            # A candidate may be a row the index has and this catalog not yet (written since it looked).
            return sorted(entry for entry in map(self.entries.get, candidates)
                          if entry is not None and part in entry[FOLDED])[offset:wanted]
        if not part and candidates is None:
            return self.order[offset:wanted]
        found = []
        for position in self._titles_containing(part) if part else range(len(self.order)):
            entry = self.order[position]
            if candidates is None or entry[ROWID] in candidates:
                found.append(entry)
                if len(found) == wanted:
                    break
        return found[offset:]


class DashboardCatalog:
    def __init__(self, index: Index):
        self._index = index
        self._lock = threading.Lock()
        self._seen = -1
        self._orgs: dict[int, _Org] = defaultdict(_Org)
        self._org_of: dict[int, int] = {}  # rowid -> org id

    def refresh(self) -> None:
        """Take in the changes other writers made since the last look (at first, the whole table)."""
        connection = self._index.connection
        top = connection.execute("SELECT coalesce(max(seq), 0) FROM dashboard_changes").fetchone()[0]
        if top == self._seen:
            return
        with self._lock:
            if top == self._seen:
                return
            oldest = connection.execute("SELECT coalesce(min(seq), 0) FROM dashboard_changes").fetchone()[0]
            if self._seen < 0 or top < self._seen or oldest > self._seen + 1:  # first use, rebuilt, or left behind
                self._orgs.clear()
                self._org_of.clear()
                rows = connection.execute(f"SELECT {ENTRY_FIELDS} FROM dashboards")
            else:
                changed = [row[0] for row in connection.execute(
                    "SELECT DISTINCT changed FROM dashboard_changes WHERE seq > ? AND seq <= ?", (self._seen, top))]
                for rowid in changed:
                    if rowid in self._org_of:
                        self._orgs[self._org_of.pop(rowid)].remove(rowid)
                rows = connection.execute(f"SELECT {ENTRY_FIELDS} FROM dashboards WHERE rowid IN "
                                          "(SELECT value FROM json_each(?))", (json.dumps(changed),))
            arrived: dict[int, list[Entry]] = defaultdict(list)
            for entry in map(_entry, rows):
                arrived[entry[ORG_ID]].append(entry)
                self._org_of[entry[ROWID]] = entry[ORG_ID]
            for org_id, entries in arrived.items():
                if len(entries) > 1:
                    self._orgs[org_id].load(entries)
                else:
                    self._orgs[org_id].add(entries[0])
            self._seen = top

    def search(self, org_id: int, *, part: str, tags: list[str], among: list[set[int]], limit: int,
               offset: int) -> list[dict]:
        """As DashboardStore.search, with the title part already folded, and the rowids that the other filters
        (ids, uids, stars) let through, each a set in among."""
        self.refresh()
        with self._lock:
            org = self._orgs.get(org_id) or _Org()
            # The smallest set as it is (a tag's may hold most of the org; copying it cost more than the search),
            # and intersections of it as new sets: the catalog's own are never changed here.
            candidates: set[int] | None = None
            for rowids in sorted([org.by_tag.get(tag, set()) for tag in set(tags)] + among, key=len):
                candidates = rowids if candidates is None else candidates & rowids
            return [_hit(entry) for entry in org.search(part, candidates, limit, offset)]

    def tags(self, org_id: int, visible: tuple[list[str], list[str]] | None = None) -> list[dict]:
        """[{term, count}] of the org's dashboards; with visible (folder uids, dashboard uids), of those only."""
        self.refresh()
        with self._lock:
            org = self._orgs.get(org_id) or _Org()
            if visible is None:
                return [{"term": term, "count": len(org.by_tag[term])} for term in sorted(org.by_tag)]
            folders, dashboards = set(visible[0]), set(visible[1])
            counts: dict[str, int] = defaultdict(int)
            for entry in org.entries.values():
                if entry[FOLDER_UID] in folders or entry[UID] in dashboards:
                    for tag in set(entry[TAGS]):
                        counts[tag] += 1
            return [{"term": term, "count": counts[term]} for term in sorted(counts)]
