"""Activities: scheduling one at a station, confirming its hourly rate, ending and cancelling it.

Who may do which is the activity's transition table (`points.checkin.transitions`); the
limits of its fields (title length, rate and cap ranges) are `ActivityCreateSchema`'s, which
the API and the station page load their input through.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from points.access import Actor
from points.audit.operations import audit
from points.board.models import Task
from points.checkin import queries
from points.checkin.models import Activity, ActivityState
from points.checkin.transitions import activity_refusal
from points.db import session, utcnow
from points.errors import DomainError
from points.labels import N_
from points.org.models import Station
from points.org.queries import community_of, get_node, get_station, station_path

# One activity at a time: longer duty is planned day by day.
MAX_LENGTH = timedelta(days=7)


def _invalid(field: str, message: str, code: str = "invalid_activity") -> DomainError:
    return DomainError(code, message, 422, errors={field: [message]})


def _paying_community(station: Station, community_id: int | None) -> int:
    """The community whose pool pays: the station's own, or for a street's station, one under it."""
    node = get_node(station.node_id)
    own = community_of(node)
    if own is not None:
        if community_id is not None and community_id != own.id:
            raise _invalid("community_id", N_("站点属于另一个社区"), "invalid_community")
        return own.id
    if community_id is None:
        raise _invalid("community_id", N_("街道站点的活动须指明由哪个社区发放积分"), "community_required")
    community = get_node(community_id)
    if community.level != "community" or not community.path.startswith(node.path):
        raise _invalid("community_id", N_("该社区不在站点所属范围内"), "invalid_community")
    return community.id


def _check_task(task_id: int, community_id: int) -> None:
    task = session().get(Task, task_id)
    if task is None or task.community_id != community_id:
        raise _invalid("task_id", N_("任务不存在或不属于本社区"), "invalid_task")
    if task.state in ("cancelled", "done"):
        raise _invalid("task_id", N_("任务已取消或已完成"), "invalid_task")


def _hours(starts_at: datetime, ends_at: datetime, now: datetime) -> tuple[datetime, datetime]:
    """The activity's hours in UTC: aware, in order, at most MAX_LENGTH, not over already."""
    if starts_at.tzinfo is None or ends_at.tzinfo is None:
        raise _invalid("starts_at", N_("时间需带时区"))
    starts_at, ends_at = starts_at.astimezone(UTC), ends_at.astimezone(UTC)
    if ends_at <= starts_at:
        raise _invalid("ends_at", N_("结束时间应晚于开始时间"))
    if ends_at - starts_at > MAX_LENGTH:
        raise _invalid("ends_at", N_("一次活动最长7天，长期值班请按天安排"))
    if ends_at <= now:
        raise _invalid("ends_at", N_("结束时间已过"))
    return starts_at, ends_at


def create_activity(
    *,
    actor: Actor,
    station_id: int,
    title: str,
    starts_at: datetime,
    ends_at: datetime,
    task_id: int | None = None,
    hourly_rate: int | None = None,
    daily_cap: int | None = None,
    community_id: int | None = None,
    now: datetime | None = None,
) -> Activity:
    """Schedule an activity at a station (optionally for a task, or paid by the hour).

    Needs `stations.manage` over the station. Audited. Raises `station_not_found`,
    `station_inactive`, `title_required`, `invalid_activity` (its hours; per-field errors),
    `rate_with_task`, `invalid_task`, `community_required`, `invalid_community`.
    """
    now = now or utcnow()
    station = get_station(station_id)
    actor.require("stations.manage", station_path(station))
    if not station.is_active:
        raise DomainError("station_inactive", "该站点已停用", 409)
    title = (title or "").strip()
    if not title:
        raise DomainError("title_required", "请填写活动名称", 422, errors={"title": ["必填"]})
    starts_at, ends_at = _hours(starts_at, ends_at, now)
    if task_id is not None and hourly_rate is not None:
        raise DomainError(
            "rate_with_task",
            "关联任务的活动按任务奖励计分，不能再按小时计分",
            422,
            errors={"hourly_rate": [N_("关联任务时不能设置")]},
        )
    paying = _paying_community(station, community_id)
    if task_id is not None:
        _check_task(task_id, paying)
    activity = Activity(
        station_id=station.id,
        community_id=paying,
        title=title,
        starts_at=starts_at,
        ends_at=ends_at,
        task_id=task_id,
        hourly_rate=hourly_rate,
        daily_cap=daily_cap,
        created_by_id=actor.person_id,
        created_at=now,
    )
    session().add(activity)
    detail = {"title": title, "station_id": station.id, "task_id": task_id, "hourly_rate": hourly_rate}
    audit(actor, "activity.created", activity, node_id=station.node_id, detail=detail, now=now)
    return activity


def _transit(actor: Actor, activity_id: int, action: str, now: datetime) -> tuple[Activity, Station]:
    """The activity (locked) once the table lets `actor` do `action` to it now."""
    activity, station = queries.managed_activity(actor, activity_id, lock=True)
    refusal = activity_refusal(actor, activity, action, now=now, station=station)
    if refusal is not None:
        raise refusal
    return activity, station


def end_activity(*, actor: Actor, activity_id: int, now: datetime | None = None) -> Activity:
    """End a running activity now (transition `end`). People still in may scan out during the
    grace period; the scheduled job then closes what is left by the configured rule.

    Needs `stations.manage`. Raises `activity_not_started` (cancel it instead),
    `activity_ended`, `activity_cancelled`.
    """
    now = now or utcnow()
    activity, station = _transit(actor, activity_id, "end", now)
    activity.ends_at = now
    audit(actor, "activity.ended", activity, node_id=station.node_id, now=now)
    return activity


def cancel_activity(*, actor: Actor, activity_id: int, now: datetime | None = None) -> Activity:
    """Call off an activity nobody has checked in to (transition `cancel`). Needs
    `stations.manage`. Raises `activity_cancelled`, `has_checkins` (end it instead)."""
    now = now or utcnow()
    activity, station = _transit(actor, activity_id, "cancel", now)
    activity.state, activity.cancelled_at = ActivityState.CANCELLED.value, now
    audit(actor, "activity.cancelled", activity, node_id=station.node_id, now=now)
    return activity


def confirm_activity_rate(*, actor: Actor, activity_id: int, now: datetime | None = None) -> Activity:
    """A second staff member confirms an activity's hourly rate and cap (transition
    `confirm_rate`): from then on, stays that people proved themselves (their own scan of the
    screen) may post without approval.

    Needs `stations.manage` over the station and `awards.approve` over the paying community,
    and independence of whoever made the activity (SPEC §3). Audited. Raises `forbidden`,
    `no_rate`, `rate_confirmed`, `activity_cancelled`, `maker_checker`, `not_independent`.
    """
    now = now or utcnow()
    activity, station = _transit(actor, activity_id, "confirm_rate", now)
    activity.rate_confirmed_by_id, activity.rate_confirmed_at = actor.person_id, now
    detail = {"hourly_rate": activity.hourly_rate, "daily_cap": activity.daily_cap}
    audit(actor, "activity.rate_confirmed", activity, node_id=station.node_id, detail=detail, now=now)
    return activity
