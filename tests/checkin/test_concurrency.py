"""Scans racing on real parallel connections, each its own transaction, committing.

On PostgreSQL this exercises the partial unique index and the row locks; on SQLite the
BEGIN IMMEDIATE transactions. Committed ledger rows cannot be deleted (the triggers), so
the tests use a throwaway database.
"""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
import sqlalchemy as sa

from points.checkin.models import Activity, CheckIn
from points.db import session, utcnow
from tests.builders import running_activity
from tests.conftest import migrated_app
from tests.races import new_community

SAME_PERSON = 20
CROWD = 200
THREADS = 25
# People 0..CROWD-1 form the crowd; each other test has a person of its own, so the tests
# hold in any order and on any worker.
RACER, LEAVER, DOUBLE_DUTY = CROWD, CROWD + 1, CROWD + 2


@pytest.fixture(scope="module")
def live_app(tmp_path_factory):
    with migrated_app(tmp_path_factory, "checkin-race") as app:
        yield app


@pytest.fixture(scope="module")
def crowd(live_app):
    """A station with an activity running now, its staff member, and CROWD people with API tokens."""
    from points.auth.current import actor_for
    from points.auth.operations import issue_token
    from points.checkin import operations as ops
    from points.org import operations as org
    from points.people import operations as ppl

    with live_app.app_context():
        parent = new_community()
        station = org.create_station(actor=None, node_id=parent.id, kind="station", name="服务站")
        staff = ppl.create_person(actor=None, phone="13500000000", name="工作人员", community_id=parent.id)
        ppl.grant_role(actor=None, person_id=staff.id, role="staff", node_id=parent.id)
        checker = ppl.create_person(actor=None, phone="13500000001", name="复核人员", community_id=parent.id)
        ppl.grant_role(actor=None, person_id=checker.id, role="staff", node_id=parent.id)
        now = utcnow()
        activity = running_activity(
            actor_for(staff), station.id, "值班", began=timedelta(minutes=10), now=now
        )
        ops.confirm_activity_rate(actor=actor_for(checker), activity_id=activity.id, now=now)
        people, tokens = [], []
        for i in range(CROWD + 3):
            person = ppl.create_person(
                actor=None, phone=f"136{i:08d}", name=f"居民{i}", community_id=parent.id
            )
            people.append(person.id)
            tokens.append(issue_token(person=person)[0])
        session().commit()
        return {
            "staff": actor_for(staff),
            "activity": activity.id,
            "people": people,
            "tokens": tokens,
        }


def screen_token(app, crowd) -> str:
    from points.checkin import operations as ops

    with app.app_context():
        token = ops.station_code(actor=crowd["staff"], activity_id=crowd["activity"]).token
        session().commit()  # the station's key is made on first use
        return token


def parallel(fn, args_list, threads=THREADS):
    barrier = threading.Barrier(min(threads, len(args_list)))
    first_wave = set(range(min(threads, len(args_list))))

    def run(indexed):
        index, args = indexed
        if index in first_wave:
            barrier.wait()
        return fn(*args)

    with ThreadPoolExecutor(threads) as pool:
        return list(pool.map(run, enumerate(args_list)))


def open_checkins(app, activity_id, person_id=None) -> int:
    with app.app_context():
        stmt = sa.select(sa.func.count()).select_from(CheckIn).where(CheckIn.activity_id == activity_id)
        if person_id is not None:
            stmt = stmt.where(CheckIn.person_id == person_id)
        return session().execute(stmt).scalar_one()


def test_scan_twenty_times_at_once_by_one_person_makes_one_checkin(live_app, crowd):
    token = screen_token(live_app, crowd)
    bearer = crowd["tokens"][RACER]

    def scan():
        response = live_app.test_client().post(
            "/api/v1/scan", json={"token": token}, headers={"Authorization": f"Bearer {bearer}"}
        )
        return response.status_code, (response.get_json() or {}).get("outcome")

    results = parallel(scan, [() for _ in range(SAME_PERSON)], threads=SAME_PERSON)

    assert Counter(results) == {(200, "checked_in"): 1, (200, "already_in"): SAME_PERSON - 1}
    assert open_checkins(live_app, crowd["activity"], crowd["people"][RACER]) == 1


