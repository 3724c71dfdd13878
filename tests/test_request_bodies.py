"""Request bodies: the size cap, gzip-compressed bodies (the cap applies after decompression), and bodies
that are not JSON objects — always a JSON answer, never a 500."""
import gzip
import json

import pytest
import requests
from conftest import ADMIN, bearer, serve

CAP = 64 * 1024


@pytest.fixture
def client(make_app):
    return make_app(DASHSNAP_MAX_BODY_BYTES=CAP).test_client()


def post(client, data: bytes, **headers):
    return client.post("/api/snapshots", data=data, headers={**ADMIN, "Content-Type": "application/json", **headers})


def snapshot_body(size: int) -> bytes:
    return json.dumps({"dashboard": {"title": "big", "padding": "x" * size}}).encode()


def test_body_over_the_cap_is_413_naming_size_and_cap(client):
    body = snapshot_body(CAP)
    response = post(client, body)
    assert response.status_code == 413
    assert response.get_json() == {"message": f"Request body is {len(body)} bytes; the limit is {CAP} bytes"}


def test_chunked_body_over_the_cap_is_413_over_real_http(make_app):
    url, stop = serve(make_app(DASHSNAP_MAX_BODY_BYTES=CAP))
    try:
        chunks = (snapshot_body(CAP)[i:i + 4096] for i in range(0, CAP + 4096, 4096))
        response = requests.post(f"{url}/api/snapshots", data=chunks, headers=ADMIN, timeout=10)
    finally:
        stop()
    assert response.status_code == 413
    assert f"the limit is {CAP} bytes" in response.json()["message"]


