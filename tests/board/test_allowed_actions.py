"""The task and claim tables agree with the operations: for tasks and claims in representative
states, seen by representative people, every action `allowed_actions` offers is accepted by its
operation, and every action it withholds is refused. Each attempt runs in a savepoint that is
rolled back, so the next one meets the same state."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest

from points.board import draw
from points.board import operations as ops
from points.board.operations import rules
from points.db import utcnow
from tests.board.conftest import idem
from tests.refusals import accepts

NOW = utcnow()


def _at(hours: float):
    return NOW + timedelta(hours=hours)


def _task_call(action: str, actor, task, helper):
    """The operation behind a task action, with what it needs besides the task."""
    calls = {
        "update": lambda: ops.update_task(
            actor=actor, task_id=task.id, changes={"description": "改"}, now=NOW
        ),
        "post": lambda: ops.post_task(actor=actor, task_id=task.id, now=NOW),
        "close": lambda: ops.close_task(actor=actor, task_id=task.id, now=NOW),
        "complete": lambda: ops.complete_task(actor=actor, task_id=task.id, now=NOW),
        "cancel": lambda: ops.cancel_task(actor=actor, task_id=task.id, reason="天气原因", now=NOW),
        "draw": lambda: draw.draw_task(actor=actor, task_id=task.id, now=NOW),
        # To someone the task is open to, who holds nothing of it.
        "dispatch": lambda: ops.dispatch_task(
            actor=actor, task_id=task.id, now=NOW, **helper.assignee[task.eligibility]
        ),
        "claim": lambda: ops.claim_task(actor=actor, task_id=task.id, now=NOW),
        "claim_unit": lambda: ops.claim_task(
            actor=actor, task_id=task.id, unit_id=(actor.unit_ids or [helper.unit_id])[0], now=NOW
        ),
    }
    return calls[action]


@pytest.fixture
def tasks(board, make_task, actor_of, make_person):
    """Tasks of the board's community in the states that matter, by name."""
    staff, hours = actor_of(board.staff), _at
    made = {
        "draft": make_task(post=False, now=hours(-1)),
        "posted": make_task(now=hours(-1)),
        "started": make_task(starts_at=hours(-1), ends_at=hours(2), claim_deadline=hours(1), now=hours(-3)),
        "past_deadline": make_task(
            starts_at=hours(3), ends_at=hours(5), claim_deadline=hours(-1), now=hours(-3)
        ),
        "full": make_task(slots=1, eligibility="anyone", now=hours(-1)),
        "closed": make_task(now=hours(-1)),
        "done": make_task(starts_at=hours(-2), ends_at=hours(-1), claim_deadline=hours(-2), now=hours(-3)),
        "cancelled": make_task(now=hours(-1)),
        "party_only": make_task(eligibility="party_members", now=hours(-1)),
        "units_only": make_task(eligibility="units", reward_xingan=0, now=hours(-1)),
        "draw_open": make_task(fill_mode="draw", slots=1, now=hours(-1)),
        "draw_due": make_task(
            fill_mode="draw",
            slots=1,
            starts_at=hours(3),
            ends_at=hours(5),
            claim_deadline=hours(-1),
            now=hours(-3),
        ),
    }
    ops.claim_task(actor=actor_of(make_person(grid=board.grid)), task_id=made["full"].id, now=hours(-1))
    ops.close_task(actor=staff, task_id=made["closed"].id, now=hours(-1))
    ops.complete_task(actor=staff, task_id=made["done"].id, now=hours(-1))
    ops.cancel_task(actor=staff, task_id=made["cancelled"].id, reason="天气原因", now=hours(-1))
    ops.claim_task(actor=actor_of(board.neighbour), task_id=made["draw_due"].id, now=hours(-2))
    return made


@pytest.mark.parametrize("who", ["staff", "outsider", "grid_worker", "resident", "member", "unit_admin"])
def test_task_allowed_actions_are_what_the_operations_accept(board, tasks, actor_of, make_person, who):
    actor = actor_of(getattr(board, who))
    # Someone the task may be dispatched to: a resident of the community who holds nothing.
    resident = make_person(grid=board.grid)
    helper = SimpleNamespace(
        # Whom each kind of task may be dispatched to.
        assignee={
            "anyone": {"person_id": resident.id},
            "residents": {"person_id": resident.id},
            "party_members": {"person_id": board.member.id},
            "units": {"unit_id": board.unit.id},
        },
        # The unit a claim for a unit names when the actor runs none: the board's unit.
        unit_id=board.unit.id,
    )
    offered = set()
    for name, task in tasks.items():
        allowed = rules.allowed_task_actions(actor, task, NOW)
        offered |= set(allowed)
        for action in rules.TASK_ACTIONS:
            accepted = accepts(_task_call(action, actor, task, helper))
            assert accepted == (action in allowed), (who, name, action, allowed)
    # The states above reach every action somebody may take.
    expected = {"staff": set(rules.TASK_ACTIONS) - {"claim", "claim_unit"}, "unit_admin": {"claim_unit"}}
    assert expected.get(who, offered) <= offered


