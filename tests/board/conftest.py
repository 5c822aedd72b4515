"""Fixtures for board tests: a community with staff, a grid worker, residents, a reported
party member whose work unit reports there too, and that unit's admin."""

from __future__ import annotations

import itertools
from datetime import timedelta
from types import SimpleNamespace

import pytest

from points.db import utcnow
from points.people import operations as people_ops

_keys = itertools.count(1)


def idem(prefix: str = "k") -> dict:
    return {"Idempotency-Key": f"{prefix}-{next(_keys)}"}


@pytest.fixture
def board(make_node, make_person, make_unit, actor_of):
    community = make_node("community")
    grid = make_node("grid", community)
    other = make_node("community")
    staff = make_person(community=community, roles=[("staff", community)])
    checker = make_person(community=community, roles=[("staff", community)])
    outsider = make_person(community=other, roles=[("staff", other)])
    grid_worker = make_person(community=community, roles=[("grid_worker", grid)])
    resident = make_person(grid=grid, name="王阿姨")
    neighbour = make_person(grid=grid)
    stranger = make_person(community=other)
    unit = make_unit()
    unit_admin = make_person(community=other, roles=[("unit_admin", unit)])
    member = make_person(community=other, is_party_member=True, work_unit_id=unit.id, name="李党员")
    staff_actor = actor_of(staff)
    for subject in (member,):
        reg = people_ops.request_registration(
            actor=actor_of(subject), kind="member", community_id=community.id
        )
        people_ops.decide_registration(actor=staff_actor, registration_id=reg.id, confirm=True)
    reg = people_ops.request_registration(
        actor=actor_of(unit_admin), kind="unit", unit_id=unit.id, community_id=community.id
    )
    people_ops.decide_registration(actor=staff_actor, registration_id=reg.id, confirm=True)
    return SimpleNamespace(
        community=community,
        grid=grid,
        other=other,
        staff=staff,
        checker=checker,
        outsider=outsider,
        grid_worker=grid_worker,
        resident=resident,
        neighbour=neighbour,
        stranger=stranger,
        unit=unit,
        unit_admin=unit_admin,
        member=member,
    )


def task_body(community_id: int, **overrides) -> dict:
    start = utcnow() + timedelta(days=1)
    return {
        "community_id": community_id,
        "title": "清扫楼道",
        "description": "三号楼一至六层",
        "category": "环境整治",
        "place": "三号楼",
        "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(hours=2)).isoformat(),
        "slots": 3,
        "eligibility": "anyone",
        "reward_hongsong": 10,
        "reward_xingan": 5,
        "post": True,
        **overrides,
    }


@pytest.fixture
def make_task(board, actor_of):
    """`make_task(**fields)`: a posted task of the board's community, through the operation."""
    from datetime import datetime

    from points.board import operations

    def make(**overrides):
        body = task_body(board.community.id, **overrides)
        for field in ("starts_at", "ends_at", "claim_deadline"):
            if isinstance(body.get(field), str):
                body[field] = datetime.fromisoformat(body[field])
        if "starts_at" in overrides and "ends_at" not in overrides:
            body["ends_at"] = body["starts_at"] + timedelta(hours=2)
        if "claim_deadline" not in body:
            body["claim_deadline"] = body["starts_at"]
        return operations.create_task(actor=actor_of(board.staff), **body)

    return make
