"""dashsnap: a small server that speaks Grafana's HTTP API and keeps everything as JSON files.

`create_app(config)` builds the app; `python app.py` runs the `dashsnap` command (cli.py), which serves it.
"""
from __future__ import annotations

if not __package__:  # `python app.py` from a checkout: import this folder as the `dashsnap` package
    import os
    import sys
    import types

    sys.modules["dashsnap"] = types.ModuleType("dashsnap")
    sys.modules["dashsnap"].__path__ = [os.path.dirname(os.path.abspath(__file__))]
    __package__ = "dashsnap"

import logging
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

from . import security
from .blueprints import build_blueprint
from .blueprints.context import EXTENSION, DashSnapState
from .blueprints.errors import register_error_handlers
from .blueprints.observe import register_request_hooks
from .config import database_settings, load_config
from .metrics import Metrics
from .storage import Conflict, FileDashboards, Store, open_store

log = logging.getLogger("dashsnap")
MAIN_ORG_NAME = "Main Org."
SESSION_LIFETIME_SECONDS = 7 * 24 * 3600  # Grafana's login_remember_days default


def _bootstrap_accounts(store: Store, settings: Mapping[str, Any]) -> None:
    """Org 1 and the server admin, on the first start of a data dir."""
    store.orgs.ensure_main_org(MAIN_ORG_NAME)
    if store.users.count() == 0:
        login = settings["DASHSNAP_ADMIN_USER"]
        try:
            store.users.create(login=login, email=f"{login}@localhost" if "@" not in login else login, name="",
                               password_hash=security.hash_password(settings["DASHSNAP_ADMIN_PASSWORD"]),
                               is_server_admin=True, org_roles={1: "Admin"})
        except Conflict:
            pass  # another process bootstrapped the same data dir at the same moment


def _sweep(store: Store) -> None:
    removed = store.snapshots.purge_expired()
    if removed:
        log.info("removed %d expired snapshot%s", removed, "" if removed == 1 else "s")


def _sweep_expired_snapshots(store: Store, interval: int) -> None:
    """Remove expired snapshots now, then every interval seconds in a daemon thread (0: only now).

    With an interval, one process sweeps a data dir however many serve it (the workers of `[server] workers`,
    several servers, a host app's processes): the one whose store `takes_sweeping`. The others ask again each
    interval, so one of them takes over when it ends."""
    if interval <= 0:
        _sweep(store)
        return
    if store.takes_sweeping():
        _sweep(store)

    def sweep_forever() -> None:
        while True:
            time.sleep(interval)
            if store.closed:
                return
            try:
                if store.takes_sweeping():
                    _sweep(store)
            except Exception:  # a failed sweep must not end the sweeping
                log.exception("expired snapshot sweep failed")

    threading.Thread(target=sweep_forever, name="dashsnap-sweeper", daemon=True).start()


class DashSnap:
    """The Flask extension: `DashSnap(app)` or `DashSnap().init_app(app)` wires the store and the routes.

    In a host app: `DashSnap(host_app, url_prefix="/grafana", data_dir="/srv/dashsnap")`. dashsnap's settings
    are the host config's `DASHSNAP_*` keys (defaults fill the ones it lacks), its JSON errors cover its own
    routes only, and nothing of the host's routes, handlers, session or config changes.
    """

    def __init__(self, app: Flask | None = None, *, url_prefix: str = "", data_dir: str | Path | None = None):
        if app is not None:
            self.init_app(app, url_prefix=url_prefix, data_dir=data_dir)

    def init_app(self, app: Flask, *, url_prefix: str = "", data_dir: str | Path | None = None) -> None:
        self._install(app, url_prefix=url_prefix, data_dir=data_dir, whole_app=False)

    def _install(self, app: Flask, *, url_prefix: str = "", data_dir: str | Path | None = None,
                 whole_app: bool) -> None:
        """init_app; with whole_app (create_app: the app is dashsnap alone) the error handlers and the request hooks
        are the app's, so routing 404s and 405s answer JSON and are timed and logged too, and a request runs one
        pair of hooks."""
        if EXTENSION in app.extensions:
            raise RuntimeError("dashsnap is already set up on this app; use the existing one")
        if data_dir is not None:
            app.config["DASHSNAP_DATA_DIR"] = str(data_dir)
        # A host that names no root_url gets urls built from the address each request came to.
        app.config.setdefault("DASHSNAP_ROOT_URL", "")
        for key, value in load_config(environ={}).items():
            app.config.setdefault(key, value)
        settings = {key: value for key, value in app.config.items() if key.startswith("DASHSNAP_")}
        store = open_store(Path(settings["DASHSNAP_DATA_DIR"]), database_settings(settings))
        store.dashboards.versions_to_keep = settings["DASHSNAP_VERSIONS_TO_KEEP"]
        secret_key = settings["DASHSNAP_SECRET_KEY"] or store.secret_key(security.new_secret_key)
        _bootstrap_accounts(store, settings)
        app.extensions[EXTENSION] = DashSnapState(
            store=store, settings=settings, passwords=security.PasswordChecker(secret_key),
            file_dashboards=FileDashboards(settings["DASHSNAP_DASHBOARDS_JSON_PATH"]),
            sessions=security.SessionSigner(secret_key, SESSION_LIFETIME_SECONDS),
            login_throttle=security.LoginThrottle(shared=store.login_failures), metrics=Metrics(store),
            url_prefix=url_prefix.rstrip("/"))
        app.register_blueprint(build_blueprint(catch_wrong_methods=bool(url_prefix.strip("/")),
                                               observe_requests=not whole_app), url_prefix=url_prefix)
        if whole_app:
            register_error_handlers(app)
            register_request_hooks(app)
        _sweep_expired_snapshots(store, settings["DASHSNAP_CLEANUP_INTERVAL"])


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the standalone app: defaults < ini file (DASHSNAP_CONFIG_FILE or GF_PATHS_CONFIG) < GF_* < config."""
    config = dict(config or {})
    app = Flask(__name__)
    app.config.from_mapping(load_config(config.get("DASHSNAP_CONFIG_FILE"), overrides=config))
    DashSnap()._install(app, whole_app=True)
    return app


if __name__ == "__main__":
    from .cli import main

    main(prog_name="dashsnap")