def _claim_call(action: str, actor, claim):
    """The operation behind a claim action."""
    calls = {
        "accept": lambda: ops.accept_dispatch(actor=actor, claim_id=claim.id, now=NOW),
        "decline": lambda: ops.decline_dispatch(actor=actor, claim_id=claim.id, reason="没空", now=NOW),
        "withdraw": lambda: ops.withdraw_claim(actor=actor, claim_id=claim.id, now=NOW),
        "submit": lambda: ops.submit_claim(actor=actor, claim_id=claim.id, note="做完了", now=NOW),
        "verify": lambda: ops.verify_claim(actor=actor, claim_id=claim.id, now=NOW),
        "reject": lambda: ops.reject_claim(actor=actor, claim_id=claim.id, reason="没有来", now=NOW),
        "no-show": lambda: ops.mark_no_show(actor=actor, claim_id=claim.id, now=NOW),
    }
    return calls[action]


@pytest.fixture
def claims(board, make_task, actor_of, make_person):
    """Claims in the states that matter, by name: on a task that started an hour ago, on one that
    needs the member's unit to confirm, on one that starts tomorrow, and on one filled by a draw."""
    staff = actor_of(board.staff)
    running = {"starts_at": _at(-1), "ends_at": _at(3), "claim_deadline": _at(1), "now": _at(-3)}
    task = make_task(slots=20, **running)
    paired = make_task(slots=5, eligibility="party_members", requires_unit_confirm=True, **running)
    later = make_task(slots=5, now=_at(-1))
    drawn = make_task(fill_mode="draw", slots=1, now=_at(-1))
    people = {name: make_person(grid=board.grid) for name in ("checker", "submitter", "quitter", "done")}

    def claim(person, on=task, **kw):
        return ops.claim_task(actor=actor_of(person), task_id=on.id, now=_at(-2), **kw)

    def submit(made, person):
        ops.submit_claim(actor=actor_of(person), claim_id=made.id, note="做完了", now=_at(-0.5))
        return made

    made = {
        "applied": ops.claim_task(actor=actor_of(board.resident), task_id=drawn.id, now=_at(-0.5)),
        "offered": ops.dispatch_task(actor=staff, task_id=task.id, person_id=board.resident.id, now=_at(-2)),
        "claimed": claim(board.neighbour),
        "not_started": claim(board.neighbour, later),
        "checked_in": claim(people["checker"]),
        "submitted": submit(claim(people["submitter"]), people["submitter"]),
        "unit_claim": claim(board.unit_admin, unit_id=board.unit.id),
        "withdrawn": claim(people["quitter"]),
        "unit_confirmed": submit(claim(board.member, paired), board.member),
        "verified": submit(claim(people["done"]), people["done"]),
    }
    ops.check_in_claim(task_id=task.id, person_id=people["checker"].id, now=_at(-0.5))
    ops.withdraw_claim(actor=actor_of(people["quitter"]), claim_id=made["withdrawn"].id, now=_at(-1))
    ops.verify_claim(
        actor=actor_of(board.unit_admin), claim_id=made["unit_confirmed"].id, side="unit", now=_at(-0.2)
    )
    ops.verify_claim(actor=staff, claim_id=made["verified"].id, now=_at(-0.1))
    return made


def test_claim_allowed_actions_are_what_the_operations_accept(board, claims, actor_of):
    offered = set()
    for who in (
        "staff",
        "checker",
        "outsider",
        "grid_worker",
        "resident",
        "neighbour",
        "member",
        "unit_admin",
    ):
        actor = actor_of(getattr(board, who))
        for name, claim in claims.items():
            allowed = rules.allowed_claim_actions(actor, claim, NOW)
            offered |= set(allowed)
            for action in rules.CLAIM_ACTIONS:
                accepted = accepts(_claim_call(action, actor, claim))
                assert accepted == (action in allowed), (who, name, action, allowed)
    # The states above reach every action somebody may take.
    assert offered == set(rules.CLAIM_ACTIONS)


def test_the_api_answers_the_allowed_actions(board, api_as, tasks, claims):
    staff, resident = api_as(board.staff), api_as(board.resident)
    assert staff.get(f"/api/v1/tasks/{tasks['draft'].id}").json["allowed_actions"] == [
        "update",
        "post",
        "cancel",
    ]
    assert resident.get(f"/api/v1/tasks/{tasks['party_only'].id}").json["allowed_actions"] == []
    assert "claim" in resident.get(f"/api/v1/tasks/{tasks['posted'].id}").json["allowed_actions"]
    offer = resident.get(f"/api/v1/claims/{claims['offered'].id}").json
    assert offer["allowed_actions"] == ["accept", "decline"]
    applied = resident.get("/api/v1/me/claims", query_string={"state": "applied"}).json["items"]
    assert [c["allowed_actions"] for c in applied] == [["withdraw"]]
    queue = staff.get("/api/v1/claims/queue").json["items"]
    assert {c["id"]: c["allowed_actions"] for c in queue} == {
        claims["submitted"].id: ["verify", "reject"],
        claims["unit_confirmed"].id: ["verify", "reject"],
    }
    verified = staff.post(f"/api/v1/claims/{claims['submitted'].id}/verify", json={}, headers=idem()).json
    assert verified["allowed_actions"] == []
