"""Property-based: random sequences of award, approve, reject, reverse and debit keep every invariant."""

from __future__ import annotations

import itertools

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from points.db import session
from points.errors import DomainError
from points.ledger import operations as ops
from points.ledger import spending
from points.ledger.queries import balances_of_person
from points.ledger.verify import verify_ledger
from tests.builders import award_points

_keys = itertools.count(1)

step = st.one_of(
    st.tuples(st.just("award"), st.integers(0, 2), st.integers(1, 30), st.booleans()),
    st.tuples(st.just("approve"), st.integers(0, 10)),
    st.tuples(st.just("reject"), st.integers(0, 10)),
    st.tuples(st.just("reverse"), st.integers(0, 10)),
    st.tuples(st.just("spend"), st.integers(0, 2), st.integers(1, 40)),
)


class Model:
    """What the balances must be, kept by hand."""

    def __init__(self, n: int):
        self.posted = [0] * n
        self.pending_in = [0] * n
        self.pending: list[tuple[int, int, int]] = []  # (transfer id, person index, amount)
        self.reversible: list[tuple[int, int, int]] = []


def _run(world, people, steps):
    model = Model(len(people))
    for op, *args in steps:
        refusal = expected_refusal(model, op, args)
        savepoint = session().begin_nested()
        try:
            _apply(world, people, model, op, args)
        except DomainError as exc:
            savepoint.rollback()
            assert exc.code == refusal, (op, args, exc.code)
            continue
        savepoint.commit()
        assert refusal is None, (op, args, "should have been refused with", refusal)
    return model


def expected_refusal(model, op, args):
    """Spending or reversing more than the posted, unreserved balance must be refused."""
    if op == "spend":
        who, amount = args
        return "insufficient_points" if model.posted[who] < amount else None
    if op == "reverse" and model.reversible:
        _, who, amount = model.reversible[args[0] % len(model.reversible)]
        return "insufficient_points" if model.posted[who] < amount else None
    return None


def _apply(world, people, model, op, args):
    if op == "award":
        who, amount, auto = args
        row = award_points(
            world.community.id,
            people[who].id,
            amount,
            f"prop:{next(_keys)}",
            auto_post=auto,
            requested_by_id=world.staff.id,
        )
        if auto:
            model.posted[who] += amount
            model.reversible.append((row["id"], who, amount))
        else:
            model.pending_in[who] += amount
            model.pending.append((row["id"], who, amount))
        return
    if op in ("approve", "reject"):
        if not model.pending:
            return
        transfer_id, who, amount = model.pending[args[0] % len(model.pending)]
        if op == "approve":
            ops.approve_award(actor=world.checker_actor, transfer_id=transfer_id)
            model.posted[who] += amount
            model.reversible.append((transfer_id, who, amount))
        else:
            ops.reject_award(actor=world.checker_actor, transfer_id=transfer_id, reason="不符合条件")
        model.pending_in[who] -= amount
        model.pending.remove((transfer_id, who, amount))
        return
    if op == "reverse":
        if not model.reversible:
            return
        transfer_id, who, amount = model.reversible[args[0] % len(model.reversible)]
        request = ops.reverse_transfer(actor=world.checker_actor, transfer_id=transfer_id, reason="更正")
        ops.approve_award(actor=world.staff_actor, transfer_id=request["id"])
        model.posted[who] -= amount
        model.reversible.remove((transfer_id, who, amount))
        return
    who, amount = args
    spending.spend(
        community_id=world.community.id,
        payer_type="person",
        payer_id=people[who].id,
        kind="xingan",
        amount=amount,
        idempotency_key=f"prop:{next(_keys)}",
    )
    model.posted[who] -= amount


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(step, min_size=1, max_size=25))
def test_random_sequences_keep_invariants(world, make_person, steps):
    example = session().begin_nested()
    try:
        people = [make_person(community=world.community) for _ in range(3)]
        model = _run(world, people, steps)
        for i, person in enumerate(people):
            balance = balances_of_person(person.id)["xingan"]
            assert balance["posted"] == model.posted[i]
            assert balance["pending_in"] == model.pending_in[i]
            assert balance["available"] >= 0
        result = verify_ledger()
        assert result.ok, result.problem
    finally:
        example.rollback()
