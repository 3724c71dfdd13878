"""API keys of the caller's org (org Admin): list, create (the key is shown once), delete."""
from __future__ import annotations

import time

from .. import security
from ..schemas.api_keys import ApiKeyCreateSchema, ApiKeyListQuerySchema
from ..storage import Conflict as StoreConflict
from .auth import current_identity, role_required
from .context import store
from .decorators import body, query
from .errors import Conflict, NotFound
from .responses import json_response
from .routing import ApiBlueprint

bp = ApiBlueprint("api_keys", __name__)
create_schema = ApiKeyCreateSchema()
list_query_schema = ApiKeyListQuerySchema()


@bp.get("/api/auth/keys")
@role_required("Admin")
@query(list_query_schema)
def list_api_keys(query: dict):
    """The org's keys by name; never a key or its hash."""
    keys = store().api_keys.list_for_org(current_identity().org_id, include_expired=query["include_expired"])
    return json_response([{"id": key["id"], "name": key["name"], "role": key["role"],
                           **({"expiration": key["expires"]} if key["expires"] else {})} for key in keys])


@bp.post("/api/auth/keys")
@role_required("Admin")
@body(create_schema)
def create_api_key(body: dict):
    """Create a key for the caller's org; the answer is the only time the key is shown."""
    org_id, secret = current_identity().org_id, security.new_key()
    ttl = body["seconds_to_live"] or 0
    try:
        api_key = store().api_keys.create(org_id=org_id, name=body["name"], role=body["role"],
                                          key_hash=security.hash_secret(secret),
                                          expires_at=time.time() + ttl if ttl else None)
    except StoreConflict:
        raise Conflict("API key, organization ID and name must be unique") from None
    return json_response({"id": api_key["id"], "name": api_key["name"],
                          "key": security.encode_api_key(secret, api_key["name"], org_id)})


@bp.delete("/api/auth/keys/<int:key_id>")
@role_required("Admin")
def delete_api_key(key_id: int):
    """Delete one of the org's keys; it stops working at once."""
    if not store().api_keys.delete(current_identity().org_id, key_id):
        raise NotFound("API key not found")
    return json_response({"message": "API key deleted"})
