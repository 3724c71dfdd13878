"""Counts for the server admin's stats page, from the index alone."""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from . import Store

ROLE_RANK = "CASE role WHEN 'Admin' THEN 3 WHEN 'Editor' THEN 2 ELSE 1 END"


def _count(store: "Store", table: str) -> int:
    return store.index.query(f"SELECT count(*) AS n FROM {table}")[0]["n"]


def admin_stats(store: "Store") -> dict[str, int]:
    """How many of each thing the data dir holds, and how many users have each role as their highest (Grafana
    counts a user once, by the highest role they hold in any org). Service accounts are no users."""
    ranks = {row["rank"]: row["n"] for row in store.index.query(
        f"SELECT rank, count(*) AS n FROM (SELECT user_id, max({ROLE_RANK}) AS rank FROM org_members "
        f"GROUP BY user_id) AS ranked GROUP BY rank")}
    orgs = [row["id"] for row in store.index.query("SELECT id FROM orgs")]
    tags = sum(len(store.dashboards.tags(org_id)) for org_id in orgs)
    return {"orgs": len(orgs), "dashboards": _count(store, "dashboards"), "snapshots": _count(store, "snapshots"),
            "tags": tags, "datasources": _count(store, "datasources"), "playlists": 0, "stars": _count(store, "stars"),
            "alerts": 0, "users": _count(store, "users"), "admins": ranks.get(3, 0), "editors": ranks.get(2, 0),
            "viewers": ranks.get(1, 0)}
