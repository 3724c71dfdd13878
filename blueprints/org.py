"""The caller's current org."""
from __future__ import annotations

from ..schemas.orgs import OrgUpdateSchema
from ..storage import Conflict as StoreConflict
from .auth import current_identity, role_required, signed_in
from .context import store
from .decorators import body
from .errors import BadRequest, NotFound
from .responses import json_response
from .routing import ApiBlueprint

bp = ApiBlueprint("org", __name__)
update_schema = OrgUpdateSchema()
NO_ADDRESS = {"address1": "", "address2": "", "city": "", "zipCode": "", "state": "", "country": ""}


def org_view(org: dict) -> dict:
    return {"id": org["id"], "name": org["name"], "address": {**NO_ADDRESS, **org.get("address", {})}}


@bp.get("/api/org")
@signed_in
def get_org():
    """The caller's current org."""
    org = store().orgs.get(current_identity().org_id)
    if org is None:
        raise NotFound("Organization not found")
    return json_response(org_view(org))


@bp.put("/api/org")
@role_required("Admin")
@body(update_schema)
def update_org(body: dict):
    """Rename the caller's current org (org Admin)."""
    try:
        org = store().orgs.rename(current_identity().org_id, body["name"])
    except StoreConflict:
        raise BadRequest("Organization name taken") from None
    if org is None:
        raise NotFound("Organization not found")
    return json_response({"message": "Organization updated"})
