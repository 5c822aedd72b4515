"""Every transition of tasks and claims that the board refuses, through the HTTP API: the status, the problem document's
stable code and Chinese message, and that nothing at all changed (board, ledger, audit log)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from points.board import operations
from points.board.models import Claim, Task
from points.db import utcnow
from points.org.queries import get_node
from points.people import operations as people_ops
from tests.board.conftest import idem, task_body
from tests.refusals import case_id, out_of_scope


def _at(hours: float) -> str:
    return (utcnow() + timedelta(hours=hours)).isoformat()


def _unit_with_admin(make_unit, make_person, community):
    unit = make_unit()
    return unit, make_person(community=community, roles=[("unit_admin", unit)])


# --- claiming ------------------------------------------------------------------------------------


def test_claim_task_closed_task_is_not_open(board, api_as, actor_of, make_task, unchanged, refused):
    task = make_task()
    operations.close_task(actor=actor_of(board.staff), task_id=task.id)
    with unchanged():
        response = api_as(board.resident).post(f"/api/v1/tasks/{task.id}/claims", json={})
        refused(response, 409, "task_not_open")


@pytest.mark.parametrize("state", ["draft", "cancelled"])
def test_claim_task_draft_or_cancelled_is_not_found(
    board, api_as, actor_of, make_task, unchanged, refused, state
):
    task = make_task(post=state != "draft")
    if state == "cancelled":
        operations.cancel_task(actor=actor_of(board.staff), task_id=task.id, reason="天气原因")
    resident = api_as(board.resident)
    with unchanged():
        refused(resident.post(f"/api/v1/tasks/{task.id}/claims", json={}), 404, "task_not_found")
        # The same answer as for a task that does not exist, and it is not on the resident's board.
        refused(resident.post(f"/api/v1/tasks/{task.id + 10_000}/claims", json={}), 404, "task_not_found")
        refused(resident.get(f"/api/v1/tasks/{task.id}"), 404, "task_not_found")
        assert task.id not in [t["id"] for t in resident.get("/api/v1/tasks").json["items"]]
    # Staff of the community still see it.
    assert api_as(board.staff).get(f"/api/v1/tasks/{task.id}").json["state"] == state


def test_claim_task_past_claim_deadline(board, api_as, make_task, unchanged, refused):
    # Posted two days ago; the deadline passed before the close job ran, so it is still "posted".
    past = utcnow() - timedelta(days=2)
    task = make_task(
        now=past, starts_at=utcnow() + timedelta(hours=2), claim_deadline=past + timedelta(hours=1)
    )
    resident = api_as(board.resident)
    assert resident.get(f"/api/v1/tasks/{task.id}").json["claimable"] is False
    with unchanged():
        refused(resident.post(f"/api/v1/tasks/{task.id}/claims", json={}), 409, "deadline_passed")


def test_claim_task_full(board, api_as, make_task, make_claim, unchanged, refused):
    task = make_task(slots=1)
    make_claim(task, board.neighbour)
    with unchanged():
        refused(api_as(board.resident).post(f"/api/v1/tasks/{task.id}/claims", json={}), 409, "task_full")


def test_claim_task_twice_is_already_claimed(board, api_as, make_task, unchanged, refused, fresh):
    task = make_task(slots=3)
    resident = api_as(board.resident)
    first = resident.post(f"/api/v1/tasks/{task.id}/claims", json={})
    assert first.status_code == 201, first.json
    with unchanged():
        refused(resident.post(f"/api/v1/tasks/{task.id}/claims", json={}), 409, "already_claimed")
    assert resident.get(f"/api/v1/tasks/{task.id}").json["claimed"] == 1
    assert fresh(Claim, first.json["id"]).state == "claimed"


def test_claim_task_twice_holding_the_only_slot_is_already_claimed(
    board, api_as, make_task, unchanged, refused
):
    """The caller's own live claim is the reason, not that the task is full (they hold the slot)."""
    task = make_task(slots=1)
    resident = api_as(board.resident)
    assert resident.post(f"/api/v1/tasks/{task.id}/claims", json={}).status_code == 201
    with unchanged():
        refused(resident.post(f"/api/v1/tasks/{task.id}/claims", json={}), 409, "already_claimed")


def test_claim_task_party_members_only_by_resident_is_not_eligible(
    board, api_as, make_task, unchanged, refused
):
    task = make_task(eligibility="party_members")
    with unchanged():
        response = api_as(board.resident).post(f"/api/v1/tasks/{task.id}/claims", json={})
        refused(response, 403, "not_eligible")


def test_claim_task_by_person_of_another_community_is_not_eligible(
    board, api_as, make_task, unchanged, refused
):
    task = make_task(eligibility="residents")
    with unchanged():
        refused(api_as(board.stranger).post(f"/api/v1/tasks/{task.id}/claims", json={}), 403, "not_eligible")


def test_claim_task_units_only_by_person_is_not_eligible(board, api_as, make_task, unchanged, refused):
    task = make_task(eligibility="units", reward_xingan=0)
    with unchanged():
        refused(api_as(board.member).post(f"/api/v1/tasks/{task.id}/claims", json={}), 403, "not_eligible")


@pytest.mark.parametrize("who", ["resident", "member"])
def test_claim_task_for_unit_by_someone_not_its_admin_is_forbidden(
    board, api_as, make_task, unchanged, refused, who
):
    """The member works at the unit but does not administer it: only its admin claims for it."""
    task = make_task(eligibility="anyone")
    with unchanged():
        response = api_as(getattr(board, who)).post(
            f"/api/v1/tasks/{task.id}/claims", json={"unit_id": board.unit.id}
        )
        refused(response, 403, "forbidden")


