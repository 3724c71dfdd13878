"""Team and team member payloads."""
from __future__ import annotations

from marshmallow import fields, validate

from .base import BaseSchema, PagedQuerySchema


class TeamSchema(BaseSchema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=190))
    email = fields.String(load_default="", validate=validate.Length(max=190))


class TeamSearchSchema(PagedQuerySchema):
    query = fields.String(load_default="")
    name = fields.String(load_default=None)


class TeamMemberSchema(BaseSchema):
    user_id = fields.Integer(data_key="userId", required=True, strict=True,
                             validate=validate.Range(min=1, max=2**63 - 1))
