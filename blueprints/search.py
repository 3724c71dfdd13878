"""Search: the org's dashboards by title, tags, stars and ids, from the index, plus the file dashboards."""
from __future__ import annotations

from ..schemas.dashboards import SearchQuerySchema
from .auth import Identity, current_identity, signed_in
from .context import app_path, settings, state, store
from .decorators import query
from .responses import json_response
from .routing import ApiBlueprint

bp = ApiBlueprint("search", __name__)
query_schema = SearchQuerySchema()
DEFAULT_LIMIT = 1000


def _title_order(hit: dict) -> tuple[str, str]:
    return hit["title"].casefold(), hit["title"]


def _database_hits(identity: Identity, query: dict, limit: int, offset: int) -> list[dict]:
    found = store().dashboards.search(
        identity.org_id, query=query["query"], tags=query["tag"], ids=query["dashboard_ids"],
        uids=query["dashboard_uids"], starred_by=identity.user_id if query["starred"] else None, limit=limit,
        offset=offset)
    starred = store().stars.starred_among(identity.user_id, [hit["id"] for hit in found]) if found else set()
    dashboards = app_path("d/")  # each hit's url is made below with this prefix (5,000 hits in a page)
    return [{"id": hit["id"], "uid": hit["uid"], "title": hit["title"], "uri": f"db/{hit['slug']}",
             "url": f"{dashboards}{hit['uid']}/{hit['slug']}", "slug": "", "type": "dash-db", "tags": hit["tags"],
             "isStarred": hit["id"] in starred} for hit in found]


def _file_hits(query: dict) -> list[dict]:
    """File dashboards matching the title and tag filters; never starred, and without ids or uids."""
    if not settings()["DASHSNAP_DASHBOARDS_JSON_ENABLED"] or query["starred"] or query["dashboard_ids"] \
            or query["dashboard_uids"]:
        return []
    part = query["query"].casefold()
    return [{"id": 0, "uid": "", "title": summary["title"], "uri": f"file/{name}", "url": "", "slug": "",
             "type": "dash-json", "tags": summary["tags"], "isStarred": False}
            for name, summary in state().file_dashboards.summaries().items()
            if part in summary["title"].casefold() and set(query["tag"]) <= set(summary["tags"])]


@bp.get("/api/search")
@signed_in
@query(query_schema)
def search(query: dict):
    """Dashboards matching every filter given, by title; `limit` hits per `page`."""
    wanted = query["type"] or "all"
    if wanted == "dash-folder" or (query["folder_ids"] is not None and 0 not in query["folder_ids"]):
        return json_response([])  # only the General folder (id 0) exists
    limit = query["limit"] if query["limit"] > 0 else DEFAULT_LIMIT
    offset = (max(query["page"], 1) - 1) * limit
    files = _file_hits(query) if wanted in ("all", "dash-json") else []
    if wanted == "dash-json":
        return json_response(sorted(files, key=_title_order)[offset:offset + limit])
    if not files:  # the index pages by itself
        return json_response(_database_hits(current_identity(), query, limit, offset))
    merged = sorted(_database_hits(current_identity(), query, offset + limit, 0) + files, key=_title_order)
    return json_response(merged[offset:offset + limit])
