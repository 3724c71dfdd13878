"""User payloads: the profile update and the password change."""
from __future__ import annotations

from marshmallow import ValidationError, fields, validate, validates_schema

from .base import BaseSchema

MIN_PASSWORD_LENGTH = 4


class UserUpdateSchema(BaseSchema):
    name = fields.String(validate=validate.Length(max=255))
    email = fields.String(validate=validate.Length(max=190))
    login = fields.String(validate=validate.Length(max=190))
    theme = fields.String(validate=validate.Length(max=20))

    @validates_schema
    def login_or_email(self, data, **kwargs):
        if data.get("login") == "" and data.get("email") == "":
            raise ValidationError("Validation error, need to specify either username or email", "login")


class PasswordChangeSchema(BaseSchema):
    old_password = fields.String(data_key="oldPassword", required=True)
    new_password = fields.String(data_key="newPassword", required=True, validate=validate.Length(
        min=MIN_PASSWORD_LENGTH, max=1024, error="New password is too short"))
    confirm_new = fields.String(data_key="confirmNew")

    @validates_schema
    def confirmation_matches(self, data, **kwargs):
        if "confirm_new" in data and data["confirm_new"] != data.get("new_password"):
            raise ValidationError("New password and its confirmation do not match", "confirmNew")
