"""Service accounts of the caller's org (org Admin): search, create, read, change, delete; their tokens (shown
once); and the migration that turns API keys into service accounts whose tokens they become."""
from __future__ import annotations

import time

from .. import security
from ..schemas.service_accounts import (
    ServiceAccountCreateSchema,
    ServiceAccountSearchSchema,
    ServiceAccountUpdateSchema,
    TokenCreateSchema,
)
from ..storage import Conflict as StoreConflict
from ..storage.timestamps import seconds
from .auth import current_identity, role_required
from .context import avatar_url, store
from .decorators import body, check_first, query
from .errors import BadRequest, NotFound
from .responses import json_response
from .routing import ApiBlueprint
from .wire import path_id

bp = ApiBlueprint("service_accounts", __name__)
create_schema = ServiceAccountCreateSchema()
update_schema = ServiceAccountUpdateSchema()
search_schema = ServiceAccountSearchSchema()
token_schema = TokenCreateSchema()
NOT_FOUND = "service account not found"
TOKEN_NOT_FOUND = "service account token not found"
INVALID_ID = "Service Account ID is invalid"
ALREADY_EXISTS = "service account already exists"
EXPIRY_SHOWN_WITHIN = 7 * 24 * 3600  # Grafana counts the seconds left only for a token ending within a week


def _account(account_id: str) -> dict:
    """The caller's org's service account with that id; 400 for no id, 404 for none."""
    account = store().service_accounts.get(current_identity().org_id, path_id(account_id, INVALID_ID))
    if account is None:
        raise NotFound(NOT_FOUND)
    return account


def _require_account(account_id: str) -> None:
    _account(account_id)


def summary(account: dict, tokens: int) -> dict:
    """Grafana's ServiceAccountDTO, as search and create answer it."""
    return {"id": account["id"], "uid": account["uid"], "name": account["name"], "login": account["login"],
            "orgId": account["orgId"], "isDisabled": account["isDisabled"], "role": account["role"],
            "tokens": tokens, "avatarUrl": avatar_url(account["login"])}


def profile(account: dict) -> dict:
    """Grafana's ServiceAccountProfileDTO (`tokens` left out when there are none, as its JSON tag omits it)."""
    org_id = account["orgId"]
    tokens = store().api_keys.token_counts(org_id, [account["id"]]).get(account["id"], 0)
    teams = store().teams.of_user(account["id"], org_id)
    names = [team["name"] for team in store().teams.search(org_id, team_ids=list(teams), limit=len(teams))[1]]
    return {"id": account["id"], "uid": account["uid"], "name": account["name"], "login": account["login"],
            "orgId": org_id, "isDisabled": account["isDisabled"], "createdAt": account["created"],
            "updatedAt": account["updated"], "avatarUrl": avatar_url(account["login"]), "role": account["role"],
            "teams": names, **({"tokens": tokens} if tokens else {})}


@bp.get("/api/serviceaccounts/search")
@role_required("Admin")
@query(search_schema)
def search_service_accounts(query: dict):
    """The org's service accounts by login whose name or login contains `query`, `perpage` per `page`;
    `disabled=true` lists only the disabled ones."""
    org_id = current_identity().org_id
    total, accounts = store().service_accounts.search(
        org_id, query["query"], disabled=True if query["disabled"] else None, limit=query["limit"],
        offset=query["offset"])
    counts = store().api_keys.token_counts(org_id, [account["id"] for account in accounts])
    return json_response({"totalCount": total,
                          "serviceAccounts": [summary(account, counts.get(account["id"], 0)) for account in accounts],
                          "page": query["page"], "perPage": query["perpage"]})


@bp.post("/api/serviceaccounts")
@role_required("Admin")
@body(create_schema)
def create_service_account(body: dict):
    """Create a service account with an org role (Viewer unless given)."""
    try:
        account = store().service_accounts.create(current_identity().org_id, name=body["name"], role=body["role"],
                                                  is_disabled=body["is_disabled"])
    except StoreConflict:
        raise BadRequest(ALREADY_EXISTS) from None
    return json_response(summary(account, 0), status=201)


@bp.get("/api/serviceaccounts/<account_id>")
@role_required("Admin")
def get_service_account(account_id: str):
    """A service account with its token count and teams."""
    return json_response(profile(_account(account_id)))


