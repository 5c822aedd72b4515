"""Every transition of demands, resources and projects that is refused, through the HTTP API: the
status, the problem document's stable code and Chinese message, and that nothing at all changed."""

from __future__ import annotations

from datetime import timedelta

import pytest

from points.board import operations as board_ops
from points.db import utcnow
from points.demands import operations
from points.demands.models import Demand
from tests.board.conftest import task_body
from tests.demands.conftest import accept_begun
from tests.refusals import case_id, out_of_scope


def _at(hours: float) -> str:
    return (utcnow() + timedelta(hours=hours)).isoformat()


def test_demand_actions_by_staff_of_another_community_are_not_found(
    board, api_as, make_demand, make_started_task, unchanged
):
    demand = make_demand()
    outsider = api_as(board.outsider)
    with unchanged():
        out_of_scope(outsider.get(f"/api/v1/demands/{demand.id}"))
        out_of_scope(outsider.post(f"/api/v1/demands/{demand.id}/decline", json={"reason": "不归我们管"}))
        accept = task_body(board.community.id)
        del accept["community_id"], accept["post"]
        out_of_scope(outsider.post(f"/api/v1/demands/{demand.id}/accept", json=accept))
        out_of_scope(outsider.get(f"/api/v1/demands/{demand.id}/suggestions"))
        out_of_scope(outsider.post("/api/v1/projects", json={"demand_id": demand.id, "resource_ids": [1]}))
        # Nor ask for help for one of its residents.
        out_of_scope(
            outsider.post(
                "/api/v1/demands",
                json={"category": "助老助残", "details": "帮忙", "requester_id": board.resident.id},
            )
        )
        assert demand.id not in [d["id"] for d in outsider.get("/api/v1/demands").json["items"]]


def test_decline_demand_out_of_scope_answers_like_a_missing_demand(board, api_as, make_demand):
    demand = make_demand()
    outsider = api_as(board.outsider)
    hidden = out_of_scope(outsider.post(f"/api/v1/demands/{demand.id}/decline", json={"reason": "不管"}))
    missing = out_of_scope(
        outsider.post(f"/api/v1/demands/{demand.id + 10_000}/decline", json={"reason": "不管"})
    )
    assert hidden["code"] == missing["code"]


@pytest.mark.parametrize("who", ["grid_worker", "resident"])
def test_triage_demand_in_scope_without_the_role_is_forbidden(
    board, api_as, make_demand, unchanged, refused, who
):
    """The grid worker (their grid) and the requester (their own) read the demand: in scope, so
    triaging it, which their role lacks, answers 403 rather than 404."""
    demand = make_demand()
    caller = api_as(getattr(board, who))
    assert caller.get(f"/api/v1/demands/{demand.id}").status_code == 200
    with unchanged():
        refused(
            caller.post(f"/api/v1/demands/{demand.id}/decline", json={"reason": "不需要了"}), 403, "forbidden"
        )
        accept = task_body(board.community.id)
        del accept["community_id"], accept["post"]
        refused(caller.post(f"/api/v1/demands/{demand.id}/accept", json=accept), 403, "forbidden")


def _done_demand(board, actor_of, make_demand, make_claim=None):
    demand = make_demand()
    task = accept_begun(actor_of(board.staff), demand)
    board_ops.complete_task(actor=actor_of(board.staff), task_id=task.id)
    return demand


def test_rate_demand_of_someone_else_is_not_found(board, api_as, actor_of, make_demand, unchanged, refused):
    demand = _done_demand(board, actor_of, make_demand)
    with unchanged():
        for who in (board.neighbour, board.staff, board.grid_worker):
            response = api_as(who).post(f"/api/v1/demands/{demand.id}/rating", json={"rating": 1})
            refused(response, 404, "demand_not_found")


def test_rate_demand_before_done(board, api_as, actor_of, make_demand, unchanged, refused):
    open_demand = make_demand()
    accepted = make_demand()
    accept_begun(actor_of(board.staff), accepted)
    resident = api_as(board.resident)
    with unchanged():
        for demand in (open_demand, accepted):
            refused(resident.post(f"/api/v1/demands/{demand.id}/rating", json={"rating": 5}), 409, "not_done")


@pytest.mark.parametrize("rating", [0, 6, -1, 4.5, 5.0, "5", True, None, 10**20])
def test_rate_demand_outside_one_to_five_or_not_an_integer(
    board, api_as, actor_of, make_demand, unchanged, refused, fresh, rating
):
    demand = _done_demand(board, actor_of, make_demand)
    with unchanged():
        response = api_as(board.resident).post(f"/api/v1/demands/{demand.id}/rating", json={"rating": rating})
        assert "rating" in refused(response, 422, "validation_error")["errors"]
    assert fresh(Demand, demand.id).rated_at is None


