"""A street with community A: two staff members who run activities and approve, a third who asks
for awards, a supervisor, a street admin, residents; helpers that make points, stays and claims
through the operations; and the nightly run for a day."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from points.db import LOCAL_TZ

_keys = itertools.count(1)

# 09:00 on 2026-11-24 in Asia/Shanghai: the day the tests' nightly run looks at.
DAY = "2026-11-24"
T0 = datetime(2026, 11, 24, 9, 0, tzinfo=LOCAL_TZ).astimezone(UTC)


def at(minutes: float = 0, seconds: float = 0) -> datetime:
    return T0 + timedelta(minutes=minutes, seconds=seconds)


@pytest.fixture
def world(make_node, make_person, actor_of):
    from points.org import operations as org_ops

    street = make_node("street")
    a = make_node("community", street)
    b = make_node("community", street)
    station = org_ops.create_station(actor=None, node_id=a.id, kind="station", name="党群服务站")
    other_station = org_ops.create_station(actor=None, node_id=a.id, kind="outpost", name="骑手驿站")
    s1 = make_person(community=a, roles=[("staff", a)], name="张丽华")
    s2 = make_person(community=a, roles=[("staff", a)], name="杨晓燕")
    s3 = make_person(community=a, roles=[("staff", a)], name="陈建国")
    supervisor = make_person(community=a, roles=[("supervisor", a)], name="监督员")
    street_admin = make_person(community=a, roles=[("street_admin", street)], name="街道管理员")
    b_staff = make_person(community=b, roles=[("staff", b)], name="乙社区工作人员")
    residents = [make_person(community=a, name=f"居民{i}") for i in range(16)]
    return SimpleNamespace(
        street=street,
        a=a,
        b=b,
        station=station,
        other_station=other_station,
        s1=s1,
        s2=s2,
        s3=s3,
        supervisor=supervisor,
        street_admin=street_admin,
        b_staff=b_staff,
        residents=residents,
        actor=actor_of,
    )


@pytest.fixture
def give(world):
    """`give(person, amount, now=)`: an auto-posted check-in award (an honest earning)."""
    from points.ledger import operations as ledger

    def run(person, amount: int, *, now: datetime = T0):
        return ledger.request_award(
            community_id=world.a.id,
            recipient_type="person",
            recipient_id=person.id,
            kind="xingan",
            amount=amount,
            reason="checkin_award",
            proof="checkin",
            idempotency_key=f"sv-test:{next(_keys)}",
            auto_post=True,
            now=now,
        )

    return run


@pytest.fixture
def manual(world, actor_of):
    """`manual(requester, recipient, amount, approver, now=)`: a discretionary award asked for by
    one staff member and approved by another."""
    from points.ledger import operations as ledger

    def run(requester, recipient, amount: int, approver, *, now: datetime = T0):
        row = ledger.create_manual_award(
            actor=actor_of(requester),
            community_id=world.a.id,
            recipient_type="person",
            recipient_id=recipient.id,
            kind="xingan",
            amount=amount,
            memo="表现突出",
            idempotency_key=f"sv-manual:{next(_keys)}",
            now=now,
        )
        return ledger.approve_award(
            actor=actor_of(approver), transfer_id=row["id"], now=now + timedelta(minutes=1)
        )

    return run


@pytest.fixture
def activity(world, actor_of):
    """`activity(maker=s1, station=)`: an activity 09:00–13:00 on the day, 10 points an hour,
    its rate confirmed by s2."""
    from points.checkin import operations as ops

    def make(maker=None, station=None, confirm_by=None):
        made = ops.create_activity(
            actor=actor_of(maker or world.s1),
            station_id=(station or world.station).id,
            title="党群服务站值班",
            starts_at=at(0),
            ends_at=at(240),
            hourly_rate=10,
            now=at(-120),
        )
        ops.confirm_activity_rate(actor=actor_of(confirm_by or world.s2), activity_id=made.id, now=at(-120))
        return made

    return make


@pytest.fixture
def stay(actor_of):
    """`stay(person, activity, start, end=None, device=None)`: the person checks themselves in at
    `start` and (given `end`) out at `end`, from `device` (a digest) if given."""
    from points.checkin import operations as ops

    def run(person, act, start: datetime, end: datetime | None = None, *, device: str | None = None):
        phone = ops.Device(device, "Mozilla/5.0 (iPhone) MicroMessenger") if device else None
        first = ops.check_in_or_out(
            actor=actor_of(person), activity_id=act.id, action="in", device=phone, now=start
        )
        if end is not None:
            ops.check_in_or_out(actor=actor_of(person), activity_id=act.id, action="out", now=end)
        return first.checkin

    return run


@pytest.fixture
def run_day(app):
    """`run_day(day=DAY)`: the nightly detectors for a day; answers the flags by detector."""
    import sqlalchemy as sa

    from points.db import session
    from points.supervision.models import Flag
    from points.supervision.operations import run_detectors

    def run(day: str = DAY, now: datetime | None = None) -> dict[str, list]:
        run_detectors(day=day, now=now or at(24 * 60))
        flags = session().scalars(sa.select(Flag).order_by(Flag.id)).all()
        found: dict[str, list] = {}
        for flag in flags:
            found.setdefault(flag.detector, []).append(flag)
        return found

    return run


@pytest.fixture
def verified_claims(world, actor_of):
    """`verified_claims(n, verify_at=, verifier=)`: a task 08:00–13:00 on the day, claimed by n
    residents, each submitted at 10:00 and verified at `verify_at`."""
    from points.board import operations as board

    def run(n: int, *, verify_at: datetime, verifier=None):
        task = board.create_task(
            actor=actor_of(world.s1),
            community_id=world.a.id,
            title="清扫楼道",
            category="环境整治",
            starts_at=at(-60),
            ends_at=at(240),
            claim_deadline=at(0),
            slots=n,
            eligibility="anyone",
            reward_xingan=5,
            post=True,
            now=at(-180),
        )
        claims = []
        for person in world.residents[:n]:
            claim = board.claim_task(actor=actor_of(person), task_id=task.id, now=at(-120))
            board.submit_claim(actor=actor_of(person), claim_id=claim.id, note="做完了", now=at(60))
            claims.append(claim)
        for i, claim in enumerate(claims):
            board.verify_claim(
                actor=actor_of(verifier or world.s2),
                claim_id=claim.id,
                side="community",
                now=verify_at + timedelta(seconds=i),
            )
        return claims

    return run
