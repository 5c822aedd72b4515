"""Registration pages: from the login page and from a logged-out scan, consent asked again,
the development codes page, and staff confirming new accounts."""

from __future__ import annotations

import re

from points.checkin import operations as checkin_ops
from points.people.queries import find_person_by_phone
from tests.checkin.conftest import running, world  # noqa: F401 - the check-in tests' fixtures
from tests.onboarding.conftest import register_form

PHONE = "13912345678"


def code_for(client, phone: str) -> str:
    client.post("/register", data={"phone": phone, "step": "code"})
    page = client.get("/dev/codes").get_data(as_text=True)
    return re.search(rf"{phone}：<strong class=\"dev-code\">(\d{{6}})</strong>", page).group(1)


def test_login_page_links_to_registration(client):
    page = client.get("/login?next=/board").get_data(as_text=True)

    assert 'href="/register?next=/board"' in page


def test_register_page_lists_homes_and_the_notice_version(client, homes):
    page = client.get("/register").get_data(as_text=True)

    assert "兴安街道 · 红松社区 · 一网格" in page
    assert "《隐私政策》（2026-11-26 版）" in page and "获取验证码" in page


def test_enter_in_a_field_registers_rather_than_sending_a_code(client, homes, codes):
    # A browser's Enter presses the form's first submit button (the browser story presses it).
    page = client.get("/register").get_data(as_text=True)
    form = re.search(r'<form method="post" action="/register[^"]*" class="register">(.*?)</form>', page, re.S)

    buttons = re.findall(r'<button type="submit" name="step" value="(\w+)"', form.group(1))

    assert buttons == ["register", "code", "register"]
    # Without JavaScript each button still posts its own step.
    assert "验证码已发送" in client.post("/register", data={"phone": PHONE, "step": "code"}).get_data(
        as_text=True
    )


def test_register_with_a_code_logs_in_and_goes_on(client, homes, codes):
    code = code_for(client, PHONE)

    response = client.post("/register?next=/board", data=register_form(homes, PHONE, code))

    assert response.status_code == 302 and response.headers["Location"] == "/board"
    assert "赵大爷" in client.get("/").get_data(as_text=True)
    assert find_person_by_phone(PHONE).needs_confirmation is False


def test_register_shows_each_refusal_by_its_field(client, homes, codes):
    code = code_for(client, PHONE)

    page = client.post(
        "/register", data=register_form(homes, PHONE, code, password_again="different1", consent="")
    )

    assert page.status_code == 422
    assert "两次输入的密码不一致" in page.get_data(as_text=True)
    assert find_person_by_phone(PHONE) is None


def test_register_without_consent_is_refused(client, homes, codes):
    code = code_for(client, PHONE)

    page = client.post("/register", data=register_form(homes, PHONE, code, consent=""))

    assert page.status_code == 422 and "请阅读并同意隐私政策" in page.get_data(as_text=True)
    assert find_person_by_phone(PHONE) is None


def test_register_with_a_bad_phone_keeps_what_was_typed(client, homes):
    page = client.post("/register", data={"phone": "12345", "name": "赵大爷", "step": "code"})

    text = page.get_data(as_text=True)
    assert page.status_code == 422 and "请输入有效的中国大陆手机号" in text and 'value="赵大爷"' in text


def test_without_a_sender_staff_confirm_at_the_desk(client, homes, without_codes, make_person, page_as):
    staff = make_person(community=homes.community, roles=[("staff", homes.community)])
    page = client.get("/register").get_data(as_text=True)
    assert "获取验证码" not in page

    registered = client.post("/register", data=register_form(homes, PHONE, None), follow_redirects=True)

    assert "工作人员确认后即可获得积分" in registered.get_data(as_text=True)
    desk = page_as(staff)
    listing = desk.get("/people/new-accounts").get_data(as_text=True)
    assert "赵大爷" in listing and PHONE in listing and "红松社区 · 一网格" in listing
    person = find_person_by_phone(PHONE)
    assert desk.post(f"/people/{person.id}/confirm-account").status_code == 302
    assert "没有待确认的新账号" in desk.get("/people/new-accounts").get_data(as_text=True)
    assert "你的账号已确认" in client.get("/notices").get_data(as_text=True)


def test_new_accounts_page_is_for_staff(make_person, page_as):
    assert page_as(make_person()).get("/people/new-accounts").status_code == 403


def test_new_accounts_show_grid_and_phone_by_who_reads(client, homes, without_codes, make_person, page_as):
    staff = make_person(community=homes.community, roles=[("staff", homes.community)])
    grid_worker = make_person(community=homes.community, roles=[("grid_worker", homes.grid)])
    other_worker = make_person(community=homes.community, roles=[("grid_worker", homes.other_grid)])
    client.post("/register", data=register_form(homes, PHONE, None))
    person = find_person_by_phone(PHONE)

    by_staff = page_as(staff).get("/people/new-accounts").get_data(as_text=True)
    by_worker = page_as(grid_worker).get("/people/new-accounts").get_data(as_text=True)
    by_other = page_as(other_worker).get("/people/new-accounts").get_data(as_text=True)

    row = re.search(rf'<tr id="person-{person.id}">(.*?)</tr>', by_staff, re.S).group(1)
    assert "红松社区 · 一网格" in row and PHONE in row and "已核对证件，确认" in row
    row = re.search(rf'<tr id="person-{person.id}">(.*?)</tr>', by_worker, re.S).group(1)
    assert "红松社区 · 一网格" in row and "139****5678" in row and PHONE not in row
    assert "已核对证件，确认" not in row and "由社区工作人员核对证件后确认" in row
    assert "赵大爷" not in by_other
    # The full phone the staff member read is in the audit log; the masked one is not.
    assert phone_views(person.id) == [staff.id]
    assert page_as(grid_worker).post(f"/people/{person.id}/confirm-account").status_code == 302
    assert find_person_by_phone(PHONE).needs_confirmation is True


