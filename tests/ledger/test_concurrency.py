"""Real parallel connections (16 threads, each its own connection and transaction, committing).

On PostgreSQL this exercises the row locks; on SQLite the BEGIN IMMEDIATE
transactions. Rows committed here cannot be deleted (the triggers), so the
tests use a throwaway database.
"""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa

from points.db import session
from points.errors import DomainError
from points.ledger import operations as ops
from points.ledger import spending
from points.ledger.models import Transfer
from points.ledger.queries import balances_of_person
from points.ledger.verify import verify_ledger
from tests.builders import award_points
from tests.conftest import migrated_app
from tests.races import new_street, parallel

THREADS = 16


@pytest.fixture(scope="module")
def live_app(tmp_path_factory):
    # Threads queue for SQLite's one writer: on a loaded machine the default 5 s wait ran out.
    with migrated_app(tmp_path_factory, "concurrency", LOCK_TIMEOUT_MS=30_000) as app:
        yield app


def get_db_of(app):
    return app.extensions["points_db"]


def _setup(app, *, communities: int = 1, people: int = 1):
    from points.auth.current import actor_for
    from points.org import operations as org
    from points.people import operations as ppl

    with app.app_context():
        street = new_street()
        nodes = [
            org.create_node(actor=None, parent_id=street.id, level="community", name=f"社区{i}")
            for i in range(communities)
        ]
        base = int(uuid.uuid4().int % 10**8)
        staff = ppl.create_person(actor=None, phone=f"135{base:08d}", name="审批人", community_id=nodes[0].id)
        ppl.grant_role(actor=None, person_id=staff.id, role="street_admin", node_id=street.id)
        residents = [
            ppl.create_person(
                actor=None, phone=f"136{(base + i) % 10**8:08d}", name=f"居民{i}", community_id=nodes[0].id
            )
            for i in range(people)
        ]
        session().commit()
        return [n.id for n in nodes], staff.id, [p.id for p in residents], actor_for(staff)


def _award(community_id: int, person_id: int, amount: int, key: str, *, reason="task_award", auto=False):
    """An award of 兴安分 from a community's pool to a person, through the ledger."""
    return award_points(community_id, person_id, amount, key, reason=reason, auto_post=auto)


def _parallel(fn, args_list):
    return parallel(fn, args_list, THREADS)


def test_spend_racing_on_one_account_never_overdraws(live_app):
    communities, _, (person,), _ = _setup(live_app)
    with live_app.app_context():
        _award(communities[0], person, 100, f"seed:{person}", reason="checkin_award", auto=True)
        session().commit()

    def attempt(i):
        with live_app.app_context():
            try:
                spending.spend(
                    community_id=communities[0],
                    payer_type="person",
                    payer_id=person,
                    kind="xingan",
                    amount=10,
                    idempotency_key=f"spend:{person}:{i}",
                )
                session().commit()
                return "ok"
            except DomainError as exc:
                session().rollback()
                return exc.code

    results = _parallel(attempt, [(i,) for i in range(THREADS * 2)])
    assert results.count("ok") == 10
    assert set(results) == {"ok", "insufficient_points"}
    with live_app.app_context():
        assert balances_of_person(person)["xingan"]["available"] == 0
        assert verify_ledger().ok


def test_same_idempotency_key_racing_makes_one_transfer(live_app):
    communities, _, (person,), _ = _setup(live_app)
    key = f"claim:{person}:award"

    def attempt():
        with live_app.app_context():
            row = _award(communities[0], person, 7, key)
            session().commit()
            return row["id"]

    ids = _parallel(attempt, [() for _ in range(THREADS)])
    assert len(set(ids)) == 1
    with live_app.app_context():
        count = (
            session()
            .execute(sa.select(sa.func.count()).select_from(Transfer).where(Transfer.idempotency_key == key))
            .scalar_one()
        )
        assert count == 1
        assert balances_of_person(person)["xingan"]["pending_in"] == 7


