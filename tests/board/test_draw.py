"""Oversubscribed tasks: applications until the deadline, then a recorded, reproducible draw."""

from __future__ import annotations

from datetime import timedelta

import pytest

from points.board import (
    draw,
    jobs,  # noqa: F401 - registers the board's jobs
)
from points.board import operations as ops
from points.board.models import Claim, Task
from points.db import utcnow
from points.errors import DomainError
from points.scheduler import run_job
from tests.board.conftest import idem


@pytest.fixture
def applicants(board, make_person):
    return [board.resident, board.neighbour] + [make_person(grid=board.grid) for _ in range(4)]


def _draw_task(make_task, mode="draw", slots=2):
    now = utcnow()
    return make_task(
        title="春节联欢会志愿者",
        slots=slots,
        fill_mode=mode,
        starts_at=now + timedelta(hours=3),
        claim_deadline=now + timedelta(hours=1),
        now=now,
    )


def test_claim_task_in_a_draw_applies_beyond_the_slots(board, make_task, applicants, api_as):
    task = _draw_task(make_task)
    for person in applicants:
        made = api_as(person).post(f"/api/v1/tasks/{task.id}/claims", json={})
        assert made.status_code == 201 and made.json["state"] == "applied"
    shown = api_as(board.staff).get(f"/api/v1/tasks/{task.id}").json
    assert shown["claimed"] == 0 and shown["fill_mode"] == "draw" and shown["open_slots"] == 2
    twice = api_as(board.resident).post(f"/api/v1/tasks/{task.id}/claims", json={})
    assert twice.status_code == 409 and twice.json["code"] == "already_claimed"


def test_draw_task_fills_the_slots_reproducibly(board, make_task, applicants, actor_of, fresh):
    task = _draw_task(make_task)
    claims = [ops.claim_task(actor=actor_of(p), task_id=task.id) for p in applicants]
    with pytest.raises(DomainError) as early:
        draw.draw_task(actor=actor_of(board.staff), task_id=task.id)
    assert early.value.code == "deadline_not_passed"
    after = utcnow() + timedelta(hours=2)
    draw.draw_task(actor=actor_of(board.staff), task_id=task.id, now=after)
    drawn = fresh(Task, task.id)
    ids = [c.id for c in claims]
    expected_seed = drawn.draw_seed
    assert len(expected_seed) == 64 and drawn.drawn_at == after
    order = draw.rank_applicants([(i, 0) for i in ids], expected_seed, "draw")
    states = {c.id: fresh(Claim, c.id).state for c in claims}
    assert [i for i in order if states[i] == "claimed"] == order[:2]
    assert sorted(states.values()) == ["claimed"] * 2 + ["not_selected"] * 4
    with pytest.raises(DomainError) as again:
        draw.draw_task(actor=actor_of(board.staff), task_id=task.id, now=after)
    assert again.value.code == "already_drawn"
    from sqlmodel import select

    from points.audit.models import AuditEntry
    from points.db import session

    entry = session().exec(select(AuditEntry).where(AuditEntry.action == "task.drawn")).one()
    assert entry.detail["order"] == order and entry.detail["seed"] == expected_seed
    assert entry.detail["applicants"] == ids


def test_rank_applicants_fewer_recent_first_then_shuffled():
    pairs = [(10, 3), (11, 0), (12, 1), (13, 0), (14, 3)]
    order = draw.rank_applicants(pairs, "seed", "fewer_recent")
    assert set(order[:2]) == {11, 13} and order[2] == 12 and set(order[3:]) == {10, 14}
    assert order == draw.rank_applicants(list(reversed(pairs)), "seed", "fewer_recent")
    shuffles = {tuple(draw.rank_applicants(pairs, seed, "draw")) for seed in ("a", "b", "c", "d", "e")}
    assert len(shuffles) > 1


def test_draw_task_fewer_recent_favours_newcomers(board, make_task, actor_of, api_as, fresh):
    # The resident served recently; the neighbour never did.
    now = utcnow()
    past = make_task(title="上次的任务", starts_at=now - timedelta(hours=2), now=now - timedelta(hours=4))
    earlier = ops.claim_task(actor=actor_of(board.resident), task_id=past.id, now=now - timedelta(hours=3))
    ops.submit_claim(actor=actor_of(board.resident), claim_id=earlier.id)
    ops.verify_claim(actor=actor_of(board.staff), claim_id=earlier.id)
    task = _draw_task(make_task, mode="fewer_recent", slots=1)
    mine = ops.claim_task(actor=actor_of(board.resident), task_id=task.id)
    theirs = ops.claim_task(actor=actor_of(board.neighbour), task_id=task.id)
    draw.draw_task(actor=actor_of(board.staff), task_id=task.id, now=now + timedelta(hours=2))
    assert fresh(Claim, theirs.id).state == "claimed"
    assert fresh(Claim, mine.id).state == "not_selected"


def test_close_tasks_job_draws_after_the_deadline(board, make_task, applicants, api_as, fresh):
    task = _draw_task(make_task, slots=3)
    for person in applicants[:4]:
        api_as(person).post(f"/api/v1/tasks/{task.id}/claims", json={})
    api_as(board.resident).post(f"/api/v1/claims/{_claim_of(board.resident, task)}/withdraw", json={})
    result = run_job("close_tasks", now=utcnow() + timedelta(hours=2))
    assert result.status == "ok" and "drew 1" in result.detail
    states = sorted(
        c["state"] for c in api_as(board.staff).get(f"/api/v1/tasks/{task.id}/claims").json["items"]
    )
    assert states == ["claimed", "claimed", "claimed", "withdrawn"]
    shown = api_as(board.staff).get(f"/api/v1/tasks/{task.id}").json
    assert shown["state"] == "closed" and shown["draw_seed"] and shown["claimed"] == 3
    refused = api_as(board.staff).post(f"/api/v1/tasks/{task.id}/draw", headers=idem())
    assert refused.status_code == 409 and refused.json["code"] == "already_drawn"


def _claim_of(person, task) -> int:
    from sqlmodel import select

    from points.db import session

    return (
        session().exec(select(Claim.id).where(Claim.task_id == task.id, Claim.person_id == person.id)).one()
    )
