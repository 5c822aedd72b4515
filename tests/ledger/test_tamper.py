"""The database refuses to rewrite history; with its guard removed, `verify` finds the rewrite."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DatabaseError

from points.db import session
from points.ledger import operations as ops
from points.ledger.verify import _links_mismatch, verify_ledger
from tests.ledger.triggers import create_triggers, drop_triggers, trigger_names


@pytest.fixture
def history(world, award):
    rows = []
    for amount in (5, 7, 9, 11):
        row = award(amount, reason="checkin_award", auto=True)
        rows.append(row)
    assert verify_ledger().ok
    return rows


def _sql(statement: str, **params):
    return session().connection().execute(sa.text(statement), params)


def test_triggers_exist_after_migrations(app):
    names = trigger_names(session().connection())
    assert {"ledger_transfers_no_update", "ledger_transfers_no_delete"} <= names


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE ledger_transfers SET amount = amount + 1 WHERE id = :id",
        "DELETE FROM ledger_transfers WHERE id = :id",
    ],
)
def test_update_or_delete_of_a_transfer_is_refused(history, statement):
    savepoint = session().begin_nested()
    with pytest.raises(DatabaseError, match="append-only"):
        _sql(statement, id=history[1]["id"])
    savepoint.rollback()
    assert verify_ledger().ok


def test_emptying_the_table_is_refused(history):
    # PostgreSQL row triggers do not fire on TRUNCATE: a statement trigger guards it.
    postgres = session().connection().dialect.name == "postgresql"
    savepoint = session().begin_nested()
    with pytest.raises(DatabaseError, match="append-only"):
        _sql("TRUNCATE ledger_transfers CASCADE" if postgres else "DELETE FROM ledger_transfers")
    savepoint.rollback()
    assert verify_ledger().ok


@pytest.fixture
def unguarded(history):
    drop_triggers(session().connection())
    yield history
    create_triggers(session().connection())


def test_verify_names_an_edited_row(unguarded):
    target = unguarded[1]["id"]
    _sql("UPDATE ledger_transfers SET amount = 70 WHERE id = :id", id=target)
    result = verify_ledger()
    assert not result.ok
    assert result.bad_transfer_id == target
    assert "changed" in result.problem


def test_verify_names_the_row_after_a_deleted_one(unguarded):
    _sql("DELETE FROM ledger_transfers WHERE id = :id", id=unguarded[1]["id"])
    result = verify_ledger()
    assert not result.ok
    assert result.bad_transfer_id == unguarded[2]["id"]
    assert "missing" in result.problem


def test_verify_notices_a_deleted_last_row(unguarded):
    _sql("DELETE FROM ledger_transfers WHERE id = :id", id=unguarded[-1]["id"])
    result = verify_ledger()
    assert not result.ok
    assert "chain head" in result.problem


def test_verify_names_reordered_rows(unguarded):
    first, second = unguarded[1], unguarded[2]
    # Swap the two rows' places in the chain (through a free sequence number).
    _sql("UPDATE ledger_transfers SET seq = 1000 WHERE id = :id", id=first["id"])
    _sql("UPDATE ledger_transfers SET seq = :seq WHERE id = :id", seq=first["seq"], id=second["id"])
    _sql("UPDATE ledger_transfers SET seq = :seq WHERE id = :id", seq=second["seq"], id=first["id"])
    result = verify_ledger()
    assert not result.ok
    assert result.bad_transfer_id == second["id"]


def test_verify_names_a_tampered_cached_balance(history, world):
    _sql(
        "UPDATE ledger_accounts SET posted = posted + 100 WHERE owner_type = 'person' AND owner_id = :id",
        id=world.resident.id,
    )
    result = verify_ledger()
    assert not result.ok
    assert f"person {world.resident.id}" in result.problem


def test_verify_command_prints_heads_and_fails_on_tampering(app, unguarded):
    runner = app.test_cli_runner()
    ok = runner.invoke(args=["points", "verify"])
    assert ok.exit_code == 0, ok.output
    assert "OK: 4 transfers" in ok.output
    assert unguarded[-1]["hash"] in ok.output
    _sql("UPDATE ledger_transfers SET memo = 'x' WHERE id = :id", id=unguarded[0]["id"])
    bad = runner.invoke(args=["points", "verify"])
    assert bad.exit_code == 1
    assert f"transfer {unguarded[0]['id']}" in bad.output


def test_verify_notices_a_budget_out_of_step(world, award):
    from datetime import UTC, datetime

    year = datetime.now(UTC).year
    ops.set_budget(actor=None, community_id=world.community.id, kind="xingan", year=year, amount=100)
    award(30, reason="checkin_award")
    assert verify_ledger().ok
    _sql("UPDATE ledger_budgets SET issued = 0")
    result = verify_ledger()
    assert not result.ok and "budget" in result.problem


def test_verify_names_a_resolution_that_does_not_match_its_pending(world, award_rows):
    pending, _ = award_rows
    drop_triggers(session().connection())
    try:
        post = (
            session()
            .connection()
            .execute(sa.text("SELECT id FROM ledger_transfers WHERE pending_id = :id"), {"id": pending["id"]})
            .scalar_one()
        )
        other = (
            session()
            .connection()
            .execute(sa.text("SELECT id FROM ledger_transfers WHERE status = 'posted' ORDER BY id LIMIT 1"))
            .scalar_one()
        )
        _sql("UPDATE ledger_transfers SET pending_id = :other WHERE id = :id", other=other, id=post)
        # The hash check flags the edit first; the link check also stands on its own, for a
        # rewrite whose hashes were recomputed.
        assert verify_ledger().bad_transfer_id == post
        problem, bad = _links_mismatch(session().connection())
        assert bad == post and "resolves" in problem
    finally:
        create_triggers(session().connection())


@pytest.fixture
def award_rows(world, award):
    pending = award(5)
    ops.approve_award(actor=world.checker_actor, transfer_id=pending["id"])
    posted = award(5, reason="checkin_award", auto=True)
    assert verify_ledger().ok
    return pending, posted


# --- incremental verification ------------------------------------------------------------


@pytest.fixture
def verified(app, history):
    from points.ledger.verify import record_verification

    record_verification(verify_ledger())
    return history


def test_incremental_verify_checks_only_rows_appended_since_the_last_run(verified, award):
    from points.ledger.verify import verify_appended

    award(3, reason="checkin_award", auto=True)
    award(4, reason="checkin_award")

    result = verify_appended()

    assert result.ok, result.problem
    assert (result.mode, result.transfers) == ("incremental", 2)
    assert result.accounts == 2  # the pool and the resident


def test_incremental_verify_catches_a_row_tampered_after_the_last_run(verified, award):
    from points.ledger.verify import verify_appended

    appended = award(3, reason="checkin_award", auto=True)
    award(4, reason="checkin_award", auto=True)
    drop_triggers(session().connection())
    try:
        _sql("UPDATE ledger_transfers SET memo = 'x' WHERE id = :id", id=appended["id"])
        result = verify_appended()
    finally:
        create_triggers(session().connection())

    assert not result.ok and result.bad_transfer_id == appended["id"] and "changed" in result.problem


def test_a_row_tampered_before_the_last_run_is_left_to_the_full_run(verified, award):
    from points.ledger.verify import verify_appended

    award(3, reason="checkin_award", auto=True)
    drop_triggers(session().connection())
    try:
        _sql("UPDATE ledger_transfers SET memo = 'x' WHERE id = :id", id=verified[1]["id"])
        incremental, full = verify_appended(), verify_ledger()
    finally:
        create_triggers(session().connection())

    assert incremental.ok
    assert not full.ok and full.bad_transfer_id == verified[1]["id"]


def test_incremental_verify_catches_a_tampered_balance_of_a_touched_account(verified, award, world):
    from points.ledger.verify import verify_appended

    award(3, reason="checkin_award", auto=True)
    _sql(
        "UPDATE ledger_accounts SET posted = posted + 1 WHERE owner_type = 'person' AND owner_id = :id",
        id=world.resident.id,
    )
    result = verify_appended()
    assert not result.ok and f"person {world.resident.id}" in result.problem


def test_incremental_verify_command_reports_rows_per_second(app, verified, award):
    award(3, reason="checkin_award", auto=True)
    runner = app.test_cli_runner()

    incremental = runner.invoke(args=["points", "verify", "--incremental"])
    full = runner.invoke(args=["points", "verify"])

    assert incremental.exit_code == 0, incremental.output
    assert "OK: 1 transfers appended since the last verification" in incremental.output
    assert "incremental:" in incremental.output and "rows per second" in incremental.output
    assert "OK: 5 transfers" in full.output and "full:" in full.output


def test_nightly_job_verifies_incrementally_and_every_chain_on_sundays(verified, award):
    from datetime import UTC, datetime

    from points.ledger.queries import latest_verification
    from points.scheduler import run_job

    award(3, reason="checkin_award", auto=True)
    # 02:30 in Asia/Shanghai on a Thursday and on a Sunday.
    thursday, sunday = datetime(2026, 11, 25, 18, 30, tzinfo=UTC), datetime(2026, 11, 28, 18, 30, tzinfo=UTC)

    assert run_job("verify_ledger", now=thursday).detail.startswith("incremental: 1 transfers")
    assert latest_verification().mode == "incremental"
    assert run_job("verify_ledger", now=sunday).detail.startswith("full: 5 transfers")
    assert latest_verification().mode == "full"
