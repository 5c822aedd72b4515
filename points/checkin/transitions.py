"""The transition tables of QR check-in: who moves an activity or a check-in where.

Operations enforce them through the `*_refusal` functions (the error they raise, or None);
the API (`allowed_actions` of activities and check-ins) and the pages (which buttons show)
read `activity_actions` and `checkin_actions`, computed by the very same functions, so a
page never offers what the operation refuses.

An activity is `upcoming`, `running`, `ended` (by its hours) or `cancelled`; a check-in is
`in` (open) or `out`:

    upcoming/running/ended --cancel--> cancelled       (nobody checked in)
    running --end--> ended                             (ends now)
    none --check_in | check_in_for--> in --check_out | check_out_for | close--> out
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app

from points.access import Actor
from points.checkin import queries
from points.checkin.models import Activity, CheckIn
from points.db import utcnow
from points.errors import Conflict, DomainError, Forbidden
from points.org.models import Station
from points.org.queries import get_node, get_station, station_path
from points.people.queries import independence_since, ties_of


@dataclass(frozen=True)
class Transition:
    sources: tuple[str, ...]
    target: str
    who: str


ACTIVITY_TRANSITIONS: dict[str, Transition] = {
    "confirm_rate": Transition(
        ("upcoming", "running", "ended"),
        "(unchanged: from now on its self-scanned stays may post without approval)",
        "stations.manage over the station and awards.approve over the paying community; neither "
        "the activity's maker nor anyone tied to them; only an hourly rate not yet confirmed",
    ),
    "end": Transition(("running",), "ended", "stations.manage over the station: it ends now"),
    "cancel": Transition(
        ("upcoming", "running", "ended"),
        "cancelled",
        "stations.manage over the station, while nobody checked in",
    ),
}
ACTIVITY_ACTIONS = tuple(ACTIVITY_TRANSITIONS)

CHECKIN_TRANSITIONS: dict[str, Transition] = {
    "check_in": Transition(
        ("none",), "in", "the person, scanning the station's code while the activity takes check-ins"
    ),
    "check_in_for": Transition(
        ("none",), "in", "staff running the station, for someone else (member card or list)"
    ),
    "check_out": Transition(
        ("in",), "out", "the person, scanning again once CHECKIN_REPEAT_SECONDS have passed"
    ),
    "check_out_for": Transition(("in",), "out", "staff running the station, for someone else"),
    "close": Transition(
        ("in",), "out", "the closing job, once the activity's check-out grace period is over"
    ),
}
# What may be offered on a check-in that exists; checking in is offered by the scan page and
# the desk, and closing belongs to the job.
CHECKIN_ACTIONS = ("check_out", "check_out_for")


# --- activities -------------------------------------------------------------------------


def _staff_refusal(actor: Actor, station: Station) -> DomainError | None:
    if not actor.can("stations.manage", station_path(station)):
        return Forbidden("forbidden", "没有权限执行此操作")
    return None


def rate_confirmation_refusal(actor: Actor, activity: Activity, *, now: datetime) -> DomainError | None:
    """Why `actor` may not confirm the activity's hourly rate, or None."""
    if not actor.can("awards.approve", get_node(activity.community_id).path):
        return Forbidden("forbidden", "没有权限执行此操作")
    if queries.phase(activity, now) == "cancelled":
        return Conflict("activity_cancelled", "活动已取消")
    if activity.hourly_rate is None:
        return Conflict("no_rate", "该活动不按小时计分，无需确认积分标准")
    if activity.rate_confirmed_by_id is not None:
        return Conflict("rate_confirmed", "积分标准已确认过")
    if activity.created_by_id == actor.person_id:
        return Forbidden("maker_checker", "创建活动的人不能确认它的积分标准，请由另一名工作人员确认")
    if activity.created_by_id in ties_of(actor.person_id, since=independence_since(now)):
        return Forbidden(
            "not_independent",
            "您与创建活动的人有关联（相互任命，或近期创建、修改、重置、解锁过对方账号），请由其他人确认",
        )
    return None


def _end_refusal(activity: Activity, now: datetime) -> DomainError | None:
    current = queries.phase(activity, now)
    if current == "cancelled":
        return Conflict("activity_cancelled", "活动已取消")
    if current == "ended":
        return Conflict("activity_ended", "活动已经结束")
    if current == "upcoming":
        return Conflict("activity_not_started", "活动尚未开始，如不再举行请取消")
    return None


def _cancel_refusal(activity: Activity, now: datetime, checked_in: bool | None) -> DomainError | None:
    if queries.phase(activity, now) == "cancelled":
        return Conflict("activity_cancelled", "活动已取消")
    if checked_in if checked_in is not None else queries.has_checkins(activity.id):
        return Conflict("has_checkins", "已有人签到，不能取消；如需提前结束请点“结束活动”")
    return None


def activity_refusal(
    actor: Actor,
    activity: Activity,
    action: str,
    *,
    now: datetime | None = None,
    station: Station | None = None,
    checked_in: bool | None = None,
) -> DomainError | None:
    """Why `actor` may not do `action` to the activity now, or None: what the operation raises.
    `checked_in` (whether anyone checked in) saves a query when the caller knows it."""
    now = now or utcnow()
    refusal = _staff_refusal(actor, station or get_station(activity.station_id))
    if action == "confirm_rate":
        return refusal or rate_confirmation_refusal(actor, activity, now=now)
    if action == "end":
        return refusal or _end_refusal(activity, now)
    if action == "cancel":
        return refusal or _cancel_refusal(activity, now, checked_in)
    raise ValueError(f"unknown action {action!r}")