@pytest.mark.parametrize("registration", ["none", "pending", "elsewhere"])
def test_claim_task_for_unit_not_reported_to_community_is_not_eligible(
    board, api_as, actor_of, make_task, make_unit, make_person, unchanged, refused, registration
):
    unit, admin = _unit_with_admin(make_unit, make_person, board.community)
    if registration != "none":
        target = board.community if registration == "pending" else board.other
        reg = people_ops.request_registration(
            actor=actor_of(admin), kind="unit", unit_id=unit.id, community_id=target.id
        )
        if registration == "elsewhere":
            people_ops.decide_registration(
                actor=actor_of(board.outsider), registration_id=reg.id, confirm=True
            )
    task = make_task(eligibility="units", reward_xingan=0)
    with unchanged():
        response = api_as(admin).post(f"/api/v1/tasks/{task.id}/claims", json={"unit_id": unit.id})
        refused(response, 403, "not_eligible")


def test_claim_task_for_unit_on_residents_only_task_is_not_eligible(
    board, api_as, make_task, unchanged, refused
):
    task = make_task(eligibility="residents")
    with unchanged():
        response = api_as(board.unit_admin).post(
            f"/api/v1/tasks/{task.id}/claims", json={"unit_id": board.unit.id}
        )
        refused(response, 403, "not_eligible")


def test_claim_task_for_unknown_unit_is_not_found(board, api_as, make_task, unchanged, refused):
    task = make_task()
    with unchanged():
        response = api_as(board.unit_admin).post(
            f"/api/v1/tasks/{task.id}/claims", json={"unit_id": board.unit.id + 10_000}
        )
        refused(response, 404, "unit_not_found")


def test_claim_task_by_suspended_person_is_refused_at_the_door(
    board, api_as, actor_of, make_task, unchanged, refused
):
    task = make_task()
    resident = api_as(board.resident)
    people_ops.update_person(
        actor=actor_of(board.staff), person_id=board.resident.id, changes={"is_suspended": True}
    )
    with unchanged():
        refused(resident.post(f"/api/v1/tasks/{task.id}/claims", json={}), 401, "invalid_token")


def test_claim_task_with_wrong_types_is_invalid(board, api_as, make_task, unchanged, refused):
    task = make_task()
    resident = api_as(board.resident)
    with unchanged():
        for body in ({"unit_id": "abc"}, {"unit_id": None}, {"colour": "red"}):
            problem = refused(
                resident.post(f"/api/v1/tasks/{task.id}/claims", json=body), 422, "validation_error"
            )
            assert set(problem["errors"]) == set(body)


# --- claim lifecycle: submit, withdraw, dispatch answers ----------------------------------------


def test_submit_claim_before_task_starts(board, api_as, make_task, make_claim, unchanged, refused, fresh):
    task = make_task()  # starts tomorrow
    claim = make_claim(task, board.resident)
    with unchanged():
        response = api_as(board.resident).post(
            f"/api/v1/claims/{claim.id}/submit", json={"note": "提前做完了"}
        )
        refused(response, 409, "task_not_started")
    assert fresh(Claim, claim.id).state == "claimed"


def test_submit_claim_without_required_checkin(
    board, api_as, make_started_task, make_claim, unchanged, refused
):
    task = make_started_task(requires_checkin=True)
    claim = make_claim(task, board.resident)
    with unchanged():
        response = api_as(board.resident).post(f"/api/v1/claims/{claim.id}/submit", json={"note": "我来过"})
        refused(response, 409, "checkin_required")


def test_submit_claim_twice_is_not_submittable(
    board, api_as, make_started_task, make_claim, unchanged, refused
):
    task = make_started_task()
    claim = make_claim(task, board.resident, upto="submitted")
    with unchanged():
        response = api_as(board.resident).post(f"/api/v1/claims/{claim.id}/submit", json={"note": "再交一次"})
        refused(response, 409, "not_submittable")


@pytest.mark.parametrize("action", ["submit", "withdraw", "accept", "decline"])
def test_claim_actions_on_someone_elses_claim_are_not_found(
    board, api_as, make_started_task, make_claim, unchanged, refused, action
):
    task = make_started_task()
    claim = make_claim(task, board.resident)
    with unchanged():
        response = api_as(board.neighbour).post(f"/api/v1/claims/{claim.id}/{action}", json={})
        refused(response, 404, "claim_not_found")
        # The claimant's work unit's admin does not answer for a personal claim either.
        refused(
            api_as(board.unit_admin).post(f"/api/v1/claims/{claim.id}/{action}", json={}),
            404,
            "claim_not_found",
        )


def test_withdraw_claim_after_verification(board, api_as, make_started_task, make_claim, unchanged, refused):
    task = make_started_task(eligibility="residents")
    claim = make_claim(task, board.resident, upto="verified")
    resident = api_as(board.resident)
    with unchanged():
        refused(resident.post(f"/api/v1/claims/{claim.id}/withdraw", json={}), 409, "not_withdrawable")
    shown = resident.get(f"/api/v1/claims/{claim.id}").json
    assert shown["state"] == "verified" and shown["award"]["state"] == "pending"


def test_withdraw_claim_twice_is_not_withdrawable(board, api_as, make_task, make_claim, unchanged, refused):
    task = make_task()
    claim = make_claim(task, board.resident)
    resident = api_as(board.resident)
    assert resident.post(f"/api/v1/claims/{claim.id}/withdraw", json={}).status_code == 200
    with unchanged():
        refused(resident.post(f"/api/v1/claims/{claim.id}/withdraw", json={}), 409, "not_withdrawable")


@pytest.mark.parametrize("action", ["accept", "decline"])
def test_accept_or_decline_dispatch_not_offered(
    board, api_as, make_task, make_claim, unchanged, refused, action
):
    task = make_task()
    claim = make_claim(task, board.resident)
    with unchanged():
        response = api_as(board.resident).post(f"/api/v1/claims/{claim.id}/{action}", json={})
        refused(response, 409, "not_offered")


