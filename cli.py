"""The `dashsnap` command: serve the API (what it does with no command), and look after a data dir.

Every command reads the settings the server would (defaults < --config ini < GF_* variables < options), so
`--data` and `--config` name the same data dir for serving and for maintenance.
"""
from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
from flask import Flask
from marshmallow import ValidationError

from . import security, serving
from .app import create_app
from .blueprints.context import EXTENSION
from .config import ConfigError, database_settings, describe_database, load_config
from .schemas.base import ORG_ROLES
from .schemas.users import MIN_PASSWORD_LENGTH, UserCreateSchema
from .storage import Conflict, DataDirInUse, ServingLock, Store, open_store, rebuild_index, unavailable
from .storage.backup import BackupError, export_archive, export_database, import_archive, import_into_database
from .version import DASHSNAP_VERSION

log = logging.getLogger("dashsnap")
ADMIN_USER_ID = 1  # the user Grafana's `admin reset-admin-password` resets: the one the first start made


class BadSetting(click.ClickException):
    exit_code = 2  # as for a bad option: the command was not started


class ServeByDefault(click.Group):
    """`dashsnap` alone, or with only options, serves; options may come before a command's name."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        named = next((index for index, arg in enumerate(args) if arg in self.commands), None)
        if named is not None:  # `dashsnap --data d cleanup` reads as `dashsnap cleanup --data d`
            args = [args[named], *args[:named], *args[named + 1:]]
        elif not set(args) & {"--help", "-h", "--version"}:
            args = ["serve", *args]
        return super().parse_args(ctx, args)


def data_dir_options(command: Callable) -> Callable:
    command = click.option("--data", "data_dir", type=click.Path(file_okay=False),
                           help="The data dir (default: GF_PATHS_DATA, else ./data).")(command)
    return click.option("--config", "config_file", type=click.Path(dir_okay=False),
                        help="A grafana.ini-style file (default: GF_PATHS_CONFIG, else none).")(command)


def _overrides(config_file: str | None, data_dir: str | None, **more: Any) -> dict[str, Any]:
    overrides = {"DASHSNAP_CONFIG_FILE": config_file, "DASHSNAP_DATA_DIR": data_dir, **more}
    return {key: value for key, value in overrides.items() if value is not None}


def _settings(config_file: str | None, data_dir: str | None) -> dict[str, Any]:
    try:
        return load_config(config_file, overrides=_overrides(config_file, data_dir))
    except ConfigError as error:
        raise BadSetting(str(error)) from None


def _app(config_file: str | None, data_dir: str | None, **more: Any) -> Flask:
    try:
        return create_app(_overrides(config_file, data_dir, **more))
    except ConfigError as error:
        raise BadSetting(str(error)) from None


def _existing_data_dir(config_file: str | None, data_dir: str | None) -> Path:
    """The data dir the settings name; a mistyped one is refused rather than made."""
    path = Path(_settings(config_file, data_dir)["DASHSNAP_DATA_DIR"])
    if not path.is_dir():
        raise click.ClickException(f"there is no data dir at {path}")
    return path


@contextmanager
def _database_store(config_file: str | None, data_dir: str | None) -> Iterator[tuple[Store, str] | None]:
    """A store on the [database] the settings name, and how to name that database, closed after; None when the
    settings keep the data in the data dir."""
    settings = _settings(config_file, data_dir)
    try:
        database = database_settings(settings)
    except ConfigError as error:
        raise BadSetting(str(error)) from None
    if database is None:
        yield None
        return
    name = describe_database(database)
    try:
        store = open_store(Path(settings["DASHSNAP_DATA_DIR"]), database)
    except unavailable() as error:
        raise click.ClickException(f"cannot reach the database {name}: {error}") from None
    try:
        yield store, name
    finally:
        store.close()


def _maintenance_app(config_file: str | None, data_dir: str | None) -> Flask:
    """The app on an existing data dir, without the sweeper thread a server runs."""
    return _app(config_file, str(_existing_data_dir(config_file, data_dir)), DASHSNAP_CLEANUP_INTERVAL=0)


@contextmanager
def _alone_on(data_dir: Path) -> Iterator[None]:
    """Hold data_dir with no server running on it (the command's own work must not race a server's)."""
    try:
        with ServingLock(data_dir).alone():
            yield
    except DataDirInUse:
        raise click.ClickException(f"a dashsnap server is running on {data_dir}; stop it first") from None


def _new_password(password: str | None, from_stdin: bool) -> str:
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    elif password is None:
        password = click.prompt("New password", hide_input=True, confirmation_prompt=True)
    if len(password) < MIN_PASSWORD_LENGTH:
        raise click.ClickException(f"the password must be at least {MIN_PASSWORD_LENGTH} characters")
    return password


@click.group(cls=ServeByDefault, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(DASHSNAP_VERSION, prog_name="dashsnap")
def main() -> None:
    """dashsnap: a small server that speaks Grafana's HTTP API and keeps everything as JSON files.

    With no command, `dashsnap` serves (see `dashsnap serve --help`).
    """


@main.command()
@data_dir_options
@click.option("--port", type=click.IntRange(1, 65535), help="The port (default: GF_SERVER_HTTP_PORT, else 3000).")
def serve(config_file: str | None, data_dir: str | None, port: int | None) -> None:
    """Serve the API with waitress (the default command)."""
    from waitress.server import create_server

    workers = serving.worker_count(_settings(config_file, data_dir)["DASHSNAP_WORKERS"])
    if workers < 0:
        raise BadSetting(f"[server] workers: expected 0 (one per CPU) or more, got {workers}")
    serving.configure_logging()
    app = _app(config_file, data_dir, DASHSNAP_HTTP_PORT=port)
    settings = app.extensions[EXTENSION].settings
    host, port = settings["DASHSNAP_HTTP_ADDR"], settings["DASHSNAP_HTTP_PORT"]
    ServingLock(Path(settings["DASHSNAP_DATA_DIR"])).hold()
    database = database_settings(settings)
    kept_in = describe_database(database) if database else Path(settings["DASHSNAP_DATA_DIR"]).resolve()
    listening = f"dashsnap on http://{host}:{port}/ with data in {kept_in}"
    if workers == 1:
        try:
            server = create_server(app, host=host, port=port, threads=settings["DASHSNAP_THREADS"], ident="dashsnap",
                                   **serving.WAITRESS_TUNING)
        except OSError as error:
            raise _cannot_listen(host, port, error) from None
        serving.settle(app)
        log.info("%s", listening)
        server.run()
        return
    try:
        sockets = serving.listening_sockets(host, port)
    except OSError as error:
        raise _cannot_listen(host, port, error) from None
    if not serving.run_workers(settings, sockets, workers, lambda: log.info("%s and %d workers", listening, workers)):
        raise click.ClickException("a worker could not start (its error is above)")


def _cannot_listen(host: str, port: int, error: OSError) -> click.ClickException:
    return click.ClickException(f"cannot listen on {host}:{port}: {error.strerror or error}")


@main.command("create-user")
@data_dir_options
@click.option("--login", required=True, help="The user's login.")
@click.option("--email", help="The user's email (default: the login).")
@click.option("--name", default="", help="The user's display name.")
@click.option("--role", type=click.Choice(ORG_ROLES), default="Viewer", show_default=True,
              help="The user's role in the main org.")
@click.option("--server-admin", is_flag=True, help="Make the user a server admin.")
@click.option("--password-from-stdin", is_flag=True, help="Read the password from the first line of stdin.")
def create_user(config_file: str | None, data_dir: str | None, login: str, email: str | None, name: str,
                role: str, server_admin: bool, password_from_stdin: bool) -> None:
    """Create a user (asks for the password unless --password-from-stdin)."""
    try:
        user = UserCreateSchema().load({"login": login, "email": email or "", "name": name,
                                        "password": _new_password(None, password_from_stdin)})
    except ValidationError as error:
        raise click.ClickException("; ".join(f"{field}: {' '.join(messages)}"
                                             for field, messages in error.messages.items())) from None
    # The one maintenance command that may start a data dir: users can be set up before the first start.
    store = _app(config_file, data_dir, DASHSNAP_CLEANUP_INTERVAL=0).extensions[EXTENSION].store
    try:
        created = store.users.create(login=user["login"], email=user["email"], name=user["name"],
                                     password_hash=security.hash_password(user["password"]),
                                     is_server_admin=server_admin, org_roles={1: role})
    except Conflict as conflict:
        raise click.ClickException(f"a user with that {conflict.field} already exists") from None
    click.echo(f"created user {user['login']!r} with id {created['id']}")


@main.command("reset-admin-password")
@data_dir_options
@click.argument("password", required=False)
@click.option("--password-from-stdin", is_flag=True, help="Read the password from the first line of stdin.")
@click.option("--login", help="Reset this user's password instead of the first admin's (user id 1).")
def reset_admin_password(config_file: str | None, data_dir: str | None, password: str | None,
                         password_from_stdin: bool, login: str | None) -> None:
    """Give the admin a new password; their sessions end. PASSWORD on the command line shows in the process
    list: prefer the prompt or --password-from-stdin."""
    password = _new_password(password, password_from_stdin)
    store = _maintenance_app(config_file, data_dir).extensions[EXTENSION].store
    user = store.users.find_by_login_or_email(login) if login else store.users.get(ADMIN_USER_ID)
    if user is None:
        raise click.ClickException(f"no user {login!r}" if login else "no user has id 1; name one with --login")
    store.users.update(user["id"], passwordHash=security.hash_password(password))
    click.echo(f"the password of {user['login']!r} is reset")


@main.command()
@data_dir_options
def cleanup(config_file: str | None, data_dir: str | None) -> None:
    """Delete expired snapshots now (a server also does it every [snapshots] cleanup_interval)."""
    removed = open_store(_existing_data_dir(config_file, data_dir)).snapshots.purge_expired()
    click.echo(f"removed {removed} expired snapshot{'' if removed == 1 else 's'}")


@main.command()
@data_dir_options
def reindex(config_file: str | None, data_dir: str | None) -> None:
    """Rebuild the index from the JSON files (with the server stopped)."""
    source = _existing_data_dir(config_file, data_dir)
    with _alone_on(source):
        rebuild_index(source)
    click.echo("the index lists every document again")


@main.command("export")
@data_dir_options
@click.argument("archive", type=click.Path(dir_okay=False))
def export_command(config_file: str | None, data_dir: str | None, archive: str) -> None:
    """Back the data dir (or the [database]) up into ARCHIVE (.tar.gz), consistent even while servers write to
    it; either store imports it."""
    with _database_store(config_file, data_dir) as shared:
        try:
            if shared:
                store, source = shared
                count = export_database(store.index.files, Path(archive))
            else:
                source = _existing_data_dir(config_file, data_dir)
                count = export_archive(source, Path(archive))
        except BackupError as error:
            raise click.ClickException(str(error)) from None
    click.echo(f"exported {count} files from {source} to {archive}")


@main.command("import")
@data_dir_options
@click.argument("archive", type=click.Path(exists=True, dir_okay=False))
@click.option("--replace", is_flag=True,
              help="Import even when the data dir holds data: that data moves into a .replaced-* folder in it.")
def import_command(config_file: str | None, data_dir: str | None, archive: str, replace: bool) -> None:
    """Restore an export into the data dir or the [database] (with the servers stopped), then build its index."""
    with _database_store(config_file, data_dir) as shared:
        if shared:
            store, name = shared
            try:
                count = import_into_database(Path(archive), store.index.files, replace=replace)
                store.reconcile()
            except BackupError as error:
                raise click.ClickException(str(error)) from None
            click.echo(f"imported {count} files into {name}")
            return
    target = Path(_settings(config_file, data_dir)["DASHSNAP_DATA_DIR"])
    target.mkdir(parents=True, exist_ok=True, mode=0o700)
    with _alone_on(target):
        try:
            count, replaced = import_archive(Path(archive), target, replace=replace)
        except BackupError as error:
            raise click.ClickException(str(error)) from None
        rebuild_index(target)
    click.echo(f"imported {count} files into {target}")
    if replaced is not None:
        click.echo(f"the data it replaced is in {replaced}")