def test_rate_demand_without_rating_or_with_long_comment(
    board, api_as, actor_of, make_demand, unchanged, refused
):
    demand = _done_demand(board, actor_of, make_demand)
    resident = api_as(board.resident)
    with unchanged():
        for body, field in (({}, "rating"), ({"rating": 4, "comment": "好" * 501}, "comment")):
            response = resident.post(f"/api/v1/demands/{demand.id}/rating", json=body)
            assert field in refused(response, 422, "validation_error")["errors"]


def test_rate_demand_twice(board, api_as, actor_of, make_demand, unchanged, refused, fresh):
    demand = _done_demand(board, actor_of, make_demand)
    resident = api_as(board.resident)
    assert (
        resident.post(
            f"/api/v1/demands/{demand.id}/rating", json={"rating": 4, "comment": "不错"}
        ).status_code
        == 200
    )
    with unchanged():
        refused(
            resident.post(f"/api/v1/demands/{demand.id}/rating", json={"rating": 1}), 409, "already_rated"
        )
    assert (fresh(Demand, demand.id).rating, fresh(Demand, demand.id).comment) == (4, "不错")


@pytest.mark.parametrize("state", ["accepted", "declined", "withdrawn", "done"])
def test_withdraw_demand_no_longer_open(board, api_as, actor_of, make_demand, unchanged, refused, state):
    staff = actor_of(board.staff)
    if state == "done":
        demand = _done_demand(board, actor_of, make_demand)
    else:
        demand = make_demand()
        if state == "accepted":
            accept_begun(staff, demand)
        elif state == "declined":
            operations.decline_demand(actor=staff, demand_id=demand.id, reason="不在服务范围")
        else:
            operations.withdraw_demand(actor=actor_of(board.resident), demand_id=demand.id)
    with unchanged():
        refused(api_as(board.resident).post(f"/api/v1/demands/{demand.id}/withdraw"), 409, "not_open")


def test_withdraw_demand_of_someone_else_is_not_found(board, api_as, make_demand, unchanged, refused):
    demand = make_demand()
    with unchanged():
        for who in (board.neighbour, board.staff):
            refused(api_as(who).post(f"/api/v1/demands/{demand.id}/withdraw"), 404, "demand_not_found")


@pytest.mark.parametrize("first", ["accept", "decline"])
@pytest.mark.parametrize("second", ["accept", "decline"])
def test_triage_demand_twice_is_not_open(board, api_as, make_demand, unchanged, refused, first, second):
    demand = make_demand()
    staff = api_as(board.staff)
    accept = {
        "title": "上门帮忙",
        "starts_at": _at(24),
        "ends_at": _at(26),
        "slots": 1,
        "eligibility": "anyone",
    }
    bodies = {"accept": accept, "decline": {"reason": "人手不够"}}
    done = staff.post(f"/api/v1/demands/{demand.id}/{first}", json=bodies[first])
    assert done.status_code in (200, 201), done.json
    with unchanged():
        refused(
            api_as(board.checker).post(f"/api/v1/demands/{demand.id}/{second}", json=bodies[second]),
            409,
            "not_open",
        )


def test_decline_demand_without_reason(board, api_as, make_demand, unchanged, refused):
    demand = make_demand()
    staff = api_as(board.staff)
    with unchanged():
        refused(staff.post(f"/api/v1/demands/{demand.id}/decline", json={}), 422, "validation_error")
        refused(
            staff.post(f"/api/v1/demands/{demand.id}/decline", json={"reason": " "}), 422, "reason_required"
        )


def test_accept_demand_dispatched_to_ineligible_person_changes_nothing(
    board, api_as, make_demand, unchanged, refused, fresh
):
    """The task, the demand's state and the offer are one transaction: a refused offer undoes all."""
    demand = make_demand()
    with unchanged():
        body = {
            "title": "上门帮忙",
            "starts_at": _at(24),
            "ends_at": _at(26),
            "slots": 1,
            "eligibility": "residents",
            "reward_xingan": 2,
            "dispatch_person_id": board.stranger.id,
        }
        refused(
            api_as(board.staff).post(f"/api/v1/demands/{demand.id}/accept", json=body),
            404,
            "person_not_found",
        )
    assert fresh(Demand, demand.id).state == "open"


