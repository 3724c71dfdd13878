"""Who is calling: Basic auth against stored users, `Bearer <api key or service account token>`, a session cookie,
or nobody.

As in Grafana, a credential that is sent and fails ends the request with 401 even on public routes; a
request with no credential goes on unauthenticated and the route's guard decides. Roles are org roles
(Viewer < Editor < Admin) plus the server-admin flag.
"""
from __future__ import annotations

import ipaddress
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import wraps

from flask import request
from flask_httpauth import HTTPAuth, HTTPBasicAuth, HTTPTokenAuth, MultiAuth

from .. import security
from ..schemas.base import ORG_ROLES
from ..storage.timestamps import seconds
from .context import settings, signed_in_as, signed_in_by_session, state, store
from .decorators import annotate
from .errors import Forbidden, TooManyRequests, Unauthorized
from .origins import SAFE_METHODS, from_another_origin

SERVER_ADMIN = "ServerAdmin"
INVALID_LOGIN = "Invalid username or password"
SESSION_COOKIE = "grafana_session"
ORG_HEADER = "X-Grafana-Org-Id"  # a user's request in another of their orgs; an API key's org is the key's
NOT_A_MEMBER = f"You are not a member of the organization {ORG_HEADER} names"
ORIGIN_NOT_ALLOWED = "origin not allowed"
SERVICE_ACCOUNT_DISABLED = "Service account is disabled"


@dataclass(frozen=True)
class Identity:
    org_id: int
    role: str              # the org role, "" when the user is no member of the org
    user_id: int = 0       # 0 for API keys, as in Grafana
    login: str = ""
    is_server_admin: bool = False
    api_key_name: str | None = None  # set only for API keys (and service account tokens)
    service_account: bool = False    # a service account's token: user_id and login are the account's
    # The user's document as it was read to sign them in (None for API keys and anonymous callers): a view that
    # needs it does not read it again.
    user: dict | None = field(default=None, compare=False, repr=False)

    def has_role(self, role: str) -> bool:
        return role in ORG_ROLES and self.role in ORG_ROLES and ORG_ROLES.index(self.role) >= ORG_ROLES.index(role)


class PrebuiltMultiAuth(MultiAuth):
    """flask-httpauth's MultiAuth, choosing the scheme the same way, with each scheme's guard of a view built once:
    MultiAuth builds (and `functools.wraps`) a new one on every request."""

    def login_required(self, f=None, role=None, optional=None):
        def guard(view: Callable) -> Callable:
            guarded = [(auth, auth.login_required(role=role, optional=optional)(view))
                       for auth in (self.main_auth, *self.additional_auths)]

            @wraps(view)
            def decorated(*args, **kwargs):
                return self._chosen(guarded)(*args, **kwargs)

            return decorated

        return guard(f) if f else guard

    @staticmethod
    def _chosen(guarded: list[tuple[HTTPAuth, Callable]]) -> Callable:
        """The main scheme's guard, unless the request sends another scheme's header (and not the main one's)."""
        (main, main_guard), *others = guarded
        if not main.is_compatible_auth(request.headers):
            for auth, guarded_view in others:
                if auth.is_compatible_auth(request.headers):
                    return guarded_view
        return main_guard


basic_auth = HTTPBasicAuth()
token_auth = HTTPTokenAuth(scheme="Bearer")
multi_auth = PrebuiltMultiAuth(basic_auth, token_auth)


def _identity_of_api_key(token: str) -> Identity:
    """The caller a service account token (`glsa_…`, found by its hash) or an API key (which names its org and
    name) signs in; an API key given to a service account acts as that account."""
    if security.is_service_account_token(token):
        well_formed = security.is_well_formed_token(token)
        secret, api_key = token, store().api_keys.find_by_hash(security.hash_secret(token)) if well_formed else None
    else:
        decoded = security.decode_api_key(token)
        secret, api_key = (decoded[0], store().api_keys.find(decoded[2], decoded[1])) if decoded else ("", None)
    if api_key is None or not security.secret_matches(secret, api_key["keyHash"]):
        raise Unauthorized("Invalid API key")
    if api_key["expires"] and seconds(api_key["expires"]) <= time.time():
        raise Unauthorized("Expired API key")
    if api_key.get("serviceAccountId"):
        return _identity_of_service_account(api_key)
    signed_in_as(f"api-key:{api_key['name']}")
    return Identity(org_id=api_key["orgId"], role=api_key["role"], api_key_name=api_key["name"])


