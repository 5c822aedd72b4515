"""Demands, resources and projects: asking for someone else, a demand following its task, ratings,
declaring resources, suggestions and projects, and the audit trail of a demand beside a task's."""

from __future__ import annotations

from datetime import timedelta

import pytest

from points.board import operations as board_ops
from points.board.models import Task
from points.db import utcnow
from points.demands import operations
from points.demands.models import Demand
from tests.board.conftest import idem
from tests.demands.conftest import accept_begun
from tests.refusals import raises_refusal


def test_request_help_by_grid_worker_for_a_resident_of_their_grid(board, api_as):
    grid_worker = api_as(board.grid_worker)
    body = {
        "category": "助老助残",
        "details": "王阿姨腿脚不便，需要代买药品",
        "requester_id": board.resident.id,
    }
    asked = grid_worker.post("/api/v1/demands", json=body)
    assert asked.status_code == 201, asked.json
    demand = asked.json
    assert (demand["requester_id"], demand["created_by_id"]) == (board.resident.id, board.grid_worker.id)
    assert (demand["community_id"], demand["grid_id"], demand["state"]) == (
        board.community.id,
        board.grid.id,
        "open",
    )
    # The resident, the grid worker and the community's staff all follow it.
    for who in (board.resident, board.grid_worker, board.staff):
        assert api_as(who).get(f"/api/v1/demands/{demand['id']}").status_code == 200
    assert [d["id"] for d in api_as(board.resident).get("/api/v1/demands").json["items"]] == [demand["id"]]


def test_request_help_by_staff_for_a_resident_of_their_community(board, api_as):
    body = {"category": "便民服务", "details": "帮忙修理自行车", "requester_id": board.neighbour.id}
    asked = api_as(board.staff).post("/api/v1/demands", json=body)
    assert asked.status_code == 201 and asked.json["requester_id"] == board.neighbour.id, asked.json


def test_complete_and_cancel_task_move_its_demand(board, actor_of, make_demand, fresh):
    staff = actor_of(board.staff)
    cancelled = make_demand()
    task = accept_begun(staff, cancelled, title="上门维修")
    assert (task.state, task.demand_id, task.category) == ("posted", cancelled.id, cancelled.category)
    board_ops.cancel_task(actor=staff, task_id=task.id, reason="师傅生病")
    # Back to be triaged again, and it can be accepted anew.
    assert fresh(Demand, cancelled.id).state == "open"
    again = accept_begun(staff, cancelled, title="上门维修")
    board_ops.complete_task(actor=staff, task_id=again.id)
    assert fresh(Demand, cancelled.id).state == "done"
    assert fresh(Task, task.id).state == "cancelled"


@pytest.mark.parametrize("rating", [0, 6, True, 4.0, "5", None])
def test_rate_demand_invalid_rating(board, actor_of, make_demand, fresh, rating):
    demand = make_demand()
    raises_refusal(
        422,
        "invalid_rating",
        operations.rate_demand,
        actor=actor_of(board.resident),
        demand_id=demand.id,
        rating=rating,
    )
    assert fresh(Demand, demand.id).rated_at is None


def test_declare_resource_for_the_unit_by_its_admin(board, api_as):
    body = {
        "community_id": board.community.id,
        "category": "应急值守",
        "description": "单位可派四名志愿者参加防汛值守",
        "capacity": 4,
        "availability": "汛期周末",
        "unit_id": board.unit.id,
    }
    declared = api_as(board.unit_admin).post("/api/v1/resources", json=body)
    assert declared.status_code == 201, declared.json
    resource = declared.json
    assert (resource["owner_type"], resource["unit_id"], resource["person_id"]) == (
        "unit",
        board.unit.id,
        board.unit_admin.id,
    )
    assert resource["offered_by"] == board.unit.name and resource["capacity"] == 4
    listed = api_as(board.staff).get("/api/v1/resources", query_string={"unit_id": board.unit.id}).json
    assert [r["id"] for r in listed["items"]] == [resource["id"]]


def test_declare_resource_by_a_reported_party_member(board, api_as):
    body = {"community_id": board.community.id, "category": "助老助残", "description": "周末上门理发"}
    declared = api_as(board.member).post("/api/v1/resources", json=body)
    assert declared.status_code == 201, declared.json
    assert (declared.json["owner_type"], declared.json["unit_id"]) == ("person", None)
    assert declared.json["offered_by"] == board.member.name


