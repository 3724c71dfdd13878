"""End to end over real HTTP: the app served by waitress on an ephemeral port, driven with requests."""
import gzip
import json

import requests
from conftest import ADMIN


def test_snapshot_round_trip_over_http(live_server):
    dashboard = {"title": "E2E", "panels": [{"id": 1, "title": "ünïcode ✓"}], "big": 12345678901234567890123}
    body = gzip.compress(json.dumps({"dashboard": dashboard, "name": "e2e", "expires": 600}).encode())
    created = requests.post(f"{live_server}/api/snapshots", data=body, timeout=10, headers={
        **ADMIN, "Content-Type": "application/json", "Content-Encoding": "gzip"})
    assert created.status_code == 200, created.text
    key, delete_key = created.json()["key"], created.json()["deleteKey"]

    fetched = requests.get(f"{live_server}/api/snapshots/{key}", timeout=10)
    assert fetched.status_code == 200 and fetched.headers["Content-Type"] == "application/json"
    assert fetched.json()["dashboard"] == dashboard

    listed = requests.get(f"{live_server}/api/dashboard/snapshots", headers=ADMIN, timeout=10).json()
    assert [snapshot["key"] for snapshot in listed] == [key]

    deleted = requests.get(f"{live_server}/api/snapshots-delete/{delete_key}", timeout=10)
    assert deleted.status_code == 200 and deleted.json()["id"] == created.json()["id"]
    assert requests.get(f"{live_server}/api/snapshots/{key}", timeout=10).status_code == 404


def test_errors_are_json_over_http(live_server):
    for response in (requests.get(f"{live_server}/api/no-such-route", timeout=10),
                     requests.get(f"{live_server}/api/dashboard/snapshots", timeout=10),
                     requests.put(f"{live_server}/api/health", timeout=10)):
        assert response.headers["Content-Type"] == "application/json"
        assert set(response.json()) == {"message"}


def test_concurrent_creates_over_http_lose_nothing_and_share_no_id(live_server):
    from concurrent.futures import ThreadPoolExecutor

    def create(number: int) -> dict:
        response = requests.post(f"{live_server}/api/snapshots", headers=ADMIN, timeout=30,
                                 json={"dashboard": {"title": f"t{number}"}, "name": f"n{number}"})
        assert response.status_code == 200, response.text
        return response.json()

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(create, range(64)))
    assert sorted(result["id"] for result in results) == list(range(1, 65))
    listed = requests.get(f"{live_server}/api/dashboard/snapshots", headers=ADMIN, timeout=10).json()
    assert sorted(snapshot["name"] for snapshot in listed) == sorted(f"n{number}" for number in range(64))
    for number in range(0, 64, 8):  # map() keeps order: results[number] is snapshot number's answer
        body = requests.get(f"{live_server}/api/snapshots/{results[number]['key']}", timeout=10).json()
        assert body["dashboard"]["title"] == f"t{number}"


def test_paths_answer_with_and_without_a_trailing_slash(live_server):
    created = requests.post(f"{live_server}/api/snapshots/", json={"dashboard": {}}, headers=ADMIN, timeout=10)
    assert created.status_code == 200
    listed = requests.get(f"{live_server}/api/dashboard/snapshots/", headers=ADMIN, timeout=10, allow_redirects=False)
    assert listed.status_code == 200 and len(listed.json()) == 1


def test_options_requests_answer_json(live_server):
    response = requests.options(f"{live_server}/api/snapshots", timeout=10)
    assert response.headers["Content-Type"] == "application/json"
    assert "message" in response.json()
