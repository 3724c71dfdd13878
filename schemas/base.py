"""What every schema shares: unknown fields are ignored (Grafana's binding ignores them, and clients send
fields we do not model), null is read as Grafana's binding reads it, query-string integers and booleans parse the way
Grafana parses them, and lists page the way Grafana pages them."""
from __future__ import annotations

from collections.abc import Mapping

from marshmallow import EXCLUDE, Schema, fields, post_load, pre_load

ORG_ROLES = ("Viewer", "Editor", "Admin")
FIFTY_YEARS = 50 * 365 * 24 * 3600  # Grafana's "never" for snapshots, and our longest lifetime for anything


class BaseSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    @pre_load
    def null_is_left_out(self, data, **kwargs):
        """Go's JSON binding reads null as the zero value, and clients fill what they lack with null (grafana-client's
        models do): on a field that takes no null, null counts as left out, so its default applies and a required
        field is still missing."""
        if not isinstance(data, Mapping):
            return data
        nullable = {field.data_key or name for name, field in self.load_fields.items() if field.allow_none}
        return {key: value for key, value in data.items() if value is not None or key in nullable}


class QueryInteger(fields.Integer):
    """Grafana reads `limit`, `page` and the like with "invalid means 0"; 0 then means the default.
    Values past 32 bits are clamped: they only ever mean "all"."""

    LARGEST = 2**31 - 1

    def _deserialize(self, value, attr, data, **kwargs):
        try:
            return max(-self.LARGEST, min(self.LARGEST, int(value)))
        except (TypeError, ValueError):
            return 0


class QueryBoolean(fields.Boolean):
    """Booleans in query strings as Grafana reads them (Go's ParseBool, an error meaning false): true, True, 1
    and the like are true (grafana-api sends `starred=True`), anything else false."""

    truthy = {"true", "True", "TRUE", "t", "T", "1", "yes", "on"}

    def _deserialize(self, value, attr, data, **kwargs):
        return value in self.truthy


class PagedQuerySchema(BaseSchema):
    """`perpage` items per `page` (from 1), as Grafana's user and org lists take them. A page past the last is
    empty, so clients that page until an empty answer stop."""

    DEFAULT_PER_PAGE = 1000

    perpage = QueryInteger(load_default=0)
    page = QueryInteger(load_default=0)

    @post_load
    def window(self, data, **kwargs):
        """Adds `limit` and `offset` for the store, and settles `page` and `perpage` (0 or less: the defaults)."""
        data["perpage"] = data["perpage"] if data["perpage"] > 0 else self.DEFAULT_PER_PAGE
        data["page"] = max(data["page"], 1)
        return {**data, "limit": data["perpage"], "offset": (data["page"] - 1) * data["perpage"]}


class ErrorSchema(BaseSchema):
    """Grafana's error body. Only the OpenAPI document uses it: errors are built in blueprints/errors.py."""

    message = fields.String(required=True)
    status = fields.String(metadata={"description": "A reason code some errors carry, e.g. \"version-mismatch\""})
