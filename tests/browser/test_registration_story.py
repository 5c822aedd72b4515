"""A new resident's first scan in a real browser: logged out, they open the station screen's code
(decoded from a screenshot of the screen), register with an SMS code and consent, land back on the
scan page and check in; the staff member sees them in the desk list."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest

from points.db import session, utcnow
from tests.browser.conftest import PASSWORD
from tests.browser.test_checkin_pages import decode
from tests.builders import running_activity

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}
NEW_PHONE = "13700000091"


@pytest.fixture(scope="module")
def station(live_server):
    """A community with two grids, a station, a staff member and an activity running now."""
    from points.auth.current import actor_for
    from points.org import operations as org
    from points.org.queries import get_node
    from points.people import operations as people

    with live_server.app.app_context():
        street = get_node(live_server.community_id).parent_id
        community = org.create_node(actor=None, parent_id=street, level="community", name="白桦社区")
        for name in ("白桦一网格", "白桦二网格"):
            org.create_node(actor=None, parent_id=community.id, level="grid", name=name)
        place = org.create_station(
            actor=None, node_id=community.id, kind="station", name="白桦社区党群服务站"
        )
        staff = people.create_person(
            actor=None, phone="13700000090", name="周敏", password=PASSWORD, community_id=community.id
        )
        people.grant_role(actor=None, person_id=staff.id, role="staff", node_id=community.id)
        now = utcnow()
        activity = running_activity(actor_for(staff), place.id, "白桦社区清扫活动", hourly_rate=None, now=now)
        session().commit()
        return SimpleNamespace(activity_id=activity.id, staff_phone=staff.phone)


def test_a_new_resident_registers_from_a_scan_and_checks_in(browser, live_server, station):
    from playwright.sync_api import expect

    desk = browser.new_context(
        locale="zh-CN", base_url=live_server.url, viewport={"width": 1280, "height": 720}
    )
    staff = desk.new_page()
    staff.goto("/login")
    staff.fill("input[name=phone]", station.staff_phone)
    staff.fill("input[name=password]", PASSWORD)
    staff.click("button[type=submit]")
    staff.goto(f"/checkin/activities/{station.activity_id}/screen")
    (url,) = decode(staff.locator(".screen-qr svg").screenshot())
    assert url.startswith(f"{live_server.url}/s/")

    phone = browser.new_context(locale="zh-CN", base_url=live_server.url, viewport=PHONE)
    page = phone.new_page()
    page.goto(url)
    expect(page.locator("h1")).to_have_text("白桦社区清扫活动")
    page.get_by_role("link", name="第一次来？注册后签到").click()
    expect(page.locator("h1")).to_have_text("居民注册")
    page.set_viewport_size({"width": 320, "height": 640})
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.set_viewport_size(PHONE)

    page.fill("input[name=phone]", NEW_PHONE)
    page.get_by_role("button", name="获取验证码").click()
    expect(page.get_by_role("status")).to_contain_text("验证码已发送")
    codes = phone.new_page()
    codes.goto("/dev/codes")
    code = re.search(rf"{NEW_PHONE}：(\d{{6}})", codes.locator("body").inner_text()).group(1)
    codes.close()

    page.fill("input[name=code]", code)
    page.fill("input[name=name]", "郑新民")
    page.fill("input.home-filter", "二网格")
    page.select_option("select[name=grid_id]", label="旭日街道 · 白桦社区 · 白桦二网格")
    page.fill("input[name=password]", "Bh7wQz2mNx")
    page.fill("input[name=password_again]", "Bh7wQz2mNx")
    page.check("input[name=consent]")
    # Enter in a field registers (it does not ask for another code).
    page.press("input[name=password_again]", "Enter")

    expect(page).to_have_url(re.compile(r"/s/i/"))
    expect(page.locator(".who-scans")).to_have_text("郑新民")
    page.get_by_role("button", name="签到", exact=True).click()
    expect(page.locator(".scan-message")).to_have_text("签到成功")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    staff.goto(f"/checkin/activities/{station.activity_id}")
    expect(staff.locator("main")).to_contain_text("郑新民")
    phone.close()
    desk.close()
