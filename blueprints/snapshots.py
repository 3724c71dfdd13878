"""Dashboard snapshots: create (locally or on the external snapshot server), read by key, list, and delete by
key or by the secret delete key."""
from __future__ import annotations

import time
from typing import Any

from .. import external_snapshots, security
from ..schemas.snapshots import FIFTY_YEARS, SnapshotCreateSchema, SnapshotListQuerySchema
from ..storage import Conflict as StoreConflict
from ..storage.timestamps import rfc3339, seconds
from .auth import Identity, current_identity, optional_auth, signed_in
from .context import public_url, settings, store
from .decorators import body, check_first, query
from .errors import BadGateway, BadRequest, Conflict, Forbidden, GatewayTimeout, NotFound, Unauthorized
from .responses import encoded_json_response, json_response, json_response_with
from .routing import ApiBlueprint

bp = ApiBlueprint("snapshots", __name__)
create_schema = SnapshotCreateSchema()
list_query_schema = SnapshotListQuerySchema()

DELETED = "Snapshot deleted. It might take an hour before it's cleared from any CDN caches."
DEFAULT_LIST_LIMIT = 1000
CACHE_SECONDS = 3600
UNKNOWN = "Snapshot not found"
EXPIRED = "Dashboard snapshot not found"


@bp.before_request
def require_snapshots_enabled() -> None:
    if not settings()["DASHSNAP_SNAPSHOTS_ENABLED"]:
        raise Forbidden("Dashboard Snapshots are disabled")


def _expires_in(requested: int) -> int:
    """Seconds until expiry, after the server's max_expires policy; 0 or less means never (50 years)."""
    cap = settings()["DASHSNAP_MAX_EXPIRES"]
    if cap > 0 and not 0 < requested <= cap:
        raise BadRequest(f"expires: must be between 1 and {cap} seconds ([snapshots] max_expires is {cap})")
    return requested if requested > 0 else FIFTY_YEARS


def _new_snapshot(identity: Identity | None, data: dict, key: str, delete_key: str, *, expires_in: int,
                  dashboard: dict, external_url: str = "", external_delete_url: str = "") -> dict[str, Any]:
    now = time.time()
    return {"key": key, "deleteKeyHash": security.hash_secret(delete_key),
            "name": data["name"] or "Unnamed snapshot",
            "orgId": identity.org_id if identity else 0, "userId": identity.user_id if identity else 0,
            "external": bool(external_url), "externalUrl": external_url, "externalDeleteUrl": external_delete_url,
            "expires": rfc3339(now + expires_in), "created": rfc3339(now), "updated": rfc3339(now),
            "dashboard": dashboard}


def _store_new(snapshot: dict) -> dict:
    try:
        return store().snapshots.create(snapshot)
    except StoreConflict as conflict:
        raise Conflict(f"A snapshot with this {conflict.field} already exists") from None


def _external_call(call, *args):
    try:
        return call(*args)
    except external_snapshots.ExternalServerError as error:
        raise (GatewayTimeout if error.timed_out else BadGateway)(f"External snapshot: {error}") from None


def _create_local(identity: Identity | None, data: dict) -> tuple[dict, str]:
    delete_key = data["delete_key"] or security.new_key()
    snapshot = _new_snapshot(identity, data, data["key"] or security.new_key(), delete_key,
                             expires_in=_expires_in(data["expires"]), dashboard=data["dashboard"])
    return _store_new(snapshot), delete_key


def _publish_external(identity: Identity | None, data: dict) -> tuple[dict, str]:
    if not settings()["DASHSNAP_EXTERNAL_ENABLED"] or not settings()["DASHSNAP_EXTERNAL_SNAPSHOT_URL"]:
        raise Forbidden("External dashboard creation is disabled")
    expires_in = _expires_in(data["expires"])
    outgoing = {"name": data["name"], "expires": expires_in, "dashboard": data["dashboard"],
                **({"key": data["key"]} if data["key"] else {}),
                **({"deleteKey": data["delete_key"]} if data["delete_key"] else {})}
    remote = _external_call(external_snapshots.publish, settings()["DASHSNAP_EXTERNAL_SNAPSHOT_URL"], outgoing)
    snapshot = _new_snapshot(identity, data, remote["key"], remote["deleteKey"], expires_in=expires_in,
                             dashboard={}, external_url=remote["url"], external_delete_url=remote["deleteUrl"])
    try:
        return _store_new(snapshot), remote["deleteKey"]
    except Conflict:
        _external_call(external_snapshots.delete, remote["deleteUrl"])
        raise


def _signed_in_unless_public_mode() -> None:
    if current_identity() is None and not settings()["DASHSNAP_SNAPSHOTS_PUBLIC_MODE"]:
        raise Unauthorized()


