"""The sign-in form at GET /login: HTML under the pages' Content-Security-Policy, posted form-encoded to POST /login
(which still answers Grafana's clients in JSON), going on only to paths of ours, refusing forms sent by other
sites, and the way back to a private snapshot, standalone and mounted under a prefix."""
from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import pytest
from conftest import ADMIN
from dashsnap.app import DashSnap
from flask import Flask
from flask.testing import FlaskClient
from html_page import Page

COOKIE = "grafana_session"
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
PASSWORD_TRIED = "Wr0ng-pässwörd-<&>"
HOSTILE_TARGETS = ["//evil.example", "https://evil.example", "/\\evil.example", "javascript:alert(1)",
                   "\\\\evil.example", "/\t/evil.example", "/\n/evil.example", " //evil.example", "http:evil.example",
                   "%2F%2Fevil.example", "evil.example", "/%2e%2e/elsewhere"]


@dataclass
class Site:
    client: FlaskClient
    prefix: str  # where dashsnap's routes are: "" standalone, "/grafana" in the host app

    def path(self, path: str) -> str:
        return f"{self.prefix}{path}"


@pytest.fixture(params=["", "/grafana"], ids=["standalone", "mounted"])
def site(request, make_app, tmp_path) -> Site:
    """dashsnap with private snapshots, standalone or mounted by a host app whose own templates are named as ours."""
    if not request.param:
        return Site(make_app(DASHSNAP_SNAPSHOTS_PUBLIC=False).test_client(), "")
    templates = tmp_path / "host-templates"
    templates.mkdir()
    for name in ("layout.html", "login.html"):
        (templates / name).write_text("the host's own template")
    host = Flask("host", template_folder=str(templates))
    host.config.update(DASHSNAP_CLEANUP_INTERVAL=0, DASHSNAP_SNAPSHOTS_PUBLIC=False)
    DashSnap(host, url_prefix=request.param, data_dir=tmp_path / "hosted")
    return Site(host.test_client(), request.param)


def create_snapshot(site: Site, title: str = "Members only") -> str:
    response = site.client.post(site.path("/api/snapshots"), json={"dashboard": {"title": title}}, headers=ADMIN)
    assert response.status_code == 200, response.get_json()
    return response.get_json()["key"]


def form_fields(page: Page) -> dict[str, dict]:
    return {attributes["name"]: attributes for tag, attributes in page.elements if tag == "input"}


def post_form(site: Site, user: str = "admin", password: str = "admin", headers: dict | None = None, **fields):
    return site.client.post(site.path("/login"), data={"user": user, "password": password, **fields},
                            headers=headers)


def session_cookie(site: Site):
    return site.client.get_cookie(COOKIE, path=site.path("/"))


def assert_sign_in_page(response, status: int) -> Page:
    assert response.status_code == status
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert response.headers["Content-Security-Policy"] == CSP
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    # Not no-referrer, under which browsers send the form's post with `Origin: null`, as other sites' pages can.
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["Cache-Control"] == "no-store"
    page = Page(response.get_data(as_text=True))
    assert [attributes["content"] for tag, attributes in page.elements
            if tag == "meta" and attributes.get("name") == "referrer"] == ["same-origin"]
    return page


# --- the form -----------------------------------------------------------------------------------------------

def test_the_form_posts_user_password_and_next_to_post_login(site):
    page = assert_sign_in_page(site.client.get(site.path("/login")), 200)
    [form] = [attributes for tag, attributes in page.elements if tag == "form"]
    assert (form["method"], form["action"]) == ("post", site.path("/login"))
    fields = form_fields(page)
    assert set(fields) == {"user", "password", "next"}
    assert (fields["password"]["type"], fields["next"]["type"], fields["next"]["value"]) == ("password", "hidden", "")


