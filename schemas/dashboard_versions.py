"""Dashboard version payloads: the list's paging, a restore, and a diff of two versions."""
from __future__ import annotations

from marshmallow import fields, validate

from .base import BaseSchema, QueryInteger

VERSION = validate.Range(min=1, max=2**63 - 1)


class VersionsQuerySchema(BaseSchema):
    limit = QueryInteger(load_default=0)
    start = QueryInteger(load_default=0)


class RestoreSchema(BaseSchema):
    version = fields.Integer(strict=True, required=True, validate=VERSION)


class DiffTargetSchema(BaseSchema):
    dashboard_id = fields.Integer(data_key="dashboardId", strict=True, load_default=0,
                                  validate=validate.Range(min=0, max=2**63 - 1))
    dashboard_uid = fields.String(data_key="dashboardUid", load_default="")
    version = fields.Integer(strict=True, required=True, validate=VERSION)
    unsaved_dashboard = fields.Dict(data_key="unsavedDashboard", load_default=None)


class DiffSchema(BaseSchema):
    base = fields.Nested(DiffTargetSchema, required=True)
    new = fields.Nested(DiffTargetSchema, required=True)
    diff_type = fields.String(data_key="diffType", load_default="json", validate=validate.OneOf(
        ["json"], error="diffType must be json: the basic and delta forms are not served"))
