"""The voucher's transition table: what `allowed_actions` offers, the operation accepts; what it
withholds, the operation refuses — for representative states and actors."""

from __future__ import annotations

from datetime import timedelta

import pytest

from points.errors import DomainError
from points.org.queries import get_node
from points.store import operations
from points.store.rules import OFFERED, TRANSITIONS, allowed_actions
from tests.store.conftest import NOW


def _run(action: str, actor, voucher_id: int, now):
    if action == "pickup":
        return operations.pickup_voucher(actor=actor, voucher_id=voucher_id, now=now)
    if action in ("cancel", "staff_cancel"):
        return operations.cancel_voucher(
            actor=actor, voucher_id=voucher_id, reason="原因", by_staff=action == "staff_cancel", now=now
        )
    if action == "request_refund":
        return operations.request_voucher_refund(actor=actor, voucher_id=voucher_id, reason="原因", now=now)
    return operations.decide_voucher_refund(
        actor=actor, voucher_id=voucher_id, approve=action == "approve_refund", reason="原因", now=now
    )


def _voucher_in(state: str, shop, make_item):
    item = make_item(stock=1)
    voucher = operations.redeem_item(actor=shop.actor, item_id=item.id, now=NOW)
    if state in ("picked_up", "refund_pending", "refunded"):
        operations.pickup_voucher(actor=shop.staff_actor, voucher_id=voucher.id, now=NOW)
    if state in ("refund_pending", "refunded"):
        operations.request_voucher_refund(
            actor=shop.staff_actor, voucher_id=voucher.id, reason="坏了", now=NOW
        )
    if state == "refunded":
        operations.decide_voucher_refund(
            actor=shop.staff2_actor, voucher_id=voucher.id, approve=True, now=NOW
        )
    if state == "cancelled":
        operations.cancel_voucher(actor=shop.actor, voucher_id=voucher.id, now=NOW)
    if state == "expired":
        operations.expire_vouchers(now=NOW + timedelta(days=31))
    return voucher


@pytest.mark.parametrize(
    "state", ["issued", "picked_up", "refund_pending", "refunded", "cancelled", "expired", "overdue"]
)
@pytest.mark.parametrize("who", ["owner", "neighbour", "staff", "staff2", "other_staff"])
def test_allowed_actions_are_exactly_what_the_operations_accept(shop, make_item, actor_of, sess, state, who):
    voucher = _voucher_in("issued" if state == "overdue" else state, shop, make_item)
    now = NOW + timedelta(days=31) if state == "overdue" else NOW
    actor = {
        "owner": shop.actor,
        "neighbour": actor_of(shop.poor),
        "staff": shop.staff_actor,
        "staff2": shop.staff2_actor,
        "other_staff": shop.b_staff_actor,
    }[who]
    offered = allowed_actions(actor, voucher, path=get_node(voucher.community_id).path, now=now)

    for action in OFFERED:
        savepoint = sess.begin_nested()
        try:
            _run(action, actor, voucher.id, now)
            accepted = True
        except DomainError:
            accepted = False
        savepoint.rollback()
        sess.expire_all()
        assert accepted == (action in offered), (state, who, action, offered)


def test_the_table_names_every_state_move():
    assert {rule.target for rule in TRANSITIONS.values()} == {"picked_up", "cancelled", "expired"}
    assert all(rule.sources for rule in TRANSITIONS.values())
