"""A person's months and a dated statement export read the account's own data only: the
chart's sums are the person's awards less reversals in the last 12 months, read from their
accounts' month totals; a dated export's period is found through the (account, created_at)
indexes of each side (checked on PostgreSQL)."""

from __future__ import annotations

import os
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from points.charts import month_bounds
from points.db import LOCAL_TZ, session, utcnow
from points.ledger import operations as ops
from points.ledger.history import _filters, _period_bounds, _period_ids
from points.ledger.queries import account_ids_of, find_account_id, monthly_earnings_stmt

POSTGRES = (os.environ.get("TEST_DATABASE_URL") or "").startswith("postgres")


@pytest.fixture
def months(world, award, make_person):
    """The resident: 10 and 4 this month, 7 reversed, 100 over a year ago; a neighbour's 5."""
    award(10, auto=True)
    award(4, auto=True, reason="checkin_award")
    award(100, auto=True, now=utcnow() - timedelta(days=400))
    award(5, auto=True, person=make_person(community=world.community))
    reversed_row = award(7, auto=True)
    request = ops.reverse_transfer(actor=world.checker_actor, transfer_id=reversed_row["id"], reason="错发")
    ops.approve_award(actor=world.staff_actor, transfer_id=request["id"])
    return month_bounds(utcnow().astimezone(LOCAL_TZ).date())[0]


def _sums(stmt) -> dict:
    return {(r["month"], r["kind"]): r["points"] for r in session().execute(stmt).mappings()}


def test_a_persons_months_are_their_awards_less_reversals(world, months):
    accounts = account_ids_of("person", world.resident.id)
    mine = _sums(monthly_earnings_stmt(bounds=months, account_ids=accounts))
    assert mine == {(len(months) - 2, "xingan"): 14}
    everyone = session().execute(monthly_earnings_stmt(bounds=months, owner_type="person", by_owner=True))
    same = {
        (r["month"], r["kind"]): r["points"]
        for r in everyone.mappings()
        if r["owner_id"] == world.resident.id
    }
    assert mine == same


def _plan(stmt) -> str:
    compiled = stmt.compile(dialect=session().get_bind().dialect, compile_kwargs={"literal_binds": True})
    # Whether an index can serve the read at all, not the planner's choice on a tiny table.
    session().execute(sa.text("SET LOCAL enable_seqscan = off"))
    return "\n".join(session().execute(sa.text(f"EXPLAIN {compiled}")).scalars())


@pytest.mark.skipif(not POSTGRES, reason="needs TEST_DATABASE_URL (PostgreSQL)")
def test_the_months_and_a_dated_export_seek_the_period_on_both_sides(world, months):
    accounts = account_ids_of("person", world.resident.id)
    plan = _plan(monthly_earnings_stmt(bounds=months, account_ids=accounts))
    # The months come from the accounts' month totals, by key: no transfer is read.
    assert re.search(rf"Index Cond: \(+account_id = (ANY|{accounts[0]}\b)", plan), plan
    assert "ledger_month_totals" in plan and "ledger_transfers" not in plan, plan
    account = find_account_id("person", world.resident.id, "xingan")
    period = _filters(start=months[0], end=months[-1], compact=False)
    assert _period_ids(account, period)[0] > 0
    plan = _plan(_period_bounds(account, period))
    for side in ("credit_account_id", "debit_account_id"):
        assert re.search(rf"Index (Only )?Cond: \(+{side} = {account}\b", plan), plan
    # Never min(id) or max(id) by walking the primary key from either end.
    assert "pk_ledger_transfers" not in plan and "Seq Scan on ledger_transfers" not in plan, plan


@pytest.mark.skipif(not POSTGRES, reason="needs TEST_DATABASE_URL (PostgreSQL)")
def test_a_whole_export_reads_each_end_of_each_side_by_its_account(world, months):
    account = find_account_id("person", world.resident.id, "xingan")
    first, last = _period_ids(account, [])
    assert 0 < first < last
    plan = _plan(_period_bounds(account, []))
    for side in ("credit_account_id", "debit_account_id"):
        assert re.search(rf"Index (Only )?Cond: \(+{side} = {account}\b", plan), plan
    assert "pk_ledger_transfers" not in plan and "Seq Scan on ledger_transfers" not in plan, plan
    # One entry at each end, not an aggregate over the account's rows.
    assert "Aggregate" not in plan, plan
