"""The OpenAPI document at /api/openapi.json: valid, complete, built from the schemas, public, and at the paths
the app serves (under the host's prefix when dashsnap is mounted)."""
import re

import pytest
from conftest import ADMIN
from flask import Flask
from openapi_spec_validator import validate

DOCUMENTED_METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE"}


@pytest.fixture
def document(client) -> dict:
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    return response.get_json()


def dashsnap_rules(app):
    """Every dashsnap route but the fallbacks that answer 404 for unknown paths and methods, and the static files
    (of the snapshot page)."""
    return [rule for rule in app.url_map.iter_rules() if rule.endpoint.startswith("dashsnap.")
            and rule.endpoint not in ("dashsnap.unknown_api_route", "dashsnap.unknown_api_root")
            and not rule.endpoint.startswith("dashsnap.wrong_method.") and not rule.endpoint.endswith(".static")]


def openapi_path(rule) -> str:
    return re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)


def resolve(document: dict, ref: dict) -> dict:
    return document["components"]["schemas"][ref["$ref"].removeprefix("#/components/schemas/")]


def test_document_is_valid_openapi(document):
    validate(document)
    assert document["openapi"].startswith("3.")
    assert document["info"]["title"] == "dashsnap"


def test_info_version_is_dashsnaps_version(document):
    from dashsnap.version import DASHSNAP_VERSION

    assert document["info"]["version"] == DASHSNAP_VERSION


def test_every_route_and_method_is_documented(app, document):
    missing = [(method, openapi_path(rule)) for rule in dashsnap_rules(app)
               for method in rule.methods & DOCUMENTED_METHODS
               if method.lower() not in document["paths"].get(openapi_path(rule), {})]
    assert missing == []
    assert len(dashsnap_rules(app)) > 50


def test_the_routes_that_answer_404_for_unknown_paths_and_methods_are_not_documented(document):
    assert not any("unknown" in path for path in document["paths"]) and "/api" not in document["paths"]
    assert set(document["paths"]["/login"]) == {"get", "post"}


def test_operation_ids_are_unique(document):
    ids = [operation["operationId"] for operations in document["paths"].values()
           for operation in operations.values()]
    assert len(ids) == len(set(ids))


def test_summary_is_the_views_docstring_and_tag_its_blueprint(document):
    operation = document["paths"]["/api/snapshots"]["post"]
    assert operation["summary"] == "Create a snapshot; keys are generated unless the caller supplies them."
    assert operation["tags"] == ["snapshots"]
    tags = {tag["name"]: tag["description"] for tag in document["tags"]}
    assert tags["snapshots"].startswith("Dashboard snapshots: create")


def test_a_body_references_its_schema_with_grafanas_wire_names(document):
    body = document["paths"]["/api/snapshots"]["post"]["requestBody"]
    schema = resolve(document, body["content"]["application/json"]["schema"])
    assert {"dashboard", "name", "expires", "external", "key", "deleteKey"} <= set(schema["properties"])
    assert "delete_key" not in schema["properties"]
    assert schema["required"] == ["dashboard"]


def test_a_key_pattern_is_anchored_as_json_schema_reads_it(document):
    schema = document["components"]["schemas"]["SnapshotCreate"]
    assert schema["properties"]["deleteKey"]["pattern"] == "^(?:[A-Za-z0-9_-]{8,128})$"


def test_every_body_references_a_component_schema(document):
    bodies = [operation["requestBody"] for operations in document["paths"].values()
              for operation in operations.values() if "requestBody" in operation]
    assert len(bodies) >= 15
    for body in bodies:
        assert resolve(document, body["content"]["application/json"]["schema"])["type"] == "object"


def test_query_parameters_come_from_the_query_schema(document):
    parameters = {parameter["name"]: parameter for parameter in document["paths"]["/api/search"]["get"]["parameters"]}
    assert set(parameters) == {"query", "tag", "starred", "limit", "page", "type", "dashboardIds", "dashboardUIDs",
                               "folderIds", "folderUIDs"}
    assert all(parameter["in"] == "query" for parameter in parameters.values())
    assert parameters["tag"]["schema"]["type"] == "array" and parameters["tag"]["explode"] is True


