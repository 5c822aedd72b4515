"""Fixtures for board tests (and, through tests/demands/conftest.py, the demands' tests): a
community with staff, a grid worker, residents, a reported party member whose work unit reports
there too, and that unit's admin."""

from __future__ import annotations

import itertools
from contextlib import contextmanager
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

    def make(now=None, **overrides):
        body = task_body(board.community.id, **overrides)
        for field in ("starts_at", "ends_at", "claim_deadline"):
            if isinstance(body.get(field), str):
                body[field] = datetime.fromisoformat(body[field])
        if "starts_at" in overrides and "ends_at" not in overrides:
            body["ends_at"] = body["starts_at"] + timedelta(hours=2)
        if "claim_deadline" not in body:
            body["claim_deadline"] = body["starts_at"]
        return operations.create_task(actor=actor_of(board.staff), now=now, **body)

    return make


# --- added for the refusal and operation tests ------------------------------------------

# Everything a board or demands request may touch: a refused request must leave all of it as it was.
_STATE_TABLES = (
    "tasks",
    "claims",
    "demands",
    "resources",
    "projects",
    "project_resources",
    "ledger_accounts",
    "ledger_transfers",
    "ledger_budgets",
    "ledger_chain_heads",
    "idempotency_records",
    "audit_entries",
)


@pytest.fixture
def board_state(app):
    """`board_state()`: every row of the board's and the ledger's tables, and the audit log, now."""
    import sqlalchemy as sa

    from points.db import session

    def read() -> dict:
        # Setup made through operations may still sit in the test's session (audit entries
        # are added, not flushed): flush it, so only what a request does counts as a change.
        session().flush()
        conn = session().connection()
        return {
            table: [tuple(row) for row in conn.execute(sa.text(f"SELECT * FROM {table} ORDER BY 1, 2"))]
            for table in _STATE_TABLES
        }

    return read


@pytest.fixture
def unchanged(board_state):
    """`with unchanged():` the block leaves every row `board_state()` reads as it was."""

    @contextmanager
    def check():
        before = board_state()
        yield
        assert board_state() == before

    return check


@pytest.fixture
def refused():
    """`refused(response, status, code)`: a problem document with that status and stable code,
    and a Chinese message. Returns the document."""
    import re

    chinese = re.compile(r"[\u4e00-\u9fff]")

    def check(response, status: int, code: str) -> dict:
        body = response.get_json()
        assert response.status_code == status, body
        assert response.mimetype == "application/problem+json", response.mimetype
        assert body["status"] == status and body["code"] == code, body
        assert chinese.search(body["detail"]), body
        return body

    return check


@pytest.fixture
def make_started_task(make_task):
    """`make_started_task(**fields)`: a posted task that started an hour ago and still takes claims."""

    def make(**overrides):
        now = utcnow()
        fields = {
            "starts_at": now - timedelta(hours=1),
            "ends_at": now + timedelta(hours=3),
            "claim_deadline": now + timedelta(hours=1),
        }
        return make_task(**{**fields, **overrides})

    return make


@pytest.fixture
def make_claim(board, actor_of):
    """`make_claim(task, person, *, unit=None, upto="claimed")`: a claim moved by the operations up
    to `claimed`, `submitted` or `verified` (the community side by staff, the unit side by the
    board's unit admin when the task asks for it)."""
    from points.board import operations

    def make(task, person, *, unit=None, upto: str = "claimed"):
        actor = actor_of(person)
        claim = operations.claim_task(actor=actor, task_id=task.id, unit_id=unit.id if unit else None)
        if upto in ("submitted", "verified"):
            operations.submit_claim(actor=actor, claim_id=claim.id, note="做完了")
        if upto == "verified":
            verifier = board.checker if person.id == board.staff.id else board.staff
            operations.verify_claim(actor=actor_of(verifier), claim_id=claim.id, side="community")
            if claim.confirming_unit_id is not None:
                operations.verify_claim(actor=actor_of(board.unit_admin), claim_id=claim.id, side="unit")
        return claim

    return make
