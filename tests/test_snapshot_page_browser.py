"""The snapshot page in a real browser: Debian's Chromium, driven by Playwright, loads the page from a real waitress
server and we look at what it drew: charts with their legends, stats in their units, tables, text, the note for
panels it does not draw, that nothing in a hostile snapshot runs, and that a private snapshot's visitor signs in
through the sign-in form and comes back to it."""
from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from conftest import ADMIN, CHROMIUM, serve
from dashsnap.app import DashSnap
from flask import Flask
from playwright.sync_api import Browser, Page, sync_playwright
from snapshot_data import (
    GRAPH_SERIES,
    STARTED_MS,
    TABLE_ROWS,
    TIMESERIES_SERIES,
    datapoints_series,
    fixture_dashboard,
    panels_of,
    time_frame,
    with_data,
)

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).parent.parent / "test-artifacts"
HOSTILE_IMG = '<img src=x onerror="window.__pwned=1">'
HOSTILE_SCRIPT = "<script>window.__pwned=1</script>"
HOSTILE = HOSTILE_IMG + HOSTILE_SCRIPT
# Runs before the page's own scripts (Playwright injects it; the page's CSP does not apply to it) and records every
# Content-Security-Policy violation.
RECORD_CSP_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation",
  (event) => window.__cspViolations.push(event.violatedDirective + " " + event.blockedURI));
"""
# Panels the page draws from data that the fixture dashboard does not have: placed first, at the top of the grid.
EXTRA_PANELS = [
    {"id": 9001, "type": "graph", "title": "Load average", "gridPos": {"x": 0, "y": 0, "w": 8, "h": 8}},
    {"id": 9002, "type": "table", "title": "Hosts", "gridPos": {"x": 8, "y": 0, "w": 8, "h": 8}},
    {"id": 9003, "type": "text", "title": "Notes", "gridPos": {"x": 16, "y": 0, "w": 8, "h": 8},
     "options": {"mode": "markdown", "content": "## After the upgrade\n\nThe **disk** on db-1 was replaced."}},
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: the browser tests need Debian's chromium package "
                    "(apt-get install chromium)", pytrace=False)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM))
        yield chromium
        chromium.close()


@pytest.fixture
def server(make_app) -> Iterator[str]:
    url, stop = serve(make_app())
    yield url
    stop()


@pytest.fixture(params=["", "/grafana"], ids=["standalone", "mounted"])
def private_server(request, make_app, tmp_path) -> Iterator[str]:
    """A server whose snapshots only signed-in members may read: dashsnap alone, or mounted by a host app under
    /grafana; the url dashsnap's routes are under."""
    if request.param:
        app = Flask("host")
        app.config.update(DASHSNAP_CLEANUP_INTERVAL=0, DASHSNAP_SNAPSHOTS_PUBLIC=False)
        DashSnap(app, url_prefix=request.param, data_dir=tmp_path / "hosted")
    else:
        app = make_app(DASHSNAP_SNAPSHOTS_PUBLIC=False)
    url, stop = serve(app)
    yield url + request.param
    stop()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.add_init_script(RECORD_CSP_VIOLATIONS)
    page.console_errors = []
    page.on("console", lambda message: message.type == "error" and page.console_errors.append(message.text))
    page.on("pageerror", lambda error: page.console_errors.append(str(error)))
    yield page
    context.close()


def post_snapshot(server: str, page: Page, dashboard: dict, **fields) -> str:
    """Create a snapshot through the API (as admin); its key."""
    response = page.request.post(f"{server}/api/snapshots", headers={**ADMIN, "Content-Type": "application/json"},
                                 data=json.dumps({"dashboard": dashboard, **fields}))
    assert response.status == 200, response.text()
    key = response.json()["key"]
    response.dispose()
    return key


def open_snapshot(server: str, page: Page, key: str) -> None:
    response = page.goto(f"{server}/dashboard/snapshot/{key}")
    assert response.status == 200
    page.wait_for_selector("body[data-rendered=true]")