def test_same_idempotency_header_racing_over_http_makes_one_award(live_app):
    communities, staff_id, (person,), _ = _setup(live_app)
    from points.auth.operations import issue_token
    from points.people.queries import get_person

    with live_app.app_context():
        token, _ = issue_token(person=get_person(staff_id))
        session().commit()
    body = {
        "community_id": communities[0],
        "person_id": person,
        "kind": "xingan",
        "amount": 3,
        "memo": "助老",
    }

    def attempt():
        client = live_app.test_client()
        r = client.post(
            "/api/v1/awards",
            json=body,
            headers={"Authorization": f"Bearer {token}", "Idempotency-Key": "same-key"},
        )
        return r.status_code, (r.get_json() or {}).get("id")

    results = _parallel(attempt, [() for _ in range(THREADS)])
    ok = [transfer_id for status, transfer_id in results if status == 201]
    assert len(set(ok)) == 1
    assert all(status in (201, 409) for status, _ in results)
    with live_app.app_context():
        assert balances_of_person(person)["xingan"]["pending_in"] == 3


def test_many_concurrent_postings_keep_valid_chains(live_app):
    communities, _, people, approver = _setup(live_app, communities=2, people=4)

    def work(thread):
        done = 0
        for i in range(12):
            with live_app.app_context():
                try:
                    row = _award(
                        communities[(thread + i) % 2],
                        people[(thread + i) % len(people)],
                        1 + i % 5,
                        f"chain:{thread}:{i}",
                        auto=i % 3 == 0,
                    )
                    if row["status"] == "pending" and i % 2:
                        ops.approve_award(actor=approver, transfer_id=row["id"])
                    session().commit()
                    done += 1
                except Exception:
                    session().rollback()
                    raise
        return done

    assert sum(_parallel(work, [(t,) for t in range(THREADS)])) == THREADS * 12
    with live_app.app_context():
        result = verify_ledger()
        assert result.ok, result.problem
        for community in communities:
            seqs = (
                session()
                .execute(
                    sa.select(Transfer.seq).where(Transfer.community_id == community).order_by(Transfer.seq)
                )
                .scalars()
                .all()
            )
            assert seqs == list(range(1, len(seqs) + 1))


def test_same_idempotency_key_racing_on_a_busy_chain_makes_one_transfer(live_app):
    # The head exists already, so every racer waits on its row lock; on PostgreSQL the
    # waiting statement's snapshot predates the winner's row, which must still be found.
    communities, _, (person, other), _ = _setup(live_app, people=2)
    with live_app.app_context():
        _award(communities[0], other, 1, f"warm:{other}")
        session().commit()
    key = f"checkin:{person}:award"

    def attempt():
        with live_app.app_context():
            row = _award(communities[0], person, 4, key, reason="checkin_award")
            session().commit()
            return row["id"]

    ids = _parallel(attempt, [() for _ in range(THREADS)])
    assert len(set(ids)) == 1
    with live_app.app_context():
        assert balances_of_person(person)["xingan"]["pending_in"] == 4
        assert verify_ledger().ok


def test_budget_set_while_awards_race_stays_exact(live_app):
    from datetime import UTC, datetime

    communities, _, people, _ = _setup(live_app, people=4)
    year = datetime.now(UTC).year

    def attempt(i):
        with live_app.app_context():
            try:
                if i == THREADS // 2:
                    ops.set_budget(
                        actor=None, community_id=communities[0], kind="xingan", year=year, amount=10_000
                    )
                else:
                    _award(communities[0], people[i % len(people)], 3, f"budget:{i}")
                session().commit()
                return "ok"
            except DomainError as exc:
                session().rollback()
                return exc.code

    assert set(_parallel(attempt, [(i,) for i in range(THREADS)])) == {"ok"}
    with live_app.app_context():
        result = verify_ledger()
        assert result.ok, result.problem


def test_verify_during_postings_sees_one_consistent_ledger(live_app):
    from points.db import snapshot

    communities, _, people, _ = _setup(live_app, people=4)
    stop = threading.Event()

    def post(thread):
        for i in range(15):
            with live_app.app_context():
                _award(
                    communities[0],
                    people[thread % len(people)],
                    1,
                    f"live:{thread}:{i}",
                    reason="checkin_award",
                    auto=True,
                )
                session().commit()

    def verify():
        problems = []
        while not stop.is_set():
            with live_app.app_context(), snapshot():
                result = verify_ledger()
                if not result.ok:
                    problems.append(result.problem)
        return problems

    with ThreadPoolExecutor(8) as pool:
        checker = pool.submit(verify)
        list(pool.map(post, range(7)))
        stop.set()
        assert checker.result() == []
