"""Which page a browser's request comes from: ours (the address it came to, root_url's, or an origin
`[security] csrf_trusted_origins` names), or another. A page on another port of the same host is another origin,
though the browser still sends it our SameSite=Lax cookie: only the origin tells it apart."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import request

from .context import settings

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
DEFAULT_PORTS = {"http": 80, "https": 443}


Origin = tuple[str, str, int | None]


def _origin(url: str) -> Origin | None:
    """(scheme, host, port) of a url; None for one that names no host (`null`, a typo in a setting)."""
    try:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        port = parts.port or DEFAULT_PORTS.get(scheme)
    except ValueError:
        return None
    return (scheme, parts.hostname, port) if parts.hostname and port else None


def _own(origin: Origin | None) -> bool:
    """The address the request came to, or root_url's (behind a proxy that ends TLS, the request itself may say
    http)."""
    own = {_origin(request.host_url), _origin(settings()["DASHSNAP_ROOT_URL"] or request.host_url)} - {None}
    return origin in own


def _listed(origin: Origin | None) -> bool:
    """Named by csrf_trusted_origins: an origin (`https://grafana.example`), or a bare host for all of its."""
    return origin is not None and any(_origin(entry) == origin if "://" in entry else entry.lower() == origin[1]
                                      for entry in settings()["DASHSNAP_CSRF_TRUSTED_ORIGINS"].split())


def from_another_origin() -> bool:
    """Whether a browser says this request comes from a page not ours: its Origin header (sent with every POST,
    PUT and DELETE) names another origin, or Sec-Fetch-Site says same-site or cross-site; an origin that
    csrf_trusted_origins names passes either way. A request with neither header comes from no browser."""
    sent = request.headers.get("Origin")
    origin = _origin(sent.strip()) if sent is not None else None
    if _listed(origin):
        return False
    if request.headers.get("Sec-Fetch-Site", "none").strip().lower() not in ("same-origin", "none"):
        return True
    return sent is not None and not _own(origin)
