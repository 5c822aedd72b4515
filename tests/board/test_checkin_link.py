"""`check_in_claim`, the board's side of a QR check-in, and what a cancellation leaves paid."""

from __future__ import annotations

from datetime import timedelta

import pytest

from points.board import operations as ops
from points.board.models import Claim
from points.db import utcnow
from points.errors import DomainError
from points.ledger import operations as ledger


def test_check_in_claim_marks_the_claim_once(board, make_task, actor_of, fresh):
    task = make_task(requires_checkin=True)
    claim = ops.claim_task(actor=actor_of(board.resident), task_id=task.id)
    when = utcnow() + timedelta(days=1)
    assert ops.check_in_claim(task_id=task.id, person_id=board.resident.id, now=when) == claim.id
    assert ops.check_in_claim(task_id=task.id, person_id=board.resident.id, now=when) == claim.id
    row = fresh(Claim, claim.id)
    assert row.state == "checked_in" and row.checked_in_at == when


def test_check_in_claim_without_a_claim_is_refused(board, make_task):
    task = make_task(requires_checkin=True)
    with pytest.raises(DomainError) as caught:
        ops.check_in_claim(task_id=task.id, person_id=board.resident.id)
    assert caught.value.code == "not_claimed"


def test_check_in_claim_walk_in_takes_a_slot_after_the_deadline(board, make_task, fresh):
    now = utcnow()
    task = make_task(
        requires_checkin=True,
        allows_walk_in=True,
        slots=1,
        starts_at=now + timedelta(hours=1),
        claim_deadline=now + timedelta(minutes=30),
    )
    during = now + timedelta(hours=2)
    ops.close_task(actor=None, task_id=task.id, now=now + timedelta(minutes=45))
    claim_id = ops.check_in_claim(task_id=task.id, person_id=board.resident.id, now=during)
    claim = fresh(Claim, claim_id)
    assert claim.is_walk_in and claim.state == "checked_in"
    with pytest.raises(DomainError) as caught:
        ops.check_in_claim(task_id=task.id, person_id=board.neighbour.id, now=during)
    assert caught.value.code == "task_full"


def test_check_in_claim_counts_for_the_members_unit_claim(board, make_task, actor_of, fresh):
    task = make_task(eligibility="units", reward_xingan=0, requires_checkin=True)
    claim = ops.claim_task(actor=actor_of(board.unit_admin), task_id=task.id, unit_id=board.unit.id)
    assert ops.check_in_claim(task_id=task.id, person_id=board.member.id) == claim.id
    assert fresh(Claim, claim.id).state == "checked_in"


def test_cancel_task_keeps_paid_work_and_voids_what_waits(board, make_task, actor_of, fresh):
    now = utcnow()
    task = make_task(starts_at=now - timedelta(hours=1), now=now - timedelta(hours=3))
    staff, checker = actor_of(board.staff), actor_of(board.checker)
    claims = []
    for person in (board.resident, board.neighbour):
        claim = ops.claim_task(actor=actor_of(person), task_id=task.id, now=now - timedelta(hours=2))
        ops.submit_claim(actor=actor_of(person), claim_id=claim.id)
        ops.verify_claim(actor=staff, claim_id=claim.id)
        claims.append(fresh(Claim, claim.id))
    ledger.approve_award(actor=checker, transfer_id=claims[0].award_transfer_id)
    ops.cancel_task(actor=staff, task_id=task.id, reason="场地临时占用")
    from points.ledger.queries import award_states, balances_of_person

    paid, waiting = fresh(Claim, claims[0].id), fresh(Claim, claims[1].id)
    assert paid.state == "verified" and waiting.state == "released"
    states = award_states([paid.award_transfer_id, waiting.award_transfer_id])
    assert states[paid.award_transfer_id]["state"] == "posted"
    assert states[waiting.award_transfer_id]["state"] == "voided"
    assert balances_of_person(board.resident.id)["xingan"]["available"] == 5
    assert balances_of_person(board.neighbour.id)["xingan"]["pending_in"] == 0
