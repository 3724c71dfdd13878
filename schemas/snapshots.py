"""Snapshot payloads: the create body and the list query."""
from __future__ import annotations

from marshmallow import ValidationError, fields, pre_load, validate, validates_schema

from .base import FIFTY_YEARS, BaseSchema, QueryInteger

# Supplied keys become file names and secrets: url-safe characters only, and long enough not to be guessed.
SNAPSHOT_KEY = validate.Regexp(r"[A-Za-z0-9_-]{8,128}\Z",
                               error="must be 8 to 128 characters from A-Z, a-z, 0-9, '-' and '_'")


class SnapshotCreateSchema(BaseSchema):
    dashboard = fields.Dict(required=True, metadata={"description": "The dashboard model, kept whole"})
    name = fields.String(load_default="", validate=validate.Length(max=255))
    expires = fields.Integer(strict=True, load_default=0,
                             validate=validate.Range(max=FIFTY_YEARS, error="must be at most {max} seconds"))
    external = fields.Boolean(load_default=False)
    key = fields.String(load_default=None, validate=SNAPSHOT_KEY)
    delete_key = fields.String(data_key="deleteKey", load_default=None, validate=SNAPSHOT_KEY)

    @pre_load
    def drop_empty_values(self, data, **kwargs):
        # Grafana treats null and "" as "not given" for these optional fields.
        optional = ("name", "expires", "external", "key", "deleteKey")
        return {field: value for field, value in data.items()
                if not (field in optional and value in (None, ""))}

    @validates_schema
    def keys_differ(self, data, **kwargs):
        if data["key"] is not None and data["key"] == data["delete_key"]:
            raise ValidationError("must differ from key, or anyone who can view could delete", "deleteKey")


class SnapshotListQuerySchema(BaseSchema):
    query = fields.String(load_default="")
    limit = QueryInteger(load_default=0)
