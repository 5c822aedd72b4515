"""The transition tables of activities and check-ins: what they allow is exactly what the
operations accept, for representative states and actors; the API and the pages show it."""

from __future__ import annotations

import re

import pytest

from points.checkin import operations as ops
from points.checkin import presenters, queries
from points.checkin.transitions import (
    ACTIVITY_ACTIONS,
    ACTIVITY_TRANSITIONS,
    CHECKIN_ACTIONS,
    CHECKIN_TRANSITIONS,
    activity_actions,
    checkin_refusal,
)
from points.db import session
from points.errors import DomainError
from tests.builders import running_activity
from tests.checkin.conftest import at


def accepted(call) -> bool:
    """Whether the operation does its change; tried in a savepoint that is rolled back. A scan
    that changes nothing (`already_in`, `already_out`) does not count as done."""
    savepoint = session().begin_nested()
    try:
        result = call()
    except DomainError:
        return False
    finally:
        savepoint.rollback()
    return getattr(result, "outcome", "done") not in ("already_in", "already_out")


ACTIVITY_RUN = {
    "confirm_rate": ops.confirm_activity_rate,
    "end": ops.end_activity,
    "cancel": ops.cancel_activity,
}


def test_the_tables_name_every_action_they_offer():
    assert set(ACTIVITY_ACTIONS) == set(ACTIVITY_TRANSITIONS)
    assert set(CHECKIN_ACTIONS) <= set(CHECKIN_TRANSITIONS)
    assert CHECKIN_TRANSITIONS["close"].sources == ("in",)


@pytest.fixture
def activities(world, make_activity, scan):
    """Activities in each phase, with and without check-ins, confirmed or not."""
    upcoming = make_activity(confirm=False, starts_at=at(60), ends_at=at(240))
    running = make_activity(confirm=False, title="值班（进行中）")
    confirmed = make_activity(title="值班（已确认）")
    attended = make_activity(confirm=False, title="值班（有人签到）")
    scan(world.member, attended, now=at(10))
    ended = make_activity(
        confirm=False, title="值班（已结束）", starts_at=at(-50), ends_at=at(20), now=at(-55)
    )
    cancelled = make_activity(confirm=False, title="值班（已取消）")
    ops.cancel_activity(actor=world.staff_actor, activity_id=cancelled.id, now=at(-30))
    for_task = make_activity(confirm=False, title="不计时", hourly_rate=None)
    return {
        "upcoming": upcoming,
        "running": running,
        "confirmed": confirmed,
        "attended": attended,
        "ended": ended,
        "cancelled": cancelled,
        "without rate": for_task,
    }


def test_activity_actions_are_exactly_what_the_operations_accept(world, activities, make_person, actor_of):
    supervisor = make_person(community=world.community, roles=[("supervisor", world.community)])
    actors = {
        "maker": world.staff_actor,
        "checker": world.checker_actor,
        "outsider": world.outsider_actor,
        "resident": actor_of(world.resident),
        "supervisor": actor_of(supervisor),
    }
    now = at(30)
    offered_somewhere = set()
    for who, actor in actors.items():
        for name, activity in activities.items():
            allowed = activity_actions(actor, activity, now=now)
            offered_somewhere |= set(allowed)
            for action in ACTIVITY_ACTIONS:
                done = accepted(lambda: ACTIVITY_RUN[action](actor=actor, activity_id=activity.id, now=now))  # noqa: B023
                assert done is (action in allowed), (who, name, action)
    assert offered_somewhere == set(ACTIVITY_ACTIONS)


@pytest.fixture
def stays(world, make_activity, scan):
    """Check-ins in each state: just in (within the repeat window), in for a while, out, and
    in at an activity that no longer takes scans."""
    activity = make_activity()
    scan(world.resident, activity, now=at(10))
    scan(world.member, activity, now=at(28))
    scan(world.checker, activity, now=at(5))
    visitor_out = scan(world.staff, activity, now=at(1)).checkin
    ops.staff_check_in(
        actor=world.checker_actor, activity_id=activity.id, person_id=world.staff.id, now=at(12)
    )
    old = make_activity(title="早班", starts_at=at(-200), ends_at=at(-100), now=at(-300))
    scan(world.outsider, old, now=at(-150))
    return {
        "in a while": (queries.open_checkin(activity.id, world.resident.id), activity),
        "just in": (queries.open_checkin(activity.id, world.member.id), activity),
        "staff's own": (queries.open_checkin(activity.id, world.checker.id), activity),
        "out": (visitor_out, activity),
        "activity over": (queries.open_checkin(old.id, world.outsider.id), old),
    }


