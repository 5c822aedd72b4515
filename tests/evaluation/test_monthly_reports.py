"""双报告 prepared by the monthly job: one report per unit and month, with who, what, when, hours
and points; a second run of the month changes nothing; the unit's admin lists and downloads them."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import openpyxl
import pytest
from sqlmodel import select

from points import scheduler
from points.evaluation import operations
from points.evaluation.models import UnitReport
from points.ledger import operations as ledger
from tests.evaluation.conftest import IN_Q3

IN_OCTOBER = datetime(2026, 10, 12, 2, 0, tzinfo=UTC)
FIRST_OF_NOVEMBER = datetime(2026, 11, 1, 2, 0, tzinfo=UTC)


def _report(sess, town) -> UnitReport:
    return sess.exec(
        select(UnitReport).where(UnitReport.unit_id == town.unit.id, UnitReport.month == "2026-10")
    ).one()


@pytest.fixture
def october(town, serve, give, make_unit, make_person):
    serve(town.m1, "清扫楼道", hours=2, points=10, at=IN_OCTOBER)
    serve(town.m2, "敬老院探访", hours=1.5, points=6, at=IN_OCTOBER)
    give(town.m1, 3, kind="hongsong", now=IN_Q3)  # another month
    give(town.r1, 20, now=IN_OCTOBER)  # works nowhere
    other = make_unit("蓝天公司")
    town.other_admin = make_person(community=town.a, roles=[("unit_admin", other)], name="别的单位管理员")
    return town


def test_the_job_is_registered_for_the_month_just_ended(app):
    job = scheduler.jobs()["unit_reports"]

    assert job.period(FIRST_OF_NOVEMBER) == "2026-10"
    assert job.period(datetime(2027, 1, 1, 2, 0, tzinfo=UTC)) == "2026-12"
    assert scheduler.valid_period(job, "2026-10") and not scheduler.valid_period(job, "2026")
    assert scheduler.describe_schedule(job.cron) == "monthly on day 1 at 02:30"


def test_prepared_report_lists_who_what_when_hours_and_points(october, sess):
    result = operations.prepare_unit_reports(month="2026-10", now=FIRST_OF_NOVEMBER)

    assert result["prepared"] == 1
    report = _report(sess, october)
    assert (report.people, report.hongsong, report.xingan, report.hours) == (2, 16, 0, 3.5)
    # Party members earn 红松分 by a task; one line per award.
    titles = sorted((line["name"], line["title"], line["hours"], line["points"]) for line in report.lines)
    assert ("党员甲乙", "清扫楼道", 2.0, 10) in titles and ("党员丙丁", "敬老院探访", 1.5, 6) in titles
    assert all(line["name"] != "张三英" for line in report.lines)


def test_a_second_run_of_the_month_changes_nothing(october, sess, give):
    operations.prepare_unit_reports(month="2026-10", now=FIRST_OF_NOVEMBER)
    before = _report(sess, october)
    lines = list(before.lines)
    give(october.m1, 50, now=IN_OCTOBER)

    again = operations.prepare_unit_reports(month="2026-10", now=FIRST_OF_NOVEMBER)

    assert again["prepared"] == 0 and again["already"] == 1
    assert len(sess.exec(select(UnitReport).where(UnitReport.month == "2026-10")).all()) == 1
    after = _report(sess, october)
    assert after.lines == lines


def test_the_job_runs_by_hand_for_a_month_from_the_command_line(app, october):
    runner = app.test_cli_runner()

    first = runner.invoke(args=["points", "jobs", "run", "unit_reports", "--period", "2026-10"])
    again = runner.invoke(args=["points", "jobs", "run", "unit_reports", "--period", "2026-10"])
    wrong = runner.invoke(args=["points", "jobs", "run", "unit_reports", "--period", "2026"])

    assert "unit_reports 2026-10: ok prepared 1 unit reports for 2026-10" in first.output, first.output
    assert "skipped" in again.output
    assert wrong.exit_code != 0


def test_the_unit_admin_lists_and_downloads_the_months(october, api_as, page_as):
    operations.prepare_unit_reports(month="2026-10", now=FIRST_OF_NOVEMBER)
    api = api_as(october.unit_admin)

    listed = api.get(f"/api/v1/evaluation/units/{october.unit.id}/reports")
    assert listed.status_code == 200
    assert [(r["month"], r["people"], r["hours"]) for r in listed.json["items"]] == [("2026-10", 2, 3.5)]
    detail = api.get(f"/api/v1/evaluation/units/{october.unit.id}/reports/2026-10")
    assert detail.status_code == 200 and len(detail.json["lines"]) == 2
    assert {(line["what"], line["hours"]) for line in detail.json["lines"]} == {
        ("清扫楼道", 2.0),
        ("敬老院探访", 1.5),
    }
    assert all(line["day"] == "2026-10-12" for line in detail.json["lines"])

    file = api.get(f"/api/v1/evaluation/units/{october.unit.id}/reports/2026-10?format=csv")
    rows = list(csv.reader(io.StringIO(file.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][-1] == "时长（小时）" and len(rows) == 3
    page = page_as(october.unit_admin).get(f"/evaluation/unit-report?unit_id={october.unit.id}&month=2026-10")
    assert 'id="prepared-reports"' in page.get_data(as_text=True)
    book = page_as(october.unit_admin).get(f"/evaluation/unit-reports/2026-10?unit_id={october.unit.id}")
    sheet = openpyxl.load_workbook(io.BytesIO(book.data)).active
    assert sheet.freeze_panes == "A2" and sheet.max_row == 3


def test_other_people_get_no_unit_reports(october, api_as):
    operations.prepare_unit_reports(month="2026-10", now=FIRST_OF_NOVEMBER)
    for reader in (october.other_admin, october.m1, october.staff):
        api = api_as(reader)
        assert api.get(f"/api/v1/evaluation/units/{october.unit.id}/reports").status_code in (403, 404)
        assert api.get(f"/api/v1/evaluation/units/{october.unit.id}/reports/2026-10").status_code in (
            403,
            404,
        )
    missing = api_as(october.unit_admin).get(f"/api/v1/evaluation/units/{october.unit.id}/reports/2026-09")
    assert missing.status_code == 404


def test_a_reversal_after_preparing_leaves_the_prepared_month_as_it_was(october, sess):
    operations.prepare_unit_reports(month="2026-10", now=FIRST_OF_NOVEMBER)
    report = _report(sess, october)
    first = next(line for line in report.lines if line["points"] > 0)

    request = ledger.reverse_transfer(
        actor=october.staff_actor, transfer_id=first["transfer_id"], reason="重复"
    )
    ledger.approve_award(actor=october.staff2_actor, transfer_id=request["id"])
    sess.expire_all()

    again = _report(sess, october)
    assert again.hongsong == 16 and len(again.lines) == 2