@bp.patch("/api/serviceaccounts/<account_id>")
@role_required("Admin")
@check_first(_require_account)
@body(update_schema)
def update_service_account(account_id: str, body: dict):
    """Change the name, role or disabled flag; what is left out keeps its value. Disabling stops its tokens."""
    changes = {{"is_disabled": "isDisabled"}.get(field, field): value for field, value in body.items()}
    try:
        account = store().service_accounts.update(current_identity().org_id, int(account_id), **changes)
    except StoreConflict:
        raise BadRequest(ALREADY_EXISTS) from None
    if account is None:
        raise NotFound(NOT_FOUND)
    return json_response({"message": "Service account updated", "id": account["id"], "name": account["name"],
                          "serviceaccount": profile(account)})


@bp.delete("/api/serviceaccounts/<account_id>")
@role_required("Admin")
def delete_service_account(account_id: str):
    """Delete a service account and its tokens (which stop working at once)."""
    if not store().delete_service_account(current_identity().org_id, path_id(account_id, INVALID_ID)):
        raise NotFound(NOT_FOUND)
    return json_response({"message": "Service account deleted"})


def token_view(token: dict, now: float) -> dict:
    ends = seconds(token["expires"]) if token["expires"] else None
    left = ends - now if ends is not None else 0
    return {"id": token["id"], "name": token["name"], "created": token["created"], "lastUsedAt": None,
            "expiration": token["expires"], "secondsUntilExpiration": left if 0 < left <= EXPIRY_SHOWN_WITHIN else 0,
            "hasExpired": ends is not None and left <= 0, "isRevoked": False}


@bp.get("/api/serviceaccounts/<account_id>/tokens")
@role_required("Admin")
def list_tokens(account_id: str):
    """The service account's tokens by name; never a token or its hash."""
    account = _account(account_id)
    now = time.time()
    return json_response([token_view(token, now)
                          for token in store().api_keys.tokens_of(account["orgId"], account["id"])])


@bp.post("/api/serviceaccounts/<account_id>/tokens")
@role_required("Admin")
@check_first(_require_account)
@body(token_schema)
def create_token(account_id: str, body: dict):
    """Give the service account a token (`glsa_…`), shown in this answer only; `secondsToLive` 0 never ends."""
    account = _account(account_id)
    token, ttl = security.new_service_account_token(), body["seconds_to_live"] or 0
    try:
        created = store().api_keys.create(org_id=account["orgId"], name=body["name"], role=account["role"],
                                          key_hash=security.hash_secret(token),
                                          expires_at=time.time() + ttl if ttl else None,
                                          service_account_id=account["id"])
    except StoreConflict:
        raise BadRequest("service account token with given name already exists in the organization") from None
    return json_response({"id": created["id"], "name": created["name"], "key": token})


@bp.delete("/api/serviceaccounts/<account_id>/tokens/<token_id>")
@role_required("Admin")
def delete_token(account_id: str, token_id: str):
    """Delete one of the service account's tokens; it stops working at once."""
    account = _account(account_id)
    if not store().api_keys.delete(account["orgId"], path_id(token_id, "Token ID is invalid"),
                                   service_account_id=account["id"]):
        raise NotFound(TOKEN_NOT_FOUND)
    return json_response({"message": "Service account token deleted"})


def _migrate(org_id: int, key_id: int) -> dict | None:
    try:
        return store().migrate_api_key(org_id, key_id)
    except StoreConflict:
        return None


@bp.post("/api/serviceaccounts/migrate")
@role_required("Admin")
def migrate_api_keys():
    """Turn every API key of the org into a service account (`sa-autogen-<key name>`, the key's role) whose token
    the key becomes: the key keeps working, now as an identity of its own."""
    org_id = current_identity().org_id
    keys = store().api_keys.list_for_org(org_id, include_expired=True)
    failed = [key["id"] for key in keys if _migrate(org_id, key["id"]) is None]
    return json_response({"total": len(keys), "migrated": len(keys) - len(failed), "failed": len(failed),
                          "failedApikeyIDs": failed,
                          "failedDetails": [f"API key {key_id}: {ALREADY_EXISTS}" for key_id in failed]})


@bp.post("/api/serviceaccounts/migrate/<key_id>")
@role_required("Admin")
def migrate_api_key(key_id: str):
    """Turn one API key into a service account (see migrate_api_keys)."""
    org_id, key = current_identity().org_id, path_id(key_id, "invalid api key id specified")
    api_key = store().api_keys.get(org_id, key)
    if api_key is None or api_key.get("serviceAccountId"):
        raise NotFound("API key not found")
    if _migrate(org_id, key) is None:
        raise BadRequest(ALREADY_EXISTS)
    return json_response({"message": "Service accounts migrated"})
