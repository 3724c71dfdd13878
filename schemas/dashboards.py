"""Dashboard payloads: the save body, and the search and star parameters.

The dashboard model itself is kept whole (every field a client sends is stored and read back as sent); only
the fields dashsnap relies on are checked.
"""
from __future__ import annotations

from marshmallow import INCLUDE, Schema, ValidationError, fields, validate, validates

from .base import BaseSchema, QueryBoolean, QueryInteger

UID = validate.Regexp(r"[A-Za-z0-9_-]{1,40}\Z", error="must be 1 to 40 characters from A-Z, a-z, 0-9, '-' and '_'")
MAX_SEARCH_LIMIT = 5000
MAX_SEARCH_TAGS = 50
MODEL_DESCRIPTION = ("The dashboard model, kept whole and read back as sent; `title` is required, and `id`, `uid`, "
                     "`version` and `tags` are checked")


class DashboardModelSchema(Schema):
    class Meta:
        unknown = INCLUDE

    title = fields.String(required=True, validate=validate.Length(max=4096))
    id = fields.Integer(strict=True, allow_none=True, validate=validate.Range(min=0, max=2**63 - 1))
    uid = fields.String(allow_none=True, validate=lambda uid: uid == "" or UID(uid))
    version = fields.Integer(strict=True, allow_none=True, validate=validate.Range(min=0, max=2**63 - 1))
    tags = fields.List(fields.String(validate=validate.Length(max=255)), allow_none=True)


class DashboardSaveSchema(BaseSchema):
    dashboard = fields.Dict(required=True, metadata={"description": MODEL_DESCRIPTION})
    overwrite = fields.Boolean(load_default=False, allow_none=True)
    folder_uid = fields.String(data_key="folderUid", load_default="",
                               metadata={"description": "The folder to save into; \"\" (or none) is General"})
    folder_id = fields.Integer(data_key="folderId", strict=True, load_default=0,
                               validate=validate.Range(min=0, max=2**63 - 1),
                               metadata={"description": "The folder by id, for older clients; folderUid wins"})
    message = fields.String(load_default="", validate=validate.Length(max=500),
                            metadata={"description": "What changed, kept with the version"})

    @validates("dashboard")
    def dashboard_fields(self, dashboard: dict, data_key: str, **kwargs) -> None:
        errors = DashboardModelSchema().validate(dashboard)
        if errors:
            raise ValidationError(errors)
        if not dashboard["title"].strip():
            raise ValidationError({"title": ["Dashboard title cannot be empty"]})


class SearchQuerySchema(BaseSchema):
    query = fields.String(load_default="")
    tag = fields.List(fields.String(), load_default=list, validate=validate.Length(max=MAX_SEARCH_TAGS))
    starred = QueryBoolean(load_default=False)
    limit = QueryInteger(load_default=0)
    page = QueryInteger(load_default=0)
    type = fields.String(load_default="")
    dashboard_ids = fields.List(QueryInteger(), data_key="dashboardIds", load_default=None)
    dashboard_uids = fields.List(fields.String(), data_key="dashboardUIDs", load_default=None)
    folder_ids = fields.List(QueryInteger(), data_key="folderIds", load_default=None)
    folder_uids = fields.List(fields.String(), data_key="folderUIDs", load_default=None)

    @validates("limit")
    def limit_within_maximum(self, limit: int, data_key: str, **kwargs) -> None:
        if limit > MAX_SEARCH_LIMIT:
            raise ValidationError(f"Limit is above maximum allowed ({MAX_SEARCH_LIMIT}), use page parameter to "
                                  "access hits beyond limit")
