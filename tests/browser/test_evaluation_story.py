"""公示 to certificate in a real browser: staff open last quarter's 红松分 for public notice; a
resident objects on the public page; staff answer on record; once the notice days have passed
the period is frozen; the unit admin downloads a member's statement; the member downloads a
service certificate whose QR code, read from the PDF rendered as an image, opens a verification
page that says the certificate matches the ledger. Screenshots of each page on the way.
"""

from __future__ import annotations

import io
from datetime import timedelta
from types import SimpleNamespace

import openpyxl
import pytest

from points.db import LOCAL_TZ, session, utcnow
from tests.browser.conftest import (
    DESKTOP,
    PASSWORD,
    PHONE,
    SCREENSHOTS,
    log_in_at,
    open_context,
    open_menu,
    screenshot,
)
from tests.browser.test_checkin_pages import decode

pytestmark = pytest.mark.browser


def last_quarter(today) -> tuple[str, str, str]:
    """The quarter before today's (Asia/Shanghai): its key, first and last day."""
    year, quarter = today.year, (today.month - 1) // 3
    if quarter == 0:
        year, quarter = year - 1, 4
    first_month = 3 * quarter - 2
    first = today.replace(year=year, month=first_month, day=1)
    after = first.replace(year=year + 1, month=1) if quarter == 4 else first.replace(month=first_month + 3)
    return f"{year}-Q{quarter}", first.isoformat(), (after - timedelta(days=1)).isoformat()


@pytest.fixture(scope="module")
def story(live_server):
    """A community of its own: two staff members, a resident, a unit with its admin, and a party
    member of that unit (reported to the community) who served a task in the middle of last
    quarter, verified and approved."""
    from points.auth.current import actor_for
    from points.board import operations as board
    from points.ledger import operations as ledger
    from points.org import operations as org
    from points.org.queries import get_node
    from points.people import operations as people

    with live_server.app.app_context():
        street = get_node(live_server.community_id).parent_id
        community = org.create_node(actor=None, parent_id=street, level="community", name="松涛社区")
        unit = org.create_unit(actor=None, name="青松电力公司", party_org_name="青松电力公司党支部")

        def person(phone, name, **fields):
            return people.create_person(
                actor=None, phone=phone, name=name, password=PASSWORD, community_id=community.id, **fields
            )

        staff = [person("13700000111", "冯静"), person("13700000122", "陈刚")]
        for s in staff:
            people.grant_role(actor=None, person_id=s.id, role="staff", node_id=community.id)
        resident = person("13700000133", "褚秀英")
        admin = person("13700000144", "卫国强")
        people.grant_role(actor=None, person_id=admin.id, role="unit_admin", unit_id=unit.id)
        member = person("13700000155", "蒋红梅", is_party_member=True, work_unit_id=unit.id)
        # 双报到, confirmed: the member earns 红松分.
        asked = people.request_registration(actor=actor_for(member), kind="member", community_id=community.id)
        people.decide_registration(actor=actor_for(staff[0]), registration_id=asked.id, confirm=True)

        today = utcnow().astimezone(LOCAL_TZ).date()
        key, first, last = last_quarter(today)
        served_at = utcnow().replace(year=int(key[:4]), month=3 * int(key[-1]) - 1, day=15, hour=3)
        starts = served_at - timedelta(hours=3)
        task = board.create_task(
            actor=actor_for(staff[0]),
            community_id=community.id,
            title="松涛社区：秋季清扫",
            category="环境整治",
            starts_at=starts,
            ends_at=served_at,
            claim_deadline=starts,
            slots=4,
            eligibility="anyone",
            reward_hongsong=15,
            post=True,
            now=starts - timedelta(days=2),
        )
        claim = board.claim_task(actor=actor_for(member), task_id=task.id, now=starts - timedelta(days=1))
        board.submit_claim(actor=actor_for(member), claim_id=claim.id, note="清扫三小时", now=served_at)
        board.verify_claim(actor=actor_for(staff[0]), claim_id=claim.id, now=served_at + timedelta(minutes=5))
        ledger.approve_award(
            actor=actor_for(staff[1]),
            transfer_id=claim.award_transfer_id,
            now=served_at + timedelta(minutes=9),
        )
        session().commit()
        return SimpleNamespace(
            app=live_server.app,
            community_id=community.id,
            staff=[s.phone for s in staff],
            resident=resident.phone,
            admin=admin.phone,
            member=member.phone,
            key=key,
            first=first,
            last=last,
        )


