"""The directory-based JSON store. Nothing outside this package knows where or how documents are kept."""
from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from pathlib import Path

from . import documents
from .accounts import ApiKeyStore, OrgStore, UserStore
from .annotations import AnnotationStore
from .dashboards import DashboardStore, Save
from .datasources import DatasourceStore
from .documents import DataDirInUse, ServingLock, UnsafeName
from .errors import Conflict, Invalid, Missing, store_failures, unavailable
from .file_dashboards import FileDashboards
from .folders import FolderStore
from .index import INDEX_FILE, Index
from .permissions import ADMIN, DEFAULT_FOLDER_ITEMS, PermissionStore
from .preferences import PreferenceStore
from .service_accounts import ServiceAccountStore
from .snapshots import SnapshotStore
from .stars import StarStore
from .teams import TeamStore

__all__ = ["Conflict", "DataDirInUse", "FileDashboards", "Invalid", "Missing", "Save",
           "ServingLock", "Store", "UnsafeName", "open_store", "rebuild_index", "store_failures", "unavailable"]
log = logging.getLogger(__name__)


class Store:
    """One data dir: every resource's store, sharing one index."""

    def __init__(self, data_dir: Path, index: Index | None = None):
        self.data_dir = data_dir
        data_dir.mkdir(parents=True, exist_ok=True)
        # File names are snapshot keys and the index lists them: no other local user may look inside.
        data_dir.chmod(0o700)
        self.index = index or Index(data_dir / INDEX_FILE)
        self.closed = False
        self.login_failures = self.index.login_failures
        self.orgs = OrgStore(data_dir, self.index)
        self.users = UserStore(data_dir, self.index)
        self.api_keys = ApiKeyStore(data_dir, self.index)
        self.service_accounts = ServiceAccountStore(data_dir, self.index)
        self.teams = TeamStore(data_dir, self.index)
        self.snapshots = SnapshotStore(data_dir, self.index)
        self.folders = FolderStore(data_dir, self.index)
        self.dashboards = DashboardStore(data_dir, self.index)
        self.stars = StarStore(data_dir, self.index)
        self.datasources = DatasourceStore(data_dir, self.index)
        self.preferences = PreferenceStore(data_dir, self.index.files)
        self.permissions = PermissionStore(data_dir, self.index)
        self.annotations = AnnotationStore(data_dir, self.index)
        self._sweeping = self.index.files.KeptLock(data_dir / ".sweeper.lock")
        self._resources = [self.orgs, self.users, self.api_keys, self.service_accounts, self.teams, self.snapshots,
                           self.folders, self.dashboards, self.stars, self.datasources, self.preferences,
                           self.permissions, self.annotations]

    def close(self) -> None:
        """Give back the index's connections; the store is not used after this."""
        self.closed = True
        self.index.close()

    def reconcile(self) -> None:
        """Bring the index in line with the documents (after a crash, a restore, or a hand edit)."""
        with self.index.files.lock(self.data_dir / ".reconcile.lock"):
            for resource in self._resources:
                resource.reconcile()
            for folder in (self.data_dir, self.data_dir / "sequences"):
                self.index.files.remove_stale_temp_files(folder)

    def takes_sweeping(self) -> bool:
        """Whether this store is the one that sweeps expired snapshots: of the servers sharing the data dir, the
        first to ask, until it ends."""
        return self._sweeping.take()

    def secret_key(self, new_secret: Callable[[], str]) -> str:
        """The data dir's own secret key (mode 0600), made with new_secret on first use."""
        path = self.data_dir / "secret_key"
        try:
            with self.index.files.WriteGuard(self.data_dir).writing():
                self.index.files.create_file(path, new_secret().encode())
        except FileExistsError:
            pass
        return self.index.files.read_file(path).decode().strip()

    def create_folder(self, org_id: int, *, creator_id: int, **fields) -> dict:
        """FolderStore.create, with Grafana's permissions for a new folder: Admin for the user who made it (none
        for an API key), Edit for Editors, View for Viewers."""
        folder = self.folders.create(org_id, **fields)
        now = folder["created"]
        creator = [{"userId": creator_id, "teamId": 0, "role": "", "permission": ADMIN}] if creator_id else []
        self.permissions.put(org_id, "folders", folder["uid"], [
            {**item, "created": now, "updated": now} for item in creator + DEFAULT_FOLDER_ITEMS])
        return folder

    def save_dashboard(self, org_id: int, dashboard: dict, how: Save) -> dict:
        """DashboardStore.save into how.folder_uid, which may not go meanwhile; Missing("folder") when the org
        has no such folder."""
        with self.folders.holding(org_id, how.folder_uid):
            return self.dashboards.save(org_id, dashboard, how)

    def delete_folder(self, org_id: int, uid: str) -> tuple[dict, int, int] | None:
        """Delete the org's folder with everything in it: its dashboards (with their stars and versions) and
        folders, and theirs. The folder, how many folders went with it (itself included) and how many
        dashboards; None when there is none."""
        try:
            with self.folders.removing(org_id, uid) as tree:
                dashboards = self.dashboards.uids_in_folders(org_id, [folder["uid"] for folder in tree])
                for dashboard_uid in dashboards:
                    self.delete_dashboard(org_id, uid=dashboard_uid)
                for folder in tree:
                    self.permissions.forget(org_id, "folders", folder["uid"])
        except Missing:
            return None
        return tree[0], len(tree), len(dashboards)

    def delete_dashboard(self, org_id: int, *, slug: str | None = None, uid: str | None = None) -> dict | None:
        """Delete the org's dashboard with that slug or uid, every star of it and its annotations; the deleted
        record, or None."""
        record = self.dashboards.delete(org_id, slug=slug, uid=uid)
        if record is not None:
            self.stars.forget_dashboard(record["id"])
            self.permissions.forget(org_id, "dashboards", record["uid"])
            self.annotations.forget_dashboard(org_id, record["uid"])
        return record

    def delete_org(self, org_id: int) -> bool:
        """Delete an org with everything in it: folders, dashboards (and their stars), snapshots, data sources, API
        keys, service accounts, teams, and its users' memberships. The org's own document goes last, so an
        interrupted delete can be run again."""
        if self.orgs.get(org_id) is None:
            return False
        for uid in self.folders.uids_of_org(org_id):
            self.delete_folder(org_id, uid)
        for uid in self.dashboards.uids_of_org(org_id):
            self.delete_dashboard(org_id, uid=uid)
        for key in self.snapshots.keys_of_org(org_id):
            self.snapshots.delete(key)
        for source_id in self.datasources.ids_of_org(org_id):
            self.datasources.delete(org_id, source_id)
        for api_key in self.api_keys.list_for_org(org_id, include_expired=True):
            self.api_keys.delete(org_id, api_key["id"])
        for account_id in self.service_accounts.ids_of_org(org_id):
            self.delete_service_account(org_id, account_id)
        for team_id in self.teams.ids_of_org(org_id):
            self.teams.delete(org_id, team_id)
        for member in self.users.members(org_id):
            self.users.set_membership(member["userId"], org_id, None, keep_an_admin=False)
        self.preferences.forget_org(org_id)
        self.annotations.forget_org(org_id)
        return self.orgs.delete(org_id)

    def delete_user(self, user_id: int) -> bool:
        """Delete a user with their memberships (of orgs and teams) and stars (API keys belong to orgs)."""
        if not self.users.delete(user_id):
            return False
        self.forget_team_memberships(user_id)
        self.stars.forget_user(user_id)
        self.preferences.forget_user(user_id)
        return True

    def forget_team_memberships(self, user_id: int, org_id: int | None = None) -> None:
        """Take the user out of every team (of that org, when given)."""
        teams = self.teams.of_user(user_id, org_id)
        for team_id, team_org in self.teams.orgs_of_teams(list(teams)).items():
            try:
                self.teams.set_member(team_org, team_id, user_id, None)
            except Missing:
                pass  # taken out meanwhile

    def delete_team(self, org_id: int, team_id: int) -> bool:
        """Delete a team and the permission items that name it."""
        if not self.teams.delete(org_id, team_id):
            return False
        for (kind, uid), items in self.permissions.of_org(org_id).items():
            kept = [item for item in items if item.get("teamId") != team_id]
            if len(kept) != len(items):
                self.permissions.put(org_id, kind, uid, kept)
        return True

    def delete_service_account(self, org_id: int, account_id: int) -> bool:
        """Delete a service account with its tokens, stars and preferences."""
        if self.service_accounts.get(org_id, account_id) is None:
            return False
        for token in self.api_keys.tokens_of(org_id, account_id):
            self.api_keys.delete(org_id, token["id"], service_account_id=account_id)
        self.stars.forget_user(account_id)
        self.preferences.forget_user(account_id)
        return self.service_accounts.delete(org_id, account_id)

    def migrate_api_key(self, org_id: int, key_id: int) -> dict | None:
        """Turn one of the org's API keys into a service account of its role, named as Grafana names it
        (`sa-autogen-<name>`), with the key as its token, so the key keeps working; the account, or None when the
        org has no such key. Conflict("name") when the name is taken."""
        api_key = self.api_keys.get(org_id, key_id)
        if api_key is None or api_key.get("serviceAccountId"):
            return None
        account = self.service_accounts.create(org_id, name=f"sa-autogen-{api_key['name']}", role=api_key["role"],
                                               login=f"sa-autogen-{org_id}-{api_key['name']}")
        self.api_keys.give_to(org_id, key_id, account["id"])
        return account

    def home_dashboard(self, configured_path: str = "") -> dict | None:
        """The home dashboard a file provides (the configured path, else `home.json` in the data dir), or None."""
        path = Path(configured_path) if configured_path else self.data_dir / "home.json"
        try:
            home = documents.read_document(path)
        except (OSError, ValueError) as error:
            log.warning("home dashboard %s is unreadable: %s", path, error)
            return None
        return home if isinstance(home, dict) else None

    def is_writable(self) -> bool:
        return self.index.files.is_writable(self.data_dir)


