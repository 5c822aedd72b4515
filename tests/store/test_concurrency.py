"""Redemptions racing on real parallel connections, each its own transaction, committing.

On PostgreSQL this exercises the item row's lock (the conditional stock update), the person's
advisory lock, the voucher row's lock and the ledger's; on SQLite the IMMEDIATE transactions.
Committed ledger rows cannot be deleted (the triggers), so the tests use a throwaway database.
"""

from __future__ import annotations

import uuid
from collections import Counter

import pytest
import sqlalchemy as sa

from points.db import session
from points.errors import DomainError, is_transient
from points.ledger.queries import balances_of_person
from points.ledger.verify import verify_ledger
from points.store.models import Item, Voucher
from points.store.queries import stock_from_history
from tests.builders import award_points
from tests.conftest import migrated_app
from tests.races import new_community, parallel

CROWD = 64
THREADS = 16


@pytest.fixture(scope="module")
def live_app(tmp_path_factory):
    with migrated_app(tmp_path_factory, "store-race") as app:
        yield app


def _world(app, *, people: int, points: int):
    """A community with two staff members and `people` residents holding `points` 兴安分 each."""
    from points.auth.current import actor_for
    from points.people import operations as ppl

    with app.app_context():
        parent = new_community()
        base = uuid.uuid4().int % 10**7
        staff = []
        for i in range(2):
            person = ppl.create_person(
                actor=None, phone=f"135{base + i:08d}", name=f"工作人员{i}", community_id=parent.id
            )
            ppl.grant_role(actor=None, person_id=person.id, role="staff", node_id=parent.id)
            staff.append(actor_for(person))
        residents = []
        for i in range(people):
            person = ppl.create_person(
                actor=None, phone=f"136{(base + i) % 10**8:08d}", name=f"居民{i}", community_id=parent.id
            )
            award_points(parent.id, person.id, points, f"race-seed:{person.id}")
            residents.append(actor_for(person))
        session().commit()
        return parent.id, staff, residents


def _item(app, community_id: int, staff, *, stock: int, price: int = 8, name: str = "大米") -> int:
    from points.store import operations

    with app.app_context():
        item = operations.create_item(
            actor=staff, community_id=community_id, name=name, price=price, stock=stock
        )
        session().commit()
        return item.id


def _parallel(fn, args_list):
    return parallel(fn, args_list, THREADS)


def _attempt(app, operation):
    """Run one operation in its own transaction, retrying what the database calls transient (as a
    client retries a 503); the refusal's code, or "ok"."""
    for _ in range(20):
        with app.app_context():
            try:
                operation()
                session().commit()
                return "ok"
            except DomainError as exc:
                session().rollback()
                return exc.code
            except Exception as exc:
                session().rollback()
                if not is_transient(exc):
                    raise
    return "gave_up"


def _check(app, item_ids):
    with app.app_context():
        assert verify_ledger().ok
        for item_id in item_ids:
            assert session().get(Item, item_id).stock == stock_from_history(item_id)


def test_a_crowd_racing_for_the_last_five_gets_exactly_five(live_app):
    from points.store import operations

    community_id, (staff, _), crowd = _world(live_app, people=CROWD, points=10)
    item_id = _item(live_app, community_id, staff, stock=5)

    results = _parallel(
        lambda actor: _attempt(live_app, lambda: operations.redeem_item(actor=actor, item_id=item_id)),
        [(actor,) for actor in crowd],
    )

    assert Counter(results) == {"ok": 5, "out_of_stock": CROWD - 5}
    with live_app.app_context():
        assert session().get(Item, item_id).stock == 0
        assert (
            session().execute(sa.select(sa.func.count()).where(Voucher.item_id == item_id)).scalar_one() == 5
        )
        spent = sum(10 - balances_of_person(a.person_id)["xingan"]["available"] for a in crowd)
        assert spent == 5 * 8
    _check(live_app, [item_id])


def test_one_person_on_two_devices_with_points_for_one_gets_one(live_app):
    from points.store import operations

    community_id, (staff, _), (person,) = _world(live_app, people=1, points=10)
    items = [_item(live_app, community_id, staff, stock=3, name=n) for n in ("大米", "食用油")]

    for _round in range(4):
        results = _parallel(
            lambda item_id: _attempt(live_app, lambda: operations.redeem_item(actor=person, item_id=item_id)),
            [(i,) for i in items],
        )
        if _round == 0:
            assert sorted(results) == ["insufficient_points", "ok"]
        else:
            assert results == ["insufficient_points", "insufficient_points"]
    with live_app.app_context():
        assert balances_of_person(person.person_id)["xingan"]["available"] == 2
        assert sum(session().get(Item, i).stock for i in items) == 5
    _check(live_app, items)


def test_a_cancel_racing_a_pickup_has_exactly_one_outcome(live_app):
    from points.store import operations

    community_id, (staff, _), people = _world(live_app, people=12, points=10)
    item_id = _item(live_app, community_id, staff, stock=12)
    vouchers = []
    with live_app.app_context():
        for person in people:
            vouchers.append(operations.redeem_item(actor=person, item_id=item_id).id)
        session().commit()

    jobs = []
    for person, voucher_id in zip(people, vouchers, strict=True):
        jobs.append(
            ("cancel", lambda p=person, v=voucher_id: operations.cancel_voucher(actor=p, voucher_id=v))
        )
        jobs.append(("pickup", lambda v=voucher_id: operations.pickup_voucher(actor=staff, voucher_id=v)))
    results = _parallel(lambda name, op: (name, _attempt(live_app, op)), jobs)

    outcomes = Counter()
    for i in range(0, len(results), 2):
        (_, cancel), (_, pickup) = results[i], results[i + 1]
        assert sorted([cancel, pickup]) in (["not_refundable", "ok"], ["ok", "voucher_cancelled"]), (
            cancel,
            pickup,
        )
        outcomes["cancelled" if cancel == "ok" else "picked_up"] += 1
    with live_app.app_context():
        states = Counter(session().get(Voucher, v).state for v in vouchers)
        assert states == outcomes
        refunded = sum(10 - balances_of_person(p.person_id)["xingan"]["available"] == 0 for p in people)
        assert refunded == outcomes["cancelled"]
        assert session().get(Item, item_id).stock == outcomes["cancelled"]
    _check(live_app, [item_id])