def node_exporter_with_data() -> dict:
    dashboard = fixture_dashboard()
    for one in dashboard["panels"]:
        one["gridPos"]["y"] += 8  # below the extra panels
    dashboard["panels"] = EXTRA_PANELS + dashboard["panels"]
    return with_data(dashboard, chart_without_data_every=4)


def panel(page: Page, title: str):
    return page.locator("section[data-testid=panel]").filter(
        has=page.locator("[data-testid=panel-title]", has_text=title))


def test_the_page_draws_every_panel_of_a_real_dashboard(server, page):
    dashboard = node_exporter_with_data()
    key = post_snapshot(server, page, dashboard, name="Node after the upgrade")
    open_snapshot(server, page, key)

    assert page.locator("[data-testid=dashboard-title]").inner_text() == dashboard["title"]
    assert page.locator("[data-testid=snapshot-name]").inner_text() == "Node after the upgrade"
    assert page.locator("[data-testid=dashboard-title]").is_visible()

    charts_with_data = [one for one in panels_of(dashboard)
                        if one["type"] in ("graph", "timeseries") and one["snapshotData"]]
    charts = page.locator("section[data-testid=panel]").filter(has=page.locator("canvas"))
    assert charts.count() == len(charts_with_data) > 50
    for panel_type, names in (("graph", GRAPH_SERIES), ("timeseries", TIMESERIES_SERIES)):
        drawn = page.locator(f"section[data-testid=panel][data-panel-type={panel_type}]").filter(
            has=page.locator("canvas"))
        assert drawn.count() == sum(one["type"] == panel_type for one in charts_with_data)
        legend = drawn.first.locator(".u-legend")
        assert [legend.get_by_text(name, exact=True).count() for name in names] == [1] * len(names)


def test_stats_show_their_value_in_their_unit(server, page):
    open_snapshot(server, page, post_snapshot(server, page, node_exporter_with_data()))
    assert panel(page, "RAM Total").locator("[data-testid=stat-value]").inner_text() == "16 GiB"
    assert panel(page, "CPU Busy").locator("[data-testid=stat-value]").inner_text() == "42.5%"
    assert panel(page, "RAM Total").locator("[data-testid=stat-value]").is_visible()


def test_tables_text_and_unsupported_panels_are_shown(server, page):
    open_snapshot(server, page, post_snapshot(server, page, node_exporter_with_data()))
    rows = panel(page, "Hosts").locator("table tbody tr")
    assert rows.count() == len(TABLE_ROWS)
    assert rows.first.inner_text().split() == ["web-1", "0.41"]
    notes = panel(page, "Notes").locator("[data-testid=text-content]")
    assert notes.locator("h2").inner_text() == "After the upgrade"
    assert notes.locator("strong").inner_text() == "disk"
    assert "The disk on db-1 was replaced." in notes.inner_text()
    unsupported = page.locator("section[data-panel-type=bargauge] [data-testid=unsupported]")
    assert unsupported.count() == 4
    assert unsupported.first.inner_text() == "panel type bargauge is not shown in snapshots"
    assert unsupported.first.is_visible()


def test_a_normal_snapshot_logs_no_errors_and_breaks_no_policy(server, page):
    ARTIFACTS.mkdir(exist_ok=True)
    open_snapshot(server, page, post_snapshot(server, page, node_exporter_with_data(), name="Node exporter"))
    page.screenshot(path=ARTIFACTS / "snapshot-page.png", full_page=True)
    assert page.evaluate("window.__cspViolations") == []
    assert page.console_errors == []