def rebuild_index(data_dir: str | Path) -> Store:
    """Throw the index away and build it anew from every document (no server may be running on data_dir)."""
    Index.discard(Path(data_dir) / INDEX_FILE)
    return open_store(data_dir)


def open_store(data_dir: str | Path, database: dict | None = None) -> Store:
    """Open the store on data_dir, its index brought in line with the documents (and rebuilt if damaged); or,
    with database (Grafana's [database] settings, type postgres), on that PostgreSQL database, its schema
    brought to this version first."""
    data_dir = Path(data_dir)
    if database and database.get("type") == "postgres":
        return _open_database_store(data_dir, database)
    try:
        store = Store(data_dir)
        store.reconcile()
    except sqlite3.DatabaseError as error:
        # Only damage ("malformed", "not a database") is exactly a DatabaseError; a locked index
        # (OperationalError) belongs to another process and must not be thrown away.
        if type(error) is not sqlite3.DatabaseError:
            raise
        log.warning("the index in %s is damaged (%s); rebuilding it from the documents", data_dir, error)
        Index.discard(data_dir / INDEX_FILE)
        store = Store(data_dir)
        store.reconcile()
    return store


def _open_database_store(data_dir: Path, settings: dict) -> Store:
    from .postgres import Database, PgIndex, conninfo  # psycopg loads only for a store that uses it

    database = Database(conninfo(settings), max_connections=settings["max_connections"])
    try:
        with database.migrating():
            store = Store(data_dir, PgIndex(database, data_dir))
        store.reconcile()
    except BaseException:
        database.close()
        raise
    return store
