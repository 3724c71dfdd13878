"""Service account and token payloads."""
from __future__ import annotations

from marshmallow import fields, validate

from .base import FIFTY_YEARS, ORG_ROLES, BaseSchema, PagedQuerySchema, QueryBoolean

# Grafana takes "None" too (an account with no basic role); we have no such role, so it is refused.
ROLE = validate.OneOf(ORG_ROLES, error="invalid role specified")
NAME = validate.Length(min=1, max=190)


class ServiceAccountCreateSchema(BaseSchema):
    name = fields.String(required=True, validate=NAME)
    role = fields.String(load_default="Viewer", validate=ROLE)
    is_disabled = fields.Boolean(data_key="isDisabled", load_default=False)


class ServiceAccountUpdateSchema(BaseSchema):
    """Every field optional: what is left out keeps its value."""

    name = fields.String(validate=NAME)
    role = fields.String(validate=ROLE)
    is_disabled = fields.Boolean(data_key="isDisabled")


class ServiceAccountSearchSchema(PagedQuerySchema):
    query = fields.String(load_default="")
    disabled = QueryBoolean(load_default=False)


class TokenCreateSchema(BaseSchema):
    name = fields.String(required=True, validate=NAME)
    seconds_to_live = fields.Integer(data_key="secondsToLive", load_default=0, allow_none=True, validate=[
        validate.Range(min=0, error="invalid SecondsToLive value"),
        validate.Range(max=FIFTY_YEARS, error="invalid SecondsToLive value")])
