"""Times as Grafana writes them in JSON (RFC 3339, UTC), and back to seconds for the index."""
from __future__ import annotations

from datetime import datetime, timezone


def rfc3339(seconds: float) -> str:
    return datetime.fromtimestamp(int(seconds), timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def seconds(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
