"""Sessions (/login, /logout, /api/login/ping) and the slow-down of repeated failed sign-ins."""
import json

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


def test_the_login_throttle_is_no_lock_out_anyone_can_trigger(app, make_user):
    """Five wrong passwords for a login held the right one off for 300 s, from anywhere, and its email too (so
    an attacker learnt which email is whose login)."""
    make_user("aeditor", "Editor")
    attacker, user = app.test_client(), app.test_client()
    attacker.environ_base["REMOTE_ADDR"], user.environ_base["REMOTE_ADDR"] = "192.0.2.66", "192.0.2.10"
    for _ in range(5):
        assert log_in(attacker, "aeditor", "guess").status_code == 401
    assert log_in(attacker, "aeditor", "guess").status_code == 429  # the one guessing waits
    assert log_in(user, "aeditor", "secret").status_code == 200
    assert user.get("/api/user", headers=basic("aeditor", "secret")).status_code == 200
    assert log_in(attacker, "aeditor@example.test", "secret").status_code == 200  # the email is not held up
    assert state_of(app).login_throttle.seconds_blocked("sign-in aeditor from 192.0.2.66") <= 1  # a short wait


def test_behind_a_reverse_proxy_a_tool_signing_in_right_is_not_held_up_by_a_guesser(app):
    """Behind a proxy every caller has its address: a password that just signed in passes without waiting."""
    tool, guesser = app.test_client(), app.test_client()
    assert tool.get("/api/user", headers=ADMIN).status_code == 200
    for _ in range(7):
        guesser.get("/api/user", headers=basic("admin", "guess"))
    assert guesser.get("/api/user", headers=basic("admin", "guess")).status_code == 429
    assert tool.get("/api/user", headers=ADMIN).status_code == 200


def test_an_ipv6_client_is_counted_by_its_64(app):
    """One machine holds a whole /64: its addresses must not each get five free guesses."""
    for host in range(1, 7):
        client = app.test_client()
        client.environ_base["REMOTE_ADDR"] = f"2001:db8:1:2::{host:x}"
        status = log_in(client, "admin", "guess").status_code
    assert status == 429


def test_guesses_sent_at_once_past_the_free_ones_are_checked_one_at_a_time():
    from dashsnap.security import LoginThrottle

    now = [1000.0]
    throttle = LoginThrottle(free=5, clock=lambda: now[0])
    assert [throttle.attempt("k") for _ in range(8)] == [0] * 8  # below the free ones: a tool's parallel sign-ins
    for _ in range(5):
        throttle.failed("k")
    now[0] += 1  # the wait after the fifth is over
    assert throttle.attempt("k") == 0
    assert throttle.attempt("k") > 0  # while that guess is checked
    throttle.failed("k")
    assert throttle.attempt("k") == 2


def test_parallel_sign_ins_with_the_right_password_all_pass(app):
    import concurrent.futures

    client = app.test_client()
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(lambda _: client.get("/api/user", headers=ADMIN).status_code, range(16)))
    assert statuses == [200] * 16


def test_the_wait_doubles_with_each_failure_past_the_free_ones_and_stays_short():
    from dashsnap.security import LoginThrottle

    now = [1000.0]
    throttle = LoginThrottle(free=5, longest=60, forget_after=900, clock=lambda: now[0])
    waits = []
    for _ in range(12):
        throttle.failed("k")
        waits.append(throttle.seconds_blocked("k"))
    assert waits == [0, 0, 0, 0, 1, 2, 4, 8, 16, 32, 60, 60]
    now[0] += 60
    assert throttle.seconds_blocked("k") == 0
    throttle.failed("k")
    assert throttle.seconds_blocked("k") == 60  # past the free ones until it is forgotten
    now[0] += 900
    throttle.failed("k")
    assert throttle.seconds_blocked("k") == 0


def test_old_password_guessing_is_throttled(client):
    body = {"oldPassword": "guess", "newPassword": "n3w-secret"}
    log_in(client)
    statuses = [client.put("/api/user/password", json=body).status_code for _ in range(6)]
    assert statuses == [401] * 5 + [429]
    right = client.put("/api/user/password", json={**body, "oldPassword": "admin"})
    assert right.status_code == 429 and "try again in" in right.get_json()["message"]


def state_of(app):
    return app.extensions["dashsnap"]


def test_a_flood_of_made_up_logins_does_not_free_a_refused_account():
    from dashsnap.security import LoginThrottle

    throttle = LoginThrottle(size=100)
    for _ in range(6):
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


# --- cross-site request forgery -----------------------------------------------------------------------------

