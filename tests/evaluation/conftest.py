"""A street with two communities; community A has two grids, staff S1 and S2, residents and
confirmed party members of a unit, and a helper that gives points at a given time."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest

from points.evaluation import operations as evaluation
from points.people import operations as people_ops
from tests.builders import award_points

_keys = itertools.count(1)

# 2026 Q3 in Asia/Shanghai; the notice opens after the quarter ends.
IN_Q3 = datetime(2026, 8, 10, 2, 0, tzinfo=UTC)
IN_Q4 = datetime(2026, 10, 20, 2, 0, tzinfo=UTC)
AFTER_Q3 = datetime(2026, 10, 8, 2, 0, tzinfo=UTC)


def open_quarter(world, key: str = "2026-Q3", now: datetime = AFTER_Q3, *, actor=None, **more):
    """The world's staff (or `actor`) open the notice of community A's 兴安分 quarter `key` (Q3
    2026, just after it ended, unless told); `more`: `notice_days=`."""
    return evaluation.open_notice(
        actor=actor or world.staff_actor,
        community_id=world.a.id,
        kind="xingan",
        period_type="quarter",
        key=key,
        now=now,
        **more,
    )


def deduct(world, points: int, reason: str, evidence: str = "签到表"):
    """The world's staff ask to deduct `points` of party member M1's 2026 stars."""
    return evaluation.request_deduction(
        actor=world.staff_actor,
        person_id=world.m1.id,
        year=2026,
        points=points,
        reason=reason,
        evidence=evidence,
    )


@pytest.fixture
def give(app):
    """`give(person, amount, kind=, now=, unit=)`: an award that posts at once."""

    def make(person, amount: int, *, kind: str = "xingan", now: datetime = IN_Q3, unit=None, community=None):
        recipient = ("unit", unit.id) if unit is not None else ("person", person.id)
        return award_points(
            community.id if community is not None else person.community_id,
            recipient[1],
            amount,
            f"evaluation-test:{next(_keys)}",
            recipient_type=recipient[0],
            kind=kind,
            reason="task_award",
            now=now,
        )

    return make


@pytest.fixture
def town(tree, make_person, make_unit, actor_of):
    a = tree.a
    s1 = make_person(community=a, roles=[("staff", a)], name="工作人员甲")
    s2 = make_person(community=a, roles=[("staff", a)], name="工作人员乙")
    sb = make_person(community=tree.b, roles=[("staff", tree.b)], name="乙社区工作人员")
    street = make_person(community=a, roles=[("street_admin", tree.s1)], name="街道管理员")
    unit = make_unit("红星公司")
    r1 = make_person(community=a, grid=tree.ga1, name="张三英")
    r2 = make_person(community=a, grid=tree.ga1, name="李四")
    r3 = make_person(community=a, grid=tree.ga2, name="王五六")
    rb = make_person(community=tree.b, name="赵六")
    members = []
    for name in ("党员甲乙", "党员丙丁"):
        member = make_person(community=a, is_party_member=True, work_unit_id=unit.id, name=name)
        reg = people_ops.request_registration(actor=actor_of(member), kind="member", community_id=a.id)
        people_ops.decide_registration(actor=actor_of(s1), registration_id=reg.id, confirm=True)
        members.append(member)
    unit_admin = make_person(community=a, roles=[("unit_admin", unit)], name="单位管理员")
    unit_reg = people_ops.request_registration(
        actor=actor_of(unit_admin), kind="unit", unit_id=unit.id, community_id=a.id
    )
    people_ops.decide_registration(actor=actor_of(s1), registration_id=unit_reg.id, confirm=True)
    return SimpleNamespace(
        tree=tree,
        a=a,
        b=tree.b,
        unit=unit,
        unit_admin=unit_admin,
        staff=s1,
        staff2=s2,
        street=street,
        r1=r1,
        r2=r2,
        r3=r3,
        rb=rb,
        m1=members[0],
        m2=members[1],
        staff_actor=actor_of(s1),
        staff2_actor=actor_of(s2),
        b_staff=sb,
        b_staff_actor=actor_of(sb),
        street_actor=actor_of(street),
    )


@pytest.fixture
def serve(town, actor_of):
    """`serve(person, title, hours=, points=, at=)`: a posted task of community A that the
    person claims, does, reports and staff verify; a second staff member approves the award.
    Returns the task."""
    from datetime import timedelta

    from points.board import operations as board
    from points.ledger import operations as ledger

    def make(person, title: str, *, hours: float = 2, points: int = 10, at: datetime = IN_Q3):
        starts = at - timedelta(hours=hours)
        task = board.create_task(
            actor=town.staff_actor,
            community_id=town.a.id,
            title=title,
            category="环境整治",
            starts_at=starts,
            ends_at=at,
            claim_deadline=starts,
            slots=5,
            eligibility="anyone",
            reward_hongsong=points,
            reward_xingan=points,
            post=True,
            now=starts - timedelta(days=1),
        )
        claim = board.claim_task(actor=actor_of(person), task_id=task.id, now=starts - timedelta(hours=1))
        board.submit_claim(actor=actor_of(person), claim_id=claim.id, now=at)
        board.verify_claim(actor=town.staff_actor, claim_id=claim.id, now=at + timedelta(minutes=5))
        ledger.approve_award(
            actor=town.staff2_actor, transfer_id=claim.award_transfer_id, now=at + timedelta(minutes=10)
        )
        return task

    return make
