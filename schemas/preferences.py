"""Preference payloads: a whole set (PUT) or some of it (PATCH), checked as Grafana checks them."""
from __future__ import annotations

import re
from zoneinfo import available_timezones

from marshmallow import ValidationError, fields, validate

from .base import BaseSchema

THEMES = ("", "light", "dark", "system")
WEEK_STARTS = ("", "saturday", "sunday", "monday")
_zones: set[str] = set()


# The shape of an IANA zone name, for a box without a time zone database to look names up in.
ZONE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+){0,2}")


def valid_timezone(timezone: str) -> bool:
    """Grafana's rule: empty, `utc`, `browser`, or an IANA zone name."""
    if timezone in ("", "utc", "browser"):
        return True
    if not _zones:
        _zones.update(available_timezones() or {""})
    return timezone in _zones if len(_zones) > 1 else bool(ZONE_NAME.fullmatch(timezone))


def _timezone(timezone: str) -> None:
    if not valid_timezone(timezone):
        raise ValidationError("Invalid timezone. Must be a valid IANA timezone, utc, browser, or empty")


TIMEZONE = [validate.Length(max=64), _timezone]


class PreferencesSchema(BaseSchema):
    theme = fields.String(load_default="")
    home_dashboard_id = fields.Integer(data_key="homeDashboardId", strict=True, load_default=0,
                                       validate=validate.Range(min=0, max=2**63 - 1))
    home_dashboard_uid = fields.String(data_key="homeDashboardUID", load_default="",
                                       validate=validate.Length(max=40))
    timezone = fields.String(load_default="", validate=TIMEZONE)
    week_start = fields.String(data_key="weekStart", load_default="", validate=validate.Length(max=16))
    language = fields.String(load_default="", validate=validate.Length(max=16))


class PreferencesPatchSchema(PreferencesSchema):
    """A PATCH changes only what it sends."""

    theme = fields.String(load_default=None)
    home_dashboard_id = fields.Integer(data_key="homeDashboardId", strict=True, load_default=None,
                                       validate=validate.Range(min=0, max=2**63 - 1))
    home_dashboard_uid = fields.String(data_key="homeDashboardUID", load_default=None,
                                       validate=validate.Length(max=40))
    timezone = fields.String(load_default=None, validate=TIMEZONE)
    week_start = fields.String(data_key="weekStart", load_default=None, validate=validate.Length(max=16))
    language = fields.String(load_default=None, validate=validate.Length(max=16))
