"""What the caller may do with a folder or a dashboard: View, Edit or Admin (1, 2, 4), as Grafana's folder and
dashboard permissions decide it.

An item grants its permission to the user it names, or to every member whose org role is the role it names or
above (a Viewer item reaches Editors and Admins too, as Grafana's basic roles inherit). A folder gives what its
items and those of every folder above it grant; a dashboard what its folder gives and what its own items grant.
General gives Editors Edit and Viewers View. Org Admins may do everything. A team item reaches the team's members.
"""
from __future__ import annotations

import functools
from collections.abc import Callable, Iterable

from flask import g

from ..storage.permissions import ADMIN, DEFAULT_FOLDER_ITEMS, EDIT, VIEW
from .auth import Identity, current_identity
from .context import store
from .decorators import annotate
from .errors import Forbidden

__all__ = ["ADMIN", "EDIT", "VIEW", "Access", "access", "editor_somewhere", "require"]
NAMES = {VIEW: "View", EDIT: "Edit", ADMIN: "Admin"}


def granted(identity: Identity, items: Iterable[dict], teams: frozenset[int] = frozenset()) -> int:
    """The highest permission the items grant the identity, a member of those teams (0 for none)."""
    level = 0
    for item in items:
        if (item.get("userId") and item["userId"] == identity.user_id) or \
                (item.get("teamId") and item["teamId"] in teams) or \
                (item.get("role") and identity.has_role(item["role"])):
            level = max(level, item["permission"])
    return level


class Access:
    """One request's view of the caller's permissions in its org, read from the index once."""

    def __init__(self, identity: Identity):
        self.identity = identity
        self.everything = identity.has_role("Admin")
        self._set: dict[tuple[str, str], list[dict]] | None = None
        self._folders: dict[str, dict] | None = None
        self._teams: frozenset[int] | None = None

    def _items(self) -> dict[tuple[str, str], list[dict]]:
        if self._set is None:
            self._set = store().permissions.of_org(self.identity.org_id)
        return self._set

    def _every_folder(self) -> dict[str, dict]:
        if self._folders is None:
            self._folders = store().folders.summaries(self.identity.org_id)
        return self._folders

    def _granted(self, items: Iterable[dict]) -> int:
        if self._teams is None:
            identity = self.identity
            self._teams = frozenset(store().teams.of_user(identity.user_id, identity.org_id)
                                    if identity.user_id else ())
        return granted(self.identity, items, self._teams)

    def folder(self, folder_uid: str) -> int:
        """What the caller may do in the folder ("" is General) and with what it holds."""
        if self.everything:
            return ADMIN
        if not folder_uid:
            return self._granted(DEFAULT_FOLDER_ITEMS)
        level, seen, uid = 0, set(), folder_uid
        every = self._every_folder()
        while uid and uid not in seen:
            seen.add(uid)
            level = max(level, self._granted(self._items().get(("folders", uid), DEFAULT_FOLDER_ITEMS)))
            uid = every[uid]["parent_uid"] if uid in every else ""
        return level

    def dashboard(self, dashboard_uid: str, folder_uid: str) -> int:
        """What the caller may do with the dashboard in that folder."""
        if self.everything:
            return ADMIN
        own = self._items().get(("dashboards", dashboard_uid), [])
        return max(self.folder(folder_uid), self._granted(own))

    def edits_anything(self) -> bool:
        """Whether the caller may edit in some folder or some dashboard (Editors always may, in General)."""
        return self.identity.has_role("Editor") or any(
            self._granted(items) >= EDIT for items in self._items().values())

    def hidden(self) -> tuple[list[str], list[str]] | None:
        """None when the caller may view every folder and dashboard; else (the folders it may view, "" among
        them for General, and the dashboards it may view elsewhere by their own permissions)."""
        if self.everything:
            return None
        viewable = [""] if self.folder("") >= VIEW else []
        viewable += [uid for uid in self._every_folder() if self.folder(uid) >= VIEW]
        if len(viewable) == len(self._every_folder()) + 1:
            return None
        shown = [uid for (kind, uid), items in self._items().items()
                 if kind == "dashboards" and self._granted(items) >= VIEW]
        return viewable, shown


def access() -> Access:
    """The current request's Access (made once per request)."""
    found = g.get("dashsnap_access")
    if found is None or found.identity is not current_identity():
        found = g.dashsnap_access = Access(current_identity())
    return found


def editor_somewhere(view: Callable) -> Callable:
    """403 before the body is read when nothing lets the caller edit, as Grafana's route check does for a write
    that names no scope yet."""

    @functools.wraps(view)
    def guarded(*args, **kwargs):
        if not access().edits_anything():
            raise Forbidden()
        return view(*args, **kwargs)

    return annotate(guarded, permission="Edit")


def require(level: int, granted_level: int) -> None:
    """403 unless granted_level reaches level."""
    if granted_level < level:
        raise Forbidden()
