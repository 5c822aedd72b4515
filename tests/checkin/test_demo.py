"""The check-in part of `flask points demo`: activities at every station, a paid past duty, a task's
activity; a second run adds nothing."""

from __future__ import annotations

import sqlalchemy as sa

from points.db import session
from points.demo.command import load_demo
from tests.conftest import quiet


def test_load_demo_adds_activities_and_checkins(demo):
    from points.checkin.models import Activity, CheckIn
    from points.db import utcnow
    from points.demo.checkin import ON_DUTY, PAST
    from points.org.models import Station

    app, added = demo
    with app.app_context():
        stations = session().execute(sa.select(sa.func.count()).select_from(Station)).scalar_one()
        running = session().execute(sa.select(Activity).where(Activity.title == ON_DUTY)).scalars().all()
        assert len(running) == stations and all(a.starts_at <= utcnow() < a.ends_at for a in running)
        past = session().execute(sa.select(Activity).where(Activity.title == PAST)).scalar_one()
        rows = session().execute(sa.select(CheckIn).where(CheckIn.activity_id == past.id)).scalars().all()
        assert all(r.checked_out_at is not None for r in rows)
        assert any(r.closed_by_job for r in rows) and any(r.by_staff_id for r in rows)
        assert any(r.award_transfer_id for r in rows)
        linked = session().execute(sa.select(Activity).where(Activity.task_id.is_not(None))).scalars().all()
        assert len(linked) == 1
    assert added["activities"] == stations + 2 and added["checkins"] >= 8


def test_load_demo_twice_adds_no_checkins(demo):
    app, _ = demo
    with app.app_context():
        again = load_demo(echo=quiet, progress=False)
    assert again["activities"] == 0 and again["checkins"] == 0


def test_load_demo_ledger_still_verifies(demo):
    from points.ledger.verify import verify_ledger

    app, _ = demo
    with app.app_context():
        assert verify_ledger().ok
