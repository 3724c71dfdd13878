"""The sign-in form."""
from __future__ import annotations

from marshmallow import fields, validate

from .base import BaseSchema


class LoginSchema(BaseSchema):
    user = fields.String(required=True, validate=validate.Length(min=1, max=190))
    password = fields.String(required=True, validate=validate.Length(min=1, max=1024))
