"""API key payloads."""
from __future__ import annotations

from marshmallow import fields, validate

from .base import FIFTY_YEARS, ORG_ROLES, BaseSchema, QueryBoolean


class ApiKeyCreateSchema(BaseSchema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=190))
    role = fields.String(required=True, validate=validate.OneOf(ORG_ROLES, error="Invalid role specified"))
    seconds_to_live = fields.Integer(data_key="secondsToLive", load_default=0, allow_none=True, validate=[
        validate.Range(min=0, error="negative value for SecondsToLive"),
        validate.Range(max=FIFTY_YEARS, error="must be at most {max} seconds")])


class ApiKeyListQuerySchema(BaseSchema):
    include_expired = QueryBoolean(data_key="includeExpired", load_default=False)
