"""The demand table agrees with the operations: for demands in representative states, seen by
representative people, every action `allowed_actions` offers is accepted by its operation, and
every action it withholds is refused. Each attempt runs in a savepoint that is rolled back."""

from __future__ import annotations

import base64
from datetime import timedelta

import pytest

from points.board import operations as board_ops
from points.db import utcnow
from points.demands import operations as ops
from tests.refusals import accepts

NOW = utcnow()


def _at(hours: float):
    return NOW + timedelta(hours=hours)


PHOTO = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg=="
)
TASK = {"title": "上门帮忙", "starts_at": _at(-1), "ends_at": _at(2), "claim_deadline": _at(1), "slots": 1}


def _call(action: str, actor, demand, resource):
    calls = {
        "accept": lambda: ops.accept_demand(
            actor=actor, demand_id=demand.id, task={**TASK, "eligibility": "anyone"}, now=NOW
        ),
        "decline": lambda: ops.decline_demand(
            actor=actor, demand_id=demand.id, reason="不在服务范围", now=NOW
        ),
        "withdraw": lambda: ops.withdraw_demand(actor=actor, demand_id=demand.id, now=NOW),
        "rate": lambda: ops.rate_demand(actor=actor, demand_id=demand.id, rating=4, now=NOW),
        "photo": lambda: ops.set_demand_photo(actor=actor, demand_id=demand.id, data=PHOTO, now=NOW),
        "project": lambda: ops.create_project(
            actor=actor, demand_id=demand.id, resource_ids=[resource.id], now=NOW
        ),
    }
    return calls[action]


@pytest.fixture
def demands(board, make_demand, actor_of):
    """Demands of the board's resident in every state, by name."""
    staff = actor_of(board.staff)

    def accepts():
        demand = make_demand()
        task = ops.accept_demand(
            actor=staff, demand_id=demand.id, task={**TASK, "eligibility": "anyone"}, now=_at(-2)
        )
        return demand, task

    made = {name: make_demand() for name in ("open", "declined", "withdrawn")}
    made["accepted"], _ = accepts()
    made["done"], task = accepts()
    board_ops.complete_task(actor=staff, task_id=task.id, now=_at(-0.5))
    made["rated"], task = accepts()
    board_ops.complete_task(actor=staff, task_id=task.id, now=_at(-0.5))
    ops.rate_demand(actor=actor_of(board.resident), demand_id=made["rated"].id, rating=5)
    ops.decline_demand(actor=staff, demand_id=made["declined"].id, reason="不在服务范围")
    ops.withdraw_demand(actor=actor_of(board.resident), demand_id=made["withdrawn"].id)
    made["matched"] = make_demand()
    return made


@pytest.fixture
def resource(board, actor_of):
    return ops.declare_resource(
        actor=actor_of(board.member),
        community_id=board.community.id,
        category="助老助残",
        description="上门维修",
    )


def test_demand_allowed_actions_are_what_the_operations_accept(board, demands, resource, actor_of):
    ops.create_project(
        actor=actor_of(board.staff), demand_id=demands["matched"].id, resource_ids=[resource.id]
    )
    offered = set()
    for who in ("staff", "outsider", "grid_worker", "resident", "neighbour", "member"):
        actor = actor_of(getattr(board, who))
        for name, demand in demands.items():
            allowed = ops.demand_actions(actor, demand)
            offered |= set(allowed)
            for action in ops.DEMAND_ACTIONS:
                accepted = accepts(_call(action, actor, demand, resource))
                assert accepted == (action in allowed), (who, name, action, allowed)
    assert offered == set(ops.DEMAND_ACTIONS)


def test_the_api_answers_the_allowed_actions(board, api_as, demands):
    staff, resident = api_as(board.staff), api_as(board.resident)
    assert staff.get(f"/api/v1/demands/{demands['open'].id}").json["allowed_actions"] == [
        "accept",
        "decline",
        "project",
    ]
    assert resident.get(f"/api/v1/demands/{demands['open'].id}").json["allowed_actions"] == [
        "withdraw",
        "photo",
    ]
    assert resident.get(f"/api/v1/demands/{demands['done'].id}").json["allowed_actions"] == ["rate"]
    assert resident.get(f"/api/v1/demands/{demands['rated'].id}").json["allowed_actions"] == []
    rated = resident.post(f"/api/v1/demands/{demands['done'].id}/rating", json={"rating": 5}).json
    assert rated["allowed_actions"] == []
