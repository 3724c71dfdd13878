"""Preferences: an org's in `orgs/<org_id>/preferences.json`, a user's (in that org, as in Grafana) in
`orgs/<org_id>/user-preferences/<user_id>.json`. They are read by name, one at a time, so the index does not list
them."""
from __future__ import annotations

from pathlib import Path

from . import documents


class PreferenceStore:
    def __init__(self, root: Path, files=documents):
        self._root = root
        self._files = files
        self._guard = files.WriteGuard(root)

    def _path(self, org_id: int, user_id: int | None) -> Path:
        org = self._root / "orgs" / str(int(org_id))
        return org / "preferences.json" if user_id is None else org / "user-preferences" / f"{int(user_id)}.json"

    def reconcile(self) -> None:
        self._files.remove_stale_temp_files(self._root / "orgs" / "*" / "user-preferences")

    def get(self, org_id: int, user_id: int | None = None) -> dict:
        """The org's preferences, or with user_id that user's in the org: what was set, {} when nothing was."""
        found = self._files.read_document(self._path(org_id, user_id))
        return found if isinstance(found, dict) else {}

    def chain(self, org_id: int, user_id: int) -> list[dict]:
        """The preferences that apply to a user in an org, the first that sets a field deciding it: the user's
        (none for user_id 0, which is nobody's), then the org's."""
        return [self.get(org_id, user_id), self.get(org_id)] if user_id else [self.get(org_id)]

    def decided(self, org_id: int, user_id: int, field: str) -> str:
        """What the chain decides for a text field ("" when nothing in it sets the field)."""
        return next((found[field] for found in self.chain(org_id, user_id) if found.get(field)), "")

    def put(self, org_id: int, preferences: dict, user_id: int | None = None) -> None:
        """Keep preferences (the whole set) as the org's, or with user_id as that user's in the org."""
        with self._guard.writing():
            self._files.write_document(self._path(org_id, user_id), preferences)

    def forget_org(self, org_id: int) -> None:
        with self._guard.writing():
            self._files.remove_document(self._path(org_id, None))
            self._files.remove_folder(self._path(org_id, 0).parent)

    def forget_user(self, user_id: int) -> None:
        with self._guard.writing():
            for org in self._files.folder_names(self._root / "orgs"):
                if org.isdigit():
                    self._files.remove_document(self._path(int(org), user_id))