def test_accept_demand_with_past_deadline_changes_nothing(board, api_as, make_demand, unchanged, refused):
    demand = make_demand()
    with unchanged():
        body = {
            "title": "上门帮忙",
            "starts_at": _at(-2),
            "ends_at": _at(1),
            "slots": 1,
            "eligibility": "anyone",
        }
        response = api_as(board.staff).post(f"/api/v1/demands/{demand.id}/accept", json=body)
        assert "claim_deadline" in refused(response, 422, "deadline_passed")["errors"]


def test_request_help_by_grid_worker_for_resident_of_another_grid(
    board, api_as, make_node, make_person, unchanged, refused
):
    other_grid = make_node("grid", board.community)
    elsewhere = make_person(grid=other_grid)
    no_grid = make_person(community=board.community)
    grid_worker = api_as(board.grid_worker)
    with unchanged():
        for person in (elsewhere, no_grid, board.stranger):
            body = {"category": "助老助残", "details": "帮忙买菜", "requester_id": person.id}
            out_of_scope(grid_worker.post("/api/v1/demands", json=body))


def test_request_help_by_resident_for_someone_else(board, api_as, unchanged, refused):
    resident = api_as(board.resident)
    with unchanged():
        for person in (board.neighbour, board.stranger):
            body = {"category": "助老助残", "details": "帮邻居问一下", "requester_id": person.id}
            response = resident.post("/api/v1/demands", json=body)
            assert response.status_code in (403, 404), response.json
            assert response.mimetype == "application/problem+json"
            assert any("\u4e00" <= ch <= "\u9fff" for ch in response.json["detail"]), response.json


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"category": "修电脑", "details": "帮忙"}, "category"),
        ({"category": "助老助残", "details": ""}, "details"),
        ({"category": "助老助残"}, "details"),
        ({"category": "助老助残", "details": "帮" * 1001}, "details"),
        ({"category": "助老助残", "details": "帮忙", "requester_id": "me"}, "requester_id"),
        ({"category": "助老助残", "details": "帮忙", "urgent": True}, "urgent"),
    ],
    ids=case_id,
)
def test_request_help_with_invalid_fields(board, api_as, unchanged, refused, body, field):
    with unchanged():
        response = api_as(board.resident).post("/api/v1/demands", json=body)
        assert field in refused(response, 422, "validation_error")["errors"]


def test_request_help_with_blank_details(board, api_as, unchanged, refused):
    with unchanged():
        response = api_as(board.resident).post(
            "/api/v1/demands", json={"category": "助老助残", "details": "   "}
        )
        assert "details" in refused(response, 422, "details_required")["errors"]


def _resource_body(community, **overrides):
    return {
        "community_id": community.id,
        "category": "助老助残",
        "description": "每周六上午上门理发",
        **overrides,
    }


@pytest.mark.parametrize("who", ["resident", "grid_worker", "stranger"])
def test_declare_resource_by_someone_not_a_reported_member(board, api_as, unchanged, refused, who):
    with unchanged():
        response = api_as(getattr(board, who)).post("/api/v1/resources", json=_resource_body(board.community))
        refused(response, 403, "not_eligible")


def test_declare_resource_for_unit_by_someone_not_its_admin(board, api_as, unchanged, refused):
    with unchanged():
        body = _resource_body(board.community, unit_id=board.unit.id)
        refused(api_as(board.member).post("/api/v1/resources", json=body), 403, "forbidden")


def test_declare_resource_for_unit_not_reported_to_community(board, api_as, make_node, unchanged, refused):
    elsewhere = make_node("community")
    with unchanged():
        body = _resource_body(elsewhere, unit_id=board.unit.id)
        refused(api_as(board.unit_admin).post("/api/v1/resources", json=body), 403, "not_eligible")


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"capacity": 0}, "capacity"),
        ({"capacity": 10**12}, "capacity"),
        ({"capacity": "2"}, "capacity"),
        ({"category": "修电脑"}, "category"),
        ({"description": ""}, "description"),
        ({"availability": "长" * 201}, "availability"),
        ({"owner": "me"}, "owner"),
    ],
    ids=case_id,
)
def test_declare_resource_with_invalid_fields(board, api_as, unchanged, refused, overrides, field):
    with unchanged():
        response = api_as(board.member).post(
            "/api/v1/resources", json=_resource_body(board.community, **overrides)
        )
        assert field in refused(response, 422, "validation_error")["errors"]


def test_retire_resource_of_someone_else(board, api_as, actor_of, unchanged, refused):
    resource = operations.declare_resource(
        actor=actor_of(board.member), community_id=board.community.id, category="助老助残", description="理发"
    )
    with unchanged():
        out_of_scope(api_as(board.resident).post(f"/api/v1/resources/{resource.id}/retire"))
        out_of_scope(api_as(board.outsider).post(f"/api/v1/resources/{resource.id}/retire"))