def test_a_required_query_parameter_is_marked_required(document):
    [parameter] = document["paths"]["/api/users/lookup"]["get"]["parameters"]
    assert (parameter["name"], parameter["required"]) == ("loginOrEmail", True)


def test_path_parameters_are_named_and_typed(document):
    [org_id] = document["paths"]["/api/orgs/{org_id}"]["get"]["parameters"]
    assert org_id == {"in": "path", "name": "org_id", "required": True, "schema": {"type": "integer"}}
    [key] = document["paths"]["/api/snapshots/{key}"]["get"]["parameters"]
    assert key["schema"] == {"type": "string"}
    names = [parameter["name"] for parameter in
             document["paths"]["/api/datasources/proxy/{source_id}/{path}"]["post"]["parameters"]]
    assert names == ["source_id", "path"]


def test_every_operation_answers_errors_with_the_error_schema(document):
    error = document["components"]["schemas"]["Error"]
    assert set(error["properties"]) == {"message", "status"} and error["required"] == ["message"]
    for operations in document["paths"].values():
        for operation in operations.values():
            assert operation["responses"]["default"]["content"]["application/json"]["schema"] == {
                "$ref": "#/components/schemas/Error"}


def test_security_schemes_are_basic_bearer_and_the_session_cookie(document):
    schemes = document["components"]["securitySchemes"]
    assert {name: {key: value for key, value in scheme.items() if key != "description"}
            for name, scheme in schemes.items()} == {
        "basic": {"type": "http", "scheme": "basic"},
        "bearer": {"type": "http", "scheme": "bearer"},
        "session": {"type": "apiKey", "in": "cookie", "name": "grafana_session"},
    }


def test_routes_that_need_sign_in_list_the_security_schemes(document):
    signed_in = [{"basic": []}, {"bearer": []}, {"session": []}]
    assert document["paths"]["/api/search"]["get"]["security"] == signed_in
    assert document["paths"]["/api/admin/settings"]["get"]["security"] == signed_in
    assert "Needs a server admin." in document["paths"]["/api/admin/settings"]["get"]["description"]
    assert "Needs the org role Admin or above." in document["paths"]["/api/datasources"]["post"]["description"]
    assert "Needs Edit on what it writes" in document["paths"]["/api/dashboards/db"]["post"]["description"]


def test_routes_open_to_anonymous_callers_say_so(document):
    assert document["paths"]["/api/snapshots/{key}"]["get"]["security"][0] == {}
    for path, method in (("/api/health", "get"), ("/login", "post"), ("/api/openapi.json", "get")):
        assert "security" not in document["paths"][path][method]


def test_the_document_needs_no_credentials(client):
    assert client.get("/api/openapi.json").status_code == 200
    assert client.get("/api/openapi.json/").status_code == 200


def test_the_document_is_built_once_per_app(app, client):
    first = client.get("/api/openapi.json", headers=ADMIN).get_json()
    assert app.extensions["dashsnap"].openapi is not None
    assert client.get("/api/openapi.json").get_json() == first


def test_mounted_under_a_prefix_the_paths_carry_it_and_host_routes_are_absent(app, tmp_path):
    from dashsnap.app import DashSnap

    host = Flask("host")
    host.config.update(TESTING=True, DASHSNAP_DATA_DIR=str(tmp_path / "hosted"), DASHSNAP_CLEANUP_INTERVAL=0)

    @host.get("/status")
    def status():
        return "ok"

    DashSnap(host, url_prefix="/grafana")
    mounted = host.test_client().get("/grafana/api/openapi.json").get_json()
    validate(mounted)
    assert "/grafana/api/snapshots" in mounted["paths"] and "/grafana/login" in mounted["paths"]
    assert all(path.startswith("/grafana/") for path in mounted["paths"])
    assert "/status" not in mounted["paths"]
    # The standalone app in the same process keeps its own document.
    assert "/api/snapshots" in app.test_client().get("/api/openapi.json").get_json()["paths"]
