"""The store's scheduled job: vouchers past their time are expired, refunded and restocked."""

from __future__ import annotations

from datetime import timedelta

from points import scheduler
from points.ledger.queries import balances_of_person
from points.store import operations
from points.store.jobs import expire_vouchers_job
from tests.store.conftest import NOW


def test_expire_vouchers_job_is_registered_and_refunds_once(shop, make_item, sess):
    item = make_item(stock=3)
    for _ in range(3):
        operations.redeem_item(actor=shop.actor, item_id=item.id, now=NOW)

    assert "expire_vouchers" in scheduler.jobs()
    assert expire_vouchers_job(now=NOW + timedelta(days=29)) == "expired 0 vouchers"
    assert expire_vouchers_job(now=NOW + timedelta(days=30)) == "expired 3 vouchers"
    assert expire_vouchers_job(now=NOW + timedelta(days=31)) == "expired 0 vouchers"

    sess.refresh(item)
    assert item.stock == 3
    assert balances_of_person(shop.resident.id)["xingan"]["available"] == 100
