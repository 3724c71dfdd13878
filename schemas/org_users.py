"""Org membership payloads."""
from __future__ import annotations

from marshmallow import fields, validate

from .base import ORG_ROLES, BaseSchema

ROLE = validate.OneOf(ORG_ROLES, error="Invalid role specified")


class OrgUserAddSchema(BaseSchema):
    login_or_email = fields.String(data_key="loginOrEmail", required=True, validate=validate.Length(min=1))
    role = fields.String(required=True, validate=ROLE)


class OrgUserRoleSchema(BaseSchema):
    role = fields.String(required=True, validate=ROLE)
