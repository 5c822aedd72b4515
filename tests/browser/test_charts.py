"""The points chart on a narrow phone: no horizontal scroll, and its numbers open as a table."""

from __future__ import annotations

from tests.browser.conftest import log_in_at, open_context, screenshot

NARROW = {"width": 320, "height": 700}


def test_my_points_chart_fits_a_narrow_phone_and_shows_its_numbers(browser, live_server):
    from playwright.sync_api import expect

    context = open_context(browser, live_server, NARROW)
    page = context.new_page()
    log_in_at(page, live_server.phone)
    page.goto("/points")
    chart = page.locator("#my-months")
    expect(chart.locator("svg[role=img]")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    expect(chart.locator("table")).to_be_hidden()
    chart.locator("summary").click()
    expect(chart.locator("table tbody tr")).to_have_count(12)
    box = chart.locator("summary").bounding_box()
    assert box["height"] >= 44
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    screenshot(page, "points-chart-320")
    context.close()
