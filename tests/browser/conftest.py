"""Real headless Chromium (Debian's /usr/bin/chromium) driven by Playwright against the app
served by a real threaded server on 127.0.0.1.

Outside CI the tests skip with the reason when Chromium or Playwright is missing; in CI they
fail instead (`.ci/run` installs Chromium).
"""

from __future__ import annotations

import json
import os
import shutil
import threading
from pathlib import Path

import pytest

from tests.conftest import IN_CI
from tests.live.conftest import serving
from tests.support import PASSWORD

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
# The flags this machine needs: no sandbox as root, and no background calls to the network.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).parent / "artifacts"
# How long a page may take to follow a change before a test gives up: a bound on waiting,
# not a measurement (bench/live_fanout.py measures the latency).
FOLLOW_BOUND_MS = 5000


def _missing() -> str | None:
    if shutil.which(CHROMIUM) is None and not Path(CHROMIUM).exists():
        return f"Chromium not found at {CHROMIUM} (apt-get install chromium chromium-driver)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (pip install -e '.[test]')"
    return None


@pytest.fixture(scope="session")
def playwright_browser():
    problem = _missing()
    if problem is not None:
        if IN_CI:
            pytest.fail(f"Browser tests are required in CI but {problem}")
        pytest.skip(problem)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        yield browser
        browser.close()


class Outage:
    """Cuts the event streams while set, as a dropped network would, and refuses new ones."""

    def __init__(self, app):
        self.app = app
        self.down = threading.Event()

    def __call__(self, environ, start_response):
        if not environ.get("PATH_INFO", "").endswith("/events"):
            return self.app(environ, start_response)
        if self.down.is_set():
            start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
            return [b"down"]
        return self._cut_when_down(self.app(environ, start_response))

    def _cut_when_down(self, body):
        try:
            for chunk in body:  # keep-alive every 0.2 s, so a cut is noticed quickly
                if self.down.is_set():
                    return
                yield chunk
        finally:
            close = getattr(body, "close", None)
            if close is not None:
                close()


@pytest.fixture
def server(app):
    """The app behind an Outage switch, served by a real threaded server."""
    outage = Outage(app)
    with serving(app, outage) as served:
        served.outage = outage
        yield served


@pytest.fixture
def open_as(playwright_browser, server):
    """open_as(username) -> a logged-in page in its own browser context (its own cookies)."""
    contexts = []

    def open_as(username: str):
        context = playwright_browser.new_context(viewport={"width": 1280, "height": 900})
        context.set_default_timeout(FOLLOW_BOUND_MS)
        contexts.append(context)
        page = context.new_page()
        page.on(
            "pageerror", lambda error: pytest.fail(f"script error on {username}'s page: {error}")
        )
        page.goto(server.url + "/login")
        page.fill("#username", username)
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(lambda url: "/login" not in url)
        return page

    yield open_as
    for context in contexts:
        context.close()


def record_timing(name: str, milliseconds: float) -> None:
    """Note how long a page took to follow, in artifacts/timings.json (read, never asserted)."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / "timings.json"
    timings = json.loads(path.read_text()) if path.exists() else {}
    timings[name] = round(milliseconds, 1)
    path.write_text(json.dumps(timings, indent=2))


def screenshot(page, name: str) -> Path:
    """Save a full-page screenshot under tests/browser/artifacts/ for a person to look at."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