def test_gzip_body_is_accepted(client):
    body = snapshot_body(CAP // 2)
    response = post(client, gzip.compress(body), **{"Content-Encoding": "gzip"})
    assert response.status_code == 200
    key = response.get_json()["key"]
    assert client.get(f"/api/snapshots/{key}").get_json()["dashboard"] == json.loads(body)["dashboard"]


def test_gzip_body_whose_decompressed_size_exceeds_the_cap_is_413(client):
    compressed = gzip.compress(snapshot_body(CAP * 4))
    assert len(compressed) < CAP
    response = post(client, compressed, **{"Content-Encoding": "gzip"})
    assert response.status_code == 413
    assert response.get_json() == {"message": f"Decompressed request body exceeds the limit of {CAP} bytes"}


def test_gzip_bomb_is_413_without_inflating_it(make_app):
    client = make_app().test_client()  # the default 16 MiB cap
    bomb = gzip.compress(b"{" + b" " * (256 * 1024 * 1024), compresslevel=1)  # 256 MiB in ~1 MB
    response = post(client, bomb, **{"Content-Encoding": "gzip"})
    assert response.status_code == 413


def test_corrupt_gzip_is_400(client):
    response = post(client, b"not gzip at all", **{"Content-Encoding": "gzip"})
    assert response.status_code == 400
    assert "gzip" in response.get_json()["message"]


def test_unknown_content_encoding_is_415(client):
    response = post(client, snapshot_body(10), **{"Content-Encoding": "br"})
    assert response.status_code == 415


@pytest.mark.parametrize("data, detail", [(b"", "empty"), (b"{not json", "invalid JSON"),
                                          (b"[1, 2]", "JSON object"), (b'"text"', "JSON object"),
                                          (b'{"dashboard": {"v": NaN}}', "invalid JSON"),
                                          (b"\xff\xfe\x00", "invalid JSON")])
def test_bodies_that_are_not_json_objects_are_400(client, data, detail):
    response = post(client, data)
    assert response.status_code == 400
    assert response.get_json()["message"].startswith("bad request data")
    assert detail in response.get_json()["message"]


def test_json_without_content_type_is_still_read(client):
    response = client.post("/api/snapshots", data=snapshot_body(10), headers=ADMIN)
    assert response.status_code == 200


@pytest.mark.parametrize("damage", [lambda body: body[:-8], lambda body: body + b"trailing junk"])
def test_truncated_or_padded_gzip_is_400(client, damage):
    response = post(client, damage(gzip.compress(snapshot_body(100))), **{"Content-Encoding": "gzip"})
    assert response.status_code == 400
    assert "gzip" in response.get_json()["message"]


@pytest.mark.parametrize("path", ["/api/snapshots", "/api/dashboards/db", "/api/orgs", "/api/auth/keys"])
def test_anonymous_callers_hear_401_before_their_body_is_read(client, path):
    for data in (b"{not json", snapshot_body(CAP)):
        assert client.post(path, data=data, headers={"Content-Type": "application/json"}).status_code == 401


def test_callers_below_the_route_hear_403_before_their_body_is_read(client, make_key):
    viewer, org_admin = bearer(make_key("Viewer")), bearer(make_key("Admin"))
    for path, headers in (("/api/dashboards/db", viewer), ("/api/orgs", org_admin), ("/api/admin/users", org_admin)):
        assert client.post(path, data=b"{not json", headers=headers).status_code == 403


@pytest.mark.parametrize("method, path", [("PUT", "/api/users/999"), ("PUT", "/api/admin/users/999/password"),
                                          ("PUT", "/api/orgs/99"), ("POST", "/api/orgs/99/users"),
                                          ("PATCH", "/api/orgs/99/users/1"), ("PUT", "/api/datasources/abc")])
def test_a_path_that_names_nothing_is_404_before_the_body_is_read(client, method, path):
    assert client.open(path, method=method, data=b"{not json", headers=ADMIN).status_code == 404


def test_null_counts_as_a_field_left_out(client):
    created = client.post("/api/admin/users", json={"login": "bob", "password": "secret", "email": None,
                                                    "name": None}, headers=ADMIN)
    assert created.status_code == 200, created.get_json()
    user_id = created.get_json()["id"]
    assert client.put(f"/api/users/{user_id}", json={"name": "Bob", "theme": None}, headers=ADMIN).status_code == 200
    user = client.get(f"/api/users/{user_id}", headers=ADMIN).get_json()
    assert (user["login"], user["email"], user["name"], user["theme"]) == ("bob", "bob", "Bob", "")


def test_null_in_a_required_field_is_missing(client):
    response = client.patch("/api/org/users/1", json={"role": None}, headers=ADMIN)
    assert response.status_code == 400
    assert response.get_json() == {"message": "role: Missing data for required field."}


# --- what parsing may build ---------------------------------------------------------------------------------

def _peak_bytes_allocated(send) -> tuple[object, int]:
    """(send()'s answer, the most memory Python held for it at once beyond what it held before)."""
    import tracemalloc

    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        before = tracemalloc.get_traced_memory()[0]
        answer = send()
        return answer, tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()


def test_an_unauthenticated_sign_in_cannot_blow_up_memory(make_app):
    """16 KB of gzip inflate to 16 MiB of `{},` (5.6 million objects): one such sign-in took 800 MB to parse."""
    client = make_app().test_client()
    objects = b"[" + b"{}," * (16 * 1024 * 1024 // 3) + b"{}]"
    bomb = gzip.compress(b'{"user":"x","password":"y","z":' + objects + b"}", compresslevel=9)
    assert len(bomb) < 64 * 1024
    response, peak = _peak_bytes_allocated(lambda: client.post(
        "/login", data=bomb, headers={"Content-Type": "application/json", "Content-Encoding": "gzip"}))
    assert response.status_code == 413 and "8192 bytes" in response.get_json()["message"]
    assert peak < 4 * 1024 * 1024


def test_an_anonymous_caller_gets_a_small_body_cap_where_the_route_takes_more_from_the_signed_in(make_app):
    client = make_app().test_client()
    body = json.dumps({"user": "admin", "password": "admin", "padding": "x" * 70_000}).encode()
    assert client.post("/login", data=body, content_type="application/json").status_code == 413
    public = make_app(DASHSNAP_SNAPSHOTS_PUBLIC_MODE=True).test_client()
    response = public.post("/api/snapshots", data=snapshot_body(100_000), content_type="application/json")
    assert response.status_code == 200  # [snapshots] public_mode: anyone may publish a whole snapshot


def test_a_body_of_more_objects_and_arrays_than_any_snapshot_holds_is_413_before_parsing(make_app):
    client = make_app().test_client()  # the default 16 MiB cap, signed in
    assert client.get("/api/user", headers=ADMIN).status_code == 200  # the password check (scrypt) done already
    body = b'{"dashboard": {"z": [' + b"[]," * 1_000_000 + b"[]]}}"
    response, peak = _peak_bytes_allocated(lambda: post(client, body))
    assert response.status_code == 413 and "1000000 JSON objects and arrays" in response.get_json()["message"]
    assert peak < 32 * 1024 * 1024  # the body and the test client's copies of it; parsed, ~200 MB
