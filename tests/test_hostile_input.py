"""Bad input gets a clear 4xx in JSON, never a 500: odd credentials, odd bodies, odd query strings."""
import base64
import json
import time

import pytest
from conftest import ADMIN, basic, bearer


def api_key_like(payload: str) -> str:
    return base64.b64encode(payload.encode()).decode()


@pytest.mark.parametrize("payload", ['{"k":"x","n":"ci","id":1000000000000000000000000000000}',
                                     '{"k":"x","n":"ci","id":-1}', '{"k":"x","n":"\\ud800","id":1}',
                                     '{"k":"\\udc00","n":"ci","id":1}', "[" * 100000, '{"k":"x","n":"ci","id":true}',
                                     '{"k":"x","n":"ci","id":1.5}', "null", '"text"'])
def test_odd_bearer_keys_are_401(client, payload):
    for path in ("/api/snapshots/some-key-here", "/api/dashboard/snapshots"):
        response = client.get(path, headers=bearer(api_key_like(payload)))
        assert response.status_code == 401, path
        assert response.get_json() == {"message": "Invalid API key"}


@pytest.mark.parametrize("header", ["Bearer", "Bearer ", "Basic", "Basic !!!", "Basic " + "A" * 10000, "Digest x",
                                    "Basic " + base64.b64encode(b"no-colon").decode(), "\u00e9\u00e9"])
def test_odd_authorization_headers_are_401_json(client, header):
    response = client.get("/api/dashboard/snapshots", headers={"Authorization": header})
    assert response.status_code == 401
    assert set(response.get_json()) == {"message"}


def test_unicode_logins_and_passwords_are_just_wrong(client):
    response = client.get("/api/dashboard/snapshots", headers=basic("ädmin✓", "pässwörd\u0000"))
    assert response.status_code == 401


@pytest.mark.parametrize("body, words", [
    ('{"dashboard": {"t": "\\ud800"}}', "surrogate"), ('{"name": "\\udfff", "dashboard": {}}', "surrogate"),
    ('{"dashboard": {"a": 1e400}}', "too large"), ('{"dashboard": {"a": -1e999}}', "too large"),
    ('{"dashboard": ' + "[" * 120 + "]" * 120 + "}", "nested deeper"),
    ('{"dashboard": ' + "[" * 5000 + "]" * 5000 + "}", "nested deeper"),
    ('{"dashboard": {}, "expires": 100000000000000000000}', "expires"),
    ('{"dashboard": {}, "expires": true}', "expires"),
    ('{"dashboard": {}, "name": "' + "n" * 256 + '"}', "name")])
def test_snapshot_bodies_that_cannot_be_kept_are_400(client, body, words):
    response = client.post("/api/snapshots", data=body, headers=ADMIN)
    assert response.status_code == 400, response.get_json()
    assert words in response.get_json()["message"]


def test_paired_surrogates_and_deep_but_sane_nesting_round_trip(client):
    dashboard = {"title": "\U0001f600 emoji", "nested": json.loads("[" * 90 + "]" * 90)}
    key = client.post("/api/snapshots", json={"dashboard": dashboard}, headers=ADMIN).get_json()["key"]
    assert client.get(f"/api/snapshots/{key}").get_json()["dashboard"] == dashboard


@pytest.mark.parametrize("seconds", [10**20, 10**400, 2**63])
def test_huge_api_key_lifetimes_are_400(client, seconds):
    response = client.post("/api/auth/keys", data=f'{{"name": "k", "role": "Viewer", "secondsToLive": {seconds}}}',
                           headers=ADMIN)
    assert response.status_code == 400
    assert "secondsToLive" in response.get_json()["message"]


def test_api_key_name_with_a_lone_surrogate_is_400(client):
    response = client.post("/api/auth/keys", data='{"name": "\\ud800", "role": "Viewer"}', headers=ADMIN)
    assert response.status_code == 400


@pytest.mark.parametrize("limit", ["99999999999999999999999", "-99999999999999999999", "1e3", "", "0x10"])
def test_any_limit_in_the_query_string_is_read_somehow(client, limit):
    client.post("/api/snapshots", json={"dashboard": {}}, headers=ADMIN)
    response = client.get("/api/dashboard/snapshots", query_string={"limit": limit}, headers=ADMIN)
    assert response.status_code == 200
    assert len(response.get_json()) == 1


def test_unknown_login_takes_as_long_as_a_wrong_password(client):
    """Answering unknown logins faster than a password check would tell which logins exist."""
    def elapsed(headers) -> float:
        started = time.perf_counter()
        assert client.get("/api/dashboard/snapshots", headers=headers).status_code == 401
        return time.perf_counter() - started

    wrong_password = min(elapsed(basic("admin", f"wrong{n}")) for n in range(3))
    unknown_user = min(elapsed(basic(f"nobody{n}", "wrong")) for n in range(3))
    assert unknown_user > wrong_password / 3
