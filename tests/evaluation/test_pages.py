"""Evaluation pages: rankings and their exports, 光荣榜, 公示 management, the public 公示 page
(masked names, no phones) with an objection filed and answered, and my stars."""

from __future__ import annotations

import csv
import io
import re

import openpyxl
import pytest
from sqlmodel import select

from points.evaluation import operations
from points.evaluation.models import Objection
from tests.evaluation.conftest import deduct, open_quarter


@pytest.fixture
def noticed(town, give):
    give(town.r1, 30)
    give(town.r2, 20)
    period = open_quarter(town, notice_days=60)
    town.period = period
    return town


def test_rankings_page_and_its_exports(noticed, page_as):
    staff = page_as(noticed.staff)
    query = f"kind=xingan&period_type=quarter&key=2026-Q3&node_id={noticed.a.id}"

    page = staff.get(f"/evaluation/rankings?{query}")
    as_csv = staff.get(f"/evaluation/rankings?{query}&format=csv")
    as_xlsx = staff.get(f"/evaluation/rankings?{query}&format=xlsx")

    assert page.status_code == 200 and "张三英" in page.get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(as_csv.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:2] == ["名次", "姓名"] and rows[1][:2] == ["1", "张三英"]
    sheet = openpyxl.load_workbook(io.BytesIO(as_xlsx.data)).active
    assert sheet.freeze_panes == "A2" and sheet["A1"].font.bold and sheet["B2"].value == "张三英"


def test_rankings_page_is_not_for_residents(noticed, page_as):
    assert page_as(noticed.r1).get("/evaluation/rankings").status_code == 403


def test_honors_page_masks_names(noticed, page_as):
    html = (
        page_as(noticed.r3).get("/honors?kind=xingan&period_type=quarter&key=2026-Q3").get_data(as_text=True)
    )

    assert "张*英" in html and "张三英" not in html and noticed.r1.phone not in html


def test_public_notice_page_without_login_and_an_objection(noticed, client, page_as, sess):
    public = client.get(f"/notice/{noticed.period.id}")
    html = public.get_data(as_text=True)
    assert public.status_code == 200 and "张*英" in html and "张三英" not in html
    assert noticed.r1.phone not in html

    resident = page_as(noticed.r3)
    filed = resident.post(
        f"/notice/{noticed.period.id}/objections", data={"subject_id": noticed.r1.id, "text": "分数偏高"}
    )
    assert filed.status_code == 302
    objection = sess.exec(select(Objection).where(Objection.period_id == noticed.period.id)).one()

    staff = page_as(noticed.staff)
    manage = staff.get(f"/evaluation/periods/{noticed.period.id}").get_data(as_text=True)
    assert "分数偏高" in manage and "公示期尚未结束" in manage
    staff.post(
        f"/evaluation/objections/{objection.id}/answer", data={"decision": "reject", "answer": "核实无误"}
    )
    sess.expire_all()
    assert sess.get(Objection, objection.id).state == "rejected"
    assert "核实无误" in client.get(f"/notice/{noticed.period.id}").get_data(as_text=True)


def test_periods_page_opens_a_notice(town, give, page_as):
    give(town.r1, 30)
    staff = page_as(town.staff)

    listed = staff.get("/evaluation/periods")
    opened = staff.post(
        "/evaluation/periods",
        data={"community_id": town.a.id, "kind": "xingan", "period_type": "quarter", "key": "2026-Q3"},
    )
    bad = staff.post(
        "/evaluation/periods",
        data={"community_id": town.a.id, "kind": "xingan", "period_type": "quarter", "key": ""},
    )

    assert listed.status_code == 200
    assert opened.status_code == 302 and "/evaluation/periods/" in opened.headers["Location"]
    assert bad.status_code == 422


def test_my_stars_page_shows_deductions_with_an_appeal(town, give, page_as):
    give(town.m1, 60, kind="hongsong")
    deduction = deduct(town, 3, "迟到", "记录")
    operations.act_on_deduction(actor=town.staff2_actor, deduction_id=deduction.id, action="approve")

    html = page_as(town.m1).get("/evaluation/me").get_data(as_text=True)

    assert "迟到" in html and "提出申诉" in html and "★" in html


def test_member_book_lists_every_member_with_stars_and_exports(town, give, page_as):
    give(town.m1, 60, kind="hongsong")
    operations.exempt_member(actor=town.staff_actor, person_id=town.m2.id, year=2026, reason="年迈")
    staff = page_as(town.staff)

    html = staff.get(f"/evaluation/book?node_id={town.a.id}&year=2026").get_data(as_text=True)
    sheet = openpyxl.load_workbook(
        io.BytesIO(staff.get(f"/evaluation/book?node_id={town.a.id}&year=2026&format=xlsx").data)
    ).active

    assert "党员甲乙" in html and "党员丙丁" in html and "年迈" in html and "红星公司" in html
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[0][:4] == ["姓名", "工作单位", "网格/社区", "积分"]
    assert values[1][0] == "党员甲乙" and values[1][3] == 60 and values[2][4] == "免评"
    assert page_as(town.r1).get("/evaluation/book").status_code == 403


@pytest.mark.parametrize(
    ("decision", "said"),
    [
        ("reject", "你对2026-Q3公示提出的异议不成立：核实无误"),
        ("uphold", "你对2026-Q3公示提出的异议成立：核实无误"),
    ],
)
def test_an_answered_objection_reaches_its_filers_inbox(noticed, page_as, sess, decision, said):
    resident = page_as(noticed.r3)
    resident.post(
        f"/notice/{noticed.period.id}/objections", data={"subject_id": noticed.r1.id, "text": "分数偏高"}
    )
    objection = sess.exec(select(Objection).where(Objection.period_id == noticed.period.id)).one()

    page_as(noticed.staff).post(
        f"/evaluation/objections/{objection.id}/answer", data={"decision": decision, "answer": "核实无误"}
    )

    inbox = resident.get("/notices").get_data(as_text=True)
    assert said in inbox
    assert "Your objection to the 2026-Q3 public notice was" in resident.get("/notices?lang=en").get_data(
        as_text=True
    )
    notice_id = re.search(r"/notices/(\d+)/open", inbox).group(1)
    opened = resident.post(f"/notices/{notice_id}/open")
    assert opened.headers["Location"].endswith(f"/notice/{noticed.period.id}#objection-{objection.id}")
    assert f'id="objection-{objection.id}"' in resident.get(f"/notice/{noticed.period.id}").get_data(
        as_text=True
    )
    # Only whoever filed it is told.
    assert "异议" not in page_as(noticed.r1).get("/notices").get_data(as_text=True)
