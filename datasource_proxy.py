"""The data source proxy's client side: forward one request to a data source's url and stream the answer back.

Only the data source's own credentials travel upstream; the caller's cookies and Authorization never do.
"""
from __future__ import annotations

import base64
import logging
import posixpath
from collections.abc import Iterator, Mapping
from urllib.parse import quote, urlsplit, urlunsplit

import requests
import urllib3

# Hop-by-hop headers (RFC 9110) and the ones the proxy decides itself.
_NOT_FORWARDED = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer",
                  "transfer-encoding", "upgrade", "host", "content-length", "cookie", "authorization"}
_NOT_RETURNED = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer",
                 "transfer-encoding", "upgrade", "set-cookie"}
CHUNK_BYTES = 64 * 1024
log = logging.getLogger(__name__)


class RefusedTarget(ValueError):
    """The request may not go where it asks to (a path above the data source's url, a url that is not http)."""


class UpstreamError(Exception):
    """The data source could not be reached; timed_out tells whether it was too slow."""

    def __init__(self, message: str, timed_out: bool = False):
        super().__init__(message)
        self.timed_out = timed_out


def basic_auth(source: dict) -> tuple[str, str] | None:
    """The data source's own basic-auth pair, if it uses one. The password is where Grafana 6.2+ keeps it
    (`secureJsonData.basicAuthPassword`), else in the older top-level field."""
    if not source["basicAuth"]:
        return None
    secure = source.get("secureJsonData", {})
    return source["basicAuthUser"], secure.get("basicAuthPassword") or source["basicAuthPassword"]


def target_url(base_url: str, path: str, query: bytes) -> str:
    """The upstream url for a path below the data source's url; RefusedTarget when the path climbs out of it."""
    try:
        base = urlsplit(base_url)
    except ValueError:
        raise RefusedTarget("the data source's url is not a valid url") from None
    if base.scheme not in ("http", "https") or not base.netloc:
        raise RefusedTarget("the data source's url is not an http url")
    base_path = base.path.rstrip("/")
    joined = posixpath.normpath(f"{base_path}/{path}") if path else base.path or "/"
    if path.endswith("/") and not joined.endswith("/"):
        joined += "/"
    if joined != base_path and not joined.startswith(base_path + "/"):
        raise RefusedTarget("the path climbs above the data source's url")
    return urlunsplit((base.scheme, base.netloc, quote(joined, safe="/:@!$&'()*+,;=-._~"), query.decode("latin-1"),
                       ""))


def forward(method: str, url: str, headers: Mapping[str, str], body: bytes, *, basic_auth: tuple[str, str] | None,
            timeout: float) -> tuple[int, list[tuple[str, str]], Iterator[bytes]]:
    """Send the request upstream; (status, headers, body chunks) of the answer, its bytes passed on as they come."""
    # Identity headers a Grafana-style backend might trust are the server's to set, never the caller's.
    outgoing = {name: value for name, value in headers.items()
                if name.lower() not in _NOT_FORWARDED and not name.lower().startswith(("x-grafana-", "x-ds-"))}
    if basic_auth:
        outgoing["Authorization"] = "Basic " + base64.b64encode(":".join(basic_auth).encode()).decode()
    try:
        answer = requests.request(method, url, headers=outgoing, data=body or None, stream=True, timeout=timeout,
                                  allow_redirects=False)
    except requests.Timeout:
        raise UpstreamError("the data source did not answer in time", timed_out=True) from None
    except requests.RequestException as error:
        raise UpstreamError(f"the data source is unreachable ({type(error).__name__})") from None

    def chunks() -> Iterator[bytes]:
        try:
            yield from answer.raw.stream(CHUNK_BYTES, decode_content=False)
        except (urllib3.exceptions.HTTPError, requests.RequestException, OSError) as error:
            # The status is sent already: all that is left is to end the answer where the upstream broke off.
            log.warning("data source %s broke off its answer: %s", url, type(error).__name__)
        finally:
            answer.close()

    returned = [(name, value) for name, value in answer.raw.headers.items() if name.lower() not in _NOT_RETURNED]
    return answer.status_code, returned, chunks()
