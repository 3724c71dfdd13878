"""The OpenAPI 3 document of this API, built from the routes, their docstrings and their marshmallow schemas
(no sign-in: it says what every route takes, never what is stored)."""
from __future__ import annotations

import inspect
import re
import sys
from collections import Counter
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Flask, current_app
from werkzeug.routing import Rule

from ..schemas.base import ErrorSchema
from ..version import DASHSNAP_VERSION
from . import auth
from .context import state
from .decorators import annotations
from .responses import json_response
from .routing import ApiBlueprint
from .wire import FORM_TYPE

bp = ApiBlueprint("openapi", __name__)

PARENT = "dashsnap"
IMPLICIT_METHODS = {"HEAD", "OPTIONS"}
METHOD_ORDER = ["GET", "POST", "PUT", "PATCH", "DELETE"]
CONVERTER_TYPES = {"int": {"type": "integer"}, "float": {"type": "number"},
                   "uuid": {"type": "string", "format": "uuid"}}
URL_VARIABLE = re.compile(r"<(?:(?P<converter>\w+)(?:\(.*?\))?:)?(?P<name>\w+)>")
SECURITY_SCHEMES = {
    "basic": {"type": "http", "scheme": "basic",
              "description": "A user's login (or email) and password, or `api_key` and an API key"},
    "bearer": {"type": "http", "scheme": "bearer", "description": "A Grafana API key"},
    "session": {"type": "apiKey", "in": "cookie", "name": auth.SESSION_COOKIE,
                "description": "The session cookie that `POST /login` sets"},
}
DESCRIPTION = "Grafana's HTTP API as dashsnap serves it; every error is Grafana's `{\"message\": ...}` body."
SIGNED_IN = [{name: []} for name in SECURITY_SCHEMES]
OK = {"description": "Success", "content": {"application/json": {}}}
ERROR = {"description": "An error: Grafana's `{\"message\": ...}` body", "content": {"application/json": {
    "schema": ErrorSchema}}}


def _ecma_pattern(converter, field, ret: dict, **kwargs) -> dict:
    """marshmallow's Regexp matches from the start and our patterns end in Python's `\\Z`; a JSON Schema pattern
    may match anywhere and knows no `\\Z`, so anchor it at both ends instead."""
    pattern = ret.get("pattern")
    if pattern is None or not pattern.endswith(r"\Z"):
        return {}
    return {"pattern": f"^(?:{pattern[:-2]})$"}


def _new_spec() -> APISpec:
    marshmallow = MarshmallowPlugin()
    spec = APISpec(title="dashsnap", version=DASHSNAP_VERSION, openapi_version="3.0.3", plugins=[marshmallow],
                   info={"description": f"{DESCRIPTION}\n\n{inspect.cleandoc(auth.__doc__)}"})
    marshmallow.converter.add_attribute_function(_ecma_pattern)
    for name, scheme in SECURITY_SCHEMES.items():
        spec.components.security_scheme(name, scheme)
    spec.components.schema("Error", schema=ErrorSchema)
    return spec


def _path_and_parameters(rule: Rule) -> tuple[str, list[dict]]:
    """The rule as an OpenAPI path (`<int:id>` becomes `{id}`) with its path parameters."""
    parameters = [{"in": "path", "name": match["name"], "required": True,
                   "schema": CONVERTER_TYPES.get(match["converter"], {"type": "string"})}
                  for match in URL_VARIABLE.finditer(rule.rule)]
    return URL_VARIABLE.sub(r"{\g<name>}", rule.rule), parameters


def _description(docstring: str, notes: dict) -> str:
    """The docstring after its first line, then the role the route needs."""
    parts = [inspect.cleandoc(docstring.partition("\n")[2])]
    if notes.get("role") == auth.SERVER_ADMIN:
        parts.append("Needs a server admin.")
    elif notes.get("role"):
        parts.append(f"Needs the org role {notes['role']} or above.")
    elif notes.get("permission"):
        parts.append(f"Needs {notes['permission']} on what it writes: the org role Editor gives it in General "
                     "and in folders that keep their default permissions; a folder or dashboard permission gives "
                     "it to a Viewer too.")
    return "\n\n".join(part for part in parts if part)


def _operation(view, tag: str, operation_id: str, path_parameters: list[dict]) -> dict[str, Any]:
    notes, docstring = annotations(view), inspect.getdoc(view) or ""
    success = {"description": "Success", "content": {notes["produces"]: {}}} if "produces" in notes else OK
    operation: dict[str, Any] = {"tags": [tag], "summary": docstring.partition("\n")[0],
                                 "operationId": operation_id, "responses": {"200": success, "default": ERROR}}
    description = _description(docstring, notes)
    if description:
        operation["description"] = description
    parameters = path_parameters + ([{"in": "query", "schema": notes["query"]}] if "query" in notes else [])
    if parameters:
        operation["parameters"] = parameters
    if "body" in notes:
        content = {"application/json": {"schema": notes["body"]}}
        if notes.get("forms"):
            content[FORM_TYPE] = {"schema": notes["body"]}
        operation["requestBody"] = {"required": True, "content": content}
    if notes.get("sign_in") == "required":
        operation["security"] = SIGNED_IN
    elif notes.get("sign_in") == "optional":
        operation["security"] = [{}, *SIGNED_IN]
    return operation


def _documented_rules(app: Flask) -> list[Rule]:
    return [rule for rule in app.url_map.iter_rules()
            if rule.endpoint.startswith(f"{PARENT}.")
            and not annotations(app.view_functions[rule.endpoint]).get("undocumented")]


def _operation_ids(rule: Rule, nth_rule: int, methods: list[str]) -> dict[str, str]:
    """Unique ids: the endpoint's, with the method when the view takes several and a number from its second rule."""
    endpoint_id = rule.endpoint.removeprefix(f"{PARENT}.") + (f"_{nth_rule}" if nth_rule > 1 else "")
    return {method: f"{endpoint_id}_{method.lower()}" if len(methods) > 1 else endpoint_id for method in methods}


def build_spec(app: Flask) -> dict[str, Any]:
    """The OpenAPI document of every dashsnap route in app, at the paths app serves them (with its prefix)."""
    spec, tags, rules_per_endpoint = _new_spec(), {}, Counter()
    for rule in _documented_rules(app):
        blueprint_name = rule.endpoint.rpartition(".")[0]
        tag = blueprint_name.removeprefix(f"{PARENT}.")
        tags.setdefault(tag, sys.modules[app.blueprints[blueprint_name].import_name].__doc__)
        rules_per_endpoint[rule.endpoint] += 1
        methods = [method for method in METHOD_ORDER if method in rule.methods - IMPLICIT_METHODS]
        operation_ids = _operation_ids(rule, rules_per_endpoint[rule.endpoint], methods)
        path, parameters = _path_and_parameters(rule)
        view = app.view_functions[rule.endpoint]
        spec.path(path=path, operations={method.lower(): _operation(view, tag, operation_ids[method], parameters)
                                         for method in methods})
    for tag, docstring in tags.items():
        spec.tag({"name": tag, "description": inspect.cleandoc(docstring or "")})
    return spec.to_dict()


@bp.get("/api/openapi.json")
def get_openapi():
    """This document: every route with what it takes and who may call it."""
    dashsnap = state()
    if dashsnap.openapi is None:  # built once per app: the routes are fixed once the app serves
        dashsnap.openapi = build_spec(current_app)
    return json_response(dashsnap.openapi)