def test_scan_by_two_hundred_people_at_once_checks_in_everyone(live_app, crowd):
    token = screen_token(live_app, crowd)
    bearers = crowd["tokens"][:CROWD]

    def scan(bearer):
        response = live_app.test_client().post(
            "/api/v1/scan", json={"token": token}, headers={"Authorization": f"Bearer {bearer}"}
        )
        return response.status_code, (response.get_json() or {}).get("outcome")

    results = parallel(scan, [(b,) for b in bearers])

    assert Counter(results) == {(200, "checked_in"): CROWD}
    assert sum(open_checkins(live_app, crowd["activity"], p) for p in crowd["people"][:CROWD]) == CROWD


def test_check_out_twenty_times_at_once_pays_once(live_app, crowd):
    from points.auth.current import actor_for
    from points.checkin import operations as ops
    from points.ledger.queries import balances_of_person
    from points.people.queries import get_person

    person_id = crowd["people"][LEAVER]
    now = utcnow()
    with live_app.app_context():
        actor = actor_for(get_person(person_id))
        ops.check_in_or_out(actor=actor, activity_id=crowd["activity"], now=now)
        session().commit()
    later = now + timedelta(minutes=66)

    def check_out():
        with live_app.app_context():
            result = ops.check_in_or_out(actor=actor, activity_id=crowd["activity"], now=later)
            session().commit()
            return result.outcome, result.checkin.id

    results = parallel(check_out, [() for _ in range(SAME_PERSON)], threads=SAME_PERSON)

    outcomes = Counter(outcome for outcome, _ in results)
    assert outcomes == {"checked_out": 1, "already_out": SAME_PERSON - 1}
    with live_app.app_context():
        # 66 minutes at 10 an hour: 11 points.
        assert balances_of_person(person_id)["xingan"]["posted"] == 11
        rows = (
            session()
            .execute(
                sa.select(CheckIn.points, CheckIn.award_transfer_id).where(CheckIn.person_id == person_id)
            )
            .all()
        )
        assert len(rows) == 1 and rows[0].award_transfer_id is not None


def test_check_ins_at_once_of_one_person_at_two_activities_make_one_stay(live_app, crowd):
    """Being in at two activities would earn twice for the same hours: racing scans at two
    activities leave exactly one open stay."""
    from points.auth.current import actor_for
    from points.checkin import operations as ops
    from points.errors import DomainError
    from points.people.queries import get_person

    person_id = crowd["people"][DOUBLE_DUTY]
    with live_app.app_context():
        actor = actor_for(get_person(person_id))
        now = utcnow()
        second = running_activity(
            crowd["staff"],
            session().get(Activity, crowd["activity"]).station_id,
            "第二场",
            began=timedelta(minutes=10),
            now=now,
        )
        session().commit()
        second_id = second.id

    def check_in(activity_id):
        with live_app.app_context():
            try:
                ops.check_in_or_out(actor=actor, activity_id=activity_id, action="in", now=now)
                session().commit()
                return "ok"
            except DomainError as exc:
                session().rollback()
                return exc.code

    outcomes = parallel(check_in, [(crowd["activity"],), (second_id,)] * 4, threads=8)
    with live_app.app_context():
        open_stays = (
            session()
            .execute(
                sa.select(CheckIn.id).where(CheckIn.person_id == person_id, CheckIn.checked_out_at.is_(None))
            )
            .all()
        )
    assert len(open_stays) == 1
    assert set(outcomes) <= {"ok", "checked_in_elsewhere", "busy_retry"}
