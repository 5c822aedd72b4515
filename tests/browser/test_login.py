"""Logging in through the real login form in a real browser."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.browser


def test_login_shows_home_page(page, live_server):
    from playwright.sync_api import expect

    page.goto("/login")
    page.fill("input[name=phone]", live_server.phone)
    page.fill("input[name=password]", live_server.password)
    page.click("button[type=submit]")

    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.locator("h1")).to_contain_text(live_server.name)
    expect(page.locator("text=红松社区")).to_be_visible()


def test_login_wrong_password_shows_error(page, live_server):
    from playwright.sync_api import expect

    page.goto("/login")
    page.fill("input[name=phone]", live_server.phone)
    page.fill("input[name=password]", "not-the-password")
    page.click("button[type=submit]")

    expect(page.get_by_role("alert")).to_have_text("手机号或密码错误")
    expect(page).to_have_url(re.compile(r"/login$"))
    expect(page.locator("input[name=phone]")).to_have_value(live_server.phone)


def test_home_page_requires_login_then_returns(page, live_server):
    from playwright.sync_api import expect

    page.goto("/")

    expect(page).to_have_url(re.compile(r"/login\?next=(/|%2F)$"))
    page.fill("input[name=phone]", live_server.phone)
    page.fill("input[name=password]", live_server.password)
    page.click("button[type=submit]")

    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.locator("h1")).to_contain_text(live_server.name)
