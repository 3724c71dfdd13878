"""Client for the external snapshot server that `[snapshots] external_snapshot_url` names (another dashsnap
or a Grafana): publish through its `POST /api/snapshots`, delete through the delete url it handed out."""
from __future__ import annotations

from typing import Any

import requests

TIMEOUT_SECONDS = 5


class ExternalServerError(Exception):
    """The external server could not be reached or refused; timed_out tells the two apart."""

    def __init__(self, message: str, timed_out: bool = False):
        super().__init__(message)
        self.timed_out = timed_out


def _message_of(response: requests.Response) -> str:
    try:
        return str(response.json().get("message", ""))
    except (ValueError, AttributeError):
        return ""


def _call(method: str, url: str, **kwargs: Any) -> requests.Response:
    try:
        return requests.request(method, url, timeout=TIMEOUT_SECONDS, allow_redirects=False, **kwargs)
    except requests.Timeout:
        raise ExternalServerError("the external snapshot server did not answer in time", timed_out=True) from None
    except requests.RequestException as error:
        raise ExternalServerError(f"the external snapshot server is unreachable ({type(error).__name__})") from None


def publish(server_url: str, snapshot: dict[str, Any]) -> dict[str, str]:
    """Create the snapshot on the external server; its answer's key, deleteKey, url and deleteUrl."""
    response = _call("POST", server_url.rstrip("/") + "/api/snapshots", json=snapshot)
    if response.status_code != 200:
        raise ExternalServerError(f"the external snapshot server answered {response.status_code}"
                                  f" {_message_of(response)}".rstrip())
    try:
        created = response.json()
        return {field: str(created[field]) for field in ("key", "deleteKey", "url", "deleteUrl")}
    except (ValueError, KeyError, TypeError):
        raise ExternalServerError("the external snapshot server gave an answer that is not a snapshot") from None


def delete(delete_url: str) -> None:
    """Delete a published snapshot; one the external server no longer has counts as deleted."""
    response = _call("GET", delete_url)
    # Grafana up to 8.x answers an unknown delete key with 500 and this message.
    gone = response.status_code == 404 or _message_of(response) == "Failed to get dashboard snapshot"
    if response.status_code != 200 and not gone:
        raise ExternalServerError(f"the external snapshot server refused the delete ({response.status_code})")