def test_dispatch_task_to_ineligible_person(board, api_as, make_task, unchanged, refused):
    task = make_task(eligibility="party_members")
    staff = api_as(board.staff)
    with unchanged():
        refused(
            staff.post(f"/api/v1/tasks/{task.id}/dispatch", json={"person_id": board.resident.id}),
            403,
            "not_eligible",
        )
        # Someone of another community answers like someone who does not exist: ids are not probed.
        refused(
            staff.post(f"/api/v1/tasks/{task.id}/dispatch", json={"person_id": board.stranger.id}),
            404,
            "person_not_found",
        )
        refused(
            staff.post(f"/api/v1/tasks/{task.id}/dispatch", json={"person_id": 10**9}),
            404,
            "person_not_found",
        )
        problem = refused(
            staff.post(f"/api/v1/tasks/{task.id}/dispatch", json={"person_id": 1, "unit_id": 1}),
            422,
            "validation_error",
        )
        assert "person_id" in problem["errors"]


# --- verification ---------------------------------------------------------------------------------


def test_verify_claim_twice_is_already_verified(
    board, api_as, make_started_task, make_claim, unchanged, refused, fresh
):
    task = make_started_task(eligibility="residents")
    claim = make_claim(task, board.resident, upto="verified")
    with unchanged():
        for who in (board.staff, board.checker):
            response = api_as(who).post(f"/api/v1/claims/{claim.id}/verify", json={}, headers=idem())
            refused(response, 409, "already_verified")
    assert fresh(Claim, claim.id).award_transfer_id is not None


def test_verify_claim_unit_side_twice_is_already_verified(
    board, api_as, make_started_task, make_claim, unchanged, refused
):
    task = make_started_task(eligibility="party_members", requires_unit_confirm=True)
    claim = make_claim(task, board.member, upto="submitted")
    unit_admin = api_as(board.unit_admin)
    first = unit_admin.post(f"/api/v1/claims/{claim.id}/verify", json={}, headers=idem())
    assert first.status_code == 200 and first.json["state"] == "submitted", first.json
    with unchanged():
        again = unit_admin.post(f"/api/v1/claims/{claim.id}/verify", json={"side": "unit"}, headers=idem())
        refused(again, 409, "already_verified")


def test_verify_claim_before_submission(board, api_as, make_started_task, make_claim, unchanged, refused):
    task = make_started_task()
    claim = make_claim(task, board.resident)
    with unchanged():
        response = api_as(board.staff).post(f"/api/v1/claims/{claim.id}/verify", json={}, headers=idem())
        refused(response, 409, "not_submitted")


def test_verify_claim_own_claim_by_staff_is_self_verify(
    board, api_as, make_started_task, make_claim, unchanged, refused, fresh
):
    """Staff live in the community too, so they may claim; they may not verify, reject or mark it."""
    task = make_started_task(eligibility="residents")
    claim = make_claim(task, board.staff, upto="submitted")
    staff = api_as(board.staff)
    with unchanged():
        refused(staff.post(f"/api/v1/claims/{claim.id}/verify", json={}, headers=idem()), 403, "self_verify")
        refused(
            staff.post(f"/api/v1/claims/{claim.id}/reject", json={"reason": "不合格"}), 403, "self_verify"
        )
        refused(staff.post(f"/api/v1/claims/{claim.id}/no-show"), 403, "self_verify")
    # Another staff member can.
    assert (
        api_as(board.checker).post(f"/api/v1/claims/{claim.id}/verify", json={}, headers=idem()).status_code
        == 200
    )
    assert fresh(Claim, claim.id).state == "verified"


def test_verify_claim_by_its_own_claimant_is_forbidden(
    board, api_as, make_started_task, make_claim, unchanged, refused
):
    """A resident reads their own claim, so refusing them an action on it is a 403, not a 404."""
    task = make_started_task()
    claim = make_claim(task, board.resident, upto="submitted")
    resident = api_as(board.resident)
    assert resident.get(f"/api/v1/claims/{claim.id}").status_code == 200
    with unchanged():
        response = resident.post(f"/api/v1/claims/{claim.id}/verify", json={}, headers=idem())
        assert response.status_code == 403, response.json
        assert response.json["code"] in ("self_verify", "forbidden")


def test_verify_claim_unit_side_when_no_unit_confirmation_is_needed(
    board, api_as, make_started_task, make_claim, unchanged, refused
):
    task = make_started_task(eligibility="party_members", requires_unit_confirm=False)
    claim = make_claim(task, board.member, upto="submitted")
    assert claim.confirming_unit_id is None
    with unchanged():
        # The member's work unit has nothing to confirm: the claim is none of its business.
        unit_admin = api_as(board.unit_admin)
        refused(
            unit_admin.post(f"/api/v1/claims/{claim.id}/verify", json={}, headers=idem()),
            404,
            "claim_not_found",
        )
        refused(
            unit_admin.post(f"/api/v1/claims/{claim.id}/verify", json={"side": "unit"}, headers=idem()),
            404,
            "claim_not_found",
        )
        # Staff asking for the unit side are refused inside their scope.
        response = api_as(board.staff).post(
            f"/api/v1/claims/{claim.id}/verify", json={"side": "unit"}, headers=idem()
        )
        refused(response, 403, "forbidden")


def test_verify_claim_with_unknown_side_is_invalid(
    board, api_as, make_started_task, make_claim, unchanged, refused
):
    task = make_started_task()
    claim = make_claim(task, board.resident, upto="submitted")
    with unchanged():
        response = api_as(board.staff).post(
            f"/api/v1/claims/{claim.id}/verify", json={"side": "both"}, headers=idem()
        )
        assert "side" in refused(response, 422, "validation_error")["errors"]


