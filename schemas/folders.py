"""Folder payloads: create, update and move, and the list's paging."""
from __future__ import annotations

from marshmallow import ValidationError, fields, validate

from .base import BaseSchema, QueryInteger
from .dashboards import UID

MAX_TITLE = 4096


def _title(title: str) -> None:
    if not title.strip():
        raise ValidationError("folder title cannot be empty")


class FolderCreateSchema(BaseSchema):
    uid = fields.String(load_default="", validate=lambda uid: uid == "" or UID(uid))
    title = fields.String(required=True, validate=[validate.Length(max=MAX_TITLE), _title])
    description = fields.String(load_default="", validate=validate.Length(max=MAX_TITLE))
    parent_uid = fields.String(data_key="parentUid", load_default="", validate=lambda uid: uid == "" or UID(uid))


class FolderUpdateSchema(BaseSchema):
    title = fields.String(load_default=None, validate=[validate.Length(max=MAX_TITLE), _title])
    description = fields.String(load_default=None, validate=validate.Length(max=MAX_TITLE))
    version = fields.Integer(strict=True, load_default=None, validate=validate.Range(min=0, max=2**63 - 1))
    overwrite = fields.Boolean(load_default=False)


class FolderMoveSchema(BaseSchema):
    parent_uid = fields.String(data_key="parentUid", load_default="", validate=lambda uid: uid == "" or UID(uid))


class FolderListQuerySchema(BaseSchema):
    limit = QueryInteger(load_default=0)
    page = QueryInteger(load_default=0)
    parent_uid = fields.String(data_key="parentUid", load_default="")