def test_suggestions_for_a_demand_same_category_first(board, api_as, actor_of, make_demand):
    member = actor_of(board.member)

    def offer(category, capacity, community=None):
        return operations.declare_resource(
            actor=member,
            community_id=(community or board.community).id,
            category=category,
            description=f"{category}×{capacity}",
            capacity=capacity,
        ).id

    small_same = offer("助老助残", 1)
    big_other = offer("便民服务", 10)
    big_same = offer("助老助残", 5)
    elsewhere = offer("助老助残", 9, board.other)
    retired = offer("助老助残", 8)
    operations.retire_resource(actor=member, resource_id=retired)
    demand = make_demand(category="助老助残")
    shown = api_as(board.staff).get(f"/api/v1/demands/{demand.id}/suggestions")
    assert shown.status_code == 200, shown.json
    assert [r["id"] for r in shown.json] == [big_same, small_same, big_other]
    assert elsewhere not in [r["id"] for r in shown.json]


def test_read_project_of_ones_own_demand(board, api_as, actor_of, make_demand):
    demand = make_demand()
    resource = operations.declare_resource(
        actor=actor_of(board.member), community_id=board.community.id, category="助老助残", description="理发"
    )
    created = api_as(board.staff).post(
        "/api/v1/projects", json={"demand_id": demand.id, "resource_ids": [resource.id]}
    )
    assert created.status_code == 201, created.json
    resident = api_as(board.resident)
    project = resident.get(f"/api/v1/projects/{created.json['id']}")
    assert project.status_code == 200, project.json
    assert project.json["demand_id"] == demand.id
    assert [r["id"] for r in project.json["resources"]] == [resource.id]
    assert [p["id"] for p in resident.get("/api/v1/projects").json["items"]] == [created.json["id"]]
    assert resident.get(f"/api/v1/demands/{demand.id}").json["project_id"] == created.json["id"]


def _entries(api, action: str) -> list[dict]:
    return api.get("/api/v1/audit", query_string={"action": action, "per_page": 100}).json["items"]


def test_audit_records_task_posted_claim_verified_demand_declined(board, api_as, make_demand):
    staff = api_as(board.staff)
    now = utcnow()
    posted = staff.post(
        "/api/v1/tasks",
        json={
            "community_id": board.community.id,
            "title": "楼道清扫",
            "category": "环境整治",
            "starts_at": (now - timedelta(hours=1)).isoformat(),
            "ends_at": (now + timedelta(hours=2)).isoformat(),
            "claim_deadline": (now + timedelta(hours=1)).isoformat(),
            "slots": 2,
            "eligibility": "residents",
            "reward_xingan": 3,
            "post": True,
        },
    ).json
    [entry] = [e for e in _entries(staff, "task.posted") if e["target_id"] == posted["id"]]
    assert (entry["actor_id"], entry["target_type"], entry["node_id"]) == (
        board.staff.id,
        "task",
        board.community.id,
    )

    resident = api_as(board.resident)
    claim = resident.post(f"/api/v1/tasks/{posted['id']}/claims", json={}).json
    resident.post(f"/api/v1/claims/{claim['id']}/submit", json={"note": "扫完了"})
    refused = staff.post(f"/api/v1/claims/{claim['id']}/verify", json={"side": "unit"}, headers=idem())
    assert refused.status_code == 403
    assert _entries(staff, "claim.verified") == []  # a refused request leaves no entry
    staff.post(f"/api/v1/claims/{claim['id']}/verify", json={}, headers=idem())
    [entry] = _entries(staff, "claim.verified")
    assert (entry["actor_id"], entry["target_type"], entry["target_id"]) == (
        board.staff.id,
        "claim",
        claim["id"],
    )
    assert entry["detail"] == {"task_id": posted["id"], "side": "community", "complete": True}

    demand = make_demand()
    staff.post(f"/api/v1/demands/{demand.id}/decline", json={"reason": "不在服务范围内"})
    [entry] = _entries(staff, "demand.declined")
    assert (entry["actor_id"], entry["target_type"], entry["target_id"]) == (
        board.staff.id,
        "demand",
        demand.id,
    )
    assert entry["detail"] == {"reason": "不在服务范围内"}
    # Staff of another community do not read these entries.
    outsider = api_as(board.outsider)
    assert [_entries(outsider, a) for a in ("task.posted", "claim.verified", "demand.declined")] == [
        [],
        [],
        [],
    ]