def test_csrf_from_same_site_origins_is_refused_for_cookie_sessions(client):
    """A page on another port of the same host is the same site: the browser sends it our SameSite=Lax cookie."""
    log_in(client)
    user = {"name": "x", "login": "x", "password": "pass-word-1"}
    attempts = [
        client.post("/api/admin/users", data=json.dumps(user), content_type="text/plain",
                    headers={"Origin": "http://localhost:8080"}),
        client.post("/api/admin/users", json=user, headers={"Origin": "http://localhost:8080"}),
        client.post("/api/admin/users", json=user, headers={"Sec-Fetch-Site": "same-site"}),
        client.post("/api/auth/keys", json={"name": "k", "role": "Admin"}, headers={"Origin": "null"})]
    assert [(answer.status_code, answer.get_json()) for answer in attempts] == [
        (403, {"message": "origin not allowed"})] * 4
    plain = client.post("/api/admin/users", data=json.dumps(user), content_type="text/plain")
    unlabelled = client.post("/api/admin/users", data=json.dumps(user))  # a no-cors fetch of a Blob sends no type
    assert (plain.status_code, unlabelled.status_code) == (415, 415)  # no form or no-cors fetch can say JSON
    assert client.get("/api/users/lookup?loginOrEmail=x").status_code == 404
    assert client.get("/api/user", headers={"Origin": "http://localhost:8080"}).status_code == 200  # reads pass


def test_our_own_pages_and_trusted_origins_may_change_things_signed_in_by_the_cookie(make_app):
    client = make_app(DASHSNAP_CSRF_TRUSTED_ORIGINS="https://grafana.example  tools.example").test_client()
    log_in(client)
    # Sec-Fetch-Site: cross-site lets only a listed origin through, not one that merely claims to be ours.
    statuses = [client.post("/api/dashboards/db", json={"dashboard": {"title": origin}},
                            headers={"Origin": origin, "Sec-Fetch-Site": "cross-site"}).status_code
                for origin in ["http://localhost", "https://grafana.example", "http://tools.example:81"]]
    assert statuses == [403, 200, 200]
    own = client.post("/api/dashboards/db", json={"dashboard": {"title": "own"}},
                      headers={"Origin": "http://localhost", "Sec-Fetch-Site": "same-origin"})
    assert own.status_code == 200


def test_a_trusted_origin_that_names_no_host_trusts_no_sandboxed_page(make_app):
    """`Origin: null` (a sandboxed frame) must not match an entry that could not be read as an origin."""
    client = make_app(DASHSNAP_CSRF_TRUSTED_ORIGINS="https://grafana.example:80800 *://x").test_client()
    log_in(client)
    answer = client.post("/api/dashboards/db", json={"dashboard": {"title": "t"}},
                         headers={"Origin": "null", "Sec-Fetch-Site": "same-site"})
    assert answer.status_code == 403


def test_a_cookie_session_may_send_a_data_source_its_own_body_types(client):
    """The JSON rule is for our JSON routes: a Prometheus query is form-encoded, and our origin sent it."""
    log_in(client)
    source = client.post("/api/datasources", json={"name": "p", "type": "prometheus", "access": "proxy",
                                                   "url": "http://127.0.0.1:9"}).get_json()["id"]
    answer = client.post(f"/api/datasources/proxy/{source}/api/v1/query", data={"query": "up"},
                         headers={"Origin": "http://localhost"})
    assert answer.status_code == 502  # it went on to the (absent) data source


def test_basic_auth_and_api_keys_are_not_held_to_the_origin_rule(client, make_key):
    log_in(client)  # the cookie comes along, but the credential sent decides
    foreign = {"Origin": "http://localhost:8080", "Content-Type": "text/plain"}
    body = json.dumps({"dashboard": {"title": "by curl"}})
    assert client.post("/api/dashboards/db", data=body, headers={**ADMIN, **foreign}).status_code == 200
    key = make_key("Editor")
    assert client.post("/api/dashboards/db", data=body.replace("curl", "key"),
                       headers={**bearer(key), **foreign}).status_code == 200


# --- logout ---------------------------------------------------------------------------------------------------

def test_logout_ends_only_that_session(app):
    laptop, phone = app.test_client(), app.test_client()
    log_in(laptop), log_in(phone)
    laptop.get("/logout")
    assert laptop.get("/api/user").status_code == 401
    assert phone.get("/api/user").get_json()["login"] == "admin"
    phone.post("/logout")
    assert phone.get("/api/user").status_code == 401


def test_logged_out_sessions_stay_refused_as_more_pile_up(app):
    from dashsnap.storage.accounts import MAX_REVOKED_SESSIONS

    copies = []
    for _ in range(MAX_REVOKED_SESSIONS + 1):
        client = app.test_client()
        log_in(client)
        copies.append(client.get_cookie(COOKIE).value)
        client.post("/logout")
    client = app.test_client()
    for copy in copies:
        client.set_cookie(COOKIE, copy)
        assert client.get("/api/user").status_code == 401


# --- the cookie over https ----------------------------------------------------------------------------------

def test_no_secure_cookie_behind_a_tls_proxy_is_fixed(make_app):
    """Behind a proxy that ends TLS the request says http: root_url, or [security] cookie_secure, tells."""
    for settings in ({"DASHSNAP_ROOT_URL": "https://dashsnap.example/"}, {"DASHSNAP_COOKIE_SECURE": True}):
        response = log_in(make_app(**settings).test_client())
        assert "; Secure" in response.headers["Set-Cookie"], settings
    assert "Secure" not in log_in(make_app().test_client()).headers["Set-Cookie"]
