"""The API docs page in a real browser: Swagger UI draws every endpoint under the site's
Content-Security-Policy (no inline script), from assets the service serves itself."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


def test_docs_page_draws_the_endpoints(page, live_server):
    from playwright.sync_api import expect

    outside = []
    page.on(
        "request",
        lambda request: None if request.url.startswith(live_server.url) else outside.append(request.url),
    )

    page.goto("/api/v1/docs")

    expect(page.locator(".opblock-summary-path", has_text="/api/v1/scan")).to_be_visible()
    page.locator(".opblock-summary", has_text="/api/v1/health").first.click()
    expect(page.get_by_role("button", name="Try it out")).to_be_visible()
    assert outside == []
