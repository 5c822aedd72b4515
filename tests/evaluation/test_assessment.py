"""The annual assessment sheet of a party member and their organisation's summary: the member's
service with days and hours, points, stars or 免评, deductions with appeals; printable and as a
PDF; only the member, their unit's admin and staff or supervisors in scope may read it."""

from __future__ import annotations

import pytest

from points.evaluation import operations
from tests.evaluation.conftest import IN_Q3, deduct


@pytest.fixture
def year(town, serve, make_person, make_unit):
    serve(town.m1, "清扫楼道", hours=2, points=10)
    serve(town.m1, "敬老院探访", hours=1.5, points=6)
    serve(town.r1, "不是党员的服务", hours=3, points=8)
    operations.exempt_member(
        actor=town.staff_actor, person_id=town.m2.id, year=2026, reason="年逾八十，行动不便"
    )
    deduction = deduct(town, 5, "无故缺席组织生活")
    operations.act_on_deduction(actor=town.staff2_actor, deduction_id=deduction.id, action="approve")
    from points.auth.current import actor_for

    operations.act_on_deduction(
        actor=actor_for(town.m1), deduction_id=deduction.id, action="appeal", text="当天在单位值班，有记录"
    )
    other = make_unit("蓝天公司")
    town.other_admin = make_person(community=town.a, roles=[("unit_admin", other)], name="别的单位管理员")
    town.deduction = deduction
    return town


def test_member_sheet_lists_service_with_hours_points_stars_and_the_appeal(year, api_as):
    r = api_as(year.m1).get(f"/api/v1/evaluation/assessment/people/{year.m1.id}?year=2026")

    assert r.status_code == 200, r.json
    sheet = r.json
    assert [(s["title"], s["hours"], s["points"]) for s in sheet["services"]] == [
        ("清扫楼道", 2.0, 10),
        ("敬老院探访", 1.5, 6),
    ]
    assert sheet["services"][0]["day"] == IN_Q3.date().isoformat()
    assert (sheet["points"], sheet["hours"], sheet["exempt"]) == (16, 3.5, False)
    assert sheet["deducted"] == 5 and sheet["unit"] == "红星公司"
    [d] = sheet["deductions"]
    assert (d["points"], d["state"], d["appeal_text"]) == (5, "appealed", "当天在单位值班，有记录")


def test_exempt_member_shows_mian_ping_not_a_low_score(year, api_as, page_as):
    r = api_as(year.unit_admin).get(f"/api/v1/evaluation/assessment/people/{year.m2.id}?year=2026")
    assert r.status_code == 200
    assert (r.json["exempt"], r.json["stars"], r.json["exemption"]) == (True, None, "年逾八十，行动不便")
    html = (
        page_as(year.unit_admin).get(f"/evaluation/assessment/{year.m2.id}?year=2026").get_data(as_text=True)
    )
    assert "免评" in html and "年逾八十" in html


def test_org_summary_counts_members_points_and_exemptions(year, api_as):
    r = api_as(year.unit_admin).get(f"/api/v1/evaluation/assessment/units/{year.unit.id}?year=2026")

    assert r.status_code == 200, r.json
    summary = r.json
    assert (summary["total_members"], summary["exempt_members"], summary["total_points"]) == (2, 1, 16)
    by_name = {m["name"]: m for m in summary["members"]}
    assert by_name["党员甲乙"]["points"] == 16 and by_name["党员丙丁"]["exempt"] is True
    assert "张三英" not in by_name


def test_sheet_page_prints_and_downloads_as_pdf(year, page_as):
    page = page_as(year.m1).get(f"/evaluation/assessment/{year.m1.id}?year=2026")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "data-print" in html and 'class="sheet"' in html
    assert "清扫楼道" in html and "敬老院探访" in html and "当天在单位值班" in html

    pdf = page_as(year.m1).get(f"/evaluation/assessment/{year.m1.id}?year=2026&format=pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")
    assert b"STSong-Light" in pdf.data
    org = page_as(year.street).get(f"/evaluation/assessment/units/{year.unit.id}?year=2026&format=pdf")
    assert org.status_code == 200 and org.data.startswith(b"%PDF")


@pytest.mark.parametrize("who", ["m2", "r1", "other_admin", "b_staff"])
def test_others_are_told_the_sheet_is_not_found(year, api_as, page_as, who):
    reader = getattr(year, who)
    assert api_as(reader).get(f"/api/v1/evaluation/assessment/people/{year.m1.id}").status_code == 404
    assert page_as(reader).get(f"/evaluation/assessment/{year.m1.id}?format=pdf").status_code == 404


@pytest.mark.parametrize("who", ["m1", "r1", "other_admin", "b_staff"])
def test_others_are_told_the_org_summary_is_not_found(year, api_as, who):
    reader = getattr(year, who)
    assert api_as(reader).get(f"/api/v1/evaluation/assessment/units/{year.unit.id}").status_code == 404


@pytest.mark.parametrize("who", ["staff", "street", "unit_admin"])
def test_staff_street_and_unit_admin_read_the_sheet_and_summary(year, api_as, who):
    reader = getattr(year, who)
    assert api_as(reader).get(f"/api/v1/evaluation/assessment/people/{year.m1.id}").status_code == 200
    assert api_as(reader).get(f"/api/v1/evaluation/assessment/units/{year.unit.id}").status_code == 200


def test_a_resident_who_is_no_party_member_has_no_sheet(year, api_as):
    assert api_as(year.r1).get(f"/api/v1/evaluation/assessment/people/{year.r1.id}").status_code == 404