def test_hostile_titles_legends_and_text_stay_text(server, page):
    dashboard = {"title": HOSTILE, "panels": [
        {"type": "timeseries", "title": HOSTILE, "gridPos": {"x": 0, "y": 0, "w": 12, "h": 8},
         "snapshotData": [{"fields": [{"name": "Time", "type": "time", "values": [1, 2, 3]},
                                      {"name": HOSTILE, "type": "number", "values": [1, 3, 2]}]}]},
        {"type": "graph", "title": HOSTILE, "gridPos": {"x": 12, "y": 0, "w": 12, "h": 8},
         "snapshotData": [{"target": HOSTILE, "datapoints": [[1, 1], [2, 2]]}]},
        {"type": "text", "title": HOSTILE, "gridPos": {"x": 0, "y": 8, "w": 12, "h": 4},
         "options": {"mode": "markdown", "content": HOSTILE}},
        {"type": "text", "title": HOSTILE, "gridPos": {"x": 12, "y": 8, "w": 12, "h": 4},
         "options": {"mode": "html", "content": HOSTILE + "<b>bold</b>"}},
    ]}
    open_snapshot(server, page, post_snapshot(server, page, dashboard, name=HOSTILE))

    assert page.evaluate("window.__pwned") is None
    assert page.evaluate("window.__cspViolations") == []
    assert page.locator("body img, main script").count() == 0
    assert page.locator("[data-testid=dashboard-title]").inner_text() == HOSTILE
    assert page.locator("[data-testid=snapshot-name]").inner_text() == HOSTILE
    assert page.locator("[data-testid=panel-title]").all_inner_texts() == [HOSTILE] * 4
    assert page.locator(".u-legend").get_by_text(HOSTILE, exact=True).count() == 2
    markdown, html = page.locator("[data-testid=text-content]").all()
    assert markdown.inner_text() == HOSTILE
    assert html.inner_text() == "bold"  # an HTML text panel shows its text; its script is dropped, never run


# An HTML text panel's markup and the text the page shows for it: tags dropped, with what scripts, styles and
# comments hold; a line for <br> and each block; character references decoded; a ">" inside a quoted attribute.
HTML_TEXT = ('<h3 class="x">Release &amp; rollback</h3><p>Load &lt; 70&#37; &#x2713; &copy;&nbsp;ops &bogus;</p>'
             '<a title="1 > 0" onclick="window.__pwned=1">Runbook</a><br><style>p {}</style><!-- <b>old</b> -->'
             '<SCRIPT type=module>window.__pwned=1</SCRIPT >1 < 2<noscript><img src=x onerror=alert(1)></noscript>')
HTML_TEXT_SHOWN = "Release & rollback\nLoad < 70% \u2713 \u00a9\u00a0ops &bogus;\nRunbook\n1 < 2"


def test_an_html_text_panel_shows_its_text_without_the_browser_parsing_its_markup(server, page):
    dashboard = {"title": "Notes", "panels": [
        {"type": "text", "title": "Ops", "gridPos": {"x": 0, "y": 0, "w": 24, "h": 6},
         "options": {"mode": "html", "content": HTML_TEXT}}]}
    open_snapshot(server, page, post_snapshot(server, page, dashboard))
    shown = page.locator("[data-testid=text-content]")
    assert shown.evaluate("box => box.textContent") == HTML_TEXT_SHOWN
    assert shown.evaluate("box => box.childElementCount") == 0
    assert page.evaluate("window.__pwned") is None
    assert page.evaluate("window.__cspViolations") == [] and page.console_errors == []


def test_an_unknown_key_shows_the_not_found_page(server, page):
    response = page.goto(f"{server}/dashboard/snapshot/no-such-key")
    assert response.status == 404
    assert page.locator("h1[data-testid=not-found]").inner_text() == "Snapshot not found"


def sign_in_with_the_form(page: Page, password: str) -> None:
    page.fill("input[name=user]", "admin")
    page.fill("input[name=password]", password)
    with page.expect_navigation():
        page.click("button[type=submit]")


