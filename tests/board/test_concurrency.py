"""Slots under real parallel connections: each thread its own connection and transaction, committing.

On PostgreSQL this exercises the task row lock and the live-claim unique index; on
SQLite the BEGIN IMMEDIATE transactions. Committed rows stay, so a throwaway database.
"""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
import sqlalchemy as sa

from points.board.models import Claim
from points.db import session, utcnow
from points.errors import DomainError
from tests.conftest import migrated_app
from tests.races import new_community

THREADS = 50


@pytest.fixture(scope="module")
def live_app(tmp_path_factory):
    # Enough connections for every thread to hold its own; threads queue for SQLite's one
    # writer, and on a loaded machine the default 5 s wait ran out.
    with migrated_app(
        tmp_path_factory, "board-conc", DB_POOL_SIZE=THREADS + 5, LOCK_TIMEOUT_MS=30_000
    ) as app:
        yield app


def _world(app, *, people: int, slots: int, reward: int = 5):
    """A community, its staff, `people` residents and a posted task with `slots` slots."""
    from points.auth.current import actor_for
    from points.board import operations as board
    from points.people import operations as ppl

    with app.app_context():
        community = new_community()
        base = int(uuid.uuid4().int % 10**7)
        staff = ppl.create_person(
            actor=None, phone=f"137{base:08d}", name="工作人员", community_id=community.id
        )
        ppl.grant_role(actor=None, person_id=staff.id, role="staff", node_id=community.id)
        residents = [
            ppl.create_person(
                actor=None,
                phone=f"138{(base * 100 + i) % 10**8:08d}",
                name=f"居民{i}",
                community_id=community.id,
            )
            for i in range(people)
        ]
        start = utcnow() + timedelta(hours=2)
        task = board.create_task(
            actor=actor_for(staff),
            community_id=community.id,
            title="抢名额",
            category="便民服务",
            starts_at=start,
            ends_at=start + timedelta(hours=1),
            claim_deadline=start,
            slots=slots,
            eligibility="residents",
            reward_xingan=reward,
            post=True,
        )
        session().commit()
        return task.id, [p.id for p in residents]


def _race(app, calls):
    """Run each call in its own thread, app context and transaction, all released at once."""
    barrier = threading.Barrier(len(calls))
    outcomes = []

    def run(call):
        with app.app_context():
            barrier.wait()
            try:
                result = call()
                session().commit()
                return ("ok", result)
            except DomainError as exc:
                session().rollback()
                return (exc.code, None)

    with ThreadPoolExecutor(len(calls)) as pool:
        outcomes = list(pool.map(run, calls))
    return outcomes


def _claim(person_id: int, task_id: int):
    from points.auth.current import actor_for
    from points.board import operations as board
    from points.people.queries import get_person

    return lambda: board.claim_task(actor=actor_for(get_person(person_id)), task_id=task_id).id


def _live_claims(app, task_id: int) -> list[tuple[int, str]]:
    with app.app_context():
        rows = session().execute(
            sa.select(Claim.person_id, Claim.state).where(Claim.task_id == task_id).order_by(Claim.id)
        )
        return [tuple(r) for r in rows]


def test_claim_task_fifty_people_three_slots(live_app):
    task_id, people = _world(live_app, people=THREADS, slots=3)
    outcomes = _race(live_app, [_claim(p, task_id) for p in people])
    codes = [code for code, _ in outcomes]
    assert codes.count("ok") == 3
    assert set(codes) <= {"ok", "task_full", "busy_retry"}
    claims = _live_claims(live_app, task_id)
    assert len(claims) == 3 and all(state == "claimed" for _, state in claims)


def test_claim_task_same_person_racing_claims_once(live_app):
    task_id, people = _world(live_app, people=1, slots=5)
    outcomes = _race(live_app, [_claim(people[0], task_id) for _ in range(16)])
    codes = [code for code, _ in outcomes]
    assert codes.count("ok") == 1
    assert set(codes) <= {"ok", "already_claimed", "busy_retry"}
    assert len(_live_claims(live_app, task_id)) == 1


def test_withdraw_and_claim_racing_never_overfill(live_app):
    """Withdrawals reopen slots while others claim: the live count never passes the slots."""
    from points.auth.current import actor_for
    from points.board import operations as board
    from points.people.queries import get_person

    task_id, people = _world(live_app, people=20, slots=4)
    first = _race(live_app, [_claim(p, task_id) for p in people[:4]])
    held = [claim_id for code, claim_id in first if code == "ok"]
    assert len(held) == 4

    def withdraw(claim_id, person_id):
        return lambda: board.withdraw_claim(actor=actor_for(get_person(person_id)), claim_id=claim_id).id

    calls = [withdraw(c, p) for c, p in zip(held[:2], people[:2], strict=True)]
    calls += [_claim(p, task_id) for p in people[4:]]
    outcomes = _race(live_app, calls)
    live = [s for _, s in _live_claims(live_app, task_id) if s == "claimed"]
    assert len(live) <= 4
    claimed_now = sum(1 for code, _ in outcomes[2:] if code == "ok")
    assert len(live) == 2 + claimed_now
