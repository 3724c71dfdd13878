"""Snapshot page loads in real headless Chromium, as ratios to the page of a tiny snapshot in the same run.

    .venv/bin/python bench/snapshot_page.py [--loads 30] [--points 300]

Serves the app with waitress on a loopback port and a temporary data dir, saves a snapshot of the biggest
fixture dashboard (node-exporter-full, ~470 KB, 111 time-series panels) with generated data in every panel, and
loads its page in Debian's Chromium (/usr/bin/chromium, driven by Playwright) again and again. Each load is a
first visit (a fresh browser context, so nothing is cached) and is timed from navigation until the page's script
has drawn every panel (body[data-rendered=true]). The baseline is the page of a snapshot with no panels, which
fetches the same script, styles and uPlot.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

from dashsnap.app import create_app
from harness import AUTH, report, serve
from playwright.sync_api import Browser, sync_playwright

sys.path.insert(0, str(Path(__file__).parent.parent / "tests"))
from snapshot_data import fixture_dashboard, panels_of, with_data  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
BASELINE = "baseline: page of a snapshot with no panels"


def create_snapshot(connection, dashboard: dict) -> tuple[str, int]:
    """Save a snapshot through the API; its key and the size of the body sent."""
    body = json.dumps({"dashboard": dashboard, "name": "bench"}).encode()
    connection.request("POST", "/api/snapshots", body=body, headers=AUTH)
    response = connection.getresponse()
    answer = json.loads(response.read())
    if response.status != 200:
        sys.exit(f"POST /api/snapshots answered {response.status}: {answer}")
    return answer["key"], len(body)


def timed_loads(browser: Browser, url: str, count: int) -> list[float]:
    """Milliseconds from navigation to body[data-rendered=true] for count first visits of url."""
    samples = []
    for _ in range(count):
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        started = time.perf_counter()
        response = page.goto(url, wait_until="commit")
        page.wait_for_selector("body[data-rendered=true]", state="attached")
        samples.append((time.perf_counter() - started) * 1000)
        context.close()
        if response.status != 200:
            sys.exit(f"GET {url} answered {response.status}")
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loads", type=int, default=30, help="timed page loads per measurement")
    parser.add_argument("--points", type=int, default=300, help="points per series in each chart")
    options = parser.parse_args()

    with tempfile.TemporaryDirectory() as data_dir:
        connection = serve(create_app({"DASHSNAP_DATA_DIR": data_dir, "DASHSNAP_CLEANUP_INTERVAL": 0}))
        base = f"http://{connection.host}:{connection.port}"
        tiny_key, _ = create_snapshot(connection, {"title": "tiny", "panels": []})
        dashboard = with_data(fixture_dashboard(), points=options.points)
        big_key, size = create_snapshot(connection, dashboard)
        charts = sum(panel.get("type") in ("graph", "timeseries") for panel in panels_of(dashboard))
        big = f"page of node-exporter-full ({size // 1024} KB, {charts} charts)"
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM)
            timed_loads(browser, f"{base}/dashboard/snapshot/{big_key}", 2)  # warm up the server and Chromium
            report({
                BASELINE: timed_loads(browser, f"{base}/dashboard/snapshot/{tiny_key}", options.loads),
                big: timed_loads(browser, f"{base}/dashboard/snapshot/{big_key}", options.loads),
            }, baseline_name=BASELINE)
            browser.close()


if __name__ == "__main__":
    main()