def test_the_form_has_no_inline_script_or_style_and_loads_only_our_files(site):
    page = assert_sign_in_page(site.client.get(site.path("/login")), 200)
    assert page.scripts == [] and "style" not in [tag for tag, _ in page.elements]
    assert not [attributes for _, attributes in page.elements
                if "style" in attributes or any(name.startswith("on") for name in attributes)]
    urls = [url for url in page.attribute_values("href") if not url.startswith("data:")]
    assert sorted(url.split("?")[0] for url in urls) == [site.path("/public/dashsnap/login.css"),
                                                        site.path("/public/dashsnap/snapshot.css")]
    for url in urls:
        response = site.client.get(url, buffered=True)
        assert response.status_code == 200 and response.headers["Content-Type"] == "text/css; charset=utf-8"


def test_the_form_keeps_a_next_of_ours(site):
    target = site.path("/dashboard/snapshot/some-key")
    page = assert_sign_in_page(site.client.get(site.path("/login"), query_string={"next": target}), 200)
    assert form_fields(page)["next"]["value"] == target


@pytest.mark.parametrize("target", HOSTILE_TARGETS)
def test_the_form_drops_a_next_that_leads_elsewhere(site, target):
    page = assert_sign_in_page(site.client.get(site.path("/login"), query_string={"next": target}), 200)
    assert form_fields(page)["next"]["value"] == ""


def test_the_form_is_documented_as_an_html_page_and_the_post_as_json_or_form(site):
    document = site.client.get(site.path("/api/openapi.json")).get_json()
    login = document["paths"][site.path("/login")]
    assert list(login["get"]["responses"]["200"]["content"]) == ["text/html"]
    assert list(login["post"]["requestBody"]["content"]) == ["application/json", "application/x-www-form-urlencoded"]


# --- signing in with the form ------------------------------------------------------------------------------

def test_a_private_snapshot_sends_the_visitor_to_the_form_and_back(site):
    key = create_snapshot(site, "Members only")
    snapshot_path = site.path(f"/dashboard/snapshot/{key}")
    redirected = site.client.get(snapshot_path)
    assert redirected.status_code == 302
    location = urlsplit(redirected.headers["Location"])
    assert (location.netloc, location.path) == ("", site.path("/login"))
    assert parse_qs(location.query) == {"next": [snapshot_path]}

    page = assert_sign_in_page(site.client.get(redirected.headers["Location"]), 200)
    next_field = form_fields(page)["next"]["value"]
    assert next_field == snapshot_path

    signed_in = post_form(site, next=next_field)
    assert signed_in.status_code == 303 and signed_in.headers["Location"] == snapshot_path
    set_cookie = signed_in.headers["Set-Cookie"]
    assert set_cookie.startswith(f"{COOKIE}=") and f"Path={site.path('/')};" in set_cookie
    assert "HttpOnly" in set_cookie and "SameSite=Lax" in set_cookie

    shown = site.client.get(snapshot_path)
    assert shown.status_code == 200
    assert Page(shown.get_data(as_text=True)).texts["dashboard-title"] == "Members only"


def test_the_forms_cookie_signs_in_the_api_too(site):
    post_form(site)
    assert session_cookie(site) is not None
    assert site.client.get(site.path("/api/user")).get_json()["login"] == "admin"


def test_a_next_of_ours_keeps_its_query(site):
    target = site.path("/dashboard/snapshot/some-key?orgId=1&from=now-6h")
    response = post_form(site, next=target)
    assert response.status_code == 303 and response.headers["Location"] == target


@pytest.mark.parametrize("target", HOSTILE_TARGETS)
def test_a_next_that_leads_elsewhere_goes_to_the_form_instead(site, target):
    response = post_form(site, next=target)
    assert response.status_code == 303 and response.headers["Location"] == site.path("/login")
    assert session_cookie(site) is not None


def test_with_no_next_the_visitor_is_told_who_is_signed_in(site):
    response = post_form(site)
    assert response.status_code == 303
    page = assert_sign_in_page(site.client.get(response.headers["Location"]), 200)
    assert page.texts["signed-in"] == "You are signed in as admin."
    # Signing out is a post of our own page, which another page of the same site cannot send in our name.
    assert [(form["method"], form["action"]) for tag, form in page.elements if tag == "form"] == [
        ("post", site.path("/logout"))]
    assert form_fields(page) == {}


