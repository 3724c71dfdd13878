"""What every schema shares: unknown fields are ignored (Grafana's binding ignores them, and clients send
fields we do not model), and query-string integers parse the way Grafana parses them."""
from __future__ import annotations

from marshmallow import EXCLUDE, Schema, fields

ORG_ROLES = ("Viewer", "Editor", "Admin")
FIFTY_YEARS = 50 * 365 * 24 * 3600  # Grafana's "never" for snapshots, and our longest lifetime for anything


class BaseSchema(Schema):
    class Meta:
        unknown = EXCLUDE


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
    """Booleans in query strings arrive as true, True or 1 (grafana-api sends `starred=True`)."""

    truthy = {"true", "True", "TRUE", "1", "yes", "on"}
    falsy = {"false", "False", "FALSE", "0", "no", "off", ""}


class ErrorSchema(BaseSchema):
    """Grafana's error body. Only the OpenAPI document uses it: errors are built in blueprints/errors.py."""

    message = fields.String(required=True)
    status = fields.String(metadata={"description": "A reason code some errors carry, e.g. \"version-mismatch\""})
