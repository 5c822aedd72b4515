"""Fixtures for check-in tests: a community with a station, two staff members, a resident and a
party member, another community with its own station, and a fixed clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from points.db import LOCAL_TZ, utcnow
from tests.builders import running_activity

# 09:00 in Asia/Shanghai on a Monday; a multiple of every window length the tests use.
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=LOCAL_TZ).astimezone(UTC)


def at(minutes: float = 0, seconds: float = 0) -> datetime:
    """A moment relative to T0."""
    return T0 + timedelta(minutes=minutes, seconds=seconds)


@pytest.fixture
def world(make_world, make_person):
    """The shared world (`make_world`) with a station in its community, an outpost in the other
    and a visitor living there."""
    from points.org import operations as org_ops

    world = make_world(staff="张丽华", checker="杨晓燕", resident="赵秀英", member="刘洪涛")
    world.station = org_ops.create_station(
        actor=None, node_id=world.community.id, kind="station", name="党群服务站"
    )
    world.other_station = org_ops.create_station(
        actor=None, node_id=world.other.id, kind="outpost", name="骑手驿站"
    )
    world.visitor = make_person(community=world.other)
    return world


@pytest.fixture
def make_activity(world):
    """`make_activity(**fields)`: an activity at the world's station, 09:00–13:00 on T0's day,
    10 points an hour unless told; made by the world's staff member and its rate confirmed by the
    second one (`confirm=False`: not yet; another `actor`'s activity stays unconfirmed)."""
    from points.checkin import operations as ops

    def make(*, station=None, actor=None, now=None, confirm=None, **fields):
        values = {
            "title": "党群服务站值班",
            "starts_at": at(0),
            "ends_at": at(240),
            "hourly_rate": 10,
        }
        values.update(fields)
        activity = ops.create_activity(
            actor=actor or world.staff_actor,
            station_id=(station or world.station).id,
            now=now or at(-60),
            **values,
        )
        if (actor is None if confirm is None else confirm) and activity.hourly_rate is not None:
            ops.confirm_activity_rate(actor=world.checker_actor, activity_id=activity.id, now=now or at(-60))
        return activity

    return make


@pytest.fixture
def running(world, save):
    """An activity running now (real time, from half an hour ago for three hours and a half),
    paid 10 points an hour, its rate confirmed by the second staff member; committed."""
    from points.checkin import operations as ops

    now = utcnow()
    activity = running_activity(world.staff_actor, world.station.id, "周末值班", now=now)
    ops.confirm_activity_rate(actor=world.checker_actor, activity_id=activity.id, now=now)
    save()
    return activity


@pytest.fixture
def code(world):
    """`code(activity, now=, poster=)`: the station code the screen (or the poster) shows."""
    from points.checkin import operations as ops

    def make(activity, *, now=None, poster=False, actor=None):
        return ops.station_code(
            actor=actor or world.staff_actor, activity_id=activity.id, poster=poster, now=now or at(0)
        ).token

    return make


@pytest.fixture
def scan(world, actor_of, code):
    """`scan(person, activity, now=, action=, poster=, code_at=)`: the person scans the code shown at
    `code_at` (default: `now`)."""
    from points.checkin import operations as ops

    def run(person, activity, *, now, action=None, poster=False, code_at=None):
        token = code(activity, now=code_at or now, poster=poster)
        return ops.scan_code(actor=actor_of(person), token=token, action=action, now=now)

    return run