def test_verify_claim_by_admin_of_an_unrelated_unit_is_not_found(
    board, api_as, make_started_task, make_claim, make_unit, make_person, unchanged, refused
):
    task = make_started_task(eligibility="party_members", requires_unit_confirm=True)
    claim = make_claim(task, board.member, upto="submitted")
    _, admin = _unit_with_admin(make_unit, make_person, board.community)
    other = api_as(admin)
    with unchanged():
        for body in ({}, {"side": "unit"}):
            refused(
                other.post(f"/api/v1/claims/{claim.id}/verify", json=body, headers=idem()),
                404,
                "claim_not_found",
            )
        refused(
            other.post(f"/api/v1/claims/{claim.id}/reject", json={"reason": "不认识"}), 404, "claim_not_found"
        )
        refused(other.get(f"/api/v1/claims/{claim.id}"), 404, "claim_not_found")
        assert claim.id not in [c["id"] for c in other.get("/api/v1/claims/queue").json["items"]]


def test_verify_claim_without_idempotency_key(
    board, api_as, make_started_task, make_claim, unchanged, refused
):
    task = make_started_task()
    claim = make_claim(task, board.resident, upto="submitted")
    with unchanged():
        response = api_as(board.staff).post(f"/api/v1/claims/{claim.id}/verify", json={})
        refused(response, 428, "idempotency_key_required")


@pytest.mark.parametrize(
    "body", [{}, {"reason": ""}, {"reason": "   "}, {"reason": None}, {"reason": 5}], ids=case_id
)
def test_reject_claim_without_reason(board, api_as, make_started_task, make_claim, unchanged, refused, body):
    task = make_started_task()
    claim = make_claim(task, board.resident, upto="submitted")
    with unchanged():
        response = api_as(board.staff).post(f"/api/v1/claims/{claim.id}/reject", json=body)
        code = "reason_required" if body.get("reason") == "   " else "validation_error"
        assert "reason" in refused(response, 422, code)["errors"]


def test_reject_claim_after_verification_is_not_rejectable(
    board, api_as, make_started_task, make_claim, unchanged, refused
):
    task = make_started_task()
    claim = make_claim(task, board.resident, upto="verified")
    with unchanged():
        response = api_as(board.checker).post(
            f"/api/v1/claims/{claim.id}/reject", json={"reason": "事后发现没来"}
        )
        refused(response, 409, "not_rejectable")


@pytest.mark.parametrize(
    ("started", "who", "upto", "by", "status", "code"),
    [
        (None, "resident", "claimed", "staff", 409, "task_not_started"),  # the task starts tomorrow
        ({}, "resident", "submitted", "staff", 409, "not_claimed"),
        (
            {"eligibility": "party_members", "requires_unit_confirm": True},
            "member",
            "claimed",
            "unit_admin",
            403,
            "forbidden",
        ),
    ],
    ids=["before_task_starts", "after_check_in_or_submission", "by_confirming_unit_is_forbidden"],
)
def test_mark_no_show_refused(
    board,
    api_as,
    make_task,
    make_started_task,
    make_claim,
    unchanged,
    refused,
    started,
    who,
    upto,
    by,
    status,
    code,
):
    task = make_task() if started is None else make_started_task(**started)
    claim = make_claim(task, getattr(board, who), upto=upto)
    with unchanged():
        refused(api_as(getattr(board, by)).post(f"/api/v1/claims/{claim.id}/no-show"), status, code)


# --- scope: staff of another community, grid workers ---------------------------------------------


def test_claim_actions_by_staff_of_another_community_are_not_found(
    board, api_as, make_started_task, make_claim, unchanged, refused
):
    task = make_started_task()
    submitted = make_claim(task, board.resident, upto="submitted")
    claimed = make_claim(task, board.neighbour)
    outsider = api_as(board.outsider)
    with unchanged():
        refused(outsider.get(f"/api/v1/claims/{submitted.id}"), 404, "claim_not_found")
        refused(
            outsider.post(f"/api/v1/claims/{submitted.id}/verify", json={}, headers=idem()),
            404,
            "claim_not_found",
        )
        refused(
            outsider.post(f"/api/v1/claims/{submitted.id}/reject", json={"reason": "不行"}),
            404,
            "claim_not_found",
        )
        refused(outsider.post(f"/api/v1/claims/{claimed.id}/no-show"), 404, "claim_not_found")
        # The same answers as for a claim that does not exist.
        refused(outsider.post(f"/api/v1/claims/{claimed.id + 10_000}/no-show"), 404, "claim_not_found")
        assert outsider.get("/api/v1/claims/queue").json["items"] == []


def test_task_actions_by_staff_of_another_community_are_not_found(
    board, api_as, make_task, make_claim, unchanged
):
    posted, draft = make_task(), make_task(post=False)
    make_claim(posted, board.resident)
    outsider = api_as(board.outsider)
    with unchanged():
        out_of_scope(outsider.get(f"/api/v1/tasks/{draft.id}"))
        for task in (posted, draft):
            out_of_scope(outsider.patch(f"/api/v1/tasks/{task.id}", json={"description": "改一下"}))
            for action in ("post", "close", "complete"):
                out_of_scope(outsider.post(f"/api/v1/tasks/{task.id}/{action}"))
            out_of_scope(
                outsider.post(f"/api/v1/tasks/{task.id}/cancel", json={"reason": "取消"}, headers=idem())
            )
            out_of_scope(
                outsider.post(f"/api/v1/tasks/{task.id}/dispatch", json={"person_id": board.neighbour.id})
            )
            out_of_scope(outsider.get(f"/api/v1/tasks/{task.id}/claims"))
        # Nor may they post one in the community.
        out_of_scope(outsider.post("/api/v1/tasks", json=task_body(board.community.id)))
        assert draft.id not in [t["id"] for t in outsider.get("/api/v1/tasks").json["items"]]