def _check_out(action, actor, checkin, activity, now):
    if action == "check_out":
        return lambda: ops.check_in_or_out(actor=actor, activity_id=activity.id, action="out", now=now)
    return lambda: ops.staff_check_in(
        actor=actor, activity_id=activity.id, person_id=checkin.person_id, action="out", now=now
    )


def test_checkin_actions_are_exactly_what_the_operations_accept(world, stays, actor_of):
    actors = {
        "resident": actor_of(world.resident),
        "member": actor_of(world.member),
        "staff": world.staff_actor,
        "checker": world.checker_actor,
        "outsider": world.outsider_actor,
    }
    now = at(30)
    offered_somewhere = set()
    for who, actor in actors.items():
        for name, (checkin, activity) in stays.items():
            for action in CHECKIN_ACTIONS:
                if action == "check_out" and actor.person_id != checkin.person_id:
                    continue  # a person checks out only themselves, by scanning
                allowed = checkin_refusal(actor, checkin, action, activity=activity, now=now) is None
                offered_somewhere |= {action} if allowed else set()
                done = accepted(_check_out(action, actor, checkin, activity, now))
                assert done is allowed, (who, name, action)
    assert offered_somewhere == set(CHECKIN_ACTIONS)


def test_the_closing_job_closes_what_its_transition_allows(world, stays, app):
    from points.checkin.transitions import close_refusal

    checkin, activity = stays["activity over"]
    grace = app.config["CHECKIN_CHECKOUT_GRACE_MINUTES"]
    assert close_refusal(checkin, activity, now=at(-100 + grace - 1)).code == "checkout_open"
    assert ops.close_open_checkins(rule="credit_until_end", now=at(-100 + grace - 1)) == 0
    assert close_refusal(checkin, activity, now=at(-100 + grace)) is None
    assert ops.close_open_checkins(rule="credit_until_end", now=at(-100 + grace)) == 1
    assert close_refusal(checkin, activity, now=at(-100 + grace)).code == "checked_out"


def test_items_carry_the_actions_and_say_why_not(world, stays, actor_of, monkeypatch):
    checkin, activity = stays["just in"]
    row = (checkin, activity, world.station, world.member)

    own = presenters.checkin_items([row], actor=actor_of(world.member), now=at(30))[0]
    desk = presenters.checkin_items([row], actor=world.staff_actor, now=at(30))[0]
    later = presenters.checkin_items([row], actor=actor_of(world.member), now=at(60))[0]

    assert own["allowed_actions"] == [] and re.fullmatch(r"\d+ 分钟后可扫码签退", own["why_not"]["check_out"])
    assert desk["allowed_actions"] == ["check_out_for"]
    assert later["allowed_actions"] == ["check_out"]


def test_api_answers_allowed_actions_of_activities(world, make_activity, api_as, monkeypatch):
    activity = make_activity(confirm=False)
    monkeypatch.setattr("points.checkin.api.utcnow", lambda: at(30))

    as_maker = api_as(world.staff).get(f"/api/v1/activities/{activity.id}").json
    as_checker = api_as(world.checker).get(f"/api/v1/activities/{activity.id}").json
    as_resident = api_as(world.resident).get(f"/api/v1/activities/{activity.id}").json

    assert as_maker["allowed_actions"] == ["end", "cancel"] and as_maker["phase"] == "running"
    assert as_checker["allowed_actions"] == ["confirm_rate", "end", "cancel"]
    assert as_resident["allowed_actions"] == []


def test_desk_shows_each_button_exactly_when_allowed(world, page_as, sess, save):

    from points.db import utcnow

    now = utcnow()
    activity = running_activity(world.staff_actor, world.station.id, "周末值班", now=now)
    ops.staff_check_in(actor=world.checker_actor, activity_id=activity.id, person_id=world.staff.id)
    ops.staff_check_in(actor=world.staff_actor, activity_id=activity.id, person_id=world.resident.id)
    save()

    html = page_as(world.staff).get(f"/checkin/activities/{activity.id}").data.decode()

    # The maker may end it, not cancel it (people are in), nor confirm its own rate (and says why).
    assert (
        f"/checkin/activities/{activity.id}/end" in html
        and f"/checkin/activities/{activity.id}/cancel" not in html
    )
    assert "/confirm-rate" not in html and "创建活动的人不能确认它的积分标准" in html
    # One check-out button: for the resident; none for the staff member's own stay.
    assert html.count("代为签退</button>") == 1
