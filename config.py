"""Settings: defaults, an optional grafana.ini-style file, then GF_<SECTION>_<KEY> environment variables.

One table (SETTINGS) maps each ini section/key to the Flask config key dashsnap reads, its type and its
default. Nothing here imports Flask, so the loading rules can be tested on their own.
"""
from __future__ import annotations

import configparser
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

MIB = 1024 * 1024


@dataclass(frozen=True)
class Setting:
    section: str
    key: str
    config_key: str
    type: type
    default: Any

    @property
    def env_var(self) -> str:
        return f"GF_{self.section.replace('.', '_')}_{self.key}".upper()


SETTINGS = [
    Setting("server", "protocol", "DASHSNAP_PROTOCOL", str, "http"),
    Setting("server", "domain", "DASHSNAP_DOMAIN", str, "localhost"),
    Setting("server", "http_addr", "DASHSNAP_HTTP_ADDR", str, "0.0.0.0"),
    Setting("server", "http_port", "DASHSNAP_HTTP_PORT", int, 3000),
    Setting("server", "root_url", "DASHSNAP_ROOT_URL", str, "%(protocol)s://%(domain)s:%(http_port)s/"),
    Setting("server", "max_body_bytes", "DASHSNAP_MAX_BODY_BYTES", int, 16 * MIB),
    Setting("server", "threads", "DASHSNAP_THREADS", int, 8),
    Setting("server", "workers", "DASHSNAP_WORKERS", int, 1),
    Setting("paths", "data", "DASHSNAP_DATA_DIR", str, "data"),
    # sqlite3 (Grafana's default name for the embedded store) is the data dir; postgres is a shared database.
    Setting("database", "type", "DASHSNAP_DATABASE_TYPE", str, "sqlite3"),
    Setting("database", "host", "DASHSNAP_DATABASE_HOST", str, "127.0.0.1:5432"),
    Setting("database", "name", "DASHSNAP_DATABASE_NAME", str, "dashsnap"),
    Setting("database", "user", "DASHSNAP_DATABASE_USER", str, "dashsnap"),
    Setting("database", "password", "DASHSNAP_DATABASE_PASSWORD", str, ""),
    Setting("database", "ssl_mode", "DASHSNAP_DATABASE_SSL_MODE", str, "disable"),
    Setting("database", "url", "DASHSNAP_DATABASE_URL", str, ""),
    Setting("database", "max_open_conn", "DASHSNAP_DATABASE_MAX_OPEN_CONN", int, 0),
    Setting("security", "admin_user", "DASHSNAP_ADMIN_USER", str, "admin"),
    Setting("security", "admin_password", "DASHSNAP_ADMIN_PASSWORD", str, "admin"),
    Setting("security", "secret_key", "DASHSNAP_SECRET_KEY", str, ""),
    Setting("security", "csrf_trusted_origins", "DASHSNAP_CSRF_TRUSTED_ORIGINS", str, ""),
    Setting("security", "cookie_secure", "DASHSNAP_COOKIE_SECURE", bool, False),
    Setting("snapshots", "enabled", "DASHSNAP_SNAPSHOTS_ENABLED", bool, True),
    Setting("snapshots", "external_enabled", "DASHSNAP_EXTERNAL_ENABLED", bool, False),
    Setting("snapshots", "external_snapshot_url", "DASHSNAP_EXTERNAL_SNAPSHOT_URL", str, ""),
    Setting("snapshots", "external_snapshot_name", "DASHSNAP_EXTERNAL_SNAPSHOT_NAME", str,
            "Publish to snapshot server"),
    Setting("snapshots", "public_mode", "DASHSNAP_SNAPSHOTS_PUBLIC_MODE", bool, False),
    Setting("snapshots", "public", "DASHSNAP_SNAPSHOTS_PUBLIC", bool, True),
    Setting("snapshots", "max_expires", "DASHSNAP_MAX_EXPIRES", int, 0),
    Setting("snapshots", "cleanup_interval", "DASHSNAP_CLEANUP_INTERVAL", int, 600),
    Setting("auth.basic", "enabled", "DASHSNAP_BASIC_AUTH_ENABLED", bool, True),
    Setting("auth.anonymous", "enabled", "DASHSNAP_ANONYMOUS_ENABLED", bool, False),
    Setting("auth.anonymous", "org_name", "DASHSNAP_ANONYMOUS_ORG_NAME", str, "Main Org."),
    Setting("auth.anonymous", "org_role", "DASHSNAP_ANONYMOUS_ORG_ROLE", str, "Viewer"),
    Setting("dataproxy", "timeout", "DASHSNAP_DATAPROXY_TIMEOUT", int, 30),
    Setting("users", "allow_org_create", "DASHSNAP_ALLOW_ORG_CREATE", bool, False),
    Setting("dashboards", "default_home_dashboard_path", "DASHSNAP_HOME_DASHBOARD_PATH", str, ""),
    Setting("dashboards", "versions_to_keep", "DASHSNAP_VERSIONS_TO_KEEP", int, 20),
    Setting("dashboards.json", "enabled", "DASHSNAP_DASHBOARDS_JSON_ENABLED", bool, False),
    Setting("dashboards.json", "path", "DASHSNAP_DASHBOARDS_JSON_PATH", str, "dashboards"),
    Setting("metrics", "enabled", "DASHSNAP_METRICS_ENABLED", bool, True),
    Setting("metrics", "basic_auth_username", "DASHSNAP_METRICS_BASIC_AUTH_USERNAME", str, ""),
    Setting("metrics", "basic_auth_password", "DASHSNAP_METRICS_BASIC_AUTH_PASSWORD", str, ""),
]

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


