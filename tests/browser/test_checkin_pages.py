"""QR check-in in a real browser: a phone scans, logs in and comes back to the same button; the
station screen redraws its code without reloading and warns when offline; staff check a person in
with a member card typed by a USB scanner; the poster prints on one A4 page."""

from __future__ import annotations

import re
from datetime import timedelta
from types import SimpleNamespace

import png
import pytest
import zxingcpp

from points.db import session, utcnow
from tests.browser.conftest import PASSWORD
from tests.browser.seed import community_beside, staff_at
from tests.builders import running_activity

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def station(live_server):
    """A community of its own with a station, two staff members, a resident without a phone,
    and an activity running now paid 10 points an hour."""
    from points.auth.current import actor_for
    from points.checkin import operations as checkin
    from points.people import operations as people

    with live_server.app.app_context():
        community, place = community_beside(live_server, "青松社区", address="青松路 8 号")
        staff = staff_at(community.id, ("13700000051", "韩梅"), ("13700000052", "李雷"))
        elder = people.create_person(
            actor=None, phone="13700000053", name="孙大爷", community_id=community.id
        )
        now = utcnow()
        activity = running_activity(actor_for(staff[0]), place.id, "周末便民服务值班", now=now)
        card = checkin.card_token(checkin.ensure_member_card(elder.id))
        session().commit()
        return SimpleNamespace(
            activity_id=activity.id, staff_phone=staff[0].phone, card=card, actor=actor_for(staff[0])
        )


def log_in(page, phone: str) -> None:
    page.fill("input[name=phone]", phone)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")


def staff_page(browser, live_server, station):
    """A browser of its own logged in as the station's staff member: (context, page)."""
    context = browser.new_context(locale="zh-CN", base_url=live_server.url)
    page = context.new_page()
    page.goto("/login")
    log_in(page, station.staff_phone)
    return context, page


def screen_token(live_server, station) -> str:
    from points.checkin import operations as checkin

    with live_server.app.app_context():
        token = checkin.station_code(actor=station.actor, activity_id=station.activity_id).token
        session().commit()
        return token


