"""The menu shows each item exactly to those its page lets in: one test per role, and every item
shown opens while every item hidden is refused."""

from __future__ import annotations

import re

import pytest
from flask import url_for

from points.home.pages import GROUPS, MENU, MENU_GROUPS

EVERYONE = {
    "home_pages.home",
    "notices_pages.inbox",
    "home_pages.my_data_page",
    "onboarding_pages.family",
    "board_pages.board",
    "board_pages.my_claims",
    "demands_pages.ask_for_help",
    "ledger_pages.my_points",
    "checkin_pages.my_checkins",
    "store_pages.index",
    "evaluation_pages.honors",
    "evaluation_pages.mine",
}
STAFF = EVERYONE | {
    "store_pages.manage",
    "store_pages.desk",
    "store_pages.sponsors",
    "home_pages.dashboard",
    "demands_pages.triage",
    "board_pages.verification_queue",
    "ledger_pages.approvals",
    "people_pages.registrations",
    "ledger_pages.ledger",
    "people_pages.people",
    "onboarding_pages.new_accounts",
    "onboarding_pages.roster_upload",
    "onboarding_pages.proxy_desk",
    "people_pages.audit",
    "checkin_pages.stations",
    "supervision_pages.flags",
    "evaluation_pages.rankings",
    "evaluation_pages.periods",
    "evaluation_pages.dashboard",
}


def menu_of(client) -> list[str]:
    html = client.get("/").get_data(as_text=True)
    nav = re.search(r'<nav class="menu"[^>]*>(.*?)</nav>', html, re.S).group(1)
    return re.findall(r'<a href="([^"]+)" class="(?:current)?">', nav)


def check_menu(app, client, expected: set[str]) -> None:
    with app.test_request_context():
        urls = {endpoint: url_for(endpoint) for endpoint, _label, _shown in MENU}
    shown = menu_of(client)
    assert sorted(shown) == sorted(
        urls[endpoint] for endpoint, _label, _shown in MENU if endpoint in expected
    )
    for endpoint, url in urls.items():
        status = client.get(url).status_code
        assert status == (200 if endpoint in expected else 403), (endpoint, status)


def test_menu_of_a_resident(app, town, page_as):
    check_menu(app, page_as(town.resident), EVERYONE)


def test_menu_of_a_party_member(app, town, page_as):
    check_menu(app, page_as(town.member), EVERYONE | {"people_pages.registrations"})


def test_menu_of_a_unit_admin(app, town, page_as):
    expected = EVERYONE | {
        "board_pages.verification_queue",
        "board_pages.unit",
        "people_pages.registrations",
        "store_pages.sponsors",
        "evaluation_pages.rankings",
        "evaluation_pages.unit_report",
    }
    check_menu(app, page_as(town.unit_admin), expected)


def test_menu_of_a_grid_worker(app, town, page_as):
    # New accounts: their grids' newcomers, phones masked, confirmed by staff.
    expected = EVERYONE | {"home_pages.dashboard", "people_pages.people", "onboarding_pages.new_accounts"}
    check_menu(app, page_as(town.grid_worker), expected)


def test_menu_of_staff(app, town, page_as):
    check_menu(app, page_as(town.staff), STAFF)


def test_menu_of_a_street_admin(app, town, page_as):
    check_menu(app, page_as(town.street_admin), STAFF)


def test_menu_of_a_supervisor(app, town, page_as):
    expected = EVERYONE | {
        "people_pages.registrations",
        "ledger_pages.ledger",
        "people_pages.people",
        "onboarding_pages.new_accounts",
        "people_pages.audit",
        "store_pages.sponsors",
        "supervision_pages.flags",
        "evaluation_pages.rankings",
        "evaluation_pages.periods",
        "evaluation_pages.dashboard",
    }
    check_menu(app, page_as(town.supervisor), expected)


def test_menu_of_an_admin(app, town, page_as):
    check_menu(app, page_as(town.admin), STAFF)


@pytest.mark.parametrize("role", ["resident", "staff"])
def test_menu_marks_the_current_page(town, page_as, role):
    html = page_as(getattr(town, role)).get("/points").get_data(as_text=True)
    assert '<a href="/points" class="current">' in html


def test_every_menu_item_has_a_known_group():
    groups = {key for key, _label in GROUPS}
    assert set(MENU_GROUPS.values()) <= groups
    assert {endpoint for endpoint, _label, _shown in MENU} <= set(MENU_GROUPS)


def test_the_sidebar_groups_items_by_job(town, page_as):
    html = page_as(town.staff).get("/").get_data(as_text=True)
    titles = re.findall(r'<p class="menu-title">([^<]+)</p>', html)
    assert titles == ["首页", "任务", "签到", "积分", "人员", "监督", "超市", "设置"]


def test_the_phone_tab_bar_and_my_page(town, page_as):
    client = page_as(town.resident)
    html = client.get("/").get_data(as_text=True)
    tabbar = re.search(r'<nav class="tabbar"[^>]*>(.*?)</nav>', html, re.S).group(1)
    assert re.findall(r"<span>([^<]+)</span>", tabbar) == ["首页", "任务榜", "扫码", "我的揭榜", "我的"]
    me = client.get("/me").get_data(as_text=True)
    for setting in ("大字模式", "English", "修改密码", "退出登录", "我的积分", "积分超市"):
        assert setting in me
