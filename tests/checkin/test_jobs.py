"""The missing check-out job: closes what was left open at the end, by the configured rule."""

from __future__ import annotations

import pytest

from points.checkin import presenters, queries
from points.checkin.models import CheckIn
from points.db import session
from points.ledger.queries import get_transfer
from points.scheduler import run_job
from tests.checkin.conftest import at


@pytest.fixture
def left_open(world, make_activity, scan):
    """The resident checked in at 09:30 to a 09:00–13:00 activity paid 10 an hour, and never out."""
    activity = make_activity(hourly_rate=10)
    checkin = scan(world.resident, activity, now=at(30)).checkin
    return activity, checkin


def test_close_missing_checkouts_credits_until_the_end(world, left_open, fresh):
    activity, checkin = left_open

    result = run_job("close_missing_checkouts", now=at(300))

    row = fresh(CheckIn, checkin.id)
    assert result.status == "ok" and "closed 1" in result.detail
    assert row.checked_out_at == activity.ends_at
    assert (row.closed_by_job, row.close_rule, row.minutes, row.points) == (True, "credit_until_end", 210, 35)
    award = get_transfer(row.award_transfer_id)
    # Nobody confirmed the person was there at the end: the award waits for approval.
    assert (award["amount"], award["status"]) == (35, "pending")
    assert "未签退，按规则计至活动结束" in award["memo"]


def test_close_missing_checkouts_no_credit_rule(world, left_open, fresh, app, monkeypatch):
    _, checkin = left_open
    monkeypatch.setitem(app.config, "CHECKIN_MISSING_CHECKOUT_RULE", "no_credit")

    run_job("close_missing_checkouts", now=at(300))

    row = fresh(CheckIn, checkin.id)
    assert (row.closed_by_job, row.close_rule, row.minutes, row.points, row.award_transfer_id) == (
        True,
        "no_credit",
        0,
        0,
        None,
    )


def test_close_missing_checkouts_waits_for_the_grace_period(world, left_open, fresh):
    _, checkin = left_open

    run_job("close_missing_checkouts", now=at(250))

    assert fresh(CheckIn, checkin.id).checked_out_at is None


def test_close_missing_checkouts_leaves_running_activities_alone(world, make_activity, scan, fresh):
    later = make_activity(title="下午", starts_at=at(300), ends_at=at(600))
    checkin = scan(world.resident, later, now=at(300)).checkin

    run_job("close_missing_checkouts", now=at(400))

    assert fresh(CheckIn, checkin.id).checked_out_at is None


def test_close_missing_checkouts_twice_in_one_period_runs_once(world, left_open, fresh):
    first = run_job("close_missing_checkouts", now=at(300))
    again = run_job("close_missing_checkouts", now=at(301))

    assert (first.status, again.status) == ("ok", "skipped")


def test_close_missing_checkouts_rerun_closes_nothing_twice(world, left_open, fresh):
    _, checkin = left_open
    run_job("close_missing_checkouts", now=at(300))
    award_id = fresh(CheckIn, checkin.id).award_transfer_id

    later = run_job("close_missing_checkouts", now=at(400))

    assert later.status == "ok" and "closed 0" in later.detail
    assert fresh(CheckIn, checkin.id).award_transfer_id == award_id


def test_close_missing_checkouts_shows_on_the_persons_record(world, left_open):
    run_job("close_missing_checkouts", now=at(300))

    items = presenters.checkin_items(session().execute(queries.checkins_stmt(person_id=world.resident.id)))

    assert "活动结束时未签退，系统已按规则自动签退（计至活动结束）" in items[0]["note"]


def test_close_missing_checkouts_with_an_unknown_rule_fails_and_changes_nothing(
    world, left_open, fresh, app, monkeypatch, save
):
    _, checkin = left_open
    save()
    monkeypatch.setitem(app.config, "CHECKIN_MISSING_CHECKOUT_RULE", "half_credit")

    result = run_job("close_missing_checkouts", now=at(300))

    assert result.status == "failed"
    assert fresh(CheckIn, checkin.id).checked_out_at is None


def test_close_missing_checkouts_after_an_early_end(world, make_activity, scan, fresh):
    from points.checkin import operations as ops

    activity = make_activity(hourly_rate=12)
    checkin = scan(world.resident, activity, now=at(0)).checkin
    ops.end_activity(actor=world.staff_actor, activity_id=activity.id, now=at(60))

    run_job("close_missing_checkouts", now=at(120))

    row = fresh(CheckIn, checkin.id)
    assert (row.checked_out_at, row.minutes, row.points) == (at(60), 60, 12)