def test_update_task_out_of_scope_answers_like_a_missing_task(board, api_as, make_task):
    """Existence is not revealed: a draft of another community answers exactly as a missing id."""
    draft = make_task(post=False)
    outsider = api_as(board.outsider)
    hidden = out_of_scope(outsider.patch(f"/api/v1/tasks/{draft.id}", json={"description": "改"}))
    missing = out_of_scope(outsider.patch(f"/api/v1/tasks/{draft.id + 10_000}", json={"description": "改"}))
    assert hidden["code"] == missing["code"]
    hidden = out_of_scope(outsider.post(f"/api/v1/tasks/{draft.id}/post"))
    missing = out_of_scope(outsider.post(f"/api/v1/tasks/{draft.id + 10_000}/post"))
    assert hidden["code"] == missing["code"]


def test_task_actions_by_grid_worker_are_not_found(board, api_as, make_task, unchanged):
    """A grid worker's grant covers their grid only: a community's task is outside it (as in the
    authorisation matrix, where community-level things answer 404 to grid workers)."""
    task = make_task()
    grid_worker = api_as(board.grid_worker)
    with unchanged():
        out_of_scope(grid_worker.post("/api/v1/tasks", json=task_body(board.community.id)))
        out_of_scope(grid_worker.patch(f"/api/v1/tasks/{task.id}", json={"description": "改"}))
        out_of_scope(grid_worker.post(f"/api/v1/tasks/{task.id}/close"))
        out_of_scope(
            grid_worker.post(f"/api/v1/tasks/{task.id}/cancel", json={"reason": "取消"}, headers=idem())
        )
        out_of_scope(
            grid_worker.post(f"/api/v1/tasks/{task.id}/dispatch", json={"person_id": board.resident.id})
        )


def test_verify_claim_by_grid_worker_is_not_found(
    board, api_as, make_started_task, make_claim, unchanged, refused
):
    task = make_started_task()
    claim = make_claim(task, board.resident, upto="submitted")  # a resident of the grid worker's grid
    with unchanged():
        grid_worker = api_as(board.grid_worker)
        refused(
            grid_worker.post(f"/api/v1/claims/{claim.id}/verify", json={}, headers=idem()),
            404,
            "claim_not_found",
        )


# --- tasks: creating and editing ------------------------------------------------------------------

_START = 48  # hours from now


@pytest.mark.parametrize(
    ("changes", "code", "field"),
    [
        ({"ends_at": _START - 1}, "invalid_task", "ends_at"),
        ({"ends_at": _START}, "invalid_task", "ends_at"),
        ({"claim_deadline": _START + 3}, "invalid_task", "claim_deadline"),
        ({"eligibility": "units", "reward_xingan": 5}, "invalid_task", "reward_xingan"),
        ({"category": "修电脑"}, "validation_error", "category"),
        ({"eligibility": "everyone"}, "validation_error", "eligibility"),
        ({"slots": 0}, "validation_error", "slots"),
        ({"slots": -3}, "validation_error", "slots"),
        ({"slots": 10_001}, "validation_error", "slots"),
        ({"slots": 10**30}, "validation_error", "slots"),
        ({"reward_hongsong": 10**30}, "validation_error", "reward_hongsong"),
        ({"reward_xingan": -1}, "validation_error", "reward_xingan"),
        ({"starts_at": "2030-01-01T09:00:00"}, "validation_error", "starts_at"),
        ({"ends_at": "2030-01-01 11:00"}, "validation_error", "ends_at"),
        ({"claim_deadline": "2030-01-01T08:00:00"}, "validation_error", "claim_deadline"),
        ({"starts_at": "明天上午"}, "validation_error", "starts_at"),
        ({"colour": "red"}, "validation_error", "colour"),
        ({"state": "done"}, "validation_error", "state"),
        ({"slots": "3"}, "validation_error", "slots"),
        ({"slots": 2.5}, "validation_error", "slots"),
        ({"title": 5}, "validation_error", "title"),
        ({"title": ""}, "validation_error", "title"),
        ({"title": "   "}, "title_required", "title"),
        ({"title": "长" * 101}, "validation_error", "title"),
        ({"description": "长" * 2001}, "validation_error", "description"),
        ({"requires_checkin": "maybe"}, "validation_error", "requires_checkin"),
        ({"community_id": "abc"}, "validation_error", "community_id"),
        ({"station_id": "abc"}, "validation_error", "station_id"),
        ({"post": "soon"}, "validation_error", "post"),
    ],
    ids=case_id,
)
def test_create_task_with_invalid_fields(board, api_as, unchanged, refused, changes, code, field):
    now = utcnow()

    def at(hours: int) -> str:
        return (now + timedelta(hours=hours)).isoformat()

    body = task_body(board.community.id, starts_at=at(_START), ends_at=at(_START + 2))
    for name, value in changes.items():
        body[name] = at(value) if name.endswith(("_at", "deadline")) and isinstance(value, int) else value
    with unchanged():
        problem = refused(api_as(board.staff).post("/api/v1/tasks", json=body), 422, code)
        assert field in problem["errors"], problem


@pytest.mark.parametrize(
    "missing", ["title", "category", "starts_at", "ends_at", "slots", "eligibility", "community_id"]
)
def test_create_task_without_a_required_field(board, api_as, unchanged, refused, missing):
    body = task_body(board.community.id)
    del body[missing]
    with unchanged():
        assert (
            missing
            in refused(api_as(board.staff).post("/api/v1/tasks", json=body), 422, "validation_error")[
                "errors"
            ]
        )


def test_create_task_with_station_of_another_community(board, api_as, unchanged, refused):
    from points.org import operations as org_ops

    theirs = org_ops.create_station(
        actor=None, node_id=board.other.id, kind="station", name="别处的党群服务站"
    )
    with unchanged():
        body = task_body(board.community.id, station_id=theirs.id)
        assert (
            "station_id"
            in refused(api_as(board.staff).post("/api/v1/tasks", json=body), 422, "invalid_task")["errors"]
        )


