"""Sessions: sign in with a login and password for a cookie, sign out, and ask whether one is signed in."""
from __future__ import annotations

from flask import redirect, request

from ..schemas.login import LoginSchema
from .auth import SESSION_COOKIE, current_identity, optional_auth, session_user, sign_in
from .context import app_path, state, store
from .decorators import body
from .errors import Unauthorized
from .responses import json_response
from .routing import ApiBlueprint

bp = ApiBlueprint("login", __name__)
login_schema = LoginSchema()
LOGGED_IN = {"message": "Logged in"}


@bp.post("/login")
@body(login_schema)
def log_in(body: dict):
    """Sign in; the answer sets the session cookie (HttpOnly, SameSite=Lax) that signs in later requests."""
    user = sign_in(body["user"], body["password"])
    response = json_response(LOGGED_IN)
    response.set_cookie(SESSION_COOKIE, state().sessions.sign(user), max_age=state().sessions.max_age,
                        path=app_path(""), httponly=True, samesite="Lax", secure=request.is_secure)
    return response


@bp.get("/logout")
def log_out():
    """End the session (a copy of the cookie stops working too) and go to the sign-in page, as Grafana does."""
    user = session_user()
    if user is not None:
        store().users.update(user["id"], sessionGeneration=user.get("sessionGeneration", 0) + 1)
    response = redirect(app_path("login"))
    response.delete_cookie(SESSION_COOKIE, path=app_path(""), httponly=True, samesite="Lax")
    return response


@bp.get("/api/login/ping")
@optional_auth
def ping():
    """"Logged in" for a request signed in by any means, 401 otherwise."""
    if current_identity() is None:
        raise Unauthorized()
    return json_response(LOGGED_IN)
