"""The snapshot page at /dashboard/snapshot/<key>: HTML that carries the snapshot as inert JSON, escapes everything
in it, runs only our own files under a strict Content-Security-Policy, and follows the API's rules for unknown,
expired and private snapshots."""
from __future__ import annotations

import hashlib
import json
import re
import time
from pathlib import Path

import pytest
from conftest import ADMIN, basic
from dashsnap.app import DashSnap
from flask import Flask
from html_page import Page

FIXTURES = Path(__file__).parent / "fixtures" / "dashboards"
STATIC = Path(__file__).parent.parent / "static"
HOSTILE = "<img src=x onerror=alert(1)>"
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
ASSETS = ("snapshot.js", "snapshot.css", "vendor/uplot/uPlot.iife.min.js", "vendor/uplot/uPlot.min.css")


def create(client, dashboard: dict, headers=ADMIN, prefix: str = "", **fields) -> str:
    response = client.post(f"{prefix}/api/snapshots", json={"dashboard": dashboard, **fields}, headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()["key"]


def page_of(client, key: str, prefix: str = "", **kwargs):
    return client.get(f"{prefix}/dashboard/snapshot/{key}", **kwargs)


def fetch(client, url: str):
    """A static file, read whole (which closes the file behind it)."""
    return client.get(url, buffered=True)


def snapshot_data(page: Page) -> dict:
    [text] = [text for attributes, text in page.scripts if attributes.get("id") == "snapshot-data"]
    return json.loads(text)


# --- the page -----------------------------------------------------------------------------------------------

def test_page_shows_the_title_name_times_and_time_range(client):
    dashboard = {"title": "Production", "time": {"from": "2026-11-23T12:00:00.000Z", "to": "2026-11-23T13:30:00Z"}}
    key = create(client, dashboard, name="Before the release", expires=3600)
    response = page_of(client, key)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    page = Page(response.get_data(as_text=True))
    assert page.texts["dashboard-title"] == "Production"
    assert page.texts["snapshot-name"] == "Before the release"
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC", page.texts["created"])
    assert page.texts["expires"] > page.texts["created"]
    assert page.texts["time-range"] == "2026-11-23 12:00:00 UTC to 2026-11-23 13:30:00 UTC"


def test_a_relative_time_range_is_shown_as_written_and_a_lasting_snapshot_never_expires(client):
    key = create(client, {"title": "Live", "time": {"from": "now-6h", "to": "now"}})
    page = Page(page_of(client, key).get_data(as_text=True))
    assert page.texts["time-range"] == "now-6h to now"
    assert page.texts["expires"] == "never"


def test_the_page_carries_the_whole_dashboard_as_json(client):
    dashboard = json.loads((FIXTURES / "node-exporter-full.json").read_text())
    key = create(client, dashboard)
    page = Page(page_of(client, key).get_data(as_text=True))
    assert snapshot_data(page) == {"dashboard": dashboard}


def test_each_snapshot_gets_its_own_page_though_pages_share_their_rendered_frame(client):
    # The page around the snapshot's bytes is rendered once per title, name and times, and reused; a title
    # holding the mark where the bytes go cannot move them.
    mark = "<\x00content\x00>"
    first = create(client, {"title": f"One {mark}", "panels": [{"id": 1, "title": "a"}]}, name=mark)
    second = create(client, {"title": f"One {mark}", "panels": [{"id": 2, "title": "b"}]}, name=mark)
    for _ in range(2):
        for key, panel_id in ((first, 1), (second, 2)):
            page = Page(page_of(client, key).get_data(as_text=True))
            assert (page.texts["dashboard-title"], page.texts["snapshot-name"]) == (f"One {mark}", mark)
            assert snapshot_data(page)["dashboard"]["panels"][0]["id"] == panel_id


def test_a_hostile_title_and_name_appear_only_escaped(client):
    key = create(client, {"title": HOSTILE, "panels": [{"type": "text", "title": HOSTILE, "content": HOSTILE}]},
                 name=HOSTILE)
    html = page_of(client, key).get_data(as_text=True)
    assert HOSTILE not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    page = Page(html)
    assert "img" not in [tag for tag, _ in page.elements]
    assert page.texts["dashboard-title"] == HOSTILE and page.texts["snapshot-name"] == HOSTILE


@pytest.mark.parametrize("hostile", ["</script><script>alert(1)</script>", "</SCRIPT >", "<!--<script>",
                                     "a\u2028b\u2029c", "&lt;/script&gt;"])
def test_data_in_the_json_block_cannot_end_it(client, hostile):
    dashboard = {"title": "t", "panels": [{"type": "graph", "title": hostile,
                                           "snapshotData": [{"target": hostile, "datapoints": [[1, 2]]}]}]}
    key = create(client, dashboard)
    html = page_of(client, key).get_data(as_text=True)
    page = Page(html)
    assert [attributes.get("type") or attributes["src"].split("?")[0].rsplit("/", 1)[1]
            for attributes, _ in page.scripts] == ["uPlot.iife.min.js", "snapshot.js", "application/json"]
    assert snapshot_data(page) == {"dashboard": dashboard}
    block = html[html.index('id="snapshot-data">'):]
    assert not re.search(r"[<>&\u2028\u2029]", block[len('id="snapshot-data">'):block.index("</script>")])


def test_the_page_has_no_inline_script_or_style(client):
    key = create(client, {"title": "t", "panels": [{"type": "text", "title": "x", "content": "hi"}]})
    page = Page(page_of(client, key).get_data(as_text=True))
    assert all(attributes.get("src") or attributes.get("type") == "application/json"
               for attributes, _ in page.scripts)
    assert "style" not in [tag for tag, _ in page.elements]
    assert not [attributes for _, attributes in page.elements
                if "style" in attributes or any(name.startswith("on") for name in attributes)]


def test_the_page_script_never_hands_snapshot_content_to_an_html_parser():
    """Everything in a snapshot is untrusted: the script writes text and attributes only. An HTML parser, even an
    inert one (DOMParser, <template>), makes Chromium check each event-handler attribute against the CSP."""
    script = (STATIC / "snapshot.js").read_text()
    parsers = ("innerHTML", "outerHTML", "insertAdjacentHTML", "DOMParser", "createContextualFragment",
               "document.write", "HTMLUnsafe", "srcdoc", "createHTMLDocument", 'createElement("template"')
    assert [parser for parser in parsers if parser in script] == []


def test_the_page_is_sent_with_a_strict_content_security_policy(client):
    key = create(client, {"title": "t"})
    headers = page_of(client, key).headers
    assert headers["Content-Security-Policy"] == CSP
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "no-referrer"


def test_the_page_loads_only_our_own_files(client):
    key = create(client, {"title": "t"})
    page = Page(page_of(client, key).get_data(as_text=True))
    urls = page.attribute_values("src") + page.attribute_values("href")
    assert sorted(url.split("?")[0] for url in urls if not url.startswith("data:")) == sorted(
        f"/public/dashsnap/{asset}" for asset in ASSETS)
    for url in urls:
        if not url.startswith("data:"):
            assert fetch(client, url).status_code == 200, url


def test_the_page_is_cached_as_the_api_read_is(client):
    key = create(client, {"title": "t"}, expires=120)
    cache_control = page_of(client, key).headers["Cache-Control"]
    assert re.fullmatch(r"public, max-age=\d+", cache_control)
    assert 0 < int(cache_control.rsplit("=", 1)[1]) <= 120
    assert page_of(client, create(client, {"title": "t"})).headers["Cache-Control"] == "public, max-age=3600"


def test_a_viewers_preferences_set_the_theme_and_zone_and_keep_the_page_out_of_shared_caches(client):
    key = create(client, {"title": "t"})
    visitor = page_of(client, key)
    assert '<html lang="en">' in visitor.get_data(as_text=True) and visitor.headers["Vary"] == "Authorization, Cookie"
    client.put("/api/org/preferences", json={"theme": "light", "timezone": "Europe/Paris"}, headers=ADMIN)
    client.put("/api/user/preferences", json={"theme": "dark"}, headers=ADMIN)

    signed_in = page_of(client, key, headers=ADMIN)
    html = signed_in.get_data(as_text=True)
    assert '<html lang="en" data-theme="dark">' in html  # the user's theme, the org's zone
    assert 'data-preferred-timezone="Europe/Paris"' in html
    assert signed_in.headers["Cache-Control"] == "private, max-age=3600"
    assert page_of(client, key).headers["Cache-Control"] == "public, max-age=3600"


def test_wrong_methods_on_the_page_answer_json_405(client):
    key = create(client, {"title": "t"})
    for method in ("POST", "PUT", "DELETE"):
        response = client.open(f"/dashboard/snapshot/{key}", method=method)
        assert response.status_code == 405 and response.get_json() == {"message": "Method Not Allowed"}
    assert client.post("/public/dashsnap/snapshot.js").get_json() == {"message": "Method Not Allowed"}


def test_the_openapi_document_lists_the_page_as_html(client):
    document = client.get("/api/openapi.json").get_json()
    operation = document["paths"]["/dashboard/snapshot/{key}"]["get"]
    assert list(operation["responses"]["200"]["content"]) == ["text/html"]
    assert not any(path.startswith("/public/") for path in document["paths"])


# --- unknown, expired, private ------------------------------------------------------------------------------

def assert_not_found_page(response, says: str):
    assert response.status_code == 404
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Content-Security-Policy"] == CSP
    page = Page(response.get_data(as_text=True))
    assert page.texts["not-found"] == "Snapshot not found"
    assert says in response.get_data(as_text=True)


@pytest.mark.parametrize("key", ["unknown-key-here", "..", ".secret_key", "a" * 200])
def test_an_unknown_key_is_a_404_page(client, key):
    assert_not_found_page(page_of(client, key), "no snapshot at this address")


def test_an_expired_snapshot_is_a_404_page(client):
    key = create(client, {"title": "t"}, expires=1)
    time.sleep(1.1)
    assert_not_found_page(page_of(client, key), "This snapshot has expired.")


def test_the_api_still_answers_json_for_unknown_keys(client):
    response = client.get("/api/snapshots/unknown-key-here")
    assert response.status_code == 404 and response.get_json() == {"message": "Snapshot not found"}


@pytest.fixture
def private_client(make_app):
    return make_app(DASHSNAP_SNAPSHOTS_PUBLIC=False).test_client()


def test_private_snapshots_send_anonymous_visitors_to_sign_in(private_client):
    key = create(private_client, {"title": "t"})
    response = page_of(private_client, key)
    assert response.status_code == 302
    assert response.headers["Location"] == f"/login?next=%2Fdashboard%2Fsnapshot%2F{key}"
    assert response.headers["Referrer-Policy"] == "no-referrer"


def test_private_snapshots_send_wrong_credentials_to_sign_in(private_client):
    key = create(private_client, {"title": "t"})
    response = page_of(private_client, key, headers=basic("admin", "wrong"))
    assert response.status_code == 302
    assert response.headers["Location"] == f"/login?next=%2Fdashboard%2Fsnapshot%2F{key}"


def test_private_snapshots_are_a_404_page_for_other_orgs(private_client, make_user):
    key = create(private_client, {"title": "t"})
    assert_not_found_page(page_of(private_client, key, headers=make_user("stranger", "Admin", org_id=2)),
                          "no snapshot at this address")


def test_private_snapshots_show_to_members_signed_in_with_the_session_cookie(private_client, make_user):
    key = create(private_client, {"title": "Members only"})
    make_user("member", "Viewer", org_id=1)
    assert private_client.post("/login", json={"user": "member", "password": "secret"}).status_code == 200
    response = page_of(private_client, key)
    assert response.status_code == 200
    assert response.headers["Cache-Control"].startswith("private, max-age=")
    assert Page(response.get_data(as_text=True)).texts["dashboard-title"] == "Members only"


def test_with_snapshots_disabled_the_page_says_so(make_app):
    client = make_app().test_client()
    key = create(client, {"title": "t"})
    disabled = make_app(DASHSNAP_SNAPSHOTS_ENABLED=False).test_client()
    response = page_of(disabled, key)
    assert response.status_code == 403 and response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert "Dashboard Snapshots are disabled" in response.get_data(as_text=True)


# --- static files -------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("asset", "content_type"), [
    ("snapshot.js", "text/javascript; charset=utf-8"),
    ("vendor/uplot/uPlot.iife.min.js", "text/javascript; charset=utf-8"),
    ("snapshot.css", "text/css; charset=utf-8"),
    ("vendor/uplot/uPlot.min.css", "text/css; charset=utf-8"),
])
def test_static_files_are_served_with_their_type(client, asset, content_type):
    response = fetch(client, f"/public/dashsnap/{asset}")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == content_type
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_asset_urls_carry_their_content_version_and_are_cached_for_a_year(client):
    key = create(client, {"title": "t"})
    page = Page(page_of(client, key).get_data(as_text=True))
    [url] = [url for url in page.attribute_values("src") if "/snapshot.js" in url]
    response = fetch(client, url)
    assert url.endswith("?v=" + hashlib.sha256(response.get_data()).hexdigest()[:16])
    assert response.headers["Cache-Control"] == "public, max-age=31536000"
    assert fetch(client, "/public/dashsnap/snapshot.js").headers["Cache-Control"] == "public, max-age=300"


