"""Annotation payloads: create (Grafana's own form and the Graphite one), replace or patch, and the query strings of
the list and the tag counts.

Tags are settled here as Grafana settles them: each is `key` or `key:value`, spaces around either part trimmed,
empty keys and repeats dropped."""
from __future__ import annotations

from marshmallow import ValidationError, fields, post_load, validate

from .base import BaseSchema, QueryBoolean, QueryInteger

# Times are epoch milliseconds; JavaScript clients cannot tell larger integers apart.
EPOCH_MS = validate.Range(min=-(2**53 - 1), max=2**53 - 1)
INT64 = validate.Range(min=-(2**63), max=2**63 - 1)
ID = validate.Range(min=0, max=2**63 - 1)
MAX_TAGS_LENGTH = 500  # Grafana's [annotations] tags_length default, counted as it counts it
TAGS_TOO_LONG = "Tags length exceeds the maximum allowed."
MAX_QUERY_TAGS = 50


def settled_tags(tags: list[str]) -> list[str]:
    """Grafana's form of a list of tags: `key` or `key:value` with the parts trimmed, no empty keys, no repeats.
    (Grafana keeps only what lies between the first and a second colon as the value; we keep the rest whole.)"""
    settled: list[str] = []
    for tag in tags:
        key, colon, value = tag.partition(":")
        key, value = key.strip(" "), value.strip(" ")
        joined = f"{key}:{value}" if value else key
        if key and joined not in settled:
            settled.append(joined)
    return settled


def _check_tags_length(tags: list[str]) -> None:
    """Grafana's estimate of the tags as a JSON array (brackets, quotes and commas), in bytes."""
    estimate = 2 + sum(len(tag.encode()) + 2 for tag in tags) + max(len(tags) - 1, 0)
    if estimate > MAX_TAGS_LENGTH:
        raise ValidationError(TAGS_TOO_LONG)


def _epoch_ms(**kwargs) -> fields.Integer:
    return fields.Integer(strict=True, load_default=0, validate=EPOCH_MS, **kwargs)


class AnnotationCreateSchema(BaseSchema):
    dashboard_uid = fields.String(data_key="dashboardUID", load_default="",
                                  metadata={"description": "The dashboard it belongs to; none makes an org annotation"})
    dashboard_id = fields.Integer(data_key="dashboardId", strict=True, load_default=0, validate=ID,
                                  metadata={"description": "The dashboard by id, for older clients; dashboardUID wins"})
    panel_id = fields.Integer(data_key="panelId", strict=True, load_default=0, validate=INT64)
    time = _epoch_ms(metadata={"description": "Epoch milliseconds; 0 or none is now"})
    time_end = _epoch_ms(data_key="timeEnd", metadata={"description": "Epoch milliseconds; 0 or none: a point"})
    text = fields.String(load_default="", metadata={"description": "Required: an empty text answers 400"})
    tags = fields.List(fields.String(), load_default=list)
    data = fields.Raw(load_default=None, metadata={"description": "Any JSON, kept and read back as sent"})

    @post_load
    def settle_tags(self, data: dict, **kwargs) -> dict:
        data["tags"] = settled_tags(data["tags"])
        _check_tags_length(data["tags"])
        return data


class AnnotationChangeSchema(BaseSchema):
    """PUT replaces text and tags (none sent: no tags) and the times sent (0 or none keeps a time); PATCH changes
    only what is sent (a non-empty text, tags, times above 0). `data` sent replaces the stored data in both."""

    time = _epoch_ms()
    time_end = _epoch_ms(data_key="timeEnd")
    text = fields.String(load_default="")
    tags = fields.List(fields.String(), load_default=None)
    data = fields.Raw(load_default=None)

    @post_load
    def settle_tags(self, data: dict, **kwargs) -> dict:
        if data["tags"] is not None:
            data["tags"] = settled_tags(data["tags"])
            _check_tags_length(data["tags"])
        return data


class GraphiteAnnotationSchema(BaseSchema):
    what = fields.String(load_default="", metadata={"description": "Required: the annotation's text"})
    when = fields.Integer(strict=True, load_default=0, validate=validate.Range(min=0, max=(2**53 - 1) // 1000),
                          metadata={"description": "Epoch seconds; 0 or none is now"})
    data = fields.String(load_default="", metadata={"description": "Added to the text on a line of its own"})
    tags = fields.Raw(load_default=None, metadata={
        "description": "Required: a list of strings, or one string of tags separated by spaces (Graphite < 0.10)"})


class QueryInt64(QueryInteger):
    """A Grafana `c.QueryInt64`: invalid means 0, values past 64 bits are clamped (epoch milliseconds need more
    than the 32 bits of QueryInteger)."""

    LARGEST = 2**63 - 1


class AnnotationQuerySchema(BaseSchema):
    from_ms = QueryInt64(data_key="from", load_default=0, metadata={"description": "Epoch milliseconds"})
    to_ms = QueryInt64(data_key="to", load_default=0, metadata={
        "description": "Epoch milliseconds; with `from` (both above 0), the annotations that overlap the range"})
    user_id = QueryInt64(data_key="userId", load_default=0)
    alert_id = QueryInt64(data_key="alertId", load_default=0)
    dashboard_id = QueryInt64(data_key="dashboardId", load_default=0)
    dashboard_uid = fields.String(data_key="dashboardUID", load_default="",
                                  metadata={"description": "Wins over dashboardId; an unknown uid answers 400"})
    panel_id = QueryInt64(data_key="panelId", load_default=0)
    limit = QueryInt64(load_default=0, metadata={"description": "100 when 0 or less"})
    tags = fields.List(fields.String(), load_default=list, validate=validate.Length(max=MAX_QUERY_TAGS))
    type = fields.String(load_default="", metadata={"description": "`alert` (dashsnap has none) or `annotation`"})
    match_any = QueryBoolean(data_key="matchAny", load_default=False,
                             metadata={"description": "Any of the tags rather than all of them"})

    @post_load
    def settle_tags(self, data: dict, **kwargs) -> dict:
        data["tags"] = settled_tags(data["tags"])
        return data


class AnnotationTagsQuerySchema(BaseSchema):
    tag = fields.String(load_default="", metadata={"description": "A part of the tag's key or value"})
    limit = QueryInt64(load_default=0, metadata={"description": "100 when 0 or less"})