def decode(png_bytes: bytes) -> list[str]:
    width, height, rows, info = png.Reader(bytes=png_bytes).asDirect()
    top = 2 ** info["bitdepth"] - 1
    pixels = bytearray()
    for row in rows:
        pixels.extend(value * 255 // top for value in list(row)[:: info["planes"]])
    image = memoryview(bytes(pixels)).cast("B", (height, width))
    return [code.text for code in zxingcpp.read_barcodes(image)]


def test_phone_scans_logs_in_and_checks_in(browser, live_server, station):
    from playwright.sync_api import expect

    context = browser.new_context(locale="zh-CN", base_url=live_server.url, viewport=PHONE)
    page = context.new_page()
    page.goto(f"/s/{screen_token(live_server, station)}")
    expect(page.locator("h1")).to_have_text("周末便民服务值班")
    expect(page.locator("text=青松社区党群服务站")).to_be_visible()

    page.get_by_role("link", name="登录后签到").click()
    log_in(page, live_server.phone)

    expect(page).to_have_url(re.compile(r"/s/i/"))
    expect(page.locator(".who-scans")).to_have_text(live_server.name)
    page.get_by_role("button", name="签到", exact=True).click()
    expect(page.locator(".scan-message")).to_have_text("签到成功")
    # Opening the code again offers no second check-in.
    page.goto(f"/s/{screen_token(live_server, station)}")
    expect(page.locator("text=分钟后可扫码签退")).to_be_visible()
    expect(page.get_by_role("button", name="签到", exact=True)).to_have_count(0)
    context.close()


def test_expired_code_asks_to_scan_again(browser, live_server, station):
    from playwright.sync_api import expect

    from points.checkin import operations as checkin

    with live_server.app.app_context():
        old = checkin.station_code(
            actor=station.actor, activity_id=station.activity_id, now=utcnow() - timedelta(minutes=3)
        ).token
        session().commit()  # the station's key is made on first use
    context = browser.new_context(locale="zh-CN", base_url=live_server.url, viewport=PHONE)
    page = context.new_page()
    response = page.goto(f"/s/{old}")
    assert response.status == 410
    expect(page.locator(".scan-message")).to_have_text("二维码已过期，请重新扫描屏幕上的二维码")
    context.close()


def test_screen_redraws_its_code_and_warns_when_offline(browser, live_server, station, monkeypatch):
    from playwright.sync_api import expect

    context = browser.new_context(
        locale="zh-CN", base_url=live_server.url, viewport={"width": 1280, "height": 720}
    )
    page = context.new_page()
    page.goto("/login")
    log_in(page, station.staff_phone)
    start = utcnow()
    monkeypatch.setattr("points.checkin.pages.screens.utcnow", lambda: start)
    page.clock.install(time=start)
    page.goto(f"/checkin/activities/{station.activity_id}/screen")
    expect(page.locator(".screen-title")).to_have_text("周末便民服务值班")
    screen = page.locator("[data-screen]")
    token = screen.get_attribute("data-token")
    assert decode(page.locator(".screen-qr svg").screenshot()) == [f"{live_server.url}/s/{token}"]
    page.evaluate("window.sameDocument = true")

    # Half a minute later, on the server and in the page: a new code, without a reload.
    later = start + timedelta(seconds=31)
    monkeypatch.setattr("points.checkin.pages.screens.utcnow", lambda: later)
    page.clock.fast_forward(31_000)
    expect(screen).not_to_have_attribute("data-token", token)
    token = screen.get_attribute("data-token")
    assert decode(page.locator(".screen-qr svg").screenshot()) == [f"{live_server.url}/s/{token}"]
    assert page.evaluate("window.sameDocument") is True
    expect(page.locator(".screen-network")).to_be_hidden()

    # The network goes: the screen says so.
    page.route("**/screen.json", lambda route: route.abort())
    page.clock.fast_forward(15_000)
    expect(page.get_by_role("alert")).to_contain_text("网络连接已断开")

    # The network is back but the staff login has ended: the screen says that, not the network.
    page.unroute("**/screen.json")
    page.route(
        re.compile(r".*/screen\.json.*"),
        lambda route: route.fulfill(status=401, content_type="application/problem+json", body="{}"),
    )
    page.clock.fast_forward(15_000)
    page.wait_for_timeout(1000)
    expect(page.get_by_role("alert")).to_contain_text("登录已过期")
    expect(page.locator(".screen-network")).to_be_hidden()
    expect(page.get_by_role("link", name="重新登录后回到大屏")).to_be_visible()
    context.close()


def test_staff_check_in_with_a_scanned_member_card(browser, live_server, station):
    from playwright.sync_api import expect

    context, page = staff_page(browser, live_server, station)
    page.goto(f"/checkin/activities/{station.activity_id}")
    # A USB scanner types the card's URL into the focused field and presses Enter.
    page.locator("#card-input").press_sequentially(f"{live_server.url}/c/{station.card}")
    page.locator("#card-input").press("Enter")
    expect(page.locator(".flash")).to_have_text("孙大爷：签到成功（工作人员代签）")
    expect(page.locator("tr", has_text="孙大爷")).to_contain_text("由工作人员韩梅代为签到")

    page.fill("input[name=q]", "孙大爷")
    page.get_by_role("button", name="查找").click()
    page.locator(".people-list li", has_text="孙大爷").get_by_role("button", name="签退").click()
    expect(page.locator(".flash")).to_contain_text("孙大爷：签退成功")
    context.close()


def test_poster_prints_on_one_a4_page(browser, live_server, station):
    context, page = staff_page(browser, live_server, station)
    page.goto(f"/checkin/activities/{station.activity_id}/poster")
    url = page.locator(".poster-url").inner_text()
    assert decode(page.locator(".poster-qr svg").screenshot()) == [url]

    pdf = page.pdf(format="A4", print_background=True)

    pages = len(re.findall(rb"/Type\s*/Page(?!s)", pdf))
    assert pages == 1
    context.close()


def test_rotating_the_station_key_asks_first(browser, live_server, station):
    from playwright.sync_api import expect

    context, page = staff_page(browser, live_server, station)
    page.goto(f"/checkin/activities/{station.activity_id}")
    page.locator(".muted a").first.click()
    rotate = page.get_by_role("button", name="更换二维码密钥")

    questions = []
    page.once("dialog", lambda dialog: (questions.append(dialog.message), dialog.dismiss()))
    rotate.click()
    expect(page.locator(".flash")).to_have_count(0)
    page.once("dialog", lambda dialog: dialog.accept())
    rotate.click()

    expect(page.locator(".flash")).to_contain_text("已更换二维码密钥")
    assert questions == ["更换后，本站点所有已显示或已打印的二维码立即作废，确定吗？"]
    context.close()
