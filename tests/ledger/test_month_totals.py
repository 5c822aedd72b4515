"""Each account's awards and reversals per local month: kept by the ledger's triggers, read by a
person's twelve-month chart, checked by verify."""

from __future__ import annotations

import importlib.util
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from points.charts import month_bounds
from points.db import session
from points.ledger import operations as ops
from points.ledger.queries import account_ids_of, find_account_id, monthly_earnings_stmt
from points.ledger.verify import record_verification, verify_appended, verify_ledger

_path = Path(__file__).resolve().parents[2] / "migrations" / "versions" / "0029_month_totals.py"
_spec = importlib.util.spec_from_file_location("ledger_migration_0029", _path)
_migration = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_migration)

# 16:30 UTC on 31 October is 00:30 on 1 November in Asia/Shanghai.
LATE_OCTOBER_UTC = datetime(2026, 10, 31, 16, 30, tzinfo=UTC)
MID_OCTOBER = datetime(2026, 10, 15, 4, 0, tzinfo=UTC)
MID_NOVEMBER = datetime(2026, 11, 20, 4, 0, tzinfo=UTC)


def _sql(statement: str, **params):
    return session().connection().execute(sa.text(statement), params)


def _totals(account_id: int) -> dict[str, tuple[int, int]]:
    rows = _sql(
        "SELECT month, awarded, reversed FROM ledger_month_totals WHERE account_id = :a ORDER BY month",
        a=account_id,
    )
    return {month: (awarded, reversed_) for month, awarded, reversed_ in rows}


@pytest.fixture
def months(world, award):
    """Awards in October and November (one just after local midnight), a pending one, a rejected
    one, an approved one and a reversal."""
    award(5, auto=True, reason="checkin_award", now=MID_OCTOBER)
    award(7, auto=True, reason="checkin_award", now=LATE_OCTOBER_UTC)
    reversed_award = award(11, auto=True, reason="checkin_award", now=MID_NOVEMBER)
    approved = award(13, now=MID_NOVEMBER)
    ops.approve_award(actor=world.checker_actor, transfer_id=approved["id"], now=MID_NOVEMBER)
    rejected = award(17, now=MID_NOVEMBER)
    ops.reject_award(
        actor=world.checker_actor, transfer_id=rejected["id"], reason="重复申报", now=MID_NOVEMBER
    )
    award(19, now=MID_NOVEMBER)  # still pending
    reversal = ops.reverse_transfer(
        actor=world.staff_actor, transfer_id=reversed_award["id"], reason="重复发放", now=MID_NOVEMBER
    )
    ops.approve_award(actor=world.checker_actor, transfer_id=reversal["id"], now=MID_NOVEMBER)
    return find_account_id("person", world.resident.id, "xingan")


def test_awards_and_reversals_count_in_their_local_month(months):
    assert _totals(months) == {"2026-10": (5, 0), "2026-11": (7 + 11 + 13, 11)}
    assert verify_ledger().ok


def test_the_chart_reads_the_months(world, months):
    bounds, labels = month_bounds(datetime(2026, 11, 25).date())
    stmt = monthly_earnings_stmt(bounds=bounds, account_ids=account_ids_of("person", world.resident.id))
    rows = {(labels[r.month], r.kind): r.points for r in session().execute(stmt)}
    assert rows == {("2026-10", "xingan"): 5, ("2026-11", "xingan"): 7 + 11 + 13 - 11}


def test_a_bulk_approval_adds_each_account_its_own_sum(world, award, make_person):
    neighbour = make_person(community=world.community)
    asked = [
        award(3, now=MID_NOVEMBER),
        award(4, now=MID_NOVEMBER),
        award(6, person=neighbour, now=MID_NOVEMBER),
    ]
    ops.bulk_approve(actor=world.checker_actor, transfer_ids=[a["id"] for a in asked], now=MID_NOVEMBER)
    assert _totals(find_account_id("person", world.resident.id, "xingan")) == {"2026-11": (7, 0)}
    assert _totals(find_account_id("person", neighbour.id, "xingan")) == {"2026-11": (6, 0)}
    assert verify_ledger().ok


@pytest.mark.parametrize(
    "tampering, said",
    [
        (
            "UPDATE ledger_month_totals SET awarded = awarded + 1 WHERE account_id = :a AND month = '2026-10'",
            ["2026-10", "its transfers give 5 and 0"],
        ),
        (
            "INSERT INTO ledger_month_totals (account_id, month, awarded, reversed) VALUES (:a, '2025-01', 9, 0)",
            ["2025-01", "no transfers"],
        ),
    ],
    ids=["a changed total", "a month without transfers"],
)
def test_verify_finds_tampered_totals(months, tampering, said):
    _sql(tampering, a=months)
    result = verify_ledger()
    assert not result.ok
    assert all(part in result.problem for part in said), result.problem


def test_incremental_verify_checks_the_months_of_the_accounts_it_touched(world, months, award):
    record_verification(verify_ledger())
    award(2, auto=True, reason="checkin_award", now=MID_NOVEMBER)
    assert verify_appended().ok
    _sql("UPDATE ledger_month_totals SET reversed = 0 WHERE account_id = :a AND month = '2026-11'", a=months)
    award(2, auto=True, reason="checkin_award", now=MID_NOVEMBER)
    result = verify_appended()
    assert not result.ok and "2026-11" in result.problem


def test_the_migration_fills_the_totals_from_the_history(months):
    before = _totals(months)
    _sql("DELETE FROM ledger_month_totals")
    connection = session().connection()
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(
            "INSERT INTO ledger_month_totals (account_id, month, awarded, reversed) "
            + _migration._PG_SUMS.format(source="ledger_transfers")
        )
    else:
        connection.exec_driver_sql(_migration._SQLITE_BACKFILL)
    assert _totals(months) == before
    assert verify_ledger().ok
