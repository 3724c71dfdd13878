"""Search: the org's folders and dashboards by title, tags, stars, ids and folders, from the index, plus the file
dashboards. Folders come first, then dashboards, each by title, as Grafana sorts them."""
from __future__ import annotations

from ..schemas.dashboards import SearchQuerySchema
from ..storage import Missing
from ..storage.slugs import slugify
from .access import access
from .auth import Identity, current_identity, signed_in
from .context import app_path, settings, state, store
from .decorators import query
from .folders import folder_id_to_uid, folder_url
from .responses import json_response
from .routing import ApiBlueprint

bp = ApiBlueprint("search", __name__)
query_schema = SearchQuerySchema()
DEFAULT_LIMIT = 1000


def _title_order(hit: dict) -> tuple[str, str]:
    return hit["title"].casefold(), hit["title"]


def _folder_uids(identity: Identity, query: dict) -> list[str] | None:
    """The folders whose dashboards the query asks for (folderUIDs and folderIds together; "", "general" and 0
    are General), or None for all; an unknown id matches nothing."""
    if query["folder_uids"] is None and query["folder_ids"] is None:
        return None
    uids = ["" if uid == "general" else uid for uid in query["folder_uids"] or []]
    for folder_id in query["folder_ids"] or []:
        try:
            uids.append(folder_id_to_uid(identity.org_id, folder_id))
        except Missing:
            continue
    return uids


def _folder_hits(identity: Identity, query: dict, folder_uids: list[str] | None,
                 hidden: tuple[list[str], list[str]] | None) -> list[dict]:
    """The folders matching the query: by part of their title and by id or uid; none when it asks for tags or
    stars, which folders do not carry. With folder filters, the folders inside those."""
    if query["tag"] or query["starred"]:
        return []
    part = query["query"].casefold()
    every = store().folders.summaries(identity.org_id)
    ids, uids = query["dashboard_ids"], query["dashboard_uids"]
    return sorted(({"id": folder["id"], "uid": folder["uid"], "title": folder["title"],
                    "uri": f"db/{slugify(folder['title'])}", "url": folder_url(folder["uid"], folder["title"]),
                    "slug": "", "type": "dash-folder", "tags": [], "isStarred": False,
                    **_in_folder(every, folder["parent_uid"])}
                   for folder in every.values()
                   if part in folder["title"].casefold() and (ids is None or folder["id"] in ids)
                   and (uids is None or folder["uid"] in uids)
                   and (folder_uids is None or folder["parent_uid"] in folder_uids)
                   and (hidden is None or folder["uid"] in hidden[0])), key=_title_order)


def _in_folder(every: dict[str, dict], folder_uid: str) -> dict:
    """What a hit says of the folder it is in: nothing for General, as Grafana leaves the fields out."""
    folder = every.get(folder_uid) if folder_uid else None
    if folder is None:
        return {}
    return {"folderId": folder["id"], "folderUid": folder["uid"], "folderTitle": folder["title"],
            "folderUrl": folder_url(folder["uid"], folder["title"])}


def _database_hits(identity: Identity, query: dict, folder_uids: list[str] | None,
                   hidden: tuple[list[str], list[str]] | None, limit: int, offset: int) -> list[dict]:
    found = store().dashboards.search(
        identity.org_id, query=query["query"], tags=query["tag"], ids=query["dashboard_ids"],
        uids=query["dashboard_uids"], folder_uids=folder_uids,
        starred_by=identity.user_id if query["starred"] else None, visible=hidden, limit=limit, offset=offset)
    starred = store().stars.starred_among(identity.user_id, [hit["id"] for hit in found]) if found else set()
    folders = store().folders.summaries(identity.org_id) if any(hit["folderUid"] for hit in found) else {}
    dashboards = app_path("d/")  # each hit's url is made below with this prefix (5,000 hits in a page)
    return [{"id": hit["id"], "uid": hit["uid"], "title": hit["title"], "uri": f"db/{hit['slug']}",
             "url": f"{dashboards}{hit['uid']}/{hit['slug']}", "slug": "", "type": "dash-db", "tags": hit["tags"],
             "isStarred": hit["id"] in starred, **_in_folder(folders, hit["folderUid"])} for hit in found]


def _file_hits(query: dict, folder_uids: list[str] | None) -> list[dict]:
    """File dashboards matching the title and tag filters; never starred, without ids or uids, in General."""
    if not settings()["DASHSNAP_DASHBOARDS_JSON_ENABLED"] or query["starred"] or query["dashboard_ids"] \
            or query["dashboard_uids"] or (folder_uids is not None and "" not in folder_uids):
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
    """Folders and dashboards matching every filter given, by title: `limit` hits per `page`."""
    identity = current_identity()
    wanted = query["type"] or "all"
    limit = query["limit"] if query["limit"] > 0 else DEFAULT_LIMIT
    offset = (max(query["page"], 1) - 1) * limit
    folder_uids = _folder_uids(identity, query)
    hidden = access().hidden()  # None unless some folders or dashboards are not the caller's to see
    folders = _folder_hits(identity, query, folder_uids, hidden) if wanted in ("all", "dash-folder") else []
    if wanted == "dash-folder":
        return json_response(folders[offset:offset + limit])
    files = _file_hits(query, folder_uids) if wanted in ("all", "dash-json") else []
    if wanted == "dash-json":
        return json_response(sorted(files, key=_title_order)[offset:offset + limit])
    # The folders take the first places; the dashboards' part of the page is paged by the index.
    page_folders = folders[offset:offset + limit]
    skipped = max(offset - len(folders), 0)
    room = limit - len(page_folders)
    if room <= 0:
        return json_response(page_folders)
    if not files:
        return json_response(page_folders + _database_hits(identity, query, folder_uids, hidden, room, skipped))
    merged = sorted(_database_hits(identity, query, folder_uids, hidden, skipped + room, 0) + files,
                    key=_title_order)
    return json_response(page_folders + merged[skipped:skipped + room])
