"""Rules found in review: two people for 双向验单, jobs that skip what changed."""

from __future__ import annotations

from datetime import timedelta

from points.board import jobs  # noqa: F401 - registers the board's jobs
from points.board import operations as ops
from points.board.models import Claim
from points.db import utcnow
from points.errors import Conflict
from points.scheduler import run_job
from tests.board.conftest import idem


def test_verify_claim_both_sides_by_one_person_is_refused(board, make_task, actor_of, make_person, api_as):
    # A staff member who is also the admin of the member's unit.
    both = make_person(
        community=board.community, roles=[("staff", board.community), ("unit_admin", board.unit)]
    )
    now = utcnow()
    task = make_task(
        eligibility="party_members",
        requires_unit_confirm=True,
        starts_at=now - timedelta(hours=1),
        now=now - timedelta(hours=3),
    )
    claim = ops.claim_task(actor=actor_of(board.member), task_id=task.id, now=now - timedelta(hours=2))
    ops.submit_claim(actor=actor_of(board.member), claim_id=claim.id)
    client = api_as(both)
    first = client.post(f"/api/v1/claims/{claim.id}/verify", json={"side": "community"}, headers=idem())
    assert first.status_code == 200 and first.json["state"] == "submitted"
    second = client.post(f"/api/v1/claims/{claim.id}/verify", json={"side": "unit"}, headers=idem())
    assert second.status_code == 403 and second.json["code"] == "self_verify"
    unit_admin = api_as(board.unit_admin)
    done = unit_admin.post(f"/api/v1/claims/{claim.id}/verify", json={}, headers=idem())
    assert done.status_code == 200 and done.json["state"] == "verified"


def test_mark_no_shows_job_skips_a_claim_that_changed_and_goes_on(board, make_task, actor_of, fresh):
    now = utcnow()
    task = make_task(requires_checkin=True, starts_at=now + timedelta(hours=1), now=now)
    first = ops.claim_task(actor=actor_of(board.resident), task_id=task.id, now=now)
    second = ops.claim_task(actor=actor_of(board.neighbour), task_id=task.id, now=now)
    # The job's query sees both; the first changed before its turn (as a withdrawal committed
    # by another request would make it), so marking it is refused.
    original = ops.mark_no_show

    def racing(*, actor, claim_id, now):
        if claim_id == first.id:
            raise Conflict("not_claimed", "只有已揭榜未签到的记录可以标记未到场")
        return original(actor=actor, claim_id=claim_id, now=now)

    ops.mark_no_show = racing
    try:
        result = run_job("mark_no_shows", now=now + timedelta(hours=4))
    finally:
        ops.mark_no_show = original
    assert result.status == "ok" and "marked 1" in result.detail and "skipped 1" in result.detail
    assert fresh(Claim, first.id).state == "claimed" and fresh(Claim, second.id).state == "no_show"
