"""The nightly anomaly run: registered with the scheduler, run by hand for a past day, idempotent."""

from __future__ import annotations

import sqlalchemy as sa

from points import scheduler
from points.db import session
from points.supervision.models import Flag
from tests.supervision.conftest import DAY, at
from tests.test_cli import committed_app, fresh_url, invoke  # noqa: F401  (fixtures)


def test_anomaly_flags_job_reads_its_period_and_runs_once(world, activity, stay):
    act = activity()
    for i, p in enumerate(world.residents[:3]):
        stay(p, act, at(i * 3), device="d" * 64)
    assert "anomaly_flags" in scheduler.jobs()

    first = scheduler.run_job("anomaly_flags", period=DAY, now=at(24 * 60))
    again = scheduler.run_job("anomaly_flags", period=DAY, now=at(24 * 60))
    a_month_later = scheduler.run_job("anomaly_flags", period="2026-12-30", now=at(24 * 60))

    assert first.status == "ok" and "shared_devices 1" in first.detail
    assert again.status == "skipped"
    # The window ending 2026-12-30 no longer holds the 24th's check-ins: nothing new.
    assert a_month_later.status == "ok" and "shared_devices 0" in a_month_later.detail
    assert session().scalar(sa.select(sa.func.count()).select_from(Flag)) == 1


def test_jobs_run_anomaly_flags_by_hand(committed_app):  # noqa: F811
    result = invoke(committed_app, "jobs", "run", "anomaly_flags", "--period", "2026-11-24")

    assert result.exit_code == 0, result.output
    assert "anomaly_flags 2026-11-24: ok" in result.output
    assert "mutual_approvals 0" in result.output
    assert (
        ": skipped " in invoke(committed_app, "jobs", "run", "anomaly_flags", "--period", "2026-11-24").output
    )
