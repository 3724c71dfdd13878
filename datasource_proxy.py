"""The data source proxy's client side: what the proxy may ask of a data source, and forwarding one request to the
data source's url with the answer streamed back.

Upstream go the method, the path (normalised, never above the data source's url), the query string, the body and
the caller's other headers, plus the data source's own basic auth and the hop header (HOP_HEADER). Never: the
caller's Cookie and Authorization; identity headers a backend behind an auth proxy might trust (X-Grafana-*,
X-DS-*, X-WEBAUTH-*, X-Auth-Request-*, X-Remote-*, Remote-User, X-Forwarded-User); method overrides; where the
request came from (Origin, Referer, X-Real-IP, X-Forwarded-*, Forwarded, Via); hop-by-hop headers.

Back come the status (an upstream 401 becomes AuthenticationFailed), the body and the headers, except Set-Cookie,
WWW-Authenticate, Proxy-Authenticate, Location, Access-Control-* and hop-by-hop headers; ANSWER_HEADERS replace
the upstream's own, so an answer is never a page of dashsnap's origin.
"""
from __future__ import annotations

import base64
import logging
import posixpath
from collections.abc import Iterator, Mapping
from urllib.parse import SplitResult, quote, urlsplit, urlunsplit

import requests
import urllib3

from .datasource_types import DATASOURCE_TYPES

# Set on every request the proxy sends: one arriving with it is the proxy talking to itself (see is_hop).
HOP_HEADER = "X-Dashsnap-Proxied"
# Set on every answer, whatever the upstream said: the answer is run by no browser, sniffed by none, and saved as a
# file when opened (Grafana sets only the sandbox).
ANSWER_HEADERS = {"Content-Security-Policy": "sandbox; default-src 'none'", "X-Content-Type-Options": "nosniff",
                  "Content-Disposition": "attachment"}
_HOP_BY_HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer",
               "transfer-encoding", "upgrade"}
# A method override would let a POST the policy allows act upstream as the DELETE it refuses.
_NOT_FORWARDED = _HOP_BY_HOP | {"host", "content-length", "cookie", "authorization", "origin", "referer",
                                "x-real-ip", "forwarded", "via", "remote-user", "x-http-method-override",
                                "x-http-method", "x-method-override", HOP_HEADER.lower()}
_NOT_FORWARDED_PREFIXES = ("x-grafana-", "x-ds-", "x-webauth-", "x-auth-request-", "x-forwarded-", "x-remote-")
_NOT_RETURNED = _HOP_BY_HOP | {"set-cookie", "www-authenticate", "location"} | {name.lower() for name in ANSWER_HEADERS}
_NOT_RETURNED_PREFIXES = ("access-control-",)  # the upstream's CORS grants are not dashsnap's

# The methods that read and query; the proxy sends no other.
_READS_AND_QUERIES = {"GET", "HEAD", "POST"}
_REFUSED_METHODS = {"PUT": "Puts", "PATCH": "Patches", "DELETE": "Deletes"}
_PROMETHEUS_QUERIES = {"api/v1/query", "api/v1/query_range", "api/v1/series", "api/v1/labels", "api/v1/query_exemplars"}
# Per type, the only paths a POST may go to (Grafana's ds_proxy.go), and what a POST elsewhere hears. Other types
# may POST anywhere.
_ALLOWED_POSTS = {
    "prometheus": (_PROMETHEUS_QUERIES, "non allow-listed POSTs not allowed on proxied Prometheus datasource"),
    "loki": ({f"loki/{path}" for path in _PROMETHEUS_QUERIES - {"api/v1/query_exemplars"}},
             "non allow-listed POSTs not allowed on proxied Loki datasource"),
    "elasticsearch": ({"_msearch"}, "Posts not allowed on proxied Elasticsearch datasource except on /_msearch"),
}
CHUNK_BYTES = 64 * 1024
log = logging.getLogger(__name__)


class RefusedTarget(ValueError):
    """The request may not go where it asks to (a path above the data source's url, a url that is not http)."""


class RefusedByPolicy(ValueError):
    """The data source's type does not let the proxy send this method to this path."""


class AuthenticationFailed(Exception):
    """The data source refused the proxy's credentials (it answered 401)."""


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


def is_hop(headers: Mapping[str, str]) -> bool:
    """Whether a request was sent by a dashsnap proxy: a data source whose url leads back to a proxy loops."""
    return HOP_HEADER in headers


