"""Client for the external snapshot server that `[snapshots] external_snapshot_url` names (another dashsnap
or a Grafana): publish through its `POST /api/snapshots`, delete through the delete url it handed out."""
from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

import requests

TIMEOUT_SECONDS = 5
_KEY = re.compile(r"[A-Za-z0-9_-]{1,128}")


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


def _created_snapshot(response: requests.Response) -> dict[str, str] | None:
    """The answer's key, deleteKey, url and deleteUrl when they are what a snapshot server gives, else None."""
    try:
        created = response.json()
        fields = {field: created[field] for field in ("key", "deleteKey", "url", "deleteUrl")}
    except (ValueError, KeyError, TypeError):
        return None
    if not all(isinstance(value, str) for value in fields.values()):
        return None
    keys_ok = _KEY.fullmatch(fields["key"]) and _KEY.fullmatch(fields["deleteKey"])
    urls_ok = all(urlsplit(fields[url]).scheme in ("http", "https") for url in ("url", "deleteUrl"))
    return fields if keys_ok and urls_ok else None


def publish(server_url: str, snapshot: dict[str, Any]) -> dict[str, str]:
    """Create the snapshot on the external server; its answer's key, deleteKey, url and deleteUrl."""
    response = _call("POST", server_url.rstrip("/") + "/api/snapshots", json=snapshot)
    if response.status_code != 200:
        raise ExternalServerError(f"the external snapshot server answered {response.status_code}"
                                  f" {_message_of(response)}".rstrip())
    created = _created_snapshot(response)
    if created is None:
        try:  # keep nothing we cannot track: undo the publishing when the answer says how
            delete(response.json()["deleteUrl"])
        except (ExternalServerError, ValueError, KeyError, TypeError, requests.RequestException):
            pass
        raise ExternalServerError("the external snapshot server gave an answer that is not a snapshot")
    return created


def delete(delete_url: str) -> None:
    """Delete a published snapshot; one the external server no longer has counts as deleted."""
    if urlsplit(delete_url).scheme not in ("http", "https"):
        raise ExternalServerError("the external snapshot's delete url is not an http url")
    response = _call("GET", delete_url)
    # Grafana up to 8.x answers an unknown delete key with 500 and this message.
    gone = response.status_code == 404 or _message_of(response) == "Failed to get dashboard snapshot"
    if response.status_code != 200 and not gone:
        raise ExternalServerError(f"the external snapshot server refused the delete ({response.status_code})")
