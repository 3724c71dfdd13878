"""Settings: `load_config` (defaults < grafana.ini < GF_* environment, a pure function) and what `create_app`
does with them (the mapping wins, first-start bootstrap, the data dir's secret key, one app per data dir)."""
from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from conftest import ADMIN, basic, bearer
from dashsnap.config import MIB, ConfigError, load_config

GRAFANA_INI = """\
; a comment in Grafana's style
# and one in the other style
[server]
http_port = 8080
root_url = https://grafana.example.com:%(http_port)s/grafana
;http_addr = 10.0.0.1
#domain = commented.example

[paths]
data = /var/lib/dashsnap

[security]
admin_user = root
admin_password = 100%(secret)s%

[snapshots]
external_enabled = true
max_expires = 3600
public = false
"""


@pytest.fixture
def ini(tmp_path: Path) -> Path:
    path = tmp_path / "grafana.ini"
    path.write_text(GRAFANA_INI)
    return path


def write_ini(tmp_path: Path, text: str, name: str = "custom.ini") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


# --- defaults -----------------------------------------------------------------------------------------------

def test_defaults_match_grafana_without_file_or_environment():
    config = load_config(environ={})
    assert config["DASHSNAP_HTTP_PORT"] == 3000
    assert config["DASHSNAP_HTTP_ADDR"] == "0.0.0.0"
    assert config["DASHSNAP_DATA_DIR"] == "data"
    assert config["DASHSNAP_ADMIN_USER"] == "admin"
    assert config["DASHSNAP_ADMIN_PASSWORD"] == "admin"
    assert config["DASHSNAP_ROOT_URL"] == "http://localhost:3000/"
    assert config["DASHSNAP_SNAPSHOTS_ENABLED"] is True
    assert config["DASHSNAP_EXTERNAL_ENABLED"] is False
    assert config["DASHSNAP_MAX_BODY_BYTES"] == 16 * MIB == 16 * 1024 * 1024
    assert config["DASHSNAP_CONFIG_FILE"] == ""


def test_environ_defaults_to_the_process_environment(monkeypatch):
    monkeypatch.setenv("GF_SERVER_HTTP_PORT", "3111")
    assert load_config()["DASHSNAP_HTTP_PORT"] == 3111


# --- the ini file -------------------------------------------------------------------------------------------

def test_ini_file_in_grafana_format_is_read(ini):
    config = load_config(str(ini), environ={})
    assert config["DASHSNAP_HTTP_PORT"] == 8080
    assert config["DASHSNAP_DATA_DIR"] == "/var/lib/dashsnap"
    assert config["DASHSNAP_ADMIN_USER"] == "root"
    assert config["DASHSNAP_EXTERNAL_ENABLED"] is True
    assert config["DASHSNAP_MAX_EXPIRES"] == 3600
    assert config["DASHSNAP_SNAPSHOTS_PUBLIC"] is False
    assert config["DASHSNAP_CONFIG_FILE"] == str(ini)


def test_root_url_expands_http_port_from_the_ini(ini):
    assert load_config(str(ini), environ={})["DASHSNAP_ROOT_URL"] == "https://grafana.example.com:8080/grafana/"


def test_default_root_url_follows_the_configured_port(tmp_path):
    path = write_ini(tmp_path, "[server]\nhttp_port = 8081\n")
    assert load_config(str(path), environ={})["DASHSNAP_ROOT_URL"] == "http://localhost:8081/"


def test_commented_lines_are_ignored(ini):
    config = load_config(str(ini), environ={})
    assert config["DASHSNAP_HTTP_ADDR"] == "0.0.0.0"
    assert config["DASHSNAP_DOMAIN"] == "localhost"


def test_percent_sign_in_a_password_stays_literal(ini):
    assert load_config(str(ini), environ={})["DASHSNAP_ADMIN_PASSWORD"] == "100%(secret)s%"


def test_settings_absent_from_the_ini_keep_their_defaults(ini):
    config = load_config(str(ini), environ={})
    assert config["DASHSNAP_SNAPSHOTS_ENABLED"] is True
    assert config["DASHSNAP_MAX_BODY_BYTES"] == 16 * MIB


def test_ini_with_keys_before_the_first_section_is_read(tmp_path):
    path = write_ini(tmp_path, "app_mode = production\ninstance_name = ${HOSTNAME}\n\n[server]\nhttp_port = 8082\n")
    assert load_config(str(path), environ={})["DASHSNAP_HTTP_PORT"] == 8082


# --- the environment ----------------------------------------------------------------------------------------

@pytest.mark.parametrize(("variable", "value", "config_key", "expected"), [
    ("GF_SERVER_HTTP_PORT", "9090", "DASHSNAP_HTTP_PORT", 9090),
    ("GF_PATHS_DATA", "/srv/env-data", "DASHSNAP_DATA_DIR", "/srv/env-data"),
    ("GF_SNAPSHOTS_MAX_EXPIRES", "60", "DASHSNAP_MAX_EXPIRES", 60),
    ("GF_SNAPSHOTS_EXTERNAL_ENABLED", "false", "DASHSNAP_EXTERNAL_ENABLED", False),
    ("GF_SECURITY_ADMIN_USER", "boss", "DASHSNAP_ADMIN_USER", "boss"),
])
def test_gf_environment_variable_overrides_the_ini(ini, variable, value, config_key, expected):
    assert load_config(str(ini), environ={variable: value})[config_key] == expected


