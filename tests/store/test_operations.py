"""Store operations: redeeming, vouchers and their states, refunds, items and stock."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from points.audit.models import AuditEntry
from points.errors import DomainError
from points.ledger.queries import balances_of, balances_of_person
from points.ledger.verify import verify_ledger
from points.store import operations
from points.store.queries import stock_from_history
from tests.store.conftest import NOW


def available(person) -> int:
    return balances_of_person(person.id)["xingan"]["available"]


def test_redeem_item_takes_stock_and_points(shop, make_item, sess):
    item = make_item(price=8, stock=5)

    voucher = operations.redeem_item(actor=shop.actor, item_id=item.id, now=NOW)

    sess.refresh(item)
    assert (voucher.state, voucher.price, item.stock) == ("issued", 8, 4)
    assert available(shop.resident) == 92
    assert balances_of("store", shop.a.id)["xingan"]["posted"] == 8
    assert operations.redemption_transfer(voucher)["idempotency_key"] == f"redemption:{voucher.id}"
    assert voucher.expires_at == NOW + timedelta(days=30)
    assert len(voucher.number) == 8
    assert stock_from_history(item.id) == item.stock
    assert verify_ledger().ok


def test_redeem_item_with_the_same_client_key_redeems_once(shop, make_item, sess):
    item = make_item()

    first = operations.redeem_item(actor=shop.actor, item_id=item.id, client_key="tap-1", now=NOW)
    second = operations.redeem_item(actor=shop.actor, item_id=item.id, client_key="tap-1", now=NOW)

    assert first.id == second.id
    assert available(shop.resident) == 92


@pytest.mark.parametrize(
    ("setup", "code"),
    [
        ({"is_active": False}, "item_unavailable"),
        ({"available_from": NOW + timedelta(days=1)}, "item_unavailable"),
        ({"stock": 0}, "out_of_stock"),
        ({"price": 101}, "insufficient_points"),
        ({"limit_count": 1, "limit_period": "month", "_twice": True}, "limit_reached"),
    ],
)
def test_redeem_item_refusals_change_nothing(shop, make_item, sess, setup, code):
    twice = setup.pop("_twice", False)
    item = make_item(**setup)
    if twice:
        operations.redeem_item(actor=shop.actor, item_id=item.id, now=NOW)
    stock, points = item.stock, available(shop.resident)

    # A refusal leaves the transaction for the boundary to roll back, as a request's does.
    attempt = sess.begin_nested()
    with pytest.raises(DomainError) as refused:
        operations.redeem_item(actor=shop.actor, item_id=item.id, now=NOW)
    attempt.rollback()

    assert refused.value.code == code
    sess.refresh(item)
    assert (item.stock, available(shop.resident)) == (stock, points)


def test_redeem_item_of_another_community_is_not_found(shop, make_item, actor_of):
    item = make_item()
    with pytest.raises(DomainError) as refused:
        operations.redeem_item(actor=actor_of(shop.other), item_id=item.id, now=NOW)
    assert refused.value.status == 404


def test_cancel_refunds_and_restocks(shop, make_item, sess):
    item = make_item(stock=1)
    voucher = operations.redeem_item(actor=shop.actor, item_id=item.id, now=NOW)

    operations.cancel_voucher(actor=shop.actor, voucher_id=voucher.id, now=NOW)

    sess.refresh(item)
    assert (voucher.state, item.stock, available(shop.resident)) == ("cancelled", 1, 100)
    assert voucher.refund_transfer_id is not None
    assert stock_from_history(item.id) == 1
    assert verify_ledger().ok


def test_pickup_once_then_no_cancel(shop, make_item):
    item = make_item()
    voucher = operations.redeem_item(actor=shop.actor, item_id=item.id, now=NOW)

    operations.pickup_voucher(actor=shop.staff_actor, voucher_id=voucher.id, now=NOW)

    for actor, action, code in (
        (shop.staff_actor, operations.pickup_voucher, "already_picked_up"),
        (shop.actor, operations.cancel_voucher, "not_refundable"),
    ):
        with pytest.raises(DomainError) as refused:
            action(actor=actor, voucher_id=voucher.id, now=NOW)
        assert refused.value.code == code


def test_expire_vouchers_refunds_those_past_their_time(shop, make_item, sess):
    item = make_item(stock=2)
    old = operations.redeem_item(actor=shop.actor, item_id=item.id, now=NOW - timedelta(days=31))
    new = operations.redeem_item(actor=shop.actor, item_id=item.id, now=NOW)

    assert operations.expire_vouchers(now=NOW) == 1
    assert operations.expire_vouchers(now=NOW) == 0

    sess.refresh(item)
    assert (old.state, new.state, item.stock, available(shop.resident)) == ("expired", "issued", 1, 92)
    assert verify_ledger().ok


def test_refund_of_a_picked_up_voucher_needs_a_second_person(shop, make_item, sess):
    item = make_item()
    voucher = operations.redeem_item(actor=shop.actor, item_id=item.id, now=NOW)
    operations.pickup_voucher(actor=shop.staff_actor, voucher_id=voucher.id, now=NOW)

    operations.request_voucher_refund(
        actor=shop.staff_actor, voucher_id=voucher.id, reason="质量问题", now=NOW
    )
    assert available(shop.resident) == 92
    with pytest.raises(DomainError) as refused:
        operations.decide_voucher_refund(actor=shop.staff_actor, voucher_id=voucher.id, approve=True, now=NOW)
    assert refused.value.code == "maker_checker"

    operations.decide_voucher_refund(actor=shop.staff2_actor, voucher_id=voucher.id, approve=True, now=NOW)

    assert available(shop.resident) == 100
    assert voucher.state == "picked_up"
    with pytest.raises(DomainError) as again:
        operations.request_voucher_refund(
            actor=shop.staff_actor, voucher_id=voucher.id, reason="再退", now=NOW
        )
    assert again.value.code == "already_refunded"
    assert verify_ledger().ok


def test_stock_never_goes_below_zero_and_every_move_is_kept(shop, make_item, sess):
    item = make_item(stock=2)
    with pytest.raises(DomainError) as refused:
        operations.adjust_stock(
            actor=shop.staff_actor, item_id=item.id, kind="write_off", quantity=3, now=NOW
        )
    assert refused.value.code == "stock_negative"

    operations.adjust_stock(
        actor=shop.staff_actor, item_id=item.id, kind="stocktake_adjust", quantity=7, now=NOW
    )
    operations.redeem_item(actor=shop.actor, item_id=item.id, now=NOW)

    sess.refresh(item)
    assert item.stock == 6 == stock_from_history(item.id)


def test_price_change_is_audited(shop, make_item, sess):
    item = make_item(price=8)
    operations.update_item(actor=shop.staff_actor, item_id=item.id, price=10, now=NOW)

    entry = sess.exec(
        select(AuditEntry).where(AuditEntry.action == "store_item.updated", AuditEntry.target_id == item.id)
    ).one()
    assert entry.detail == {"price": [8, 10]}
