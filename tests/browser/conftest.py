"""Browser fixtures: the app served on a free local port, Debian's chromium driven by Playwright.

Without /usr/bin/chromium the browser tests are skipped, unless
POINTS_REQUIRE_BROWSER=1 (as in CI), which turns the skip into a failure.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from points.db import session
from tests.conftest import get_db_from, make_test_app, migrated_database

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
PASSWORD = "browser-pass-1"
# Screenshots of the main pages, kept by CI as artifacts.
SCREENSHOTS = Path(
    os.environ.get("POINTS_SCREENSHOTS", Path(__file__).resolve().parents[2] / "build" / "screenshots")
)


# Generous waits: CI runs the suite on two cores beside the database, and a page that renders in
# 50 ms alone can take seconds there. A real failure still fails, only later.
TIMEOUT_MS = 20_000

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def open_context(browser, live_server, viewport):
    """A fresh browser (cookies of its own) of the given size, in Chinese."""
    context = browser.new_context(locale="zh-CN", base_url=live_server.url, viewport=viewport)
    context.set_default_timeout(TIMEOUT_MS)
    return context


def log_in_at(page, phone: str) -> None:
    page.goto("/login")
    page.fill("input[name=phone]", phone)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)


def open_menu(page, label: str) -> None:
    """Open a menu page as a person would: from the sidebar on a desktop, from the bottom tab bar
    on a phone, or, for what the tab bar does not hold, from the list on 我的."""
    # A page still loading after the last click has no style sheet yet: its sidebar would count
    # as visible on a phone, then hide.
    page.wait_for_load_state()
    link = page.get_by_role("link", name=label, exact=True).locator("visible=true")
    if link.count() == 0:
        # By its address: an unread count beside 我的 becomes part of the link's name.
        page.locator("nav.tabbar a[href='/me']").click()
        page.wait_for_load_state()
        link = page.locator("main").get_by_role("link", name=label, exact=True).locator("visible=true")
    link.first.click()
    # Until the page's load event its deferred script may not have run: a box ticked before
    # then changes nothing the script would count (a loaded machine showed it).
    page.wait_for_load_state()


def screenshot(page, name: str) -> Path:
    """Save the whole page as build/screenshots/<name>.png (or under POINTS_SCREENSHOTS)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def _browser_unavailable(reason: str) -> None:
    if os.environ.get("POINTS_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{reason} (POINTS_REQUIRE_BROWSER=1 requires the browser tests to run)", pytrace=False)
    pytest.skip(f"{reason}; install Debian's chromium to run the browser tests")


@dataclass
class LiveServer:
    url: str
    phone: str
    name: str
    password: str
    app: object = None
    community_id: int = 0


class WatchedBrowser:
    """The browser, noting what the pages' Content-Security-Policy blocked in any of its pages."""

    def __init__(self, browser):
        self._browser = browser
        self.blocked: list[str] = []

    def new_context(self, **options):
        context = self._browser.new_context(**options)
        context.set_default_timeout(TIMEOUT_MS)
        context.on("console", self._note)
        return context

    def _note(self, message) -> None:
        if "Content Security Policy" in message.text:
            self.blocked.append(f"{message.page.url if message.page else '?'}: {message.text}")

    def __getattr__(self, name):
        return getattr(self._browser, name)


@pytest.fixture(scope="session")
def chromium():
    if not CHROMIUM.exists():
        _browser_unavailable(f"{CHROMIUM} not found")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _browser_unavailable("the playwright package is not installed")
    from playwright.sync_api import expect

    expect.set_options(timeout=TIMEOUT_MS)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield WatchedBrowser(browser)
        finally:
            browser.close()


@pytest.fixture
def browser(chromium):
    """The browser; a test fails if a page's script, style or image was blocked by its CSP."""
    chromium.blocked.clear()
    yield chromium
    assert chromium.blocked == []


@pytest.fixture(scope="session")
def live_server(tmp_path_factory) -> Iterator[LiveServer]:
    """The app on a committed throwaway database with one resident, served in a background thread."""
    with migrated_database(tmp_path_factory.mktemp("browser"), "browser") as url:
        # The real form, CSRF token included.
        app = make_test_app(url, WTF_CSRF_ENABLED=True)
        with app.app_context():
            from points.org.operations import create_node
            from points.people.operations import create_person

            parent = None
            for level, name in [("city", "伊春市"), ("district", "伊美区"), ("street", "旭日街道")]:
                parent = create_node(
                    actor=None, parent_id=parent.id if parent else None, level=level, name=name
                )
            community = create_node(actor=None, parent_id=parent.id, level="community", name="红松社区")
            person = create_person(
                actor=None, phone="13700000001", name="王秀兰", password=PASSWORD, community_id=community.id
            )
            resident = LiveServer(
                url="",
                phone=person.phone,
                name=person.name,
                password=PASSWORD,
                app=app,
                community_id=community.id,
            )
            session().commit()

        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
        thread.start()
        try:
            resident.url = f"http://127.0.0.1:{server.server_port}"
            yield resident
        finally:
            server.shutdown()
            thread.join(10)
            get_db_from(app).engine.dispose()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(locale="zh-CN", base_url=live_server.url)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    try:
        yield page
    finally:
        context.close()