def test_root_url_expansion_uses_the_port_from_the_environment(ini):
    config = load_config(str(ini), environ={"GF_SERVER_HTTP_PORT": "9091"})
    assert config["DASHSNAP_ROOT_URL"] == "https://grafana.example.com:9091/grafana/"


def test_gf_paths_config_names_the_ini_when_no_path_is_given(ini):
    config = load_config(environ={"GF_PATHS_CONFIG": str(ini)})
    assert config["DASHSNAP_HTTP_PORT"] == 8080
    assert config["DASHSNAP_CONFIG_FILE"] == str(ini)


def test_path_argument_wins_over_gf_paths_config(ini, tmp_path):
    other = write_ini(tmp_path, "[server]\nhttp_port = 7070\n")
    assert load_config(str(other), environ={"GF_PATHS_CONFIG": str(ini)})["DASHSNAP_HTTP_PORT"] == 7070


@pytest.mark.parametrize("spelling", ["true", "TRUE", "1", "yes", "on"])
def test_boolean_settings_accept_true_spellings(spelling):
    assert load_config(environ={"GF_SNAPSHOTS_EXTERNAL_ENABLED": spelling})["DASHSNAP_EXTERNAL_ENABLED"] is True


@pytest.mark.parametrize("spelling", ["false", "False", "0", "no", "off"])
def test_boolean_settings_accept_false_spellings(spelling):
    assert load_config(environ={"GF_SNAPSHOTS_ENABLED": spelling})["DASHSNAP_SNAPSHOTS_ENABLED"] is False


# --- root_url -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("root_url", ["https://snap.example.com", "https://snap.example.com/grafana",
                                      "https://snap.example.com/grafana/"])
def test_root_url_from_the_environment_always_ends_with_a_slash(root_url):
    config = load_config(environ={"GF_SERVER_ROOT_URL": root_url})
    assert config["DASHSNAP_ROOT_URL"] == root_url.rstrip("/") + "/"


def test_root_url_from_the_ini_always_ends_with_a_slash(tmp_path):
    path = write_ini(tmp_path, "[server]\nroot_url = http://example.com/sub\n")
    assert load_config(str(path), environ={})["DASHSNAP_ROOT_URL"] == "http://example.com/sub/"


# --- bad values ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("variable", "value", "setting"), [
    ("GF_SERVER_HTTP_PORT", "abc", "http_port"),
    ("GF_SNAPSHOTS_MAX_EXPIRES", "1h", "max_expires"),
    ("GF_SNAPSHOTS_EXTERNAL_ENABLED", "maybe", "external_enabled"),
    ("GF_SNAPSHOTS_PUBLIC", "sometimes", "public"),
])
def test_bad_environment_value_raises_config_error_naming_the_setting(variable, value, setting):
    with pytest.raises(ConfigError) as error:
        load_config(environ={variable: value})
    assert setting in str(error.value)
    assert variable in str(error.value)
    assert repr(value) in str(error.value)


def test_bad_ini_value_raises_config_error_naming_setting_and_file(tmp_path):
    path = write_ini(tmp_path, "[server]\nhttp_port = three thousand\n")
    with pytest.raises(ConfigError) as error:
        load_config(str(path), environ={})
    assert "http_port" in str(error.value)
    assert str(path) in str(error.value)


def test_missing_ini_file_raises_config_error(tmp_path):
    missing = tmp_path / "nowhere.ini"
    with pytest.raises(ConfigError) as error:
        load_config(str(missing), environ={})
    assert str(missing) in str(error.value)


def test_missing_ini_named_by_gf_paths_config_raises_config_error(tmp_path):
    missing = tmp_path / "nowhere.ini"
    with pytest.raises(ConfigError) as error:
        load_config(environ={"GF_PATHS_CONFIG": str(missing)})
    assert str(missing) in str(error.value)


def test_file_that_is_not_ini_raises_config_error(tmp_path):
    path = write_ini(tmp_path, "[server\nhttp_port = 1\n")
    with pytest.raises(ConfigError):
        load_config(str(path), environ={})


def test_create_app_refuses_a_missing_ini_with_config_error(make_app, tmp_path):
    with pytest.raises(ConfigError):
        make_app(DASHSNAP_CONFIG_FILE=str(tmp_path / "nowhere.ini"))


# --- create_app ---------------------------------------------------------------------------------------------

def test_mapping_passed_to_create_app_wins_over_environment_and_ini(make_app, tmp_path, monkeypatch):
    path = write_ini(tmp_path, "[server]\nhttp_port = 5000\n[snapshots]\nmax_expires = 50\n")
    monkeypatch.setenv("GF_SERVER_HTTP_PORT", "4000")
    monkeypatch.setenv("GF_SNAPSHOTS_MAX_EXPIRES", "40")
    app = make_app(DASHSNAP_CONFIG_FILE=str(path), DASHSNAP_HTTP_PORT=6000)
    assert app.config["DASHSNAP_HTTP_PORT"] == 6000
    assert app.extensions["dashsnap"].settings["DASHSNAP_HTTP_PORT"] == 6000
    assert app.config["DASHSNAP_MAX_EXPIRES"] == 40  # not in the mapping: the environment beats the ini