def test_a_signed_in_visitor_goes_straight_on_to_next(site):
    post_form(site)
    target = site.path("/dashboard/snapshot/some-key")
    response = site.client.get(site.path("/login"), query_string={"next": target})
    assert response.status_code == 302 and response.headers["Location"] == target


def test_a_signed_in_visitor_is_not_sent_elsewhere(site):
    post_form(site)
    response = site.client.get(site.path("/login"), query_string={"next": "//evil.example"})
    assert_sign_in_page(response, 200)


@pytest.mark.parametrize("method", ["POST", "GET"])
def test_signing_out_leads_to_the_form(site, method):
    post_form(site)
    response = site.client.open(site.path("/logout"), method=method, headers={"Origin": "http://localhost"})
    assert response.status_code == 302 and session_cookie(site) is None
    page = assert_sign_in_page(site.client.get(response.headers["Location"]), 200)
    assert set(form_fields(page)) == {"user", "password", "next"}


def test_a_sign_out_posted_by_another_page_is_refused(site):
    post_form(site)
    response = site.client.post(site.path("/logout"), headers={"Origin": "http://localhost:8080"})
    assert response.status_code == 403 and response.get_json() == {"message": "origin not allowed"}
    assert site.client.get(site.path("/api/login/ping")).status_code == 200


# --- a failed sign-in ---------------------------------------------------------------------------------------

def test_a_wrong_password_shows_the_form_again_with_next_and_without_the_password(site):
    target = site.path("/dashboard/snapshot/some-key")
    response = post_form(site, password=PASSWORD_TRIED, next=target)
    page = assert_sign_in_page(response, 401)
    assert page.texts["sign-in-message"] == "Invalid username or password"
    fields = form_fields(page)
    assert (fields["user"]["value"], fields["next"]["value"]) == ("admin", target)
    assert "value" not in fields["password"]
    html = response.get_data(as_text=True)
    assert PASSWORD_TRIED not in html and "Wr0ng" not in html
    assert "Set-Cookie" not in response.headers
    assert site.client.get(site.path("/api/user")).status_code == 401


def test_an_unknown_user_reads_the_same_message(site):
    page = assert_sign_in_page(post_form(site, user="nobody", password=PASSWORD_TRIED), 401)
    assert page.texts["sign-in-message"] == "Invalid username or password"


def test_repeated_failures_make_the_form_wait(site):
    for _ in range(5):
        post_form(site, password=PASSWORD_TRIED)
    page = assert_sign_in_page(post_form(site, next=site.path("/dashboard/snapshot/k")), 429)
    assert "try again in" in page.texts["sign-in-message"]
    assert form_fields(page)["next"]["value"] == site.path("/dashboard/snapshot/k")
    assert session_cookie(site) is None


@pytest.mark.parametrize("fields", [{"user": "admin"}, {"user": "", "password": "admin"}, {"user": "a" * 191}])
def test_an_incomplete_form_is_400_and_shown_again(site, fields):
    target = site.path("/dashboard/snapshot/some-key")
    response = site.client.post(site.path("/login"), data={**fields, "next": target})
    page = assert_sign_in_page(response, 400)
    assert page.texts["sign-in-message"] == "Enter your login (or email) and your password."
    assert form_fields(page)["next"]["value"] == target


def test_a_failed_form_drops_a_next_that_leads_elsewhere(site):
    page = assert_sign_in_page(post_form(site, password=PASSWORD_TRIED, next="//evil.example"), 401)
    assert form_fields(page)["next"]["value"] == ""


# --- forms sent by other sites ------------------------------------------------------------------------------

@pytest.mark.parametrize("headers", [{"Origin": "https://evil.example"}, {"Origin": "null"},
                                     {"Origin": "http://localhost.evil.example"},
                                     {"Origin": "https://localhost"},
                                     {"Sec-Fetch-Site": "cross-site"},
                                     {"Origin": "http://localhost:3001", "Sec-Fetch-Site": "same-site"},
                                     {"Sec-Fetch-Site": "same-site"},
                                     {"Origin": "http://localhost", "Sec-Fetch-Site": "cross-site"}])
