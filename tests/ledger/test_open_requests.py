"""The open requests: the approval queue's list of pending awards and reversals not yet posted
or voided, kept by the ledger's triggers and checked by verify."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
import sqlalchemy as sa

from points.db import session
from points.ledger import operations as ops
from points.ledger.queries import approval_queue_stmt
from points.ledger.verify import record_verification, verify_appended, verify_ledger
from points.org.models import OrgNode

_path = Path(__file__).resolve().parents[2] / "migrations" / "versions" / "0026_open_requests.py"
_spec = importlib.util.spec_from_file_location("ledger_migration_0026", _path)
_migration = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_migration)


def _sql(statement: str, **params):
    return session().connection().execute(sa.text(statement), params)


def _open() -> list[int]:
    return [r[0] for r in _sql("SELECT transfer_id FROM ledger_open_requests ORDER BY transfer_id")]


@pytest.fixture
def requests(world, award):
    """Four pending awards, one auto-posted award, and one of each kind of decision."""
    pending = [award(amount) for amount in (3, 4, 5, 6)]
    posted = award(7, reason="checkin_award", auto=True)
    ops.approve_award(actor=world.checker_actor, transfer_id=pending[0]["id"])
    ops.reject_award(actor=world.checker_actor, transfer_id=pending[1]["id"], reason="重复申报")
    return pending, posted


def test_a_request_is_open_until_it_is_posted_or_voided(requests):
    pending, _posted = requests
    assert _open() == [pending[2]["id"], pending[3]["id"]]


def test_a_bulk_approval_and_a_reversal_request_move_through_the_list(world, requests):
    pending, posted = requests
    ops.bulk_approve(actor=world.checker_actor, transfer_ids=[pending[2]["id"], pending[3]["id"]])
    assert _open() == []

    reversal = ops.reverse_transfer(actor=world.staff_actor, transfer_id=posted["id"], reason="重复发放")
    assert _open() == [reversal["id"]]
    ops.approve_award(actor=world.checker_actor, transfer_id=reversal["id"])
    assert _open() == []
    assert verify_ledger().ok


def test_the_queue_reads_the_open_requests_of_the_readers_communities(world, requests, award):
    pending, _posted = requests
    award(8, community=world.other)
    assert len(_open()) == 3
    scope = world.staff_actor.scope_filter("awards.approve", OrgNode.__table__.c.path)
    stmt = approval_queue_stmt(scope=scope)
    assert [row.id for row in session().connection().execute(stmt)] == [pending[2]["id"], pending[3]["id"]]


def test_verify_finds_a_request_missing_from_the_list(requests):
    pending, _posted = requests
    _sql("DELETE FROM ledger_open_requests WHERE transfer_id = :id", id=pending[3]["id"])
    result = verify_ledger()
    assert not result.ok
    assert result.bad_transfer_id == pending[3]["id"]
    assert "not among the open requests" in result.problem


@pytest.mark.parametrize("which", ["approved", "rejected", "auto-posted"])
def test_verify_finds_a_listed_transfer_that_is_not_open(requests, world, which):
    pending, posted = requests
    target = {"approved": pending[0], "rejected": pending[1], "auto-posted": posted}[which]
    _sql(
        "INSERT INTO ledger_open_requests (transfer_id, community_id) VALUES (:id, :community)",
        id=target["id"],
        community=world.community.id,
    )
    result = verify_ledger()
    assert not result.ok
    assert result.bad_transfer_id == target["id"]
    assert "not an open request" in result.problem


def test_incremental_verify_checks_the_requests_appended_since_the_last_run(requests, award):
    record_verification(verify_ledger())
    appended = award(9)
    assert verify_appended().ok
    _sql("DELETE FROM ledger_open_requests WHERE transfer_id = :id", id=appended["id"])
    result = verify_appended()
    assert not result.ok and result.bad_transfer_id == appended["id"]


def test_the_migration_fills_the_list_from_the_history(requests):
    before = _open()
    _sql("DELETE FROM ledger_open_requests")
    session().connection().exec_driver_sql(_migration._BACKFILL)
    assert _open() == before
    assert verify_ledger().ok
