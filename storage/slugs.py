"""Grafana's dashboard slug: the url-friendly title that names a dashboard within its org.

The rules of Grafana 2.x-7.x (gosimple/slug): lowercase; `&` -> and, `@` -> at; quotes dropped; every other
letter transliterated to ASCII; anything outside [a-z0-9_-] becomes '-'; dashes collapsed and trimmed. A
title that leaves nothing, or too much to be a file name, gets Grafana 9's fallback: a UUIDv5 of the title.
"""
from __future__ import annotations

import re
import uuid

from anyascii import anyascii

MAX_LENGTH = 128
_DROPPED = str.maketrans({'"': None, "'": None, "\u2019": None})
_NOT_SLUG = re.compile(r"[^a-z0-9_-]+")
_DASHES = re.compile(r"-{2,}")


def slugify(title: str) -> str:
    text = title.strip().lower().replace("&", " and ").replace("@", " at ").translate(_DROPPED)
    slug = _DASHES.sub("-", _NOT_SLUG.sub("-", anyascii(text).lower())).strip("-")
    if not slug or len(slug) > MAX_LENGTH:
        return str(uuid.uuid5(uuid.NAMESPACE_OID, title))
    return slug
