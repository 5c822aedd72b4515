"""Check-in at an activity linked to a task: the claim is marked checked in, or a walk-in claims a slot."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from points.board import operations as board
from points.board.models import Claim
from points.checkin.models import CheckIn
from points.errors import DomainError
from tests.checkin.conftest import at


@pytest.fixture
def make_task(world):
    def make(**fields):
        values = {
            "community_id": world.community.id,
            "title": "助老送餐",
            "category": "助老助残",
            "starts_at": at(0),
            "ends_at": at(240),
            "claim_deadline": at(60),
            "slots": 2,
            "eligibility": "anyone",
            "reward_xingan": 5,
            "requires_checkin": True,
            "station_id": world.station.id,
            "post": True,
            "now": at(-120),
        }
        values.update(fields)
        return board.create_task(actor=world.staff_actor, **values)

    return make


def count(sess, model) -> int:
    return sess.execute(sa.select(sa.func.count()).select_from(model)).scalar_one()


def test_scan_code_marks_the_persons_claim_checked_in(world, make_task, make_activity, scan, actor_of, fresh):
    task = make_task()
    claim = board.claim_task(actor=actor_of(world.resident), task_id=task.id, now=at(-60))
    activity = make_activity(task_id=task.id, hourly_rate=None)

    result = scan(world.resident, activity, now=at(5))

    assert result.outcome == "checked_in" and result.checkin.claim_id == claim.id
    row = fresh(Claim, claim.id)
    assert (row.state, row.checked_in_at) == ("checked_in", at(5))


def test_scan_code_walk_in_claims_a_free_slot(world, make_task, make_activity, scan, fresh):
    task = make_task(allows_walk_in=True)
    activity = make_activity(task_id=task.id, hourly_rate=None)

    result = scan(world.resident, activity, now=at(5))

    claim = fresh(Claim, result.checkin.claim_id)
    assert (claim.person_id, claim.state, claim.is_walk_in) == (world.resident.id, "checked_in", True)


def test_scan_code_without_a_claim_is_refused_and_leaves_nothing(world, make_task, make_activity, scan, sess):
    task = make_task()
    activity = make_activity(task_id=task.id, hourly_rate=None)

    with pytest.raises(DomainError) as caught:
        scan(world.resident, activity, now=at(5))

    assert caught.value.code == "not_claimed"
    assert count(sess, CheckIn) == 0


def test_scan_code_walk_in_to_a_full_task_is_refused(world, make_task, make_activity, scan, actor_of, sess):
    task = make_task(allows_walk_in=True, slots=1)
    board.claim_task(actor=actor_of(world.member), task_id=task.id, now=at(-60))
    activity = make_activity(task_id=task.id, hourly_rate=None)

    with pytest.raises(DomainError) as caught:
        scan(world.resident, activity, now=at(5))

    assert caught.value.code == "task_full"
    assert count(sess, CheckIn) == 0
    # The one who claimed still checks in.
    assert scan(world.member, activity, now=at(6)).outcome == "checked_in"


def test_scan_code_repeat_at_a_task_activity_keeps_one_claim(world, make_task, make_activity, scan, sess):
    task = make_task(allows_walk_in=True)
    activity = make_activity(task_id=task.id, hourly_rate=None)
    scan(world.resident, activity, now=at(5))

    again = scan(world.resident, activity, now=at(6))

    assert again.outcome == "already_in"
    assert count(sess, Claim) == 1


def test_scan_code_check_out_of_a_task_activity_asks_no_award(
    world, make_task, make_activity, scan, actor_of
):
    task = make_task()
    board.claim_task(actor=actor_of(world.resident), task_id=task.id, now=at(-60))
    activity = make_activity(task_id=task.id, hourly_rate=None)
    scan(world.resident, activity, now=at(5))

    result = scan(world.resident, activity, now=at(125))

    # The task's own reward comes when staff verify the claim.
    assert (result.checkin.minutes, result.checkin.points, result.checkin.award_transfer_id) == (
        120,
        None,
        None,
    )