@pytest.mark.parametrize("body", [[], "task", 42], ids=case_id)
def test_create_task_with_a_body_that_is_not_an_object(board, api_as, unchanged, refused, body):
    with unchanged():
        problem = refused(api_as(board.staff).post("/api/v1/tasks", json=body), 422, "validation_error")
        assert "_schema" in problem["errors"]


@pytest.mark.parametrize("field", ["community_id", "station_id"])
def test_create_task_with_a_huge_id(board, api_as, unchanged, field):
    """Out of every id's range: a 422 that, like any bad field, names the field."""
    body = {**task_body(board.community.id), field: 2**70}
    with unchanged():
        response = api_as(board.staff).post("/api/v1/tasks", json=body)
        problem = response.get_json()
        assert response.status_code == 422, problem
        assert response.mimetype == "application/problem+json"
        assert field in (problem.get("errors") or {}), problem


@pytest.mark.parametrize(
    ("starts_at", "ends_at"),
    [
        ("9999-12-31T22:00:00-14:00", "9999-12-31T23:00:00-14:00"),
        ("0001-01-01T00:00:00+14:00", "0001-01-01T01:00:00+14:00"),
    ],
)
def test_create_task_with_dates_out_of_range(board, api_as, unchanged, starts_at, ends_at):
    """Valid ISO dates whose UTC falls outside the calendar: a 422 naming the field."""
    body = task_body(board.community.id, starts_at=starts_at, ends_at=ends_at, post=False)
    with unchanged():
        response = api_as(board.staff).post("/api/v1/tasks", json=body)
        problem = response.get_json()
        assert response.status_code == 422, problem
        assert response.mimetype == "application/problem+json"
        assert "starts_at" in (problem.get("errors") or {}), problem


def test_create_task_posted_with_deadline_passed(board, api_as, unchanged, refused):
    body = task_body(board.community.id, starts_at=_at(-3), ends_at=_at(2))  # deadline: the start
    with unchanged():
        assert (
            "claim_deadline"
            in refused(api_as(board.staff).post("/api/v1/tasks", json=body), 422, "deadline_passed")["errors"]
        )


def test_create_task_in_a_grid_or_street(board, api_as, make_person, unchanged, refused):
    """Tasks belong to a community: not to one of its grids, nor to the street above it."""
    street = get_node(board.community.parent_id)
    street_admin = make_person(community=board.community, roles=[("street_admin", street)])
    with unchanged():
        for node in (board.grid, street):
            response = api_as(street_admin).post("/api/v1/tasks", json=task_body(node.id))
            refused(response, 422, "invalid_community")


def test_create_task_by_resident_is_not_found(board, api_as, unchanged):
    with unchanged():
        out_of_scope(api_as(board.resident).post("/api/v1/tasks", json=task_body(board.community.id)))


@pytest.mark.parametrize(
    "changes",
    [
        {"title": "新标题"},
        {"category": "便民服务"},
        {"starts_at": 30},
        {"ends_at": 40},
        {"eligibility": "residents"},
        {"reward_hongsong": 100},
        {"reward_xingan": 50},
        {"requires_checkin": True},
        {"requires_unit_confirm": True},
        {"allows_walk_in": True},
        {"station_id": None},
        {"description": "可以改", "reward_xingan": 500},
    ],
    ids=case_id,
)
def test_update_task_posted_fixed_fields_is_task_locked(
    board, api_as, make_task, make_claim, unchanged, refused, changes
):
    task = make_task()
    make_claim(task, board.resident)
    body = {k: _at(v) if k.endswith("_at") else v for k, v in changes.items()}
    with unchanged():
        refused(api_as(board.staff).patch(f"/api/v1/tasks/{task.id}", json=body), 409, "task_locked")


def test_update_task_slots_below_live_claims(board, api_as, make_task, make_claim, unchanged, refused, fresh):
    task = make_task(slots=3)
    make_claim(task, board.resident)
    make_claim(task, board.neighbour)
    staff = api_as(board.staff)
    with unchanged():
        refused(staff.patch(f"/api/v1/tasks/{task.id}", json={"slots": 1}), 409, "slots_below_claims")
    # Down to exactly the live claims is fine: the task is then full.
    shown = staff.patch(f"/api/v1/tasks/{task.id}", json={"slots": 2}).json
    assert (shown["slots"], shown["claimed"], shown["open_slots"]) == (2, 2, 0)


@pytest.mark.parametrize(
    ("changes", "code", "field"),
    [
        ({"slots": 0}, "validation_error", "slots"),
        ({"slots": None}, "validation_error", "slots"),
        ({"claim_deadline": "2030-01-01T08:00:00"}, "validation_error", "claim_deadline"),
        ({"claim_deadline": 24 * 3 + 1}, "invalid_task", "claim_deadline"),
        ({"claim_deadline": -1}, "deadline_passed", "claim_deadline"),
        ({"community_id": 1}, "validation_error", "community_id"),
        ({"state": "done"}, "validation_error", "state"),
        ({"description": 7}, "validation_error", "description"),
    ],
    ids=case_id,
)
def test_update_task_posted_with_invalid_values(
    board, api_as, make_task, unchanged, refused, changes, code, field
):
    start = utcnow() + timedelta(days=3)
    task = make_task(starts_at=start, ends_at=start + timedelta(hours=1))
    body = {k: _at(v) if k == "claim_deadline" and isinstance(v, int) else v for k, v in changes.items()}
    with unchanged():
        problem = refused(api_as(board.staff).patch(f"/api/v1/tasks/{task.id}", json=body), 422, code)
        assert field in problem["errors"], problem


