"""Sessions (/login, /logout, /api/login/ping) and the slow-down of repeated failed sign-ins."""
from conftest import ADMIN, basic, bearer

COOKIE = "grafana_session"


def log_in(client, user="admin", password="admin"):
    return client.post("/login", json={"user": user, "password": password})


def test_login_sets_a_session_cookie_that_signs_in_the_api(client):
    response = log_in(client)
    assert response.get_json() == {"message": "Logged in"}
    set_cookie = response.headers["Set-Cookie"]
    assert set_cookie.startswith(f"{COOKIE}=") and "HttpOnly" in set_cookie and "SameSite=Lax" in set_cookie
    assert "admin" not in set_cookie.split(";")[0].split("=", 1)[1]  # signed, and no password in it
    assert client.get("/api/user").get_json()["login"] == "admin"


def test_login_by_email_works_too(client):
    assert log_in(client, "admin@localhost").status_code == 200


def test_wrong_login_sets_no_cookie(client):
    response = log_in(client, password="nope")
    assert response.status_code == 401
    assert response.get_json() == {"message": "Invalid username or password"}
    assert "Set-Cookie" not in response.headers
    assert client.get("/api/user").status_code == 401


def test_login_body_is_validated(client):
    response = client.post("/login", json={"user": "admin"})
    assert response.status_code == 400
    assert response.get_json()["message"].startswith("password:")


def test_ping_answers_for_any_way_of_signing_in(client, make_key):
    assert client.get("/api/login/ping").get_json() == {"message": "Unauthorized"}
    assert client.get("/api/login/ping", headers=ADMIN).get_json() == {"message": "Logged in"}
    assert client.get("/api/login/ping", headers=bearer(make_key("Viewer"))).status_code == 200
    log_in(client)
    assert client.get("/api/login/ping").get_json() == {"message": "Logged in"}


def test_logout_ends_the_session_and_goes_to_the_login_page(client):
    log_in(client)
    response = client.get("/logout")
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert client.get_cookie(COOKIE) is None
    assert client.get("/api/login/ping").status_code == 401


def test_a_tampered_cookie_signs_in_nobody(client):
    log_in(client)
    value = client.get_cookie(COOKIE).value
    client.set_cookie(COOKIE, value[:-2] + ("AA" if not value.endswith("AA") else "BB"))
    assert client.get("/api/user").status_code == 401


def test_a_password_change_ends_existing_sessions(app, client):
    log_in(client)
    other = app.test_client()
    assert log_in(other).status_code == 200
    body = {"oldPassword": "admin", "newPassword": "n3w-secret"}
    assert client.put("/api/user/password", json=body).status_code == 200
    assert other.get("/api/user").status_code == 401


def test_five_failed_sign_ins_make_the_login_wait(client):
    for _ in range(5):
        assert client.get("/api/user", headers=basic("admin", "guess")).status_code == 401
    response = client.get("/api/user", headers=ADMIN)  # even the right password waits now
    assert response.status_code == 429
    assert "try again in" in response.get_json()["message"]
    assert log_in(client).status_code == 429


def test_the_slow_down_is_per_login(client, make_user):
    bob = make_user("bob", "Viewer")
    for _ in range(5):
        log_in(client, "admin", "guess")
    assert client.get("/api/user", headers=bob).status_code == 200


def test_a_success_clears_earlier_failures(client):
    for _ in range(4):
        log_in(client, "admin", "guess")
    assert log_in(client).status_code == 200
    for _ in range(4):
        log_in(client, "admin", "guess")
    assert client.get("/api/user", headers=ADMIN).status_code == 200


def test_unknown_logins_are_slowed_down_the_same_way(client):
    for _ in range(5):
        log_in(client, "nobody", "guess")
    assert log_in(client, "nobody", "guess").status_code == 429


def test_the_slow_down_follows_the_account_not_the_name_typed(client):
    for _ in range(5):
        log_in(client, "admin", "guess")
    assert log_in(client, "admin@localhost", "admin").status_code == 429


def test_a_flood_of_made_up_logins_does_not_free_a_refused_account():
    from dashsnap.security import LoginThrottle

    throttle = LoginThrottle(size=100)
    for _ in range(5):
        throttle.failed("user 1")
    for number in range(1000):
        throttle.failed(f"name junk{number}")
    assert throttle.seconds_blocked("user 1") > 0


def test_logout_ends_the_session_even_for_a_copy_of_the_cookie(client):
    log_in(client)
    copy = client.get_cookie(COOKIE).value
    client.get("/logout")
    client.set_cookie(COOKIE, copy)
    assert client.get("/api/user").status_code == 401
