"""User payloads: the profile update and the password change."""
from __future__ import annotations

from marshmallow import ValidationError, fields, post_load, validate, validates_schema

from .base import BaseSchema, PagedQuerySchema

MIN_PASSWORD_LENGTH = 4
# Logins and emails are what people sign in with: no control characters, not blank, no spaces around.
SIGN_IN_NAME = validate.Regexp(r"(?:[^\s\x00-\x1f\x7f](?:[^\x00-\x1f\x7f]*[^\s\x00-\x1f\x7f])?)?\Z",
                               error="must not be blank, start or end with spaces, or hold control characters")


class UserUpdateSchema(BaseSchema):
    name = fields.String(validate=validate.Length(max=255))
    email = fields.String(validate=[validate.Length(max=190), SIGN_IN_NAME])
    login = fields.String(validate=[validate.Length(max=190), SIGN_IN_NAME])
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


class UserSearchSchema(PagedQuerySchema):
    query = fields.String(load_default="")


class UserLookupSchema(BaseSchema):
    login_or_email = fields.String(data_key="loginOrEmail", required=True)


class UserCreateSchema(BaseSchema):
    name = fields.String(load_default="", validate=validate.Length(max=255))
    email = fields.String(load_default="", validate=[validate.Length(max=190), SIGN_IN_NAME])
    login = fields.String(load_default="", validate=[validate.Length(max=190), SIGN_IN_NAME])
    password = fields.String(required=True, validate=validate.Length(
        min=MIN_PASSWORD_LENGTH, max=1024, error="Password is missing or too short"))

    @validates_schema
    def login_or_email(self, data, **kwargs):
        if not data.get("login") and not data.get("email"):
            raise ValidationError("Validation error, need to specify either username or email", "login")

    @post_load
    def each_defaults_to_the_other(self, data, **kwargs):
        """Grafana's rule: the login defaults to the email, and the email to the login."""
        return {**data, "login": data["login"] or data["email"], "email": data["email"] or data["login"]}


class PasswordSetSchema(BaseSchema):
    password = fields.String(required=True, validate=validate.Length(
        min=MIN_PASSWORD_LENGTH, max=1024, error="New password is too short"))


class PermissionsSchema(BaseSchema):
    is_grafana_admin = fields.Boolean(data_key="isGrafanaAdmin", required=True)
