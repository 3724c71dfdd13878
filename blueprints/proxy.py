"""The data source proxy: `ANY /api/datasources/proxy/:id/*` (or `proxy/uid/:uid/*`) forwards to the data
source's url (Viewer role), within the policy of datasource_proxy.check_policy; and the health check that asks a
data source's health path the same way."""
from __future__ import annotations

from flask import Response, request

from .. import datasource_proxy
from .auth import current_identity, signed_in
from .context import settings, store
from .datasources import NOT_FOUND, datasource_id
from .decorators import check_first
from .errors import ApiError, BadGateway, BadRequest, Forbidden, GatewayTimeout, NotFound
from .responses import json_response
from .routing import ApiBlueprint
from .wire import raw_body

bp = ApiBlueprint("proxy", __name__)
# Not OPTIONS: flask-httpauth lets it through unauthenticated (a CORS preflight), so it would reach no caller.
METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]


class LoopDetected(ApiError):
    status, message = 508, "Loop Detected"


class ProxiedAnswer(Response):
    # An answer the upstream did not label is bytes, not Flask's default of HTML.
    default_mimetype = "application/octet-stream"


def _not_a_hop() -> None:
    if datasource_proxy.is_hop(request.headers):
        raise LoopDetected("Data source proxy: loop detected (the data source's url leads back to a data source "
                           "proxy)")


# The loop check comes before signing in: a hop goes no further, not even to checking its credentials.
@bp.route("/api/datasources/proxy/<source_id>", methods=METHODS, defaults={"path": ""})
@bp.route("/api/datasources/proxy/<source_id>/<path:path>", methods=METHODS)
@check_first(_not_a_hop)
@signed_in
def proxy_datasource(source_id: str, path: str):
    """Forward the request to the data source and stream its answer back."""
    return _forward(store().datasources.find(current_identity().org_id, source_id=datasource_id(source_id)), path)


@bp.route("/api/datasources/proxy/uid/<uid>", methods=METHODS, defaults={"path": ""})
@bp.route("/api/datasources/proxy/uid/<uid>/<path:path>", methods=METHODS)
@check_first(_not_a_hop)
@signed_in
def proxy_datasource_by_uid(uid: str, path: str):
    """Forward the request to the data source with that uid (Grafana 8's form, which clients use by uid)."""
    return _forward(store().datasources.find(current_identity().org_id, uid=uid), path)


def _forward(source: dict | None, path: str) -> Response:
    if source is None:
        raise NotFound(NOT_FOUND)
    if source["access"] != "proxy":
        raise BadRequest("This data source is not reached through the proxy (its access is not proxy)")
    try:
        url = datasource_proxy.target_url(source["url"], path, request.query_string)
        datasource_proxy.check_policy(source["type"], request.method,
                                      datasource_proxy.relative_path(source["url"], path))
        status, headers, body = datasource_proxy.forward(
            request.method, url, request.headers, raw_body(settings()["DASHSNAP_MAX_BODY_BYTES"]),
            basic_auth=datasource_proxy.basic_auth(source),
            timeout=settings()["DASHSNAP_DATAPROXY_TIMEOUT"])
    except datasource_proxy.RefusedTarget as error:
        raise BadRequest(f"Data source proxy: {error}") from None
    except datasource_proxy.RefusedByPolicy as error:
        raise Forbidden(str(error)) from None
    except datasource_proxy.AuthenticationFailed as error:
        raise BadRequest(str(error)) from None
    except datasource_proxy.UpstreamError as error:
        raise (GatewayTimeout if error.timed_out else BadGateway)(f"Data source proxy: {error}") from None
    return ProxiedAnswer(body, status=status, headers=headers, direct_passthrough=True)


# The types whose health dashsnap can check: the path asked through the proxy, and what an answer of 200 says.
HEALTH_CHECKS = {"prometheus": ("-/healthy", "Successfully queried the Prometheus API.")}


@bp.get("/api/datasources/uid/<uid>/health")
@signed_in
def check_datasource_health(uid: str):
    """Whether the data source answers its health path (Prometheus: `/-/healthy`): 200 `{"status": "OK"}`, or 400
    `{"status": "ERROR"}` with what went wrong. A type with no health path answers 404, as Grafana answers for a
    plugin that has no health check."""
    source = store().datasources.find(current_identity().org_id, uid=uid)
    if source is None:
        raise NotFound(NOT_FOUND)
    if source["type"] not in HEALTH_CHECKS:
        raise NotFound("Health check not implemented")
    path, healthy = HEALTH_CHECKS[source["type"]]
    try:
        status, _, body = datasource_proxy.forward(
            "GET", datasource_proxy.target_url(source["url"], path, b""), {}, b"",
            basic_auth=datasource_proxy.basic_auth(source), timeout=settings()["DASHSNAP_DATAPROXY_TIMEOUT"])
        for _ in body:  # read to the end, so the connection is let go
            pass
    except datasource_proxy.RefusedTarget as error:
        return _unhealthy(f"the data source's url is refused: {error}")
    except (datasource_proxy.AuthenticationFailed, datasource_proxy.UpstreamError) as error:
        return _unhealthy(str(error))
    if status != 200:
        return _unhealthy(f"the data source answered {status}")
    return json_response({"status": "OK", "message": healthy})


def _unhealthy(reason: str):
    return json_response({"status": "ERROR", "message": reason}, status=400)
