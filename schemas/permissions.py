"""Permission payloads: the whole list of items a folder or a dashboard gets."""
from __future__ import annotations

from marshmallow import ValidationError, fields, validate, validates_schema

from .base import BaseSchema

PERMISSIONS = (1, 2, 4)  # View, Edit, Admin
MAX_ITEMS = 1000
ID = validate.Range(min=0, max=2**63 - 1)


class PermissionItemSchema(BaseSchema):
    """One item: who (a user, a team or an org role, exactly one) gets which permission. A list read back from
    GET may be sent as it is: its other fields are ignored, and unset whos are 0 or ""."""

    user_id = fields.Integer(data_key="userId", strict=True, load_default=0, validate=ID)
    team_id = fields.Integer(data_key="teamId", strict=True, load_default=0, validate=ID)
    role = fields.String(load_default="", validate=validate.OneOf(["", "Viewer", "Editor", "Admin"]))
    permission = fields.Integer(strict=True, required=True, validate=validate.OneOf(PERMISSIONS))

    @validates_schema
    def one_who(self, item: dict, **kwargs) -> None:
        if sum(bool(item[who]) for who in ("user_id", "team_id", "role")) != 1:
            raise ValidationError("each item names exactly one of userId, teamId and role")


class PermissionItemsSchema(BaseSchema):
    """The whole list of items a folder or a dashboard gets: what is not in it is taken away."""
    items = fields.List(fields.Nested(PermissionItemSchema), required=True, validate=validate.Length(max=MAX_ITEMS))
