"""Every refusal a client sees under /api/ is a JSON object with a `message`, which both clients put on the
exception they raise."""
from __future__ import annotations

import pytest
from grafana_client.client import GrafanaClientError

from .conftest import CLIENT_ERRORS, raw

WRONG_PASSWORD = ("admin", "wrong")


@pytest.mark.parametrize(("method", "path", "status"), [
    ("GET", "/no-such-route", 404),
    ("GET", "/users/not-a-number", 404),
    ("POST", "/orgs/name/Main Org.", 404),  # a wrong method: Grafana has no 405, its router falls to Not found
    ("GET", "/user/using/1", 404),
    ("DELETE", "/org", 404),
])
def test_unknown_routes_and_wrong_methods_answer_json_not_found(api, method, path, status):
    with pytest.raises(CLIENT_ERRORS) as refused:
        getattr(raw(api), method)(path)
    assert refused.value.status_code == status and refused.value.response == {"message": "Not found"}


def test_a_wrong_password_answers_json_401(connect):
    with pytest.raises(GrafanaClientError) as refused:
        connect(WRONG_PASSWORD).client.GET("/org")
    assert refused.value.status_code == 401
    assert refused.value.response == {"message": "Invalid username or password"}


def test_no_credential_answers_json_401(connect):
    with pytest.raises(GrafanaClientError) as refused:
        connect(None).client.GET("/org")
    assert refused.value.status_code == 401 and refused.value.response == {"message": "Unauthorized"}


def test_a_forbidden_call_answers_json_403(connect, create_user):
    create_user("bob")
    with pytest.raises(GrafanaClientError) as refused:
        connect(("bob", "secret")).client.GET("/admin/settings")
    assert refused.value.status_code == 403 and refused.value.response == {"message": "Permission denied"}


def test_a_bad_body_answers_json_400_naming_the_field(grafana):
    with pytest.raises(GrafanaClientError) as refused:
        grafana.client.POST("/orgs", json={"title": "no name"})
    assert refused.value.status_code == 400 and "name" in refused.value.response["message"]


@pytest.mark.parametrize(("credential", "method", "path", "status"), [
    (("admin", "admin"), "GET", "/no-such-route", 404),
    (("admin", "admin"), "PATCH", "/org", 404),
    (("admin", "admin"), "OPTIONS", "/org", 404),
    (WRONG_PASSWORD, "GET", "/org", 401),
    (None, "GET", "/users", 401),
    (("admin", "admin"), "PUT", "/org", 400),
])
def test_error_answers_are_typed_json(connect, credential, method, path, status):
    client = connect(credential).client
    response = client.s.request(method, client.url + path, auth=client.auth)
    assert response.status_code == status
    assert response.headers["Content-Type"] == "application/json" and "message" in response.json()