def test_a_private_snapshot_takes_the_visitor_through_the_sign_in_form_and_back(private_server, page):
    key = post_snapshot(private_server, page, {"title": "Members only", "panels": EXTRA_PANELS[2:]})
    snapshot_url = f"{private_server}/dashboard/snapshot/{key}"
    sign_in_path = urlsplit(f"{private_server}/login").path

    response = page.goto(snapshot_url)
    assert response.status == 200 and urlsplit(page.url).path == sign_in_path
    assert page.locator("h1").inner_text() == "Sign in"
    assert page.locator("input[name=next]").input_value() == urlsplit(snapshot_url).path
    assert page.evaluate("window.__cspViolations") == []

    sign_in_with_the_form(page, "not-the-password")
    assert urlsplit(page.url).path == sign_in_path
    assert page.locator("[data-testid=sign-in-message]").inner_text() == "Invalid username or password"
    assert page.locator("input[name=password]").input_value() == ""
    assert page.evaluate("window.__cspViolations") == []
    # Chromium itself logs the refused sign-in's status (401); nothing else may be logged on the way.
    assert [error.split(" (")[0] for error in page.console_errors] == [
        "Failed to load resource: the server responded with a status of 401"]
    page.console_errors.clear()

    sign_in_with_the_form(page, "admin")
    page.wait_for_selector("body[data-rendered=true]")
    assert page.url == snapshot_url
    assert page.locator("[data-testid=dashboard-title]").inner_text() == "Members only"
    assert page.locator("[data-testid=text-content] strong").inner_text() == "disk"
    assert page.evaluate("window.__cspViolations") == []
    assert page.console_errors == []

    # Signing out is the sign-in page's button: a post Chromium sends with our own Origin, which passes.
    page.goto(f"{private_server}/login")
    assert page.locator("[data-testid=signed-in]").inner_text() == "You are signed in as admin."
    with page.expect_navigation():
        page.click("[data-testid=sign-out-form] button")
    assert urlsplit(page.url).path == sign_in_path and page.locator("h1").inner_text() == "Sign in"
    assert [cookie["name"] for cookie in page.context.cookies()] == []
    api_read = page.request.get(f"{private_server}/api/snapshots/{key}")
    assert api_read.status == 401  # the browser may keep its private copy of the page; the server says no more
    api_read.dispose()
    assert page.evaluate("window.__cspViolations") == [] and page.console_errors == []


def test_a_signed_in_viewer_sees_the_page_in_their_theme_and_time_zone(server, page):
    moment = 1_700_000_000_000  # 2023-11-14 22:13:20 UTC, 2023-11-15 07:13:20 in Tokyo
    table = {"id": 1, "type": "table", "title": "Events", "gridPos": {"x": 0, "y": 0, "w": 12, "h": 8},
             "snapshotData": [{"fields": [{"name": "at", "type": "time", "values": [moment]}]}]}
    key = post_snapshot(server, page, {"title": "Zoned", "panels": [table]})
    put = page.request.put(f"{server}/api/user/preferences", headers={**ADMIN, "Content-Type": "application/json"},
                           data=json.dumps({"theme": "dark", "timezone": "Asia/Tokyo"}))
    assert put.status == 200, put.text()

    page.emulate_media(color_scheme="light")
    open_snapshot(server, page, key)  # a visitor: the browser's light scheme
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(244, 245, 245)"
    page.context.set_extra_http_headers(ADMIN)
    open_snapshot(server, page, key)
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(17, 18, 23)"
    assert panel(page, "Events").locator("table tbody tr").first.inner_text() == "2023-11-15 07:13:20"
    assert page.console_errors == []


MINUTE_MS = 60_000