def test_update_task_description_after_the_claim_deadline(board, api_as, make_task, fresh):
    """The deadline passed but the close job has not run yet: the task is still posted, and its
    description and place stay editable (only moving the deadline into the past is refused)."""
    past = utcnow() - timedelta(days=1)
    task = make_task(
        now=past, starts_at=utcnow() + timedelta(hours=5), claim_deadline=past + timedelta(hours=1)
    )
    response = api_as(board.staff).patch(f"/api/v1/tasks/{task.id}", json={"place": "改到二号楼活动室"})
    assert response.status_code == 200, response.json
    assert fresh(Task, task.id).place == "改到二号楼活动室"


@pytest.mark.parametrize("state", ["done", "cancelled"])
def test_update_task_after_posting_ends_is_task_locked(
    board, api_as, actor_of, make_started_task, unchanged, refused, state
):
    task = make_started_task()
    staff = actor_of(board.staff)
    {
        "done": lambda: operations.complete_task(actor=staff, task_id=task.id),
        "cancelled": lambda: operations.cancel_task(actor=staff, task_id=task.id, reason="取消了"),
    }[state]()
    with unchanged():
        response = api_as(board.staff).patch(f"/api/v1/tasks/{task.id}", json={"description": "补充说明"})
        refused(response, 409, "task_locked")


@pytest.mark.parametrize("state", ["posted", "closed", "cancelled"])
def test_post_task_not_a_draft(board, api_as, actor_of, make_task, unchanged, refused, state):
    task = make_task()
    if state == "closed":
        operations.close_task(actor=actor_of(board.staff), task_id=task.id)
    elif state == "cancelled":
        operations.cancel_task(actor=actor_of(board.staff), task_id=task.id, reason="取消")
    with unchanged():
        refused(api_as(board.staff).post(f"/api/v1/tasks/{task.id}/post"), 409, "not_draft")


def test_post_task_draft_past_its_deadline(board, api_as, make_task, unchanged, refused):
    past = utcnow() - timedelta(days=2)
    draft = make_task(
        post=False, now=past, starts_at=past + timedelta(days=1), claim_deadline=past + timedelta(hours=1)
    )
    with unchanged():
        response = api_as(board.staff).post(f"/api/v1/tasks/{draft.id}/post")
        assert "claim_deadline" in refused(response, 422, "deadline_passed")["errors"]


def test_close_task_not_posted(board, api_as, make_task, unchanged, refused):
    draft = make_task(post=False)
    with unchanged():
        refused(api_as(board.staff).post(f"/api/v1/tasks/{draft.id}/close"), 409, "not_posted")


def test_complete_task_before_it_starts(board, api_as, make_task, unchanged, refused, fresh):
    task = make_task()  # starts tomorrow
    with unchanged():
        refused(api_as(board.staff).post(f"/api/v1/tasks/{task.id}/complete"), 409, "task_not_started")
    assert fresh(Task, task.id).state == "posted"


@pytest.mark.parametrize("state", ["draft", "done", "cancelled"])
def test_complete_task_not_on_the_board(
    board, api_as, actor_of, make_started_task, unchanged, refused, state
):
    task = make_started_task(post=state != "draft")
    staff = actor_of(board.staff)
    if state == "done":
        operations.complete_task(actor=staff, task_id=task.id)
    elif state == "cancelled":
        operations.cancel_task(actor=staff, task_id=task.id, reason="取消")
    with unchanged():
        refused(api_as(board.staff).post(f"/api/v1/tasks/{task.id}/complete"), 409, "not_open")


def test_cancel_task_needs_idempotency_key_and_reason(
    board, api_as, make_started_task, make_claim, unchanged, refused, fresh
):
    task = make_started_task()
    claim = make_claim(task, board.resident, upto="verified")
    staff = api_as(board.staff)
    with unchanged():
        refused(
            staff.post(f"/api/v1/tasks/{task.id}/cancel", json={"reason": "下雨"}),
            428,
            "idempotency_key_required",
        )
        refused(
            staff.post(f"/api/v1/tasks/{task.id}/cancel", json={}, headers=idem()), 422, "validation_error"
        )
        refused(
            staff.post(f"/api/v1/tasks/{task.id}/cancel", json={"reason": ""}, headers=idem()),
            422,
            "validation_error",
        )
        refused(
            staff.post(f"/api/v1/tasks/{task.id}/cancel", json={"reason": "  "}, headers=idem()),
            422,
            "reason_required",
        )
        long = "长" * 501
        refused(
            staff.post(f"/api/v1/tasks/{task.id}/cancel", json={"reason": long}, headers=idem()),
            422,
            "validation_error",
        )
    assert fresh(Task, task.id).state == "posted"
    assert staff.get(f"/api/v1/claims/{claim.id}").json["award"]["state"] == "pending"


def test_cancel_task_done(board, api_as, actor_of, make_started_task, unchanged, refused):
    task = make_started_task()
    operations.complete_task(actor=actor_of(board.staff), task_id=task.id)
    with unchanged():
        response = api_as(board.staff).post(
            f"/api/v1/tasks/{task.id}/cancel", json={"reason": "补取消"}, headers=idem()
        )
        refused(response, 409, "not_cancellable")


def test_cancel_task_reusing_an_idempotency_key_for_another_task(
    board, api_as, make_task, unchanged, refused
):
    first, second = make_task(), make_task()
    staff = api_as(board.staff)
    key = idem()
    assert (
        staff.post(f"/api/v1/tasks/{first.id}/cancel", json={"reason": "下雨"}, headers=key).status_code
        == 200
    )
    with unchanged():
        response = staff.post(f"/api/v1/tasks/{second.id}/cancel", json={"reason": "下雨"}, headers=key)
        refused(response, 409, "idempotency_key_reused")


# --- draws (tasks that take applications) ---------------------------------------------------------


