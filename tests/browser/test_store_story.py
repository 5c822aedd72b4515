"""The store in a real browser: a resident on a phone redeems an item and shows the voucher;
staff at the desk scan the voucher's QR, decoded from a screenshot of the resident's page, and
hand the item over; the balance and stock are right and the sponsor report counts it."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from points.db import session, utcnow
from tests.browser.conftest import DESKTOP, PHONE, log_in_at, open_context, open_menu, screenshot
from tests.browser.seed import community_beside, person_at, staff_at
from tests.browser.test_checkin_pages import decode
from tests.builders import award_points

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def store(live_server):
    """A community of its own with a station, two staff members, a sponsoring unit, a resident
    with 50 兴安分 and an item in the store."""
    from points.auth.current import actor_for
    from points.org import operations as org
    from points.store import operations

    with live_server.app.app_context():
        community, place = community_beside(live_server, "红岭社区")
        unit = org.create_unit(actor=None, name="伊春林业集团", party_org_name="伊春林业集团机关党委")
        staff = staff_at(community.id, ("13700000071", "孙丽"), ("13700000072", "钱伟"))
        resident = person_at(community.id, "13700000073", "李桂芝")
        award_points(community.id, resident.id, 50, "browser-store:points")
        item = operations.create_item(
            actor=actor_for(staff[0]),
            community_id=community.id,
            name="东北大米 5kg",
            description="五常新米",
            price=40,
            stock=3,
            station_id=place.id,
            sponsor_unit_id=unit.id,
            unit_value_cents=3500,
            limit_count=2,
            limit_period="month",
            now=utcnow(),
        )
        session().commit()
        return SimpleNamespace(
            staff=staff[0].phone, resident=resident.phone, resident_id=resident.id, item_id=item.id
        )


def test_resident_redeems_and_staff_hand_it_over_at_the_desk(browser, live_server, store):
    from playwright.sync_api import expect

    from points.ledger.queries import balances_of_person
    from points.store.models import Item

    phone = open_context(browser, live_server, PHONE)
    mobile = phone.new_page()
    log_in_at(mobile, store.resident)
    open_menu(mobile, "积分超市")
    card = mobile.locator("article.goods", has_text="东北大米")
    expect(card).to_contain_text("40")
    screenshot(mobile, "store-shelf")
    card.get_by_role("link", name="可兑换").click()
    expect(mobile.locator("h1")).to_have_text("确认兑换")
    screenshot(mobile, "store-confirm")
    mobile.get_by_role("button", name="确认兑换").click()
    expect(mobile.locator(".flash")).to_contain_text("兑换成功")
    screenshot(mobile, "store-voucher")
    urls = decode(mobile.locator(".voucher-qr svg").screenshot())
    assert len(urls) == 1 and "/store/v/" in urls[0]
    number = mobile.locator(".voucher-number").inner_text()

    desk = open_context(browser, live_server, DESKTOP)
    staff = desk.new_page()
    log_in_at(staff, store.staff)
    open_menu(staff, "兑换领取")
    expect(staff.locator("tr", has_text="李桂芝")).to_contain_text(number)
    screenshot(staff, "store-desk")
    # A USB scanner types what the QR holds into the focused field and presses Enter.
    staff.locator("#voucher-input").fill(urls[0])
    staff.locator("#voucher-input").press("Enter")
    expect(staff.locator("h1")).to_contain_text("东北大米")
    expect(staff.locator(".voucher-qr")).to_have_count(0)
    staff.get_by_role("button", name="确认领取").click()
    expect(staff.locator(".flash")).to_have_text("已领取")
    expect(staff.locator("h1")).to_contain_text("已领取")

    open_menu(staff, "赞助统计")
    row = staff.locator("tr", has_text="伊春林业集团")
    expect(row.locator("td[data-label='已领取件数']")).to_have_text("1")
    expect(row.locator("td[data-label='已兑换积分']")).to_have_text("40")
    expect(row.locator("td[data-label='现有库存']")).to_have_text("2")
    screenshot(staff, "store-sponsors")
    desk.close()

    mobile.reload()
    expect(mobile.locator("h1")).to_contain_text("已领取")
    expect(mobile.locator(".voucher-qr")).to_have_count(0)
    open_menu(mobile, "积分超市")
    expect(mobile.locator(".balance-chip").first).to_contain_text("10")
    phone.close()

    with live_server.app.app_context():
        assert balances_of_person(store.resident_id)["xingan"]["available"] == 10
        assert session().get(Item, store.item_id).stock == 2
