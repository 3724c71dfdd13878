"""Sessions: sign in with a login and password for a cookie (as JSON, or through the sign-in form people see), sign
out, and ask whether one is signed in."""
from __future__ import annotations

import re
import time
from urllib.parse import unquote, urlencode, urlsplit

from flask import Response, redirect, request

from ..schemas.login import LoginSchema
from .auth import (
    ORIGIN_NOT_ALLOWED,
    SESSION_COOKIE,
    current_identity,
    current_session,
    optional_auth,
    session_user,
    sign_in,
)
from .context import app_path, settings, state, store, sub_path
from .decorators import annotate, body
from .errors import ApiError, BadRequest, Forbidden, Unauthorized, api_error_response
from .origins import from_another_origin
from .pages import FORM_PAGE_HEADERS, html_page
from .responses import json_response
from .routing import ApiBlueprint
from .wire import sent_form

bp = ApiBlueprint("login", __name__)
login_schema = LoginSchema()
LOGGED_IN = {"message": "Logged in"}
JSON_TYPE = "application/json"
FROM_ANOTHER_SITE = "Sign-in refused: the form was sent from another site"
ENTER_BOTH = "Enter your login (or email) and your password."
MAX_TARGET = 2048
LOGIN_MAX_BODY_BYTES = 8 * 1024  # a login, a password and where to go on (MAX_TARGET), with room to spare
# Browsers drop tabs and newlines from a url (so `/\t/evil.example` is `//evil.example`) and read `\` as `/`.
_NOT_IN_TARGETS = re.compile(r"[\x00-\x20\x7f\\]")


def local_target(target: str | None) -> str | None:
    """target when a browser can only read it as a path of ours (where to go on after signing in), else None: no
    scheme, no host (`//host`, `/\\host`), nothing a browser drops or rewrites, no `..` out of our paths."""
    if not target or len(target) > MAX_TARGET or _NOT_IN_TARGETS.search(target):
        return None
    parts = urlsplit(target)
    if not target.startswith(sub_path() + "/") or target.startswith("//") or parts.scheme or parts.netloc:
        return None
    return None if {".", ".."} & set(unquote(parts.path).split("/")) else target


def sign_in_url(next_path: str) -> str:
    """The sign-in form, which goes on to next_path once signed in."""
    return f"{app_path('login')}?{urlencode({'next': next_path})}"


def _sign_in_page(status: int = 200, *, message: str = "", user: str = "", target: str | None = None,
                  signed_in_as: str | None = None) -> Response:
    return html_page("login.html", status, "no-store", headers=FORM_PAGE_HEADERS, action=app_path("login"),
                     logout=app_path("logout"), message=message, user=user, next=target or "",
                     signed_in_as=signed_in_as)


@bp.errorhandler(ApiError)
def sign_in_failed(error: ApiError) -> Response:
    """A sign-in form that fails comes back with why, and with where it was going (never the password); every
    other failure is the API's JSON."""
    form = sent_form()
    if form is None:
        return api_error_response(error)
    if isinstance(error, Forbidden):  # another site's form: keep nothing of it
        return _sign_in_page(error.status, message=error.message)
    if isinstance(error, BadRequest):
        return _sign_in_page(error.status, message=ENTER_BOTH, target=local_target(form.get("next")))
    return _sign_in_page(error.status, message=error.message, user=form.get("user", ""),
                         target=local_target(form.get("next")))


@bp.get("/login")
def sign_in_form():
    """The sign-in form; it posts to `POST /login` and goes on to `next`, a path of ours.

    A visitor already signed in goes straight on to `next`, or is told who they are signed in as."""
    target, user = local_target(request.args.get("next")), session_user()
    if user is None:
        return _sign_in_page(target=target)
    return redirect(target) if target else _sign_in_page(signed_in_as=user["login"])


annotate(sign_in_form, produces="text/html")


@bp.post("/login")
@body(login_schema, forms=True, max_bytes=LOGIN_MAX_BODY_BYTES)
def log_in(body: dict):
    """Sign in; the answer sets the session cookie (HttpOnly, SameSite=Lax) that signs in later requests.

    The sign-in form sends the same fields form-encoded, with `next`: its answer is a 303 to `next` when that is a
    path of ours, else to the form. A sign-in another site's page could send (any body not labelled
    application/json) is refused with 403 when the browser says it comes from a page not ours."""
    if request.mimetype != JSON_TYPE and from_another_origin():
        raise Forbidden(FROM_ANOTHER_SITE)
    user = sign_in(body["user"], body["password"])
    form = sent_form()
    if form is None:
        response = json_response(LOGGED_IN)
    else:
        response = redirect(local_target(form.get("next")) or app_path("login"), 303)
    response.set_cookie(SESSION_COOKIE, state().sessions.sign(user), max_age=state().sessions.max_age,
                        path=app_path(""), httponly=True, samesite="Lax", secure=_cookie_secure())
    return response


def _cookie_secure() -> bool:
    """Send the cookie over https only: when this request came by https, root_url is https (behind a proxy that
    ends TLS, the request itself says http), or [security] cookie_secure says so."""
    root_url = settings()["DASHSNAP_ROOT_URL"]
    return request.is_secure or root_url.lower().startswith("https:") or settings()["DASHSNAP_COOKIE_SECURE"]


def _end_session() -> Response:
    """End this request's session (a copy of its cookie stops working too, the user's other sessions do not) and
    go to the sign-in page, as Grafana does."""
    signed_in = current_session()
    if signed_in is not None:
        user, session = signed_in
        store().users.revoke_session(user["id"], session.session_id, time.time() + state().sessions.max_age)
    response = redirect(app_path("login"))
    response.delete_cookie(SESSION_COOKIE, path=app_path(""), httponly=True, samesite="Lax",
                           secure=_cookie_secure())
    return response


@bp.post("/logout")
def log_out():
    """Sign out (the sign-in page's button); refused with 403 when the browser says another page sent it."""
    if from_another_origin():
        raise Forbidden(ORIGIN_NOT_ALLOWED)
    return _end_session()


@bp.get("/logout")
def log_out_by_link():
    """Sign out by Grafana's link: a page of the same site can load it too, so it ends only this session."""
    return _end_session()


@bp.get("/api/login/ping")
@optional_auth
def ping():
    """"Logged in" for a request signed in by any means, 401 otherwise."""
    if current_identity() is None:
        raise Unauthorized()
    return json_response(LOGGED_IN)