def activity_actions(actor: Actor, activity: Activity, *, now: datetime | None = None, **known) -> list[str]:
    """The actions of ACTIVITY_TRANSITIONS the actor may take on the activity now."""
    if not actor.can_somewhere("stations.manage"):
        # Every action needs it; a resident's scan answer then costs no reads of the org tree.
        return []
    return [a for a in ACTIVITY_ACTIONS if activity_refusal(actor, activity, a, now=now, **known) is None]


# --- check-ins --------------------------------------------------------------------------


def desk_refusal(staff: Actor, person_id: int, station: Station) -> DomainError | None:
    """Staff check people in and out at stations they run, never themselves."""
    refusal = _staff_refusal(staff, station)
    if refusal is None and staff.person_id == person_id:
        refusal = Forbidden("self_staff_checkin", "不能为自己代签，请自己扫码签到")
    return refusal


def elsewhere_refusal() -> DomainError:
    """The refusal of a second stay while one at another activity is open."""
    return Conflict("checked_in_elsewhere", "您在其他活动中还没有签退，请先签退再签到")


def check_in_refusal(
    person_id: int,
    activity: Activity,
    *,
    now: datetime,
    staff: Actor | None = None,
    look_elsewhere: bool = True,
) -> DomainError | None:
    """Why the person cannot be checked in at the activity now (`check_in` by their own scan,
    or `check_in_for` by `staff`), or None. The operation asks it again once it holds the
    person's lock, and checks the one stay at a time (`look_elsewhere`, `elsewhere_refusal`) in its
    insert, so a stay at another activity begun meanwhile is seen."""
    station = get_station(activity.station_id)
    refusal = desk_refusal(staff, person_id, station) if staff is not None else None
    refusal = refusal or queries.scannable_refusal(activity, now)
    if refusal is not None:
        return refusal
    if now >= activity.ends_at:
        return Conflict("activity_ended", "活动已结束，不能再签到")
    if not station.is_active:
        return Conflict("station_inactive", "站点已停用，不能签到")
    # One stay at a time: being in at two activities would earn twice for the same hours.
    if look_elsewhere and queries.open_elsewhere(person_id, activity.id) is not None:
        return elsewhere_refusal()
    return None


def repeat_window() -> timedelta:
    """How long a person's second scan counts as the same scan (CHECKIN_REPEAT_SECONDS)."""
    return timedelta(seconds=current_app.config["CHECKIN_REPEAT_SECONDS"])


def check_out_refusal(
    checkin: CheckIn, activity: Activity, *, now: datetime, staff: Actor | None = None
) -> DomainError | None:
    """Why the check-in cannot be checked out now (`check_out` by the person's own scan, or
    `check_out_for` by `staff`), or None.

    `checkout_too_soon`: a person's own second scan within CHECKIN_REPEAT_SECONDS of checking
    in is a slip, never a check-out; the scan answers `already_in` and changes nothing."""
    if checkin.checked_out_at is not None:
        return Conflict("checked_out", "已签退")
    if staff is not None:
        refusal = desk_refusal(staff, checkin.person_id, get_station(activity.station_id))
        if refusal is not None:
            return refusal
    refusal = queries.scannable_refusal(activity, now)
    if refusal is None and staff is None and now - checkin.checked_in_at < repeat_window():
        left = repeat_window() - (now - checkin.checked_in_at)
        minutes = max(1, int(left.total_seconds() + 59) // 60)
        refusal = Conflict("checkout_too_soon", "%(minutes)s 分钟后可扫码签退", values={"minutes": minutes})
    return refusal


def close_refusal(checkin: CheckIn, activity: Activity, *, now: datetime) -> DomainError | None:
    """Why the closing job may not close the check-in yet: it is closed, or the activity's
    check-out grace period is not over."""
    if checkin.checked_out_at is not None:
        return Conflict("checked_out", "已签退")
    if now < queries.checkout_closes_at(activity):
        return Conflict("checkout_open", "活动的签退宽限期还没有结束")
    return None


def checkin_refusal(
    actor: Actor | None, checkin: CheckIn, action: str, *, activity: Activity, now: datetime
) -> DomainError | None:
    """Why `actor` may not do `action` to the check-in now, or None (`close`: the job's)."""
    if action == "check_out":
        if actor is None or actor.person_id != checkin.person_id:
            return Forbidden("forbidden", "没有权限执行此操作")
        return check_out_refusal(checkin, activity, now=now)
    if action == "check_out_for":
        if actor is None:
            return Forbidden("forbidden", "没有权限执行此操作")
        return check_out_refusal(checkin, activity, now=now, staff=actor)
    if action == "close":
        return close_refusal(checkin, activity, now=now)
    raise ValueError(f"unknown action {action!r}")


def checkin_actions(
    actor: Actor | None, checkin: CheckIn, *, activity: Activity, now: datetime
) -> dict[str, DomainError | None]:
    """For each action of CHECKIN_ACTIONS that concerns the actor (their own check-out, or the
    desk's for someone else): its refusal, None where it is allowed."""
    if actor is None:
        return {}
    action = "check_out" if actor.person_id == checkin.person_id else "check_out_for"
    if action == "check_out_for" and not actor.can_somewhere("stations.manage"):
        return {}
    return {action: checkin_refusal(actor, checkin, action, activity=activity, now=now)}
