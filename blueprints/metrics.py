"""Metrics: request durations, store errors and the snapshot and dashboard totals for Prometheus to scrape
(`[metrics] enabled`, optionally behind its own Basic credentials, as in Grafana)."""
from __future__ import annotations

import hmac

from flask import Response, request

from ..metrics import TEXT_FORMAT
from .context import settings, state
from .errors import NotFound, Unauthorized
from .routing import ApiBlueprint

bp = ApiBlueprint("metrics", __name__)


def _require_scraper_credentials() -> None:
    """With `[metrics] basic_auth_username` and `basic_auth_password` both set, only they may scrape."""
    username = settings()["DASHSNAP_METRICS_BASIC_AUTH_USERNAME"]
    password = settings()["DASHSNAP_METRICS_BASIC_AUTH_PASSWORD"]
    if not (username and password):
        return
    sent = request.authorization
    if sent is None or sent.type != "basic":
        raise Unauthorized()
    # Both compared every time, in constant time: neither half can be guessed on its own.
    username_matches = hmac.compare_digest((sent.username or "").encode(), username.encode())
    password_matches = hmac.compare_digest((sent.password or "").encode(), password.encode())
    if not (username_matches and password_matches):
        raise Unauthorized()


@bp.get("/metrics")
def get_metrics():
    """The app's metrics in Prometheus' text format."""
    if not settings()["DASHSNAP_METRICS_ENABLED"]:
        raise NotFound()
    _require_scraper_credentials()
    return Response(state().metrics.exposition(), content_type=TEXT_FORMAT)
