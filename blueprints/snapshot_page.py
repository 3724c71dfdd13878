"""The snapshot page: the url a snapshot is shared by, as a read-only HTML view of its dashboard. The page carries
the snapshot's data, and its own script draws the panels with uPlot; nothing is fetched from anywhere else.

Everything in a snapshot is untrusted: the server escapes what it writes into the page, and a Content-Security-
Policy lets the page run only our own files."""
from __future__ import annotations

from datetime import datetime, timezone
from urllib.parse import quote

from flask import Response, redirect, request

from ..schemas.base import FIFTY_YEARS
from ..storage.timestamps import seconds
from .auth import current_identity, optional_auth
from .context import app_path, store
from .decorators import annotate
from .errors import ApiError, NotFound, Unauthorized
from .login import sign_in_url
from .pages import PAGE_HEADERS, add_security_headers, html_page
from .routing import ApiBlueprint
from .snapshots import EXPIRED, cache_control, readable_snapshot, require_snapshots_enabled

NEVER = FIFTY_YEARS - 24 * 3600  # a snapshot made to last this long was made to never expire, as Grafana's are

bp = ApiBlueprint("snapshot_page", __name__)
bp.before_request(require_snapshots_enabled)
bp.after_request(add_security_headers)  # on its redirects and errors too

# Inside <script type="application/json"> these would let data close the element (`</script>`) or open a comment
# (`<!--`); JSON allows them only within strings, where the \u escapes mean the same.
SCRIPT_ESCAPES = ((b"<", b"\\u003c"), (b">", b"\\u003e"), (b"&", b"\\u0026"),
                  ("\u2028".encode(), b"\\u2028"), ("\u2029".encode(), b"\\u2029"))


def script_json(encoded: bytes) -> bytes:
    """JSON bytes made safe inside a <script type="application/json"> element."""
    for unsafe, escaped in SCRIPT_ESCAPES:
        encoded = encoded.replace(unsafe, escaped)
    return encoded


def _text(value: object, default: str = "") -> str:
    return str(value) if isinstance(value, (str, int, float)) and not isinstance(value, bool) else default


def _utc(moment: datetime) -> dict[str, str]:
    moment = moment.astimezone(timezone.utc)
    return {"iso": moment.strftime("%Y-%m-%dT%H:%M:%SZ"), "text": moment.strftime("%Y-%m-%d %H:%M:%S UTC")}


def _range_end(value: object) -> dict[str, str]:
    """A time range end as written in the dashboard: an ISO time or epoch milliseconds (snapshots), or a
    relative time such as `now-6h` (shown as it is)."""
    text = _text(value)
    try:
        if text.lstrip("-").isdigit():
            return _utc(datetime.fromtimestamp(int(text) / 1000, timezone.utc))
        moment = datetime.fromisoformat(text)
        return _utc(moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc))
    except (ValueError, OverflowError, OSError):
        return {"iso": "", "text": text}


def _viewer_preferences() -> dict[str, str]:
    """The theme and time zone the signed-in viewer's preferences (else their org's) set; none for visitors."""
    identity = current_identity()
    if identity is None:
        return {"theme": "", "timezone": ""}
    return {field: store().preferences.decided(identity.org_id, identity.user_id, field)
            for field in ("theme", "timezone")}


def _here() -> str:
    """This page's path as the browser sees it, its key quoted back."""
    return app_path(f"dashboard/snapshot/{quote(request.view_args['key'], safe='')}")


@bp.errorhandler(ApiError)
def error_page(error: ApiError) -> Response:
    """People read this page: sign-in is a redirect to the sign-in form (which comes back here), other errors are
    HTML pages."""
    if isinstance(error, Unauthorized):
        return redirect(sign_in_url(_here()))
    if isinstance(error, NotFound):
        heading = "Snapshot not found"
        message = ("This snapshot has expired." if error.message == EXPIRED
                   else "There is no snapshot at this address: it may have been deleted, or the link is incomplete.")
    else:
        heading, message = "Snapshot unavailable", error.message
    # No caching: a snapshot may yet be created with this key, and a 404 may otherwise be cached heuristically.
    return html_page("snapshot_not_found.html", error.status, "no-store", heading=heading, message=message)


@bp.get("/dashboard/snapshot/<key>")
@optional_auth
def show_snapshot(key: str):
    """The snapshot as a read-only HTML page of its dashboard's panels."""
    snapshot = readable_snapshot(key)
    stored = snapshot["dashboard"].read()
    dashboard, time_range = snapshot["glance"], snapshot["glance"].get("time", {})  # glance is {} for a non-object
    created, expires = seconds(snapshot["created"]), seconds(snapshot["expires"])
    preferred = _viewer_preferences()
    caching = cache_control(snapshot)
    if any(preferred.values()):  # a page made for one viewer's preferences must not reach others from a cache
        caching = caching.replace("public", "private")
    # The page differs by who signed in (their preferences), so no cache may answer one caller with another's.
    return html_page(
        "snapshot.html", 200, caching, headers={**PAGE_HEADERS, "Vary": "Authorization, Cookie"},
        theme=preferred["theme"], preferred_timezone=preferred["timezone"],
        title=_text(dashboard.get("title"), "Untitled dashboard"), name=_text(snapshot["name"]),
        created=_utc(datetime.fromtimestamp(created, timezone.utc)),
        expires=None if expires - created > NEVER else _utc(datetime.fromtimestamp(expires, timezone.utc)),
        time_from=_range_end(time_range.get("from")), time_to=_range_end(time_range.get("to")),
        content=script_json(b'{"dashboard":' + (stored if dashboard else b"{}") + b"}"))


annotate(show_snapshot, produces="text/html")