def test_a_form_sent_from_another_site_is_refused(site, headers):
    response = post_form(site, headers=headers, next=site.path("/dashboard/snapshot/k"))
    page = assert_sign_in_page(response, 403)
    assert page.texts["sign-in-message"] == "Sign-in refused: the form was sent from another site"
    assert (form_fields(page)["user"]["value"], form_fields(page)["next"]["value"]) == ("", "")
    assert "Set-Cookie" not in response.headers and session_cookie(site) is None


@pytest.mark.parametrize("headers", [{"Origin": "http://localhost"}, {"Origin": "http://localhost:80"},
                                     {"Sec-Fetch-Site": "same-origin", "Origin": "http://localhost"},
                                     {"Sec-Fetch-Site": "none"}])
def test_a_form_sent_from_our_own_pages_signs_in(site, headers):
    response = post_form(site, headers=headers)
    assert response.status_code == 303 and session_cookie(site) is not None


def test_the_origin_of_root_url_is_ours_too(make_app):
    # Behind a proxy that terminates TLS the request may say http while the browser was on root_url's https.
    client = make_app(DASHSNAP_ROOT_URL="https://dashsnap.example/").test_client()
    response = client.post("/login", data={"user": "admin", "password": "admin"},
                           headers={"Origin": "https://dashsnap.example"})
    assert response.status_code == 303


def test_json_in_a_body_another_site_could_send_is_refused_too(site):
    response = site.client.post(site.path("/login"), data='{"user": "admin", "password": "admin"}',
                                headers={"Content-Type": "text/plain", "Origin": "https://evil.example"})
    assert response.status_code == 403 and response.get_json() == {
        "message": "Sign-in refused: the form was sent from another site"}
    assert session_cookie(site) is None


# --- the JSON sign-in of Grafana's clients is unchanged -------------------------------------------------------

def test_json_sign_in_answers_json_and_sets_the_cookie(site):
    response = site.client.post(site.path("/login"), json={"user": "admin", "password": "admin"})
    assert response.status_code == 200 and response.content_type == "application/json"
    assert response.get_json() == {"message": "Logged in"}
    assert f"Path={site.path('/')};" in response.headers["Set-Cookie"]


def test_json_errors_stay_json(site):
    wrong = site.client.post(site.path("/login"), json={"user": "admin", "password": "nope"})
    assert wrong.status_code == 401 and wrong.get_json() == {"message": "Invalid username or password"}
    incomplete = site.client.post(site.path("/login"), json={"user": "admin"})
    assert incomplete.status_code == 400 and incomplete.get_json()["message"].startswith("password:")


def test_json_labelled_as_a_form_is_read_as_json(site):
    # `curl -d '{...}'` sends JSON with a form's Content-Type.
    response = site.client.post(site.path("/login"), data='{"user": "admin", "password": "admin"}',
                                content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200 and response.get_json() == {"message": "Logged in"}


def test_json_sign_in_with_a_foreign_origin_still_answers(site):
    # A browser sends application/json to another site only after a preflight, which dashsnap never allows.
    response = site.client.post(site.path("/login"), json={"user": "admin", "password": "admin"},
                                headers={"Origin": "https://elsewhere.example"})
    assert response.status_code == 200 and response.get_json() == {"message": "Logged in"}


def test_a_form_body_over_the_size_cap_is_refused(make_app):
    client = make_app(DASHSNAP_MAX_BODY_BYTES=1024).test_client()
    response = client.post("/login", data={"user": "admin", "password": "admin", "next": "/" + "a" * 2000})
    assert response.status_code == 413
    assert client.get_cookie(COOKIE) is None


def test_the_form_and_its_styles_are_served_with_snapshots_disabled(make_app):
    client = make_app(DASHSNAP_SNAPSHOTS_ENABLED=False).test_client()
    page = assert_sign_in_page(client.get("/login"), 200)
    for url in page.attribute_values("href")[1:]:
        assert client.get(url, buffered=True).status_code == 200, url
