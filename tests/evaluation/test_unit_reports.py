"""双报告: a unit's monthly report of its people's service and, after a frozen period, a
statement per member; only the unit's own admin (or an admin) reads them."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import openpyxl
import pytest

from points.evaluation import operations
from tests.evaluation.conftest import AFTER_Q3, IN_Q3, open_quarter

IN_SEPTEMBER = datetime(2026, 9, 12, 2, 0, tzinfo=UTC)


def csv_rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))


@pytest.fixture
def served(town, give, make_unit, make_person):
    give(town.m1, 10, now=IN_Q3)
    give(town.m2, 6, kind="hongsong", now=IN_Q3)
    give(town.m1, 3, now=IN_SEPTEMBER)
    give(town.r1, 20, now=IN_Q3)  # works nowhere
    give(None, 4, kind="hongsong", unit=town.unit, community=town.a, now=IN_Q3)
    other = make_unit("蓝天公司")
    town.other_admin = make_person(community=town.a, roles=[("unit_admin", other)], name="别的单位管理员")
    town.other_unit = other
    return town


def test_the_unit_admin_reads_the_month_of_their_people(served, page_as):
    admin = page_as(served.unit_admin)
    page = admin.get(f"/evaluation/unit-report?unit_id={served.unit.id}&month=2026-08")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "党员甲乙" in html and "党员丙丁" in html and "张三英" not in html

    rows = csv_rows(admin.get(f"/evaluation/unit-report?unit_id={served.unit.id}&month=2026-08&format=csv"))
    assert rows[0] == ["日期", "姓名", "服务内容", "积分类型", "积分", "时长（小时）"]
    lines = sorted((r[1], r[3], int(r[4])) for r in rows[1:])
    assert lines == sorted([("党员甲乙", "兴安分", 10), ("党员丙丁", "红松分", 6), ("红星公司", "红松分", 4)])
    assert all(r[0] == "2026-08-10" for r in rows[1:])
    # September holds only m1's second award.
    september = csv_rows(admin.get("/evaluation/unit-report?month=2026-09&format=csv"))
    assert [(r[1], int(r[4])) for r in september[1:]] == [("党员甲乙", 3)]


def test_the_report_as_a_workbook(served, page_as):
    response = page_as(served.unit_admin).get("/evaluation/unit-report?month=2026-08&format=xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).active
    assert sheet.freeze_panes == "A2" and sheet["A1"].font.bold
    assert sheet.max_row == 4 and sum(sheet.cell(row=r, column=5).value for r in range(2, 5)) == 20


def test_other_units_and_other_people_are_refused(served, page_as):
    unit = served.unit.id
    other = page_as(served.other_admin)
    assert other.get(f"/evaluation/unit-report?unit_id={unit}&month=2026-08").status_code == 404
    assert other.get(f"/evaluation/unit-report?unit_id={unit}&month=2026-08&format=csv").status_code == 404
    own = other.get("/evaluation/unit-report?month=2026-08").get_data(as_text=True)
    assert "蓝天公司" in own and "党员甲乙" not in own
    assert other.get(f"/evaluation/unit-statements?unit_id={unit}").status_code == 404
    for person in (served.r1, served.staff, served.m1):
        assert page_as(person).get("/evaluation/unit-report").status_code == 403
        assert page_as(person).get(f"/evaluation/unit-report?unit_id={unit}").status_code == 404


def test_bad_input_is_a_clear_refusal(served, page_as):
    admin = page_as(served.unit_admin)
    assert admin.get("/evaluation/unit-report?month=2026-13").status_code == 422
    assert admin.get("/evaluation/unit-report?month=August").status_code == 422
    assert admin.get("/evaluation/unit-report?unit_id=abc").status_code == 422
    assert admin.get("/evaluation/unit-report?month=2026-08&format=pdf").status_code == 422


@pytest.fixture
def frozen(served):
    period = open_quarter(served)
    operations.freeze_period(actor=served.staff_actor, period_id=period.id, now=AFTER_Q3 + timedelta(days=30))
    served.period = period
    return served


def test_after_freezing_each_member_has_a_statement_for_the_unit(frozen, page_as):
    admin = page_as(frozen.unit_admin)
    listing = admin.get("/evaluation/unit-statements").get_data(as_text=True)
    assert "2026-Q3" in listing
    members = admin.get(f"/evaluation/unit-statements?period_id={frozen.period.id}").get_data(as_text=True)
    # Only m1 earned 兴安分 in the quarter; r1 earned more but works elsewhere.
    assert "党员甲乙" in members and "张三英" not in members

    query = f"period_id={frozen.period.id}&person_id={frozen.m1.id}"
    page = admin.get(f"/evaluation/unit-statements?{query}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "<dd>13</dd>" in html and "<dd>2</dd>" in html  # 10 + 3 points, second after r1's 20
    rows = csv_rows(admin.get(f"/evaluation/unit-statements?{query}&format=csv"))
    assert rows[0] == ["日期", "服务内容", "积分类型", "积分"]
    assert [(r[0], int(r[3])) for r in rows[1:]] == [("2026-08-10", 10), ("2026-09-12", 3)]
    book = openpyxl.load_workbook(
        io.BytesIO(admin.get(f"/evaluation/unit-statements?{query}&format=xlsx").data)
    )
    assert book.active.max_row == 3


def test_statements_are_only_of_the_units_members_and_only_frozen(frozen, page_as, give):
    admin = page_as(frozen.unit_admin)
    period = frozen.period.id
    assert (
        admin.get(f"/evaluation/unit-statements?period_id={period}&person_id={frozen.r1.id}").status_code
        == 404
    )
    other = page_as(frozen.other_admin)
    assert other.get(f"/evaluation/unit-statements?period_id={period}").status_code == 404
    assert (
        other.get(
            f"/evaluation/unit-statements?unit_id={frozen.unit.id}&period_id={period}&person_id={frozen.m1.id}"
        ).status_code
        == 404
    )
    assert admin.get("/evaluation/unit-statements?period_id=999999").status_code == 404


def test_a_period_in_notice_has_no_statements(served, page_as):
    period = open_quarter(served)
    admin = page_as(served.unit_admin)
    assert "2026-Q3" not in admin.get("/evaluation/unit-statements").get_data(as_text=True)
    assert admin.get(f"/evaluation/unit-statements?period_id={period.id}").status_code == 404


def test_the_report_speaks_english_when_asked(served, page_as):
    admin = page_as(served.unit_admin)
    html = admin.get("/evaluation/unit-report?month=2026-08&lang=en").get_data(as_text=True)
    assert "Unit report" in html and "Totals per person" in html
    rows = csv_rows(admin.get("/evaluation/unit-report?month=2026-08&format=csv&lang=en"))
    assert rows[0][0] != "日期" and len(rows) == 4
