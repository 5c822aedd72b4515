"""The whole story in a real browser: staff confirm a party member's registration (双报到); the
member, on a phone, claims a task that needs a QR check-in and checks in by opening the URL
read from the station screen's QR image; reports the work; staff verify; a second staff member
bulk-approves; the member sees the 红松分 on "my points". Screenshots of each page on the way.
"""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest

from points.db import session, utcnow
from tests.browser.conftest import DESKTOP, PHONE, log_in_at, open_context, open_menu, screenshot
from tests.browser.seed import community_beside, person_at, staff_at
from tests.browser.test_checkin_pages import decode
from tests.builders import running_activity

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def story(live_server):
    """A community of its own: a station, two staff members, a party member who asked to report
    there, a task needing a QR check-in, and the task's activity at the station running now."""
    from points.auth.current import actor_for
    from points.board import operations as board
    from points.people import operations as people

    with live_server.app.app_context():
        community, place = community_beside(live_server, "红星社区", address="红星路 1 号")
        staff = staff_at(community.id, ("13700000061", "周敏"), ("13700000062", "吴刚"))
        member = person_at(community.id, "13700000063", "郑红军", is_party_member=True)
        people.request_registration(actor=actor_for(member), kind="member", community_id=community.id)
        now = utcnow()
        task = board.create_task(
            actor=actor_for(staff[0]),
            community_id=community.id,
            title="党员先锋岗：服务站值守",
            category="应急值守",
            station_id=place.id,
            starts_at=now - timedelta(minutes=20),
            ends_at=now + timedelta(hours=3),
            claim_deadline=now + timedelta(hours=2),
            slots=4,
            eligibility="party_members",
            reward_hongsong=12,
            requires_checkin=True,
            post=True,
            now=now - timedelta(hours=1),
        )
        activity = running_activity(
            actor_for(staff[0]),
            place.id,
            "党员先锋岗：服务站值守",
            began=timedelta(minutes=20),
            hourly_rate=None,
            now=now,
            task_id=task.id,
        )
        session().commit()
        return SimpleNamespace(
            staff=[s.phone for s in staff], member=member.phone, task_id=task.id, activity_id=activity.id
        )


def test_member_claims_checks_in_from_the_screen_and_is_paid(browser, live_server, story):
    from playwright.sync_api import expect

    desk = open_context(browser, live_server, DESKTOP)
    staff = desk.new_page()
    log_in_at(staff, story.staff[0])
    # 双报到: the member's report is confirmed, so the member earns 红松分.
    open_menu(staff, "双报到")
    row = staff.locator("tr", has_text="郑红军")
    screenshot(staff, "staff-registrations")
    row.get_by_role("button", name="确认").click()
    expect(staff.locator(".flash")).to_have_text("已确认报到")

    # On a phone, the member claims the task.
    phone = open_context(browser, live_server, PHONE)
    mobile = phone.new_page()
    log_in_at(mobile, story.member)
    screenshot(mobile, "member-home")
    open_menu(mobile, "任务榜")
    mobile.locator("article.task", has_text="服务站值守").get_by_role("link").first.click()
    mobile.get_by_role("button", name="我要揭榜").click()
    expect(mobile.locator(".flash")).to_contain_text("揭榜成功")

    # Staff put the station screen up; the member's camera reads its QR code.
    staff.goto("/checkin/stations")
    screenshot(staff, "staff-stations")
    staff.goto(f"/checkin/activities/{story.activity_id}/screen")
    screenshot(staff, "station-screen")
    urls = decode(staff.locator(".screen-qr svg").screenshot())
    assert len(urls) == 1 and urls[0].startswith(f"{live_server.url}/s/")
    staff.goto(f"/checkin/activities/{story.activity_id}/poster")
    screenshot(staff, "station-poster")

    mobile.goto(urls[0])
    expect(mobile.locator("h1")).to_have_text("党员先锋岗：服务站值守")
    mobile.get_by_role("button", name="签到", exact=True).click()
    expect(mobile.locator(".scan-message")).to_have_text("签到成功")
    screenshot(mobile, "member-scan-result")

    # The claim is checked in; the member reports the work.
    open_menu(mobile, "我的揭榜")
    claim = mobile.locator("section.claim", has_text="服务站值守")
    expect(claim).to_contain_text("已签到")
    claim.locator("textarea[name=note]").fill("值守三小时，接待群众十二人次")
    claim.get_by_role("button", name="提交验收").click()
    expect(mobile.locator(".flash")).to_have_text("已提交，等待验收")

    # Staff verify it; the second staff member bulk-approves.
    staff.goto("/staff")  # back from the poster, which prints without the menu
    open_menu(staff, "验收")
    staff.locator("section.claim", has_text="服务站值守").get_by_role("button", name="验收通过").click()
    expect(staff.locator(".flash")).to_have_text("已验收")
    desk.close()
    checker_context = open_context(browser, live_server, DESKTOP)
    checker = checker_context.new_page()
    log_in_at(checker, story.staff[1])
    open_menu(checker, "积分审批")
    expect(checker.locator("tr", has_text="郑红军")).to_contain_text("12")
    checker.get_by_label("全选可审批的积分").check()
    checker.once("dialog", lambda dialog: dialog.accept())
    checker.get_by_role("button", name="批量通过").click()
    expect(checker.locator(".flash")).to_contain_text("已批量审批")
    open_menu(checker, "操作日志")
    screenshot(checker, "staff-audit-log")
    checker_context.close()

    # The member sees the 红松分.
    open_menu(mobile, "我的积分")
    hongsong = mobile.locator(".balances div", has_text="红松分").first
    expect(hongsong).to_contain_text("12")
    screenshot(mobile, "member-my-points")
    phone.close()