def test_mapping_data_dir_wins_over_gf_paths_data(make_app, tmp_path, monkeypatch):
    monkeypatch.setenv("GF_PATHS_DATA", str(tmp_path / "from-env"))
    make_app(tmp_path / "from-mapping")
    assert (tmp_path / "from-mapping").is_dir()
    assert not (tmp_path / "from-env").exists()


def test_root_url_given_to_create_app_also_gets_a_trailing_slash(make_app):
    client = make_app(DASHSNAP_ROOT_URL="https://snap.example.com/grafana").test_client()
    body = client.post("/api/snapshots", json={"dashboard": {"title": "Home"}}, headers=ADMIN).get_json()
    assert body["deleteUrl"] == f"https://snap.example.com/grafana/api/snapshots-delete/{body['deleteKey']}"


@pytest.mark.data_dir_only
def test_first_start_creates_main_org_as_org_1(app, tmp_path):
    org = json.loads((tmp_path / "data" / "orgs" / "1" / "org.json").read_text())
    assert (org["id"], org["name"]) == (1, "Main Org.")


def test_first_start_creates_a_server_admin_who_administers_org_1(app):
    admin = app.extensions["dashsnap"].store.users.find_by_login_or_email("admin")
    assert admin["isGrafanaAdmin"] is True
    assert admin["orgId"] == 1 and admin["orgs"] == {"1": "Admin"}
    assert "admin" not in admin["passwordHash"]


def test_bootstrapped_admin_signs_in_with_basic_auth(client):
    response = client.get("/api/auth/keys", headers=ADMIN)
    assert response.status_code == 200
    assert response.get_json() == []


def test_configured_admin_password_is_the_one_that_works(make_app):
    client = make_app(DASHSNAP_ADMIN_PASSWORD="s3cret-Pa55").test_client()
    assert client.get("/api/auth/keys", headers=basic("admin", "s3cret-Pa55")).status_code == 200
    refused = client.get("/api/auth/keys", headers=ADMIN)
    assert refused.status_code == 401
    assert refused.get_json() == {"message": "Invalid username or password"}


def test_admin_password_from_the_environment_is_the_one_that_works(make_app, monkeypatch):
    monkeypatch.setenv("GF_SECURITY_ADMIN_PASSWORD", "from-env-pw")
    client = make_app().test_client()
    assert client.get("/api/auth/keys", headers=basic("admin", "from-env-pw")).status_code == 200
    assert client.get("/api/auth/keys", headers=ADMIN).status_code == 401


@pytest.mark.data_dir_only
def test_secret_key_file_is_created_with_mode_0600(app, tmp_path):
    path = tmp_path / "data" / "secret_key"
    assert path.read_text().strip()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


@pytest.mark.data_dir_only
def test_secret_key_is_stable_across_apps_on_one_data_dir(make_app, tmp_path):
    make_app()
    first = (tmp_path / "data" / "secret_key").read_text()
    make_app()
    assert (tmp_path / "data" / "secret_key").read_text() == first


def test_apps_on_one_data_dir_share_api_keys(make_app):
    first, second = make_app().test_client(), make_app().test_client()
    key = first.post("/api/auth/keys", json={"name": "shared", "role": "Admin"}, headers=ADMIN).get_json()["key"]
    assert second.get("/api/auth/keys", headers=bearer(key)).status_code == 200


@pytest.mark.data_dir_only
def test_apps_on_two_data_dirs_in_one_process_are_independent(make_app, tmp_path):
    first = make_app(tmp_path / "first").test_client()
    second = make_app(tmp_path / "second").test_client()
    key = first.post("/api/auth/keys", json={"name": "only-first", "role": "Admin"}, headers=ADMIN).get_json()["key"]
    assert first.get("/api/auth/keys", headers=bearer(key)).status_code == 200
    refused = second.get("/api/auth/keys", headers=bearer(key))
    assert refused.status_code == 401
    assert refused.get_json() == {"message": "Invalid API key"}
    assert second.get("/api/auth/keys", headers=ADMIN).get_json() == []


@pytest.mark.data_dir_only
def test_apps_on_two_data_dirs_keep_their_own_admin_password(make_app, tmp_path):
    first = make_app(tmp_path / "first", DASHSNAP_ADMIN_PASSWORD="first-pw").test_client()
    second = make_app(tmp_path / "second", DASHSNAP_ADMIN_PASSWORD="second-pw").test_client()
    assert first.get("/api/auth/keys", headers=basic("admin", "first-pw")).status_code == 200
    assert second.get("/api/auth/keys", headers=basic("admin", "first-pw")).status_code == 401
    assert second.get("/api/auth/keys", headers=basic("admin", "second-pw")).status_code == 200
