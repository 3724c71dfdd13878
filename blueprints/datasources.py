"""Data sources of the caller's org: read (Viewer) and change (Admin) by id, name or uid; the known types.
Secrets are write-only: answers flag which are set (`secureJsonFields`) and never show them."""
from __future__ import annotations

from ..datasource_types import DATASOURCE_TYPES
from ..schemas.datasources import DatasourceSchema, PluginQuerySchema
from ..storage import Conflict as StoreConflict
from .auth import current_identity, role_required, signed_in
from .context import store
from .decorators import body, check_first, query
from .errors import BadRequest, Conflict, NotFound
from .responses import json_response
from .routing import ApiBlueprint

bp = ApiBlueprint("datasources", __name__)
schema = DatasourceSchema()
plugin_query_schema = PluginQuerySchema()
NOT_FOUND = "Data source not found"
SHOWN = ("id", "uid", "orgId", "name", "type", "access", "url", "user", "database", "basicAuth", "basicAuthUser",
         "withCredentials", "isDefault", "jsonData", "version")


def view(source: dict) -> dict:
    secrets = {"password": bool(source.get("password")), "basicAuthPassword": bool(source.get("basicAuthPassword")),
               **{key: True for key in source.get("secureJsonData", {})}}
    return {**{field: source[field] for field in SHOWN}, "typeLogoUrl": f"public/img/{source['type']}.svg",
            "readOnly": False, "secureJsonFields": {key: True for key, is_set in secrets.items() if is_set}}


def _found(source: dict | None) -> dict:
    if source is None:
        raise NotFound(NOT_FOUND)
    return source


def datasource_id(source_id: str) -> int:
    """Ids in paths as Grafana reads them: anything that is not a positive number finds nothing."""
    return int(source_id) if source_id.isascii() and source_id.isdigit() and 0 < int(source_id) < 2**63 else 0


def _require_valid_id(source_id: str) -> None:
    if not datasource_id(source_id):
        raise NotFound(NOT_FOUND)


def _save(data: dict, source_id: int | None = None) -> dict:
    """Create or replace from the loaded body; secrets left out keep their stored values."""
    org_id = current_identity().org_id
    current = store().datasources.find(org_id, source_id=source_id) if source_id else {}
    if source_id and not current:
        raise NotFound(NOT_FOUND)
    fields = {"name": data["name"], "type": data["type"], "access": data["access"], "url": data["url"],
              "user": data["user"], "database": data["database"], "basicAuth": data["basic_auth"],
              "basicAuthUser": data["basic_auth_user"], "withCredentials": data["with_credentials"],
              "isDefault": data["is_default"], "jsonData": data["json_data"] or {}, "uid": data.get("uid"),
              "password": data.get("password", current.get("password", "")),
              "basicAuthPassword": data.get("basic_auth_password", current.get("basicAuthPassword", "")),
              "secureJsonData": {**current.get("secureJsonData", {}), **data["secure_json_data"]}}
    try:
        return _found(store().datasources.save(org_id, fields, source_id))
    except StoreConflict as conflict:
        raise Conflict("Data source with same name already exists" if conflict.field == "name"
                       else "Data source with the same uid already exists") from None


def _saved(source: dict, message: str):
    return json_response({"id": source["id"], "message": message, "name": source["name"], "datasource": view(source)})


def _delete(source: dict | None):
    source = _found(source)
    store().datasources.delete(source["orgId"], source["id"])
    return json_response({"message": "Data source deleted", "id": source["id"]})


@bp.get("/api/datasources")
@signed_in
def list_datasources():
    """The org's data sources, by name."""
    return json_response([view(source) for source in store().datasources.list_for_org(current_identity().org_id)])


@bp.post("/api/datasources")
@role_required("Admin")
@body(schema)
def create_datasource(body: dict):
    """Add a data source; saying isDefault makes it the org's only default."""
    return _saved(_save(body), "Datasource added")


@bp.get("/api/datasources/<source_id>")
@signed_in
def get_datasource(source_id: str):
    """A data source by id."""
    return json_response(view(_found(store().datasources.find(current_identity().org_id,
                                                              source_id=datasource_id(source_id)))))


@bp.put("/api/datasources/<source_id>")
@role_required("Admin")
@check_first(_require_valid_id)
@body(schema)
def update_datasource(source_id: str, body: dict):
    """Replace a data source's settings (secrets left out stay as they were)."""
    return _saved(_save(body, datasource_id(source_id)), "Datasource updated")


@bp.put("/api/datasources/uid/<uid>")
@role_required("Admin")
@check_first(lambda uid: _found(store().datasources.find(current_identity().org_id, uid=uid)))
@body(schema)
def update_datasource_by_uid(uid: str, body: dict):
    """Replace the settings of the data source with that uid (Grafana 9's form, which clients use by uid)."""
    return _saved(_save(body, _found(store().datasources.find(current_identity().org_id, uid=uid))["id"]),
                  "Datasource updated")


@bp.delete("/api/datasources/<source_id>")
@role_required("Admin")
def delete_datasource(source_id: str):
    """Delete a data source by id."""
    if not datasource_id(source_id):
        raise BadRequest("Missing valid datasource id")
    return _delete(store().datasources.find(current_identity().org_id, source_id=datasource_id(source_id)))


@bp.get("/api/datasources/name/<name>")
@signed_in
def get_datasource_by_name(name: str):
    """A data source by name."""
    return json_response(view(_found(store().datasources.find(current_identity().org_id, name=name))))


@bp.get("/api/datasources/uid/<uid>")
@signed_in
def get_datasource_by_uid(uid: str):
    """A data source by uid."""
    return json_response(view(_found(store().datasources.find(current_identity().org_id, uid=uid))))


@bp.get("/api/datasources/id/<name>")
@signed_in
def get_datasource_id(name: str):
    """The id of the data source with that name."""
    return json_response({"id": _found(store().datasources.find(current_identity().org_id, name=name))["id"]})


@bp.delete("/api/datasources/name/<name>")
@role_required("Admin")
def delete_datasource_by_name(name: str):
    """Delete a data source by name."""
    return _delete(store().datasources.find(current_identity().org_id, name=name))


@bp.delete("/api/datasources/uid/<uid>")
@role_required("Admin")
def delete_datasource_by_uid(uid: str):
    """Delete a data source by uid."""
    return _delete(store().datasources.find(current_identity().org_id, uid=uid))


@bp.get("/api/datasources/plugins")
@signed_in
def get_datasource_plugins():
    """The data source types, by type (Grafana 2.x's map)."""
    return json_response(DATASOURCE_TYPES)


@bp.get("/api/plugins")
@signed_in
@query(plugin_query_schema)
def list_plugins(query: dict):
    """The plugins: dashsnap knows data source types only."""
    kind = query["type"]
    return json_response(list(DATASOURCE_TYPES.values()) if kind in ("", "datasource") else [])