def annotated_dashboard() -> dict:
    """Two charts of 120 minutes from STARTED_MS, and annotation queries as Grafana keeps them in a snapshot: the
    built-in one (a deploy made on panel 1, an incident region of the whole dashboard, an event long before the
    data), a tag query whose event names panel 2 (it shows everywhere: only the dashboard's own annotations keep to
    their panel), a query filtered to panel 2, and a disabled one."""
    at = lambda minutes: STARTED_MS + minutes * MINUTE_MS  # noqa: E731
    return {"title": "Annotated", "annotations": {"list": [
        {"builtIn": 1, "type": "dashboard", "enable": True, "hide": True, "iconColor": "rgba(0, 211, 255, 1)",
         "name": "Annotations & Alerts", "snapshotData": [
             {"time": at(30), "timeEnd": at(30), "text": "Deploy 1.2", "tags": ["deploy"], "panelId": 1},
             {"time": at(60), "timeEnd": at(90), "text": "<b>Incident</b> " + HOSTILE, "panelId": 0,
              "color": "#F2495C"},
             {"time": at(-24 * 60), "text": "Long before", "panelId": 0}]},
        {"name": "Releases", "enable": True, "iconColor": "orange", "type": "tags",
         "snapshotData": [{"time": at(100), "text": "Release", "panelId": 2}]},
        {"name": "Panel 2 only", "enable": True, "iconColor": "purple", "filter": {"exclude": False, "ids": [2]},
         "snapshotData": [{"time": at(110), "text": "Scaled out"}]},
        {"name": "Off", "enable": False, "snapshotData": [{"time": at(50), "text": "Hidden"}]},
    ]}, "panels": [
        {"id": 1, "type": "timeseries", "title": "CPU", "gridPos": {"x": 0, "y": 0, "w": 12, "h": 8},
         "snapshotData": time_frame(1, 120)},
        {"id": 2, "type": "graph", "title": "Load", "gridPos": {"x": 12, "y": 0, "w": 12, "h": 8},
         "snapshotData": datapoints_series(2, 120)},
    ]}


def markers(page: Page, title: str) -> list[tuple[str, float, float]]:
    """The visible annotation markers of a chart: (text, where it starts, how wide it is, as fractions of the
    plot's width)."""
    return panel(page, title).locator(".u-over").evaluate("""over => [...over.querySelectorAll(
        "[data-testid=annotation]:not([hidden])")].map(marker => {
          const plot = over.getBoundingClientRect(), box = marker.getBoundingClientRect();
          return [marker.title, (box.left + 4 - plot.left) / plot.width, (box.width - 8) / plot.width];
        })""")


def test_annotations_are_drawn_on_the_charts_they_belong_to(server, page):
    open_snapshot(server, page, post_snapshot(server, page, annotated_dashboard()))
    span = 119  # minutes from the first point to the last
    incident = "Incident"  # its text is HTML, as in Grafana: the markup goes, and nothing in it runs

    cpu, load = markers(page, "CPU"), markers(page, "Load")
    assert [text for text, _, _ in cpu] == ["Deploy 1.2\ndeploy", incident, "Release"]
    assert [text for text, _, _ in load] == [incident, "Release", "Scaled out"]
    for (_, start, width), (minute, minutes) in zip(cpu, [(30, 0), (60, 30), (100, 0)]):
        assert start == pytest.approx(minute / span, abs=0.01) and width == pytest.approx(minutes / span, abs=0.01)
    hidden = panel(page, "CPU").locator("[data-testid=annotation][hidden]")
    assert hidden.count() == 1 and hidden.get_attribute("title") == "Long before"
    assert page.get_by_title("Hidden").count() == 0

    # The incident's band is shaded in its colour on the canvas, the plot beside it is not.
    shade = panel(page, "CPU").locator("canvas").evaluate("""canvas => {
        const over = canvas.parentElement.querySelector(".u-over"), ratio = devicePixelRatio;
        const left = over.offsetLeft * ratio, top = (over.offsetTop + over.clientHeight * 0.02) * ratio;
        const pixel = (fraction) => [...canvas.getContext("2d").getImageData(
            left + over.clientWidth * fraction * ratio, top, 1, 1).data];
        return [pixel(75 / 119), pixel(45 / 119)];
      }""")
    inside, outside = shade
    assert inside[0] > inside[1] + 20 and inside[3] > 0  # red shows through: #F2495C at 15 %
    assert outside[3] == 0 or abs(outside[0] - outside[1]) < 20
    assert page.evaluate("window.__pwned") is None
    assert page.evaluate("window.__cspViolations") == [] and page.console_errors == []