def notice_days_pass(story, period_id: int) -> None:
    """The notice runs for days; rather than wait, the period's notice ends a minute ago."""
    from points.evaluation.models import Period

    with story.app.app_context():
        period = session().get(Period, period_id)
        period.notice_ends_at = utcnow() - timedelta(minutes=1)
        session().commit()


def first_page_png(pdf: bytes) -> bytes:
    """The PDF's first page as a grey PNG, at about 216 dpi."""
    import pypdfium2

    document = pypdfium2.PdfDocument(pdf)
    try:
        image = document[0].render(scale=3).to_pil().convert("L")
    finally:
        document.close()
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def qr_of_pdf(pdf: bytes) -> list[str]:
    """The QR codes on the PDF's first page, rendered as an image the way a phone's camera sees it."""
    return decode(first_page_png(pdf))


def downloaded(page, click) -> tuple[str, bytes]:
    with page.expect_download() as download:
        click()
    with open(download.value.path(), "rb") as file:
        return download.value.suggested_filename, file.read()


def test_notice_objection_freeze_statement_and_certificate(browser, live_server, story):
    from playwright.sync_api import expect

    # Staff open last quarter's 红松分 for 公示.
    desk = open_context(browser, live_server, DESKTOP)
    staff = desk.new_page()
    log_in_at(staff, story.staff[0])
    open_menu(staff, "公示管理")
    form = staff.locator("form", has=staff.get_by_role("button", name="开始公示"))
    form.locator("select[name=kind]").select_option("hongsong")
    form.locator("select[name=period_type]").select_option("quarter")
    form.locator("input[name=key]").fill(story.key)
    form.locator("input[name=notice_days]").fill("7")
    form.get_by_role("button", name="开始公示").click()
    expect(staff.locator(".flash")).to_have_text("已开始公示")
    period_id = int(staff.url.rstrip("/").rsplit("/", 1)[1])
    expect(staff.locator("main")).to_contain_text("蒋*梅")
    screenshot(staff, "evaluation-period-opened")

    # A resident, on a phone, objects on the public page.
    phone = open_context(browser, live_server, PHONE)
    resident = phone.new_page()
    log_in_at(resident, story.resident)
    resident.goto(f"/notice/{period_id}")
    expect(resident.locator("table")).to_contain_text("蒋*梅")
    assert "13700000155" not in resident.content()
    resident.locator("textarea[name=text]").fill("她那天还参加了敬老院探访，积分少算了")
    resident.get_by_role("button", name="提交异议").click()
    expect(resident.locator(".flash")).to_contain_text("异议已提交")
    screenshot(resident, "evaluation-notice-objection")
    phone.close()

    # Staff answer it on record; it cannot be frozen while the notice runs.
    staff.reload()
    expect(staff.get_by_role("button", name="定档")).to_have_count(0)
    staff.locator("textarea[name=answer]").fill("经核实，敬老院探访未经核验，不予补分")
    staff.get_by_role("button", name="异议不成立").click()
    expect(staff.locator(".flash")).to_have_text("已答复")
    expect(staff.locator("main")).to_contain_text("经核实，敬老院探访未经核验")

    # The notice days pass; the period is frozen.
    notice_days_pass(story, period_id)
    staff.reload()
    staff.get_by_role("button", name="定档").click()
    expect(staff.locator(".flash")).to_have_text("已定档")
    screenshot(staff, "evaluation-period-frozen")
    desk.close()

    # The unit admin downloads the member's statement of the frozen period.
    office = open_context(browser, live_server, DESKTOP)
    admin = office.new_page()
    log_in_at(admin, story.admin)
    open_menu(admin, "单位报告")
    admin.get_by_role("link", name="定档后的个人积分单").click()
    admin.get_by_role("link", name=story.key, exact=False).first.click()
    admin.locator("tr", has_text="蒋红梅").get_by_role("link", name="查看").click()
    expect(admin.locator("main")).to_contain_text("松涛社区：秋季清扫")
    screenshot(admin, "evaluation-unit-statement")
    with admin.expect_download() as download:
        admin.get_by_role("link", name="导出 Excel").click()
    assert download.value.suggested_filename.endswith(".xlsx")
    with open(download.value.path(), "rb") as file:
        sheet = openpyxl.load_workbook(io.BytesIO(file.read())).active
    lines = [[cell.value for cell in row] for row in sheet.iter_rows(min_row=2)]
    assert [(line[1], line[3]) for line in lines] == [("松涛社区：秋季清扫", 15)]
    office.close()

    # The member downloads a certificate of the quarter; its QR opens the verification page.
    member_phone = open_context(browser, live_server, PHONE)
    member = member_phone.new_page()
    log_in_at(member, story.member)
    open_menu(member, "我的星级")
    member.locator("select[name=kind]").select_option("hongsong")
    member.locator("input[name=first]").fill(story.first)
    member.locator("input[name=last]").fill(story.last)
    screenshot(member, "evaluation-my-stars")
    _, pdf = downloaded(member, member.get_by_role("button", name="下载证明").click)
    assert pdf.startswith(b"%PDF")
    SCREENSHOTS.joinpath("evaluation-certificate-pdf.png").write_bytes(first_page_png(pdf))
    urls = qr_of_pdf(pdf)
    assert len(urls) == 1 and urls[0].startswith(f"{live_server.url}/certificates/")
    member.goto(urls[0])
    expect(member.locator("main")).to_contain_text("与积分台账一致")
    expect(member.locator("main")).to_contain_text("松涛社区：秋季清扫")
    expect(member.locator("main")).to_contain_text("蒋*梅")
    screenshot(member, "evaluation-certificate-verified")

    # The member's annual assessment sheet, printable and as a PDF.
    member.goto("/evaluation/me")
    member.get_by_role("link", name="我的年度考评表").click()
    member.locator("input[name=year]").fill(story.key[:4])  # last quarter may be last year's
    member.get_by_role("button", name="查看").click()
    expect(member.locator("main")).to_contain_text("松涛社区：秋季清扫")
    expect(member.get_by_role("button", name="打印")).to_be_visible()
    screenshot(member, "evaluation-assessment-sheet")
    name, sheet_pdf = downloaded(member, member.get_by_role("link", name="下载 PDF").click)
    assert name.endswith(".pdf") and sheet_pdf.startswith(b"%PDF")
    SCREENSHOTS.joinpath("evaluation-assessment-pdf.png").write_bytes(first_page_png(sheet_pdf))
    member_phone.close()


def test_dashboard_charts_fit_a_narrow_phone(browser, live_server, story):
    from playwright.sync_api import expect

    context = open_context(browser, live_server, {"width": 320, "height": 700})
    page = context.new_page()
    log_in_at(page, story.staff[0])
    page.goto("/evaluation/dashboard")
    for chart in ("issued", "participation", "demands", "top-tasks"):
        expect(page.locator(f"#{chart} svg[role=img]")).to_be_visible()
    tasks = page.locator("#top-tasks")
    tasks.locator("summary").click()
    expect(tasks.locator("table tbody tr").first).to_contain_text("松涛社区：秋季清扫")
    expect(tasks.locator("table tbody tr").first).to_contain_text("3.0")
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    screenshot(page, "evaluation-dashboard-320")
    context.close()
