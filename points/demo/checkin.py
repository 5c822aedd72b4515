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


class _Desk:
    """The check-in demo's context: who runs which station, who confirms its rate, what was added."""

    def __init__(self, objects: dict, now: datetime):
        self.objects, self.now = objects, now
        logins = objects["logins"]
        communities = objects["communities"]
        self.first = communities[0]
        self.staff, self.staff_2 = actor_for(logins["staff"]), actor_for(logins["staff_2"])
        self.street_admin = actor_for(logins["street_admin"])
        self.runners = {self.first.id: self.staff, communities[1].id: actor_for(logins["staff_c2"])}
        # A second person confirms each community's duty rate, so people's own scans there post
        # at once; the street centre's rate waits for confirmation, so its desk shows the notice.
        self.confirmers = {self.first.id: self.staff_2, communities[1].id: self.street_admin}
        self.home = next(s for s in objects["stations"] if s.node_id == self.first.id)
        self.people = [
            p
            for p in objects["people"]
            if p.community_id == self.first.id
            and p.id not in {self.staff.person_id, self.staff_2.person_id}
            and not p.is_suspended
        ]
        self.counts = {"activities": 0, "checkins": 0}

    def activity(self, station, title: str, created: datetime, **fields) -> Activity:
        found = _existing(station.id, title)
        if found is not None:
            return found
        self.counts["activities"] += 1
        runner = self.runners.get(station.node_id, self.street_admin)
        if station.node_id not in self.runners:
            fields["community_id"] = self.first.id  # the street's centre pays from the first community
        made = ops.create_activity(actor=runner, station_id=station.id, title=title, now=created, **fields)
        if station.node_id in self.confirmers and made.hourly_rate is not None:
            ops.confirm_activity_rate(
                actor=self.confirmers[station.node_id], activity_id=made.id, now=created
            )
        return made

    def running_now(self) -> None:
        """An activity running now at every station, with a few people in at the first one's."""
        added = self.counts["activities"]
        running = {
            station.id: self.activity(
                station,
                ON_DUTY,
                self.now - timedelta(hours=2),
                starts_at=_hour(self.now, shift=-1),
                ends_at=_hour(self.now, shift=3),
                hourly_rate=10,
                daily_cap=30,
            )
            for station in self.objects["stations"]
        }
        if self.counts["activities"] == added:
            return
        for minutes, person in zip((50, 35, 20), self.people[2:5], strict=False):
            ops.check_in_or_out(
                actor=actor_for(person),
                activity_id=running[self.home.id].id,
                now=self.now - timedelta(minutes=minutes),
            )
            self.counts["checkins"] += 1

    def past_duty(self) -> None:
        """Last week's duty at the first station, closed and paid; one stay closed by the job, one
        elderly resident checked in and out by staff from the member card."""
        start, end = _hour(self.now, days=-7, hour=9), _hour(self.now, days=-7, hour=12)
        if _existing(self.home.id, PAST) is not None:
            return
        past = self.activity(
            self.home, PAST, start - timedelta(days=1), starts_at=start, ends_at=end, hourly_rate=10
        )
        logins = self.objects["logins"]
        stays = [  # (person, minutes in after the start, minutes out after the start or None)
            (logins["party_member"], 0, 150),
            (logins["resident"], 10, 100),
            (self.people[5], 5, 180),
            (self.people[6], 30, None),  # never checked out: the job closes it at the end
        ]
        for person, in_after, out_after in stays:
            actor = actor_for(person)
            ops.check_in_or_out(actor=actor, activity_id=past.id, now=start + timedelta(minutes=in_after))
            if out_after is not None:
                ops.check_in_or_out(
                    actor=actor, activity_id=past.id, now=start + timedelta(minutes=out_after)
                )
            self.counts["checkins"] += 1
        card = ops.card_token(ops.ensure_member_card(self.people[7].id, now=start))
        for minutes in (15, 135):
            ops.staff_check_in(
                actor=self.staff, activity_id=past.id, card=card, now=start + timedelta(minutes=minutes)
            )
        self.counts["checkins"] += 1
        grace = timedelta(minutes=current_app.config["CHECKIN_CHECKOUT_GRACE_MINUTES"])
        ops.close_open_checkins(
            rule=current_app.config["CHECKIN_MISSING_CHECKOUT_RULE"], now=end + grace + timedelta(minutes=5)
        )

    def task_activity(self) -> None:
        """The board's task that asks for a QR check-in gets its activity at the task's station."""
        task = (
            session()
            .exec(
                select(Task)
                .where(
                    Task.community_id == self.first.id,
                    Task.requires_checkin.is_(True),
                    Task.state == "posted",
                )
                .order_by(Task.id)
            )
            .first()
        )
        if task is None or task.ends_at <= self.now:
            return
        station = next((s for s in self.objects["stations"] if s.id == task.station_id), self.home)
        self.activity(
            station, task.title, self.now, starts_at=task.starts_at, ends_at=task.ends_at, task_id=task.id
        )


def load_checkins(objects: dict, *, now: datetime, echo: Callable[..., None] = click.echo) -> dict[str, int]:
    """Add the check-in demo once (see the module docstring); return counts of what this run added."""
    desk = _Desk(objects, now)
    desk.running_now()
    desk.past_duty()
    desk.task_activity()
    if any(desk.counts.values()):
        echo(f"签到：新增活动 {desk.counts['activities']} 个，签到 {desk.counts['checkins']} 人次")
    return desk.counts