def _member_resource(board, actor_of, community=None):
    return operations.declare_resource(
        actor=actor_of(board.member),
        community_id=(community or board.community).id,
        category="助老助残",
        description="上门理发",
    )


def test_create_project_with_resource_of_another_community(
    board, api_as, actor_of, make_demand, unchanged, refused
):
    demand = make_demand()
    ours = _member_resource(board, actor_of)
    # The member lives in the other community, so may offer something there too.
    theirs = _member_resource(board, actor_of, board.other)
    with unchanged():
        body = {"demand_id": demand.id, "resource_ids": [ours.id, theirs.id]}
        problem = refused(
            api_as(board.staff).post("/api/v1/projects", json=body), 422, "resource_unavailable"
        )
        assert str(theirs.id) in problem["errors"]["resource_ids"][0]


def test_create_project_with_retired_or_unknown_resource(
    board, api_as, actor_of, make_demand, unchanged, refused
):
    demand = make_demand()
    retired = _member_resource(board, actor_of)
    operations.retire_resource(actor=actor_of(board.member), resource_id=retired.id)
    with unchanged():
        for ids in ([retired.id], [retired.id + 10_000]):
            response = api_as(board.staff).post(
                "/api/v1/projects", json={"demand_id": demand.id, "resource_ids": ids}
            )
            refused(response, 422, "resource_unavailable")


def test_create_project_twice_for_a_demand(board, api_as, actor_of, make_demand, unchanged, refused):
    demand = make_demand()
    resource = _member_resource(board, actor_of)
    body = {"demand_id": demand.id, "resource_ids": [resource.id]}
    assert api_as(board.staff).post("/api/v1/projects", json=body).status_code == 201
    with unchanged():
        refused(api_as(board.checker).post("/api/v1/projects", json=body), 409, "project_exists")


@pytest.mark.parametrize("state", ["declined", "withdrawn"])
def test_create_project_for_a_closed_demand(board, api_as, actor_of, make_demand, unchanged, refused, state):
    demand = make_demand()
    if state == "declined":
        operations.decline_demand(actor=actor_of(board.staff), demand_id=demand.id, reason="不受理")
    else:
        operations.withdraw_demand(actor=actor_of(board.resident), demand_id=demand.id)
    resource = _member_resource(board, actor_of)
    with unchanged():
        body = {"demand_id": demand.id, "resource_ids": [resource.id]}
        refused(api_as(board.staff).post("/api/v1/projects", json=body), 409, "demand_closed")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"resource_ids": []}, "resource_ids"),
        ({"resource_ids": ["1"]}, "resource_ids"),
        ({"resource_ids": 1}, "resource_ids"),
        ({}, "resource_ids"),
    ],
    ids=case_id,
)
def test_create_project_with_invalid_resources(board, api_as, make_demand, unchanged, refused, body, field):
    demand = make_demand()
    with unchanged():
        response = api_as(board.staff).post("/api/v1/projects", json={"demand_id": demand.id, **body})
        assert field in refused(response, 422, "validation_error")["errors"]


def test_create_project_by_resident_or_member_is_refused(board, api_as, actor_of, make_demand, unchanged):
    demand = make_demand()
    resource = _member_resource(board, actor_of)
    with unchanged():
        for who in (board.member, board.neighbour):
            response = api_as(who).post(
                "/api/v1/projects", json={"demand_id": demand.id, "resource_ids": [resource.id]}
            )
            out_of_scope(response)


def test_read_project_by_another_resident_is_not_found(board, api_as, actor_of, make_demand, refused):
    demand = make_demand()
    resource = _member_resource(board, actor_of)
    project = operations.create_project(
        actor=actor_of(board.staff), demand_id=demand.id, resource_ids=[resource.id]
    )
    for who in (board.neighbour, board.member, board.outsider):
        caller = api_as(who)
        refused(caller.get(f"/api/v1/projects/{project.id}"), 404, "project_not_found")
        assert project.id not in [p["id"] for p in caller.get("/api/v1/projects").json["items"]]


def test_request_help_for_a_person_out_of_scope_answers_like_a_missing_person(board, api_as):
    """People ids are not probed: someone outside the caller's scope answers as a missing id."""
    resident = api_as(board.resident)
    body = {"category": "助老助残", "details": "帮忙"}
    hidden = out_of_scope(resident.post("/api/v1/demands", json={**body, "requester_id": board.stranger.id}))
    missing = out_of_scope(
        resident.post("/api/v1/demands", json={**body, "requester_id": board.stranger.id + 10_000})
    )
    assert hidden["code"] == missing["code"]
