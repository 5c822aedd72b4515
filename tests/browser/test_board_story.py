"""The board in a real browser: staff post a task, a resident on a phone claims it and reports
the work, staff verify it, a second staff member bulk-approves, the resident sees the points.

Each main page is saved as a screenshot (phone-sized for residents, desktop for staff) under
the screenshot folder the README names.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from points.db import LOCAL_TZ, session, utcnow
from tests.browser.conftest import DESKTOP, PHONE, log_in_at, open_context, open_menu, screenshot
from tests.browser.seed import person_at, staff_at

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def staff(live_server):
    """Two staff members of the community (one verifies, the other approves) and, last, a
    resident of its own, whose balance no other browser test touches."""

    with live_server.app.app_context():
        made = staff_at(live_server.community_id, ("13700000021", "刘晓东"), ("13700000022", "陈美玲"))
        made.append(person_at(live_server.community_id, "13700000023", "孙玉梅"))
        session().commit()
        return made


def _local(delta: timedelta) -> str:
    return (utcnow() + delta).astimezone(LOCAL_TZ).strftime("%Y-%m-%dT%H:%M")


def test_post_claim_verify_approve_and_see_points(browser, live_server, staff):
    from playwright.sync_api import expect

    # Staff post a task from the dashboard.
    desk = open_context(browser, live_server, DESKTOP)
    page = desk.new_page()
    log_in_at(page, staff[0].phone)
    open_menu(page, "工作台")
    expect(page.locator("h1")).to_have_text("工作台")
    screenshot(page, "staff-dashboard")
    page.get_by_role("link", name="发布任务").click()
    page.fill("input[name=title]", "楼道清扫")
    page.fill("textarea[name=description]", "3号楼一至六层")
    page.select_option("select[name=category]", "环境整治")
    page.fill("input[name=starts_at]", _local(timedelta(hours=-1)))
    page.fill("input[name=ends_at]", _local(timedelta(hours=3)))
    page.fill("input[name=claim_deadline]", _local(timedelta(hours=2)))
    page.fill("input[name=slots]", "3")
    page.select_option("select[name=eligibility]", "anyone")
    page.fill("input[name=reward_xingan]", "5")
    screenshot(page, "staff-new-task")
    page.get_by_role("button", name="张榜", exact=True).click()
    expect(page.locator(".flash")).to_have_text("任务已张榜")
    screenshot(page, "staff-task")

    # The resident, on a phone, finds it first on the board and claims it.
    phone = open_context(browser, live_server, PHONE)
    mobile = phone.new_page()
    log_in_at(mobile, staff[2].phone)
    open_menu(mobile, "任务榜")
    card = mobile.locator("article.task").first
    expect(card).to_contain_text("楼道清扫")
    expect(card).to_contain_text("可揭榜")
    screenshot(mobile, "resident-board")
    card.get_by_role("link", name="楼道清扫").click()
    screenshot(mobile, "resident-task")
    mobile.get_by_role("button", name="我要揭榜").click()
    expect(mobile.locator(".flash")).to_contain_text("揭榜成功")

    # Reports the work with a note.
    open_menu(mobile, "我的揭榜")
    mobile.fill("textarea[name=note]", "清扫了六层楼道")
    mobile.get_by_role("button", name="提交验收").click()
    expect(mobile.locator(".flash")).to_have_text("已提交，等待验收")
    screenshot(mobile, "resident-my-claims")

    # Staff verify it; the award waits for someone else's approval.
    open_menu(page, "验收")
    item = page.locator("section.claim", has_text="楼道清扫")
    expect(item).to_contain_text("清扫了六层楼道")
    screenshot(page, "staff-verification-queue")
    item.get_by_role("button", name="验收通过").click()
    expect(page.locator(".flash")).to_have_text("已验收")
    page.goto("/approvals")
    expect(page.locator("span.tag", has_text="需他人审批")).to_have_count(1)
    desk.close()

    # The second staff member bulk-approves every award waiting.
    checker = open_context(browser, live_server, DESKTOP)
    page = checker.new_page()
    log_in_at(page, staff[1].phone)
    open_menu(page, "积分审批")
    page.get_by_label("全选可审批的积分").check()
    expect(page.locator("[data-bulk-summary]")).to_contain_text("已选 1 笔，共 5 分")
    screenshot(page, "staff-approvals")
    asked = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))
    page.get_by_role("button", name="批量通过").click()
    expect(page.locator(".flash")).to_contain_text("已批量审批")
    assert asked == ["确定通过所选的 1 笔、共 5 分？"]
    checker.close()

    # The resident sees the points and the claim's award as booked.
    open_menu(mobile, "我的积分")
    expect(mobile.locator("text=楼道清扫").first).to_be_visible()
    xingan = mobile.locator(".balances div", has_text="兴安分").first
    expect(xingan).to_contain_text("5")
    screenshot(mobile, "resident-my-points")
    open_menu(mobile, "我的揭榜")
    expect(mobile.locator("section.claim", has_text="楼道清扫")).to_contain_text("已入账")
    phone.close()


def test_ask_for_help_and_triage(browser, live_server, staff):
    from playwright.sync_api import expect

    phone = open_context(browser, live_server, PHONE)
    mobile = phone.new_page()
    log_in_at(mobile, live_server.phone)
    open_menu(mobile, "我要点单")
    mobile.select_option("select[name=category]", "助老助残")
    mobile.fill("input[name=place]", "5号楼")
    mobile.get_by_role("button", name="提交").click()
    # The browser's own check stops an empty request; past it, the server keeps what was typed.
    expect(mobile.locator("input[name=place]")).to_have_value("5号楼")
    mobile.fill("textarea[name=details]", "家里老人需要陪同去医院复查")
    mobile.get_by_role("button", name="提交").click()
    expect(mobile.locator(".flash")).to_contain_text("需求已提交")
    screenshot(mobile, "resident-help")

    desk = open_context(browser, live_server, DESKTOP)
    page = desk.new_page()
    log_in_at(page, staff[0].phone)
    open_menu(page, "点单受理")
    demand = page.locator("section.demand", has_text="陪同去医院复查")
    screenshot(page, "staff-triage")
    demand.locator("input[name=reason]").fill("已联系家庭医生上门")
    demand.get_by_role("button", name="不予受理").click()
    expect(page.locator(".flash")).to_contain_text("不予受理")
    desk.close()

    mobile.reload()
    expect(mobile.locator("article.demand", has_text="陪同去医院复查")).to_contain_text("已联系家庭医生上门")
    phone.close()
