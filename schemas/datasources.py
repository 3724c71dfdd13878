"""Data source payloads."""
from __future__ import annotations

from urllib.parse import urlsplit

from marshmallow import ValidationError, fields, validate, validates_schema

from ..datasource_types import DATASOURCE_TYPES
from .base import BaseSchema
from .dashboards import UID


def _is_http_url(url: str) -> bool:
    try:
        parts = urlsplit(url)
        parts.port  # reading it raises ValueError for a port that is no number or out of range
    except ValueError:  # also brackets that do not close
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


class DatasourceSchema(BaseSchema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=190))
    type = fields.String(required=True, validate=validate.OneOf(
        DATASOURCE_TYPES, error="unknown data source type; known: " + ", ".join(sorted(DATASOURCE_TYPES))))
    access = fields.String(load_default="proxy", validate=validate.OneOf(("proxy", "direct")))
    url = fields.String(load_default="", validate=validate.Length(max=2048))
    user = fields.String(load_default="")
    database = fields.String(load_default="")
    basic_auth = fields.Boolean(data_key="basicAuth", load_default=False)
    basic_auth_user = fields.String(data_key="basicAuthUser", load_default="")
    with_credentials = fields.Boolean(data_key="withCredentials", load_default=False)
    is_default = fields.Boolean(data_key="isDefault", load_default=False)
    json_data = fields.Dict(data_key="jsonData", load_default=dict, allow_none=True)
    uid = fields.String(validate=UID)
    password = fields.String()
    basic_auth_password = fields.String(data_key="basicAuthPassword")
    secure_json_data = fields.Dict(data_key="secureJsonData", keys=fields.String(), values=fields.String(),
                                   load_default=dict)

    @validates_schema
    def url_is_usable(self, data, **kwargs):
        if data["access"] == "proxy" and not data["url"]:
            raise ValidationError("a data source with proxy access needs a url", "url")
        if data["url"] and not _is_http_url(data["url"]):
            raise ValidationError("must be an http or https url with a host", "url")


class PluginQuerySchema(BaseSchema):
    type = fields.String(load_default="")