def test_a_missing_static_file_is_404(client):
    assert client.get("/public/dashsnap/nothing-here.js").status_code == 404
    assert client.get("/public/dashsnap/..%2fapp.py").status_code == 404


# --- mounted in a host app ----------------------------------------------------------------------------------

@pytest.fixture
def host(tmp_path) -> Flask:
    """A host app with templates of its own named as ours, mounting dashsnap under /grafana."""
    templates = tmp_path / "host-templates"
    templates.mkdir()
    for name in ("layout.html", "snapshot.html", "snapshot_not_found.html"):
        (templates / name).write_text("the host's own template")
    host = Flask("host", template_folder=str(templates))
    host.config["DASHSNAP_CLEANUP_INTERVAL"] = 0
    DashSnap(host, url_prefix="/grafana", data_dir=tmp_path / "data")
    return host


def test_mounted_the_page_and_its_files_are_under_the_prefix(host):
    client = host.test_client()
    key = create(client, {"title": "Hosted"}, prefix="/grafana")
    response = page_of(client, key, prefix="/grafana")
    assert response.status_code == 200
    page = Page(response.get_data(as_text=True))
    assert page.texts["dashboard-title"] == "Hosted"
    urls = [url for url in page.attribute_values("src") + page.attribute_values("href") if not url.startswith("data:")]
    assert len(urls) == len(ASSETS) and all(url.startswith("/grafana/public/dashsnap/") for url in urls)
    assert all(fetch(client, url).status_code == 200 for url in urls)
    assert_not_found_page(page_of(client, "unknown-key-here", prefix="/grafana"), "no snapshot at this address")


def test_mounted_private_snapshots_send_visitors_to_sign_in_under_the_prefix(tmp_path):
    host = Flask("host")
    host.config.update(DASHSNAP_CLEANUP_INTERVAL=0, DASHSNAP_SNAPSHOTS_PUBLIC=False)
    DashSnap(host, url_prefix="/grafana", data_dir=tmp_path / "data")
    client = host.test_client()
    key = create(client, {"title": "t"}, prefix="/grafana")
    response = page_of(client, key, prefix="/grafana")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/grafana/login?next=%2Fgrafana%2Fdashboard%2Fsnapshot%2F{key}"