def _drawn_task_past_deadline(board, actor_of, make_task, people, slots=1):
    """A draw task whose claim deadline passed an hour ago, with these people's applications."""
    past = utcnow() - timedelta(hours=3)
    task = make_task(
        fill_mode="draw",
        slots=slots,
        now=past,
        starts_at=utcnow() + timedelta(hours=5),
        claim_deadline=past + timedelta(hours=2),
    )
    for person in people:
        operations.claim_task(actor=actor_of(person), task_id=task.id, now=past + timedelta(hours=1))
    return task


def test_draw_task_refused_before_deadline_or_for_first_come(
    board, api_as, make_task, make_claim, unchanged, refused
):
    first_come = make_task()
    waiting = make_task(fill_mode="draw", slots=1)
    make_claim(waiting, board.resident)
    staff = api_as(board.staff)
    with unchanged():
        refused(staff.post(f"/api/v1/tasks/{first_come.id}/draw"), 409, "not_a_draw")
        refused(staff.post(f"/api/v1/tasks/{waiting.id}/draw"), 409, "deadline_not_passed")


def test_draw_task_twice_is_already_drawn(board, api_as, actor_of, make_task, unchanged, refused):
    task = _drawn_task_past_deadline(board, actor_of, make_task, [board.resident, board.neighbour])
    staff = api_as(board.staff)
    drawn = staff.post(f"/api/v1/tasks/{task.id}/draw")
    assert drawn.status_code == 200 and drawn.json["drawn_at"] is not None, drawn.json
    with unchanged():
        refused(api_as(board.checker).post(f"/api/v1/tasks/{task.id}/draw"), 409, "already_drawn")


def test_draw_task_cancelled_is_not_open(board, api_as, actor_of, make_task, unchanged, refused):
    task = _drawn_task_past_deadline(board, actor_of, make_task, [board.resident])
    operations.cancel_task(actor=actor_of(board.staff), task_id=task.id, reason="取消")
    with unchanged():
        refused(api_as(board.staff).post(f"/api/v1/tasks/{task.id}/draw"), 409, "task_not_open")


def test_draw_task_by_someone_without_the_role_is_not_found(board, api_as, actor_of, make_task, unchanged):
    task = _drawn_task_past_deadline(board, actor_of, make_task, [board.resident])
    with unchanged():
        for who in (board.outsider, board.grid_worker, board.resident, board.unit_admin):
            out_of_scope(api_as(who).post(f"/api/v1/tasks/{task.id}/draw"))


def test_submit_or_verify_claim_applied_before_the_draw(board, api_as, make_started_task, unchanged, refused):
    task = make_started_task(fill_mode="draw", slots=1)
    resident = api_as(board.resident)
    applied = resident.post(f"/api/v1/tasks/{task.id}/claims", json={}).json
    assert applied["state"] == "applied"
    with unchanged():
        refused(resident.post(f"/api/v1/claims/{applied['id']}/submit", json={}), 409, "not_submittable")
        response = api_as(board.staff).post(f"/api/v1/claims/{applied['id']}/verify", json={}, headers=idem())
        refused(response, 409, "not_submitted")


def test_update_task_fill_mode_once_posted_is_task_locked(board, api_as, make_task, unchanged, refused):
    task = make_task()
    with unchanged():
        refused(
            api_as(board.staff).patch(f"/api/v1/tasks/{task.id}", json={"fill_mode": "draw"}),
            409,
            "task_locked",
        )
        body = task_body(board.community.id, fill_mode="lottery")
        assert (
            "fill_mode"
            in refused(api_as(board.staff).post("/api/v1/tasks", json=body), 422, "validation_error")[
                "errors"
            ]
        )


def test_claim_task_after_its_draw_leaves_no_undecided_application(board, api_as, actor_of, make_task, fresh):
    """Once drawn, a task never draws again: reopening it (a later claim deadline, allowed on a
    posted task) must not let anyone apply into a draw that will never come."""
    task = _drawn_task_past_deadline(board, actor_of, make_task, [board.resident])
    staff = api_as(board.staff)
    assert staff.post(f"/api/v1/tasks/{task.id}/draw").status_code == 200
    assert fresh(Task, task.id).state == "posted"  # a manual draw leaves the task on the board
    reopened = staff.patch(f"/api/v1/tasks/{task.id}", json={"claim_deadline": _at(2)})
    if reopened.status_code < 400:
        late = api_as(board.neighbour).post(f"/api/v1/tasks/{task.id}/claims", json={})
        assert late.status_code >= 400 or late.json["state"] != "applied", late.json


def test_update_task_closed_takes_the_limited_edits(board, api_as, actor_of, make_task, fresh):
    """A closed task that has not started can still announce a new place; its rules stay."""
    task = make_task()
    operations.close_task(actor=actor_of(board.staff), task_id=task.id)
    staff = api_as(board.staff)
    moved = staff.patch(f"/api/v1/tasks/{task.id}", json={"place": "改到二号楼活动室"})
    assert moved.status_code == 200 and fresh(Task, task.id).place == "改到二号楼活动室"
    locked = staff.patch(f"/api/v1/tasks/{task.id}", json={"reward_xingan": 50})
    assert locked.status_code == 409 and locked.json["code"] == "task_locked"


def test_accept_dispatch_after_losing_eligibility_is_refused(
    board, api_as, actor_of, make_task, unchanged, refused
):
    """An offer made to a reported member cannot be taken up once their registration is withdrawn."""
    from points.people import operations as people_ops
    from points.people.queries import member_registration

    task = make_task(eligibility="party_members")
    offer = operations.dispatch_task(actor=actor_of(board.staff), task_id=task.id, person_id=board.member.id)
    people_ops.withdraw_registration(
        actor=actor_of(board.member), registration_id=member_registration(board.member.id).id
    )
    with unchanged():
        refused(api_as(board.member).post(f"/api/v1/claims/{offer.id}/accept", json={}), 403, "not_eligible")