def _http_base(base_url: str) -> SplitResult:
    try:
        base = urlsplit(base_url)
    except ValueError:
        raise RefusedTarget("the data source's url is not a valid url") from None
    if base.scheme not in ("http", "https") or not base.netloc:
        raise RefusedTarget("the data source's url is not an http url")
    return base


def _joined_path(base_path: str, path: str) -> str:
    """The upstream path for a path below base_path, normalised; RefusedTarget when it climbs out of base_path."""
    below = base_path.rstrip("/")
    joined = posixpath.normpath(f"{below}/{path}") if path else base_path or "/"
    if path.endswith("/") and not joined.endswith("/"):
        joined += "/"
    if joined != below and not joined.startswith(below + "/"):
        raise RefusedTarget("the path climbs above the data source's url")
    return joined


def target_url(base_url: str, path: str, query: bytes) -> str:
    """The upstream url for a path below the data source's url; RefusedTarget when the path climbs out of it."""
    base = _http_base(base_url)
    return urlunsplit((base.scheme, base.netloc, quote(_joined_path(base.path, path), safe="/:@!$&'()*+,;=-._~"),
                       query.decode("latin-1"), ""))


def relative_path(base_url: str, path: str) -> str:
    """The path the proxy sends, relative to the data source's url (`api/v1/query`): what the policy judges."""
    base_path = _http_base(base_url).path
    return _joined_path(base_path, path).removeprefix(base_path.rstrip("/")).removeprefix("/")


def check_policy(source_type: str, method: str, path: str) -> None:
    """RefusedByPolicy unless the proxy may send method to path (relative to the url) of a data source of that type:
    it reads and queries, never changes or deletes, and POSTs to some types only where they query."""
    name = DATASOURCE_TYPES.get(source_type, {"name": source_type})["name"]
    if method not in _READS_AND_QUERIES:
        raise RefusedByPolicy(f"{_REFUSED_METHODS.get(method, method + 's')} not allowed on proxied {name} datasource")
    allowed_posts, refusal = _ALLOWED_POSTS.get(source_type, (None, ""))
    if method == "POST" and allowed_posts is not None and path not in allowed_posts:
        raise RefusedByPolicy(refusal)


def _outgoing_headers(headers: Mapping[str, str], basic_auth: tuple[str, str] | None) -> dict[str, str]:
    # Headers that Connection names are hop-by-hop too (RFC 9110 7.6.1).
    named_by_connection = {name.strip().lower() for name in headers.get("Connection", "").split(",")}
    outgoing = {name: value for name, value in headers.items()
                if name.lower() not in _NOT_FORWARDED | named_by_connection
                and not name.lower().startswith(_NOT_FORWARDED_PREFIXES)}
    if basic_auth:
        outgoing["Authorization"] = "Basic " + base64.b64encode(":".join(basic_auth).encode()).decode()
    outgoing[HOP_HEADER] = "1"
    return outgoing


def _returned_headers(answer: requests.Response) -> list[tuple[str, str]]:
    kept = [(name, value) for name, value in answer.raw.headers.items()
            if name.lower() not in _NOT_RETURNED and not name.lower().startswith(_NOT_RETURNED_PREFIXES)]
    return kept + list(ANSWER_HEADERS.items())


def forward(method: str, url: str, headers: Mapping[str, str], body: bytes, *, basic_auth: tuple[str, str] | None,
            timeout: float) -> tuple[int, list[tuple[str, str]], Iterator[bytes]]:
    """Send the request upstream; (status, headers, body chunks) of the answer, its bytes passed on as they come."""
    try:
        answer = requests.request(method, url, headers=_outgoing_headers(headers, basic_auth), data=body or None,
                                  stream=True, timeout=timeout, allow_redirects=False)
    except requests.Timeout:
        raise UpstreamError("the data source did not answer in time", timed_out=True) from None
    except requests.RequestException as error:
        raise UpstreamError(f"the data source is unreachable ({type(error).__name__})") from None
    if answer.status_code == 401:
        # As Grafana does: a 401 would tell the caller that their own sign-in failed, and ask for credentials.
        answer.close()
        log.info("data source %s refused the proxy's credentials (401)", url)
        raise AuthenticationFailed("Authentication to data source failed")

    def chunks() -> Iterator[bytes]:
        try:
            yield from answer.raw.stream(CHUNK_BYTES, decode_content=False)
        except (urllib3.exceptions.HTTPError, requests.RequestException, OSError) as error:
            # The status is sent already: all that is left is to end the answer where the upstream broke off.
            log.warning("data source %s broke off its answer: %s", url, type(error).__name__)
        finally:
            answer.close()

    return answer.status_code, _returned_headers(answer), chunks()