@bp.post("/api/snapshots")
@optional_auth
@check_first(_signed_in_unless_public_mode)
@body(create_schema, open_to_anonymous=True)  # [snapshots] public_mode: anyone may publish a whole snapshot
def create_snapshot(body: dict):
    """Create a snapshot; keys are generated unless the caller supplies them."""
    create = _publish_external if body["external"] else _create_local
    snapshot, delete_key = create(current_identity(), body)
    return json_response({"deleteKey": delete_key, "deleteUrl": public_url(f"api/snapshots-delete/{delete_key}"),
                          "key": snapshot["key"],
                          "url": snapshot["externalUrl"] or public_url(f"dashboard/snapshot/{snapshot['key']}"),
                          "id": snapshot["id"]})


def readable_snapshot(key: str) -> dict:
    """The snapshot this caller may read by its key, its dashboard as stored bytes (the API's read and the
    snapshot page share these rules): 404 for an unknown or expired key, and with `[snapshots] public = false`
    401 for anonymous callers and 404 for callers outside its org."""
    snapshot = store().snapshots.get_stored(key)
    if snapshot is None:
        raise NotFound(UNKNOWN)
    if seconds(snapshot["expires"]) <= time.time():
        raise NotFound(EXPIRED)
    if not settings()["DASHSNAP_SNAPSHOTS_PUBLIC"]:
        identity = current_identity()
        if identity is None:
            raise Unauthorized()
        if identity.org_id != snapshot["orgId"] or not identity.role:
            raise NotFound(UNKNOWN)
    return snapshot


def cache_control(snapshot: dict) -> str:
    """Cached for an hour at most and never past its expiry; only by the browser when snapshots are private."""
    max_age = max(0, min(CACHE_SECONDS, int(seconds(snapshot["expires"]) - time.time())))
    visibility = "public" if settings()["DASHSNAP_SNAPSHOTS_PUBLIC"] else "private"
    return f"{visibility}, max-age={max_age}"


@bp.get("/api/snapshots/<key>")
@optional_auth
def get_snapshot(key: str):
    """A snapshot's dashboard, by its view key."""
    snapshot = readable_snapshot(key)
    meta = {"isSnapshot": True, "type": "snapshot", "canSave": False, "canEdit": False, "canStar": False,
            "slug": "", "expires": snapshot["expires"], "created": snapshot["created"],
            "updated": snapshot["updated"]}
    if snapshot["external"]:
        meta["externalUrl"] = snapshot["externalUrl"]
    return json_response_with({"meta": meta}, "dashboard", snapshot["dashboard"],
                              headers={"Cache-Control": cache_control(snapshot)})


@bp.get("/api/dashboard/snapshots")
@signed_in
@query(list_query_schema)
def list_snapshots(query: dict):
    """The caller's org's snapshots, newest first (an org Admin sees all, others their own). An API key that is
    no service account's token has no identity to own snapshots by: below Admin it lists none (Grafana lists every
    snapshot any key made, an Admin key's included; migrating the key gives it its own)."""
    identity = current_identity()
    if not identity.user_id and not identity.has_role("Admin"):
        return json_response([])
    return encoded_json_response(store().snapshots.listing(
        identity.org_id, user_id=None if identity.has_role("Admin") else identity.user_id,
        query=query["query"], limit=query["limit"] if query["limit"] > 0 else DEFAULT_LIST_LIMIT))


def _delete_and_answer(snapshot: dict):
    if snapshot["external"]:
        _external_call(external_snapshots.delete, snapshot["externalDeleteUrl"])
    store().snapshots.delete(snapshot["key"])
    return json_response({"message": DELETED, "id": snapshot["id"]})


@bp.delete("/api/snapshots/<key>")
@signed_in
def delete_snapshot(key: str):
    """Delete a snapshot of the caller's org by its view key (Editor or above, or its creator)."""
    identity = current_identity()
    snapshot = store().snapshots.get(key)
    if snapshot is None or snapshot["orgId"] != identity.org_id:
        raise NotFound(UNKNOWN)
    if not (identity.has_role("Editor") or (identity.user_id and identity.user_id == snapshot["userId"])):
        raise Forbidden("Access denied to this snapshot")
    return _delete_and_answer(snapshot)


@bp.get("/api/snapshots-delete/<delete_key>")
@optional_auth
def delete_snapshot_by_delete_key(delete_key: str):
    """Delete a snapshot by its secret delete key; no sign-in needed."""
    # Found by the key's hash: the index never compares the secret itself.
    snapshot = store().snapshots.find_by_delete_key_hash(security.hash_secret(delete_key))
    if snapshot is None:
        raise NotFound(UNKNOWN)
    return _delete_and_answer(snapshot)


@bp.get("/api/snapshot/shared-options")
@signed_in
def get_shared_options():
    """Where external snapshots are published, for the share dialog."""
    return json_response({"externalSnapshotURL": settings()["DASHSNAP_EXTERNAL_SNAPSHOT_URL"],
                          "externalSnapshotName": settings()["DASHSNAP_EXTERNAL_SNAPSHOT_NAME"],
                          "externalEnabled": settings()["DASHSNAP_EXTERNAL_ENABLED"]})
