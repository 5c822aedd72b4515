"""The annual settlement: every party member's stars for the year, the configured expiry of
unspent points in batches, and a second run that changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from points import scheduler
from points.evaluation import operations
from points.evaluation.models import YearRating
from points.ledger.models import Transfer
from points.ledger.queries import balances_of_person
from tests.conftest import settings

NEW_YEAR = datetime(2026, 12, 31, 17, 30, tzinfo=UTC)  # 01:30 on 1 January 2027 in Asia/Shanghai


@pytest.fixture
def expiring(app):
    with settings(app, EVALUATION_EXPIRING_KINDS="xingan", EVALUATION_SETTLEMENT_BATCH=2):
        yield


def _state(sess):
    sess.expire_all()
    ratings = sess.execute(sa.select(YearRating.person_id, YearRating.stars, YearRating.points)).all()
    transfers = sess.execute(sa.select(sa.func.count()).select_from(Transfer)).scalar_one()
    return sorted(ratings), transfers


def test_annual_settlement_rates_members_and_expires_points_once(town, give, sess, expiring):
    give(town.m1, 60, kind="hongsong")
    give(town.r1, 30)
    give(town.r2, 5)
    give(town.r3, 7)
    operations.exempt_member(actor=town.staff_actor, person_id=town.m2.id, year=2026, reason="重病")

    first = scheduler.run_job("annual_settlement", now=NEW_YEAR)
    after_first = _state(sess)
    second = scheduler.run_job("annual_settlement", now=NEW_YEAR)

    assert first.status == "ok" and first.period == "2026", first.detail
    assert first.detail == "rated 2 members, expired points of 3 accounts"
    assert second.status == "skipped"
    assert _state(sess) == after_first
    assert sorted(after_first[0]) == [(town.m1.id, 2, 60), (town.m2.id, None, 0)]
    assert [balances_of_person(p.id)["xingan"]["available"] for p in (town.r1, town.r2, town.r3)] == [0, 0, 0]
    assert balances_of_person(town.m1.id)["hongsong"]["available"] == 60


def test_annual_settlement_job_is_registered_with_its_yearly_period(app):
    job = scheduler.jobs()["annual_settlement"]

    assert job.period(NEW_YEAR) == "2026"
    assert scheduler.valid_period(job, "2026") and not scheduler.valid_period(job, "2026-01")
    assert scheduler.describe_schedule(job.cron) == "yearly on 01-01 at 01:10"


def test_settlement_runs_by_hand_for_a_year_from_the_command_line(app, town, give):
    give(town.m1, 25, kind="hongsong")
    runner = app.test_cli_runner()

    first = runner.invoke(args=["points", "jobs", "run", "annual_settlement", "--period", "2026"])
    again = runner.invoke(args=["points", "jobs", "run", "annual_settlement", "--period", "2026"])
    wrong = runner.invoke(args=["points", "jobs", "run", "annual_settlement", "--period", "2026-01"])

    assert "annual_settlement 2026: ok rated 2 members" in first.output
    assert "skipped" in again.output
    assert wrong.exit_code != 0
