"""A staff member approves and rejects awards in a real browser, and the resident sees the result."""

from __future__ import annotations

import pytest

from points.db import session
from tests.browser.conftest import log_in_at, open_menu
from tests.browser.seed import staff_at
from tests.builders import pending_award

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def awards(live_server):
    """Two staff members of the resident's community and two awards the first asked for."""
    from points.auth.current import actor_for
    from points.people.queries import find_person_by_phone

    with live_server.app.app_context():
        staff = staff_at(live_server.community_id, ("13700000011", "张丽华"), ("13700000012", "杨晓燕"))
        resident = find_person_by_phone(live_server.phone)
        rows = [
            pending_award(
                actor_for(staff[0]),
                live_server.community_id,
                resident.id,
                amount,
                f"browser:{memo}",
                memo=memo,
            )
            for amount, memo in ((8, "冬季扫雪"), (5, "楼道清理"))
        ]
        session().commit()
        return staff, rows


def test_second_staff_member_approves_and_rejects(browser, live_server, awards):
    from playwright.sync_api import expect

    staff, _ = awards
    # Whoever asked for the awards sees them, but may not approve them.
    requester = browser.new_context(locale="zh-CN", base_url=live_server.url)
    page = requester.new_page()
    log_in_at(page, staff[0].phone)
    page.goto("/approvals")
    expect(page.locator("span.tag", has_text="需他人审批")).to_have_count(2)
    expect(page.get_by_role("button", name="通过", exact=True)).to_have_count(0)
    requester.close()

    checker = browser.new_context(
        locale="zh-CN", base_url=live_server.url, viewport={"width": 420, "height": 900}
    )
    page = checker.new_page()
    log_in_at(page, staff[1].phone)
    open_menu(page, "积分审批")
    expect(page.locator("h1")).to_contain_text("共 2 笔待审批")
    page.locator("tr", has_text="冬季扫雪").get_by_role("button", name="通过", exact=True).click()
    expect(page.locator(".flash")).to_have_text("已审批通过")
    row = page.locator("tr", has_text="楼道清理")
    row.locator("input[name=reason]").fill("当天未到场")
    row.get_by_role("button", name="驳回").click()
    expect(page.locator(".flash")).to_have_text("已驳回")
    expect(page.locator("text=没有待审批的积分")).to_be_visible()
    checker.close()

    resident = browser.new_context(locale="zh-CN", base_url=live_server.url)
    page = resident.new_page()
    log_in_at(page, live_server.phone)
    open_menu(page, "我的积分")
    expect(page.locator(".balances")).to_contain_text("8")
    expect(page.locator("td", has_text="冬季扫雪")).to_be_visible()
    expect(page.locator("td", has_text="当天未到场")).to_contain_text("已驳回")
    resident.close()
