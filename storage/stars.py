"""Stars: `stars/<user_id>/<dashboard_id>.json`, one small document per starred dashboard, so starring and
unstarring are a single create or delete, and doing either twice changes nothing."""
from __future__ import annotations

import json
from pathlib import Path

from .index import Collection, Index


class StarStore:
    def __init__(self, root: Path, index: Index):
        self._folder = root / "stars"
        self._documents = Collection(
            index, root, "stars", {"user_id": "INTEGER", "dashboard_id": "INTEGER"}, "stars/*/*.json",
            lambda star: {"user_id": star["userId"], "dashboard_id": star["dashboardId"]},
            indexes=["user_id, dashboard_id", "dashboard_id"], sequence=False)

    def _path(self, user_id: int, dashboard_id: int) -> Path:
        return self._folder / str(int(user_id)) / f"{int(dashboard_id)}.json"

    def reconcile(self) -> None:
        self._documents.reconcile()

    def star(self, user_id: int, dashboard_id: int) -> None:
        try:
            self._documents.create(self._path(user_id, dashboard_id), {"userId": user_id, "dashboardId": dashboard_id})
        except FileExistsError:
            pass

    def unstar(self, user_id: int, dashboard_id: int) -> None:
        self._documents.delete(self._path(user_id, dashboard_id))

    def is_starred(self, user_id: int, dashboard_id: int) -> bool:
        return bool(self._documents.select("user_id = ? AND dashboard_id = ?", (user_id, dashboard_id),
                                           columns="1"))

    def starred_among(self, user_id: int, dashboard_ids: list[int]) -> set[int]:
        if len(dashboard_ids) > 100:  # a big page: the user's stars, fewer than its dashboards, then the overlap
            rows = self._documents.select("user_id = ?", (user_id,), columns="dashboard_id")
            return {row["dashboard_id"] for row in rows}.intersection(dashboard_ids)
        rows = self._documents.select("user_id = ? AND dashboard_id IN (SELECT value FROM json_each(?))",
                                      (user_id, json.dumps(dashboard_ids)),
                                      columns="dashboard_id")
        return {row["dashboard_id"] for row in rows}

    def forget_user(self, user_id: int) -> None:
        """Remove every star of a user who is gone."""
        for row in self._documents.select("user_id = ?", (user_id,), columns="dashboard_id"):
            self.unstar(user_id, row["dashboard_id"])

    def forget_dashboard(self, dashboard_id: int) -> None:
        """Remove every user's star of a dashboard that is gone."""
        for row in self._documents.select("dashboard_id = ?", (dashboard_id,), columns="user_id"):
            self.unstar(row["user_id"], dashboard_id)