def test_new_accounts_table_fits_a_phone_and_a_desktop(client, homes, without_codes, make_person, page_as):
    staff = make_person(community=homes.community, roles=[("staff", homes.community)])
    client.post("/register", data=register_form(homes, PHONE, None))

    page = page_as(staff).get("/people/new-accounts").get_data(as_text=True)

    # One table: rows on a desktop, and on a phone each row stacks its cells, each with its label.
    assert '<table class="stack new-accounts">' in page
    row = re.search(r'<tr id="person-\d+">(.*?)</tr>', page, re.S).group(1)
    assert re.findall(r'data-label="([^"]+)"', row) == ["姓名", "社区和网格", "手机", "注册时间"]


def test_new_accounts_page_by_page_oldest_first(homes, make_person, page_as):
    from points.db import session

    staff = make_person(community=homes.community, roles=[("staff", homes.community)])
    waiting = [make_person(community=homes.community, name=f"新居民{i:02d}") for i in range(53)]
    for person in waiting:
        person.needs_confirmation = True
    session().flush()
    desk = page_as(staff)

    first = desk.get("/people/new-accounts").get_data(as_text=True)
    shown = re.findall(r'<tr id="person-(\d+)">', first)
    later = re.search(r'href="([^"]*cursor=[^"]*)">下一页', first).group(1).replace("&amp;", "&")
    rest = re.findall(r'<tr id="person-(\d+)">', desk.get(later).get_data(as_text=True))

    assert [int(i) for i in shown + rest] == [p.id for p in waiting]
    assert len(shown) == 50 and "共 53 条" in first


def phone_views(person_id: int) -> list[int]:
    import sqlalchemy as sa

    from points.audit.models import AuditEntry
    from points.db import session

    session().flush()
    return list(
        session().scalars(
            sa.select(AuditEntry.actor_id).where(
                AuditEntry.action == "person.phone_viewed", AuditEntry.target_id == person_id
            )
        )
    )


def test_a_new_notice_version_asks_again(app, make_person, page_as, consent_guard):
    person = make_person()
    browser = page_as(person)

    asked = browser.get("/board")
    assert asked.status_code == 302 and "/consent?next=/board" in asked.headers["Location"]
    agreed = browser.post("/consent?next=/board", data={"version": "2026-11-26"})
    assert agreed.headers["Location"] == "/board"
    assert browser.get("/board").status_code == 200

    app.config["PRIVACY_NOTICE_VERSION"] = "2027-01"
    try:
        again = browser.get("/consent")
        assert "2026-11-26 → 2027-01" in again.get_data(as_text=True)
        assert browser.get("/board").status_code == 302
    finally:
        app.config["PRIVACY_NOTICE_VERSION"] = "2026-11-26"


def test_codes_page_exists_only_in_development(app, client):
    app.config["ENV_NAME"] = "production"
    try:
        assert client.get("/dev/codes").status_code == 404
    finally:
        app.config["ENV_NAME"] = "test"


def test_a_new_resident_registers_from_a_scan_and_checks_in(app, world, running, make_node, codes):  # noqa: F811
    grid = make_node("grid", world.community, name="三网格")
    client = app.test_client()
    token = checkin_ops.station_code(actor=world.staff_actor, activity_id=running.id).token
    scan = client.get(f"/s/{token}").get_data(as_text=True)
    register_url = re.search(r'href="(/register\?next=[^"]+)"', scan).group(1).replace("&amp;", "&")

    assert "第一次来？注册后签到" in scan
    code = code_for(client, PHONE)
    form = {**register_form(None, PHONE, code, grid_id=str(grid.id))}
    back = client.post(register_url, data=form)

    assert back.status_code == 302 and back.headers["Location"].startswith("/s/i/")
    page = client.get(back.headers["Location"]).get_data(as_text=True)
    assert "赵大爷" in page and "签到</button>" in page
    done = client.post(back.headers["Location"], data={"action": "in"}, follow_redirects=True)
    assert "签到成功" in done.get_data(as_text=True)


def test_consent_page_after_agreeing_shows_the_plain_notice(make_person, page_as):
    browser = page_as(make_person())
    browser.post("/consent", data={"version": "2026-11-26"})

    page = browser.get("/consent").get_data(as_text=True)

    assert "已更新" not in page and "→" not in page
    assert "《隐私政策》（2026-11-26 版）" in page


def test_grids_are_listed_in_the_trees_order(client, make_node):
    community = make_node("community", make_node("street", name="兴安街道"), name="红松社区")
    for name in ("第一网格", "第二网格", "第三网格", "第四网格"):
        make_node("grid", community, name=name)

    page = client.get("/register").get_data(as_text=True)

    positions = [page.index(name) for name in ("第一网格", "第二网格", "第三网格", "第四网格")]
    assert positions == sorted(positions)


def test_a_bad_phone_and_a_short_password_are_both_reported(client, homes, codes):
    page = client.post(
        "/register", data=register_form(homes, "12345", "123456", password="short", password_again="short")
    )

    text = page.get_data(as_text=True)
    assert page.status_code == 422
    assert "请输入有效的中国大陆手机号" in text and "长度应在" in text
