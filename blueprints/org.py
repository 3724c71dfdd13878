"""The caller's current org."""
from __future__ import annotations

from ..schemas.orgs import OrgUpdateSchema
from ..storage import Conflict as StoreConflict
from .auth import current_identity, role_required, signed_in
from .context import settings, store
from .errors import BadRequest, NotFound
from .responses import json_response
from .routing import ApiBlueprint
from .wire import load, request_object

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
def update_org():
    """Rename the caller's current org (org Admin)."""
    data = load(update_schema, request_object(settings()["DASHSNAP_MAX_BODY_BYTES"]))
    try:
        org = store().orgs.rename(current_identity().org_id, data["name"])
    except StoreConflict:
        raise BadRequest("Organization name taken") from None
    if org is None:
        raise NotFound("Organization not found")
    return json_response({"message": "Organization updated"})
