"""Check-in demo data: an activity running now at every station, a past one with its check-ins
closed and paid (one by the missing check-out rule, one by staff from a member card), and one for
the board's task that asks for a QR check-in. Made through the check-in operations; idempotent:
activities are found by station and title, so a second run adds nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import click
from flask import current_app
from sqlmodel import select

from points.auth.current import actor_for
from points.board.models import Task
from points.checkin import operations as ops
from points.checkin.models import Activity
from points.db import LOCAL_TZ, session

ON_DUTY = "党群服务站值班（扫码计时）"
PAST = "党员先锋岗值班（上周）"


def _hour(now: datetime, *, days: int = 0, hour: int | None = None, shift: int = 0) -> datetime:
    """A round local hour: this hour (or `hour`) `days` from today, moved by `shift` hours."""
    local = (now + timedelta(days=days)).astimezone(LOCAL_TZ).replace(minute=0, second=0, microsecond=0)
    if hour is not None:
        local = local.replace(hour=hour)
    return (local + timedelta(hours=shift)).astimezone(UTC)


def _existing(station_id: int, title: str) -> Activity | None:
    return (
        session()
        .exec(select(Activity).where(Activity.station_id == station_id, Activity.title == title))
        .first()
    )


def load_checkins(objects: dict, *, now: datetime, echo: Callable[..., None] = click.echo) -> dict[str, int]:
    """Add the check-in demo once (see the module docstring); return counts of what this run added."""
    logins = objects["logins"]
    communities = objects["communities"]
    first = communities[0]
    staff, staff_2 = actor_for(logins["staff"]), actor_for(logins["staff_2"])
    runners = {first.id: staff, communities[1].id: actor_for(logins["staff_c2"])}
    street_admin = actor_for(logins["street_admin"])
    counts = {"activities": 0, "checkins": 0}

    # A second person confirms each community's duty rate, so people's own scans there post at
    # once; the street centre's rate waits for confirmation, so its desk shows the notice.
    confirmers = {first.id: staff_2, communities[1].id: street_admin}

    def activity(station, runner, title: str, created: datetime, **fields) -> Activity:
        found = _existing(station.id, title)
        if found is not None:
            return found
        counts["activities"] += 1
        made = ops.create_activity(actor=runner, station_id=station.id, title=title, now=created, **fields)
        if station.node_id in confirmers and made.hourly_rate is not None:
            ops.confirm_activity_rate(actor=confirmers[station.node_id], activity_id=made.id, now=created)
        return made

    # An activity running now at every station (the street's centre pays from the first community).
    running = []
    for station in objects["stations"]:
        runner = runners.get(station.node_id, street_admin)
        running.append(
            activity(
                station,
                runner,
                ON_DUTY,
                now - timedelta(hours=2),
                starts_at=_hour(now, shift=-1),
                ends_at=_hour(now, shift=3),
                hourly_rate=10,
                daily_cap=30,
                community_id=None if station.node_id in runners else first.id,
            )
        )
    home = next(s for s in objects["stations"] if s.node_id == first.id)
    people = [
        p
        for p in objects["people"]
        if p.community_id == first.id
        and p.id not in {staff.person_id, staff_2.person_id}
        and not p.is_suspended
    ]
    on_duty = running[objects["stations"].index(home)]
    if counts["activities"]:
        # A few people in at the first community's station right now, so its screen counts them.
        for minutes, person in zip((50, 35, 20), people[2:5], strict=False):
            ops.check_in_or_out(
                actor=actor_for(person), activity_id=on_duty.id, now=now - timedelta(minutes=minutes)
            )
            counts["checkins"] += 1

    # Last week's duty at the first station, closed and paid.
    start, end = _hour(now, days=-7, hour=9), _hour(now, days=-7, hour=12)
    if _existing(home.id, PAST) is None:
        past = activity(
            home, staff, PAST, start - timedelta(days=1), starts_at=start, ends_at=end, hourly_rate=10
        )
        stays = [  # (person, minutes in after the start, minutes out after the start or None)
            (logins["party_member"], 0, 150),
            (logins["resident"], 10, 100),
            (people[5], 5, 180),
            (people[6], 30, None),  # never checked out: the job closes it at the end
        ]
        for person, in_after, out_after in stays:
            actor = actor_for(person)
            ops.check_in_or_out(actor=actor, activity_id=past.id, now=start + timedelta(minutes=in_after))
            if out_after is not None:
                ops.check_in_or_out(
                    actor=actor, activity_id=past.id, now=start + timedelta(minutes=out_after)
                )
            counts["checkins"] += 1
        # An elderly resident without a phone, checked in and out by staff from the member card.
        elder = people[7]
        card = ops.card_token(ops.ensure_member_card(elder.id, now=start))
        ops.staff_check_in(actor=staff, activity_id=past.id, card=card, now=start + timedelta(minutes=15))
        ops.staff_check_in(actor=staff, activity_id=past.id, card=card, now=start + timedelta(minutes=135))
        counts["checkins"] += 1
        rule = current_app.config["CHECKIN_MISSING_CHECKOUT_RULE"]
        grace = timedelta(minutes=current_app.config["CHECKIN_CHECKOUT_GRACE_MINUTES"])
        ops.close_open_checkins(rule=rule, now=end + grace + timedelta(minutes=5))

    # The board's task that asks for a QR check-in gets its activity at the task's station.

    task = (
        session()
        .exec(
            select(Task)
            .where(Task.community_id == first.id, Task.requires_checkin.is_(True), Task.state == "posted")
            .order_by(Task.id)
        )
        .first()
    )
    if task is not None and task.ends_at > now:
        station = next((s for s in objects["stations"] if s.id == task.station_id), home)
        activity(
            station,
            runners.get(station.node_id, street_admin),
            task.title,
            now,
            starts_at=task.starts_at,
            ends_at=task.ends_at,
            task_id=task.id,
            community_id=None if station.node_id in runners else first.id,
        )
    if any(counts.values()):
        echo(f"签到：新增活动 {counts['activities']} 个，签到 {counts['checkins']} 人次")
    return counts
