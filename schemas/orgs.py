"""Org payloads."""
from __future__ import annotations

from marshmallow import fields, validate

from .base import BaseSchema, PagedQuerySchema


class OrgUpdateSchema(BaseSchema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=190))


class OrgSearchSchema(PagedQuerySchema):
    query = fields.String(load_default="")
    name = fields.String(load_default="")