def _identity_of_service_account(token: dict) -> Identity:
    account = store().service_accounts.get(token["orgId"], token["serviceAccountId"])
    if account is None:
        raise Unauthorized("Invalid API key")
    if account["isDisabled"]:
        raise Unauthorized(SERVICE_ACCOUNT_DISABLED)
    signed_in_as(account["login"])
    # What views that show "the signed-in user" read, in a user document's shape.
    as_user = {"id": account["id"], "login": account["login"], "email": account["login"], "name": account["name"],
               "orgId": account["orgId"], "orgs": {str(account["orgId"]): account["role"]}, "isGrafanaAdmin": False,
               "isServiceAccount": True, "created": account["created"], "updated": account["updated"]}
    return Identity(org_id=account["orgId"], role=account["role"], user_id=account["id"], login=account["login"],
                    api_key_name=token["name"], service_account=True, user=as_user)


def _org_of(user: dict) -> int:
    """The org a user's request acts in: the one its X-Grafana-Org-Id header names (Grafana 5+; grafana-client
    sends it when given an organization_id), else the user's active org. As in Grafana, a header that is no
    number (or 0) means the active org. An org the user does not belong to is refused (Grafana would let the
    request act there with no role, which still creates snapshots)."""
    named = request.headers.get(ORG_HEADER, "").strip()
    org_id = int(named) if named.isascii() and named.isdigit() and len(named) <= 18 else 0
    if org_id == 0:
        return user["orgId"]
    if str(org_id) not in user["orgs"]:
        raise Forbidden(NOT_A_MEMBER)
    return org_id


def _identity_of_user(user: dict) -> Identity:
    signed_in_as(user["login"])
    org_id = _org_of(user)
    return Identity(org_id=org_id, role=user["orgs"].get(str(org_id), ""), user_id=user["id"],
                    login=user["login"], is_server_admin=user["isGrafanaAdmin"], user=user)


def sign_in(login: str, password: str) -> dict:
    """The user whose login (or email) and password these are; 429 while that login is being guessed from the
    caller's address. A password that signed this user in a moment ago passes at once: behind a reverse proxy
    every caller has one address, and a tool signing in right must not wait for someone guessing wrong."""
    user = store().users.find_by_login_or_email(login)
    if user is not None and state().passwords.remembers(user["id"], user["passwordHash"], password):
        return _enabled(user)
    guess = f"sign-in {login.casefold()} from {client_address()}"
    start_guess(guess)
    # One message and the same work for unknown users and wrong passwords, so logins cannot be probed.
    if user is None:
        state().passwords.spend_a_check(password)
    if user is None or not state().passwords.check(user["id"], user["passwordHash"], password):
        state().login_throttle.failed(guess)
        raise Unauthorized(INVALID_LOGIN)
    state().login_throttle.succeeded(guess)
    return _enabled(user)


def _enabled(user: dict) -> dict:
    """A disabled user is refused as a wrong password is, so that a guesser learns nothing (as Grafana 9)."""
    if user.get("isDisabled"):
        raise Unauthorized(INVALID_LOGIN)
    return user


def client_address() -> str:
    """Where the request came from, as the throttle counts it: an IPv6 address by its /64, which one machine
    usually holds whole."""
    try:
        address = ipaddress.ip_address(request.remote_addr or "")
    except ValueError:
        return request.remote_addr or ""
    return str(ipaddress.ip_network(f"{address}/64", strict=False)) if address.version == 6 else str(address)