class ConfigError(ValueError):
    """A setting whose value cannot be used; the message names the setting and where it came from."""


def _convert(setting: Setting, raw: str, origin: str) -> Any:
    value = raw.strip()
    if setting.type is bool:
        if value.lower() in _TRUE:
            return True
        if value.lower() in _FALSE:
            return False
        raise ConfigError(f"[{setting.section}] {setting.key} from {origin}: expected true or false, got {value!r}")
    if setting.type is int:
        try:
            return int(value)
        except ValueError:
            raise ConfigError(f"[{setting.section}] {setting.key} from {origin}: expected a whole number, "
                              f"got {value!r}") from None
    return value


def _read_ini(path: str) -> configparser.RawConfigParser:
    # Raw: Grafana's own files are not Python-interpolated, and a '%' in a password must stay as it is.
    parser = configparser.RawConfigParser(inline_comment_prefixes=None)
    try:
        with open(path, encoding="utf-8") as ini_file:
            # grafana.ini starts with keys outside any section (app_mode, instance_name); configparser
            # refuses those, and its DEFAULT section would leak them into every section, so they get their own.
            parser.read_string("[grafana.ini top level]\n" + ini_file.read(), source=path)
    except OSError as error:
        raise ConfigError(f"cannot read config file {path}: {error.strerror}") from None
    except configparser.Error as error:
        raise ConfigError(f"config file {path} is not a valid ini file: {error}") from None
    return parser


def _expand_root_url(config: dict[str, Any]) -> str:
    root_url = config["DASHSNAP_ROOT_URL"]
    for name, key in (("protocol", "DASHSNAP_PROTOCOL"), ("domain", "DASHSNAP_DOMAIN"),
                      ("http_port", "DASHSNAP_HTTP_PORT")):
        root_url = root_url.replace(f"%({name})s", str(config[key]))
    return root_url if root_url.endswith("/") else root_url + "/"


def load_config(ini_path: str | None = None, environ: Mapping[str, str] | None = None,
                overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Return the effective settings as DASHSNAP_* keys: defaults < ini file < GF_* environment < overrides
    (already DASHSNAP_* keys: a command line's or create_app's).

    The ini path comes from the argument, else GF_PATHS_CONFIG; no file is read when neither names one.
    """
    environ = os.environ if environ is None else environ
    ini_path = ini_path or environ.get("GF_PATHS_CONFIG") or None
    parser = _read_ini(ini_path) if ini_path else None
    config: dict[str, Any] = {}
    for setting in SETTINGS:
        value = setting.default
        if parser is not None and parser.has_option(setting.section, setting.key):
            value = _convert(setting, parser.get(setting.section, setting.key), ini_path)
        if setting.env_var in environ:
            value = _convert(setting, environ[setting.env_var], setting.env_var)
        config[setting.config_key] = value
    config.update(overrides or {})
    # After the overrides: root_url's default names the port, which a command line may have changed.
    config["DASHSNAP_ROOT_URL"] = _expand_root_url(config)
    config["DASHSNAP_CONFIG_FILE"] = ini_path or ""
    return config



DATABASE_TYPES = ("sqlite3", "postgres")


def database_settings(config: Mapping[str, Any]) -> dict[str, Any] | None:
    """The [database] settings by key when they name a shared database (type postgres); None for the data dir.
    ConfigError for a type dashsnap has no store for."""
    kind = config.get("DASHSNAP_DATABASE_TYPE", "sqlite3")
    if kind not in DATABASE_TYPES:
        raise ConfigError(f"[database] type: expected one of {', '.join(DATABASE_TYPES)}, got {kind!r}")
    if kind == "sqlite3":
        return None
    threads = config.get("DASHSNAP_THREADS", 8)
    return {"type": kind, **{setting.key: config.get(setting.config_key, setting.default)
                             for setting in SETTINGS if setting.section == "database" and setting.key != "type"},
            # A thread may hold a lock's connection and a statement's at once; the sweeper and stragglers more.
            "max_connections": config.get("DASHSNAP_DATABASE_MAX_OPEN_CONN") or threads * 3 + 4}


def describe_database(database: Mapping[str, Any]) -> str:
    """The database, for a log or a message: its type, server and name, never its password."""
    if database.get("url"):
        from urllib.parse import urlsplit

        if not database["url"].startswith(("postgres://", "postgresql://")):
            return "the PostgreSQL database of [database] url"  # key=value pairs, which may hold a password
        address = urlsplit(database["url"])
        server, name = address.hostname or "", address.path.lstrip("/")
        if address.port:
            server += f":{address.port}"
    else:
        server, name = database.get("host") or "127.0.0.1:5432", database.get("name") or "dashsnap"
    return f"PostgreSQL database {name!r} on {server}"


def settings_by_section(config: Mapping[str, Any]) -> dict[str, dict[str, str]]:
    """The effective settings as {section: {key: text}}, as Grafana's admin settings show them: every value whose
    key names a secret or password is masked."""
    sections: dict[str, dict[str, str]] = {}
    for setting in SETTINGS:
        value = config.get(setting.config_key, setting.default)
        # A database url may carry its password.
        if "secret" in setting.key or "password" in setting.key or (setting.key == "url" and value):
            shown = "************"
        elif isinstance(value, bool):
            shown = "true" if value else "false"
        else:
            shown = str(value)
        sections.setdefault(setting.section, {})[setting.key] = shown
    return sections