def start_guess(guess: str) -> None:
    """Begin a guess (see LoginThrottle.attempt): 429 while the one making it must wait."""
    blocked = state().login_throttle.attempt(guess)
    if blocked:
        raise TooManyRequests(f"Too many failed attempts; try again in {blocked} seconds")


def current_session() -> tuple[dict, security.Session] | None:
    """(user, session) of the valid session cookie that came with the request, or None."""
    cookie = request.cookies.get(SESSION_COOKIE)
    session = state().sessions.read(cookie) if cookie else None
    user = store().users.get(session.user_id) if session else None
    valid = user is not None and not user.get("isDisabled") and state().sessions.matches(session, user)
    return (user, session) if valid else None


def session_user() -> dict | None:
    """The user whose valid session cookie came with the request, or None."""
    signed_in = current_session()
    return signed_in[0] if signed_in else None


def _identity_of_session() -> Identity | None:
    """The session cookie's user. A browser sends the cookie with what any page of the same site asks for, so a
    change it signs in must come from our own pages, and a body it sends must be labelled JSON (no HTML form or
    no-cors fetch can); Basic auth and API keys, which no page can make a browser send, need neither."""
    user = session_user()
    if user is None:
        return None
    if request.method not in SAFE_METHODS and from_another_origin():
        raise Forbidden(ORIGIN_NOT_ALLOWED)
    signed_in_by_session()  # and a body it sends must say JSON (wire.request_object)
    return _identity_of_user(user)


def _identity_of_anonymous() -> Identity | None:
    """With [auth.anonymous] enabled, a caller with no credential acts in the named org with the set role."""
    if not settings()["DASHSNAP_ANONYMOUS_ENABLED"]:
        return None
    org = store().orgs.find_by_name(settings()["DASHSNAP_ANONYMOUS_ORG_NAME"])
    role = settings()["DASHSNAP_ANONYMOUS_ORG_ROLE"]
    return Identity(org_id=org["id"], role=role if role in ORG_ROLES else "") if org else None


@basic_auth.verify_password
def verify_password(username: str, password: str) -> Identity | None:
    header = request.headers.get("Authorization")
    if header is not None and not settings()["DASHSNAP_BASIC_AUTH_ENABLED"] and not header.startswith("Bearer "):
        header = None  # [auth.basic] enabled = false: the header is ignored, as in Grafana
    if header is None:
        return _identity_of_session() or _identity_of_anonymous()
    if not username:
        raise Unauthorized("Invalid Basic Auth Header")
    if username == "api_key":  # Grafana also takes an API key as the password of the user "api_key"
        return _identity_of_api_key(password)
    return _identity_of_user(sign_in(username, password))


@token_auth.verify_token
def verify_token(token: str) -> Identity:
    return _identity_of_api_key(token)


def _roles_of(identity: Identity) -> list[str]:
    roles = [role for role in ORG_ROLES if identity.has_role(role)]
    return roles + [SERVER_ADMIN] if identity.is_server_admin else roles


basic_auth.get_user_roles(_roles_of)
token_auth.get_user_roles(_roles_of)


def _refuse(status: int) -> None:
    raise Unauthorized() if status == 401 else Forbidden()


basic_auth.error_handler(_refuse)
token_auth.error_handler(_refuse)


def optional_auth(view: Callable) -> Callable:
    """The route serves anonymous callers too; a credential that is sent must still be valid."""
    return annotate(multi_auth.login_required(optional=True)(view), sign_in="optional")


def signed_in(view: Callable) -> Callable:
    return annotate(multi_auth.login_required(view), sign_in="required")


def role_required(role: str) -> Callable[[Callable], Callable]:
    """Signed in with at least this org role (or exactly SERVER_ADMIN); 401 when anonymous, 403 when below."""

    def guard(view: Callable) -> Callable:
        return annotate(multi_auth.login_required(role=role)(view), sign_in="required", role=role)

    return guard


def current_identity() -> Identity | None:
    return multi_auth.current_user()
