"""Every change in QR check-in: station keys, activities, check-in and check-out, member cards.

A person has at most one open check-in per activity: a partial unique index holds it
whatever races, so concurrent scans make one check-in and the others read it back as
"already checked in". Check-out locks the person's check-ins of that local day (in id
order) before it adds up the day's points, so two check-outs at once cannot both
slip under the daily cap. Awards are asked of the ledger in the same transaction
(key `checkin:{id}:award`); a refusal by the ledger (e.g. an exhausted budget) is
recorded on the check-in and does not undo the check-out.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from points.access import PERMISSIONS, Actor
from points.audit.operations import record
from points.board.models import Task
from points.checkin import queries, tokens
from points.checkin.models import Activity, CheckIn, CloseRule, MemberCard, StationKey
from points.db import LOCAL_TZ, session, utcnow
from points.errors import Conflict, DomainError, Forbidden
from points.i18n import Gettext, as_written
from points.labels import N_
from points.ledger import operations as ledger
from points.ledger.models import Kind
from points.org.models import Station
from points.org.queries import community_of, get_node, get_station, station_path
from points.people.models import Person
from points.people.queries import (
    acts_as_party_member,
    changed_by_since,
    get_person,
    home_path,
    independence_since,
    roles_of,
    ties_of,
    visible_person,
)
from points.signals import answer, checked_in_for_task

KIND_NAMES = Kind.titles()

log = logging.getLogger(__name__)

# The refusals of `create_activity` spell these limits out, so that they can be translated.
TITLE_MAX = 100
MAX_RATE = 1000
MAX_CAP = 10_000
MAX_LENGTH = timedelta(days=7)
ACTIONS = ("in", "out")
STATION_RUNNERS = PERMISSIONS["stations.manage"]


@dataclass
class ScanResult:
    """What a scan did: `checked_in`, `checked_out`, or a no-op (`already_in`, `already_out`)."""

    outcome: str
    checkin: CheckIn
    activity: Activity
    award: dict | None = None
    # Loaded on the way, kept so the answer need not read it again.
    station: Station | None = None

    @property
    def message(self) -> str:
        """What the scan did, in Chinese, as the API answers it."""
        return self.say()

    def say(self, gettext: Gettext = as_written) -> str:
        """What the scan did, put into words by `gettext` (a page passes its own)."""
        return outcome_message(
            self.outcome,
            self.checkin,
            posted=bool(self.award and self.award["status"] == "posted"),
            gettext=gettext,
        )


def outcome_message(
    outcome: str, checkin: CheckIn, *, posted: bool = False, gettext: Gettext = as_written
) -> str:
    """What a scan did, in the words the person reads on their phone: in Chinese, or in the page
    language through the page's `gettext`."""
    if outcome == "checked_in":
        return gettext("签到成功（工作人员代签）") if checkin.by_staff_id else gettext("签到成功")
    if outcome == "already_in":
        return gettext("您已签到，无需重复扫码")
    if outcome == "already_out":
        return gettext("您已签退，无需重复扫码")
    text = gettext("签退成功，本次服务%(duration)s", duration=queries.duration(checkin.minutes or 0, gettext))
    if checkin.award_error:
        # TRANSLATORS: continues "Checked out…"; the reason is the ledger's refusal.
        text += gettext("，积分未能发放：%(reason)s", reason=gettext(checkin.award_error.split(": ", 1)[-1]))
    elif checkin.points:
        # TRANSLATORS: continues "Checked out…"; the state is "Credited" or "Awaiting approval".
        text += gettext(
            "，获得 %(points)s %(kind)s（%(state)s）",
            points=checkin.points,
            kind=gettext(kind_name(checkin.kind)),
            state=gettext("已入账") if posted else gettext("待审批"),
        )
    return text


def _invalid(field: str, message: str, code: str = "invalid_activity") -> DomainError:
    return DomainError(code, message, 422, errors={field: [message]})


# --- station keys ----------------------------------------------------------------------


def ensure_station_key(station_id: int, *, now: datetime | None = None) -> StationKey:
    """The station's signing key, made on first use (a random 32-byte secret, version 1)."""
    key = queries.station_key(station_id)
    if key is not None:
        return key
    sess = session()
    key = StationKey(
        station_id=station_id, version=1, secret=secrets.token_bytes(32), rotated_at=now or utcnow()
    )
    try:
        with sess.begin_nested():
            sess.add(key)
            sess.flush()
    except IntegrityError:
        # Another request made it first; theirs is the key.
        key = queries.station_key(station_id)
        if key is None:
            raise
    return key


def rotate_station_key(*, actor: Actor, station_id: int, now: datetime | None = None) -> StationKey:
    """Give the station a new signing key: every code it showed or printed stops working.

    Needs `stations.manage` over the station. Audited. Raises `station_not_found`.
    """
    now = now or utcnow()
    station = get_station(station_id)
    actor.require("stations.manage", station_path(station))
    ensure_station_key(station.id, now=now)
    key = (
        session()
        .exec(
            select(StationKey)
            .where(StationKey.station_id == station.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        .one()
    )
    key.version += 1
    key.secret = secrets.token_bytes(32)
    key.rotated_at, key.rotated_by_id = now, actor.person_id
    session().flush()
    record(
        actor_id=actor.person_id,
        action="station.key_rotated",
        target_type="station",
        target_id=station.id,
        node_id=station.node_id,
        detail={"version": key.version},
        now=now,
    )
    return key


@dataclass(frozen=True)
class StationCodeOut:
    token: str
    window: int | None
    # A screen code shows until `rotates_at` and is still accepted until `valid_until`.
    rotates_at: datetime | None
    valid_until: datetime | None


def station_code(
    *, actor: Actor, activity_id: int, poster: bool = False, now: datetime | None = None
) -> StationCodeOut:
    """The code to show on the station's screen now, or the static code for its poster.

    Needs `stations.manage` over the station. Raises `activity_not_found`,
    `activity_cancelled`, `activity_ended`.
    """
    now = now or utcnow()
    activity, station = queries.managed_activity(actor, activity_id)
    if activity.state == "cancelled":
        raise DomainError("activity_cancelled", "活动已取消", 409)
    if not poster and now >= queries.checkout_closes_at(activity):
        raise DomainError("activity_ended", "活动已结束", 409)
    key = ensure_station_key(station.id, now=now)
    if poster:
        code = tokens.StationCode(station.id, activity.id, key.version, None)
        return StationCodeOut(tokens.encode_station_code(code, key.secret), None, None, None)
    seconds = current_app.config["CHECKIN_WINDOW_SECONDS"]
    window = tokens.window_of(now, seconds)
    code = tokens.StationCode(station.id, activity.id, key.version, window)
    return StationCodeOut(
        tokens.encode_station_code(code, key.secret),
        window,
        datetime.fromtimestamp((window + 1) * seconds, UTC),
        datetime.fromtimestamp((window + 2) * seconds, UTC),
    )


# --- activities -----------------------------------------------------------------------


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

    Needs `stations.manage` over the station. Raises `station_not_found`,
    `station_inactive`, `title_required`, `invalid_activity` (times, rate, cap;
    per-field errors), `rate_with_task`, `invalid_task`, `community_required`,
    `invalid_community`.
    """
    now = now or utcnow()
    station = get_station(station_id)
    actor.require("stations.manage", station_path(station))
    if not station.is_active:
        raise DomainError("station_inactive", "该站点已停用", 409)
    title = (title or "").strip()
    if not title:
        raise DomainError("title_required", "请填写活动名称", 422, errors={"title": ["必填"]})
    if len(title) > TITLE_MAX:
        raise _invalid("title", N_("最多 100 个字符"))
    if starts_at.tzinfo is None or ends_at.tzinfo is None:
        raise _invalid("starts_at", N_("时间需带时区"))
    starts_at, ends_at = starts_at.astimezone(UTC), ends_at.astimezone(UTC)
    if ends_at <= starts_at:
        raise _invalid("ends_at", N_("结束时间应晚于开始时间"))
    if ends_at - starts_at > MAX_LENGTH:
        raise _invalid("ends_at", N_("一次活动最长7天，长期值班请按天安排"))
    if ends_at <= now:
        raise _invalid("ends_at", N_("结束时间已过"))
    if hourly_rate is not None and not 0 <= hourly_rate <= MAX_RATE:
        raise _invalid("hourly_rate", N_("每小时积分应在 0 到 1000 之间"))
    if daily_cap is not None and not 1 <= daily_cap <= MAX_CAP:
        raise _invalid("daily_cap", N_("每日上限应在 1 到 10000 之间"))
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
    session().flush()
    record(
        actor_id=actor.person_id,
        action="activity.created",
        target_type="activity",
        target_id=activity.id,
        node_id=station.node_id,
        detail={"title": title, "station_id": station.id, "task_id": task_id, "hourly_rate": hourly_rate},
        now=now,
    )
    return activity


def end_activity(*, actor: Actor, activity_id: int, now: datetime | None = None) -> Activity:
    """End a running activity now. People still in may scan out during the grace period;
    the scheduled job then closes what is left by the configured rule.

    Needs `stations.manage`. Raises `activity_not_started` (cancel it instead),
    `activity_ended`, `activity_cancelled`.
    """
    now = now or utcnow()
    activity, station = queries.managed_activity(actor, activity_id, lock=True)
    if activity.state == "cancelled":
        raise Conflict("activity_cancelled", "活动已取消")
    if activity.ends_at <= now:
        raise Conflict("activity_ended", "活动已经结束")
    if activity.starts_at >= now:
        raise Conflict("activity_not_started", "活动尚未开始，如不再举行请取消")
    activity.ends_at = now
    session().flush()
    record(
        actor_id=actor.person_id,
        action="activity.ended",
        target_type="activity",
        target_id=activity.id,
        node_id=station.node_id,
        now=now,
    )
    return activity


def cancel_activity(*, actor: Actor, activity_id: int, now: datetime | None = None) -> Activity:
    """Call off an activity nobody has checked in to. Needs `stations.manage`.
    Raises `activity_cancelled`, `has_checkins` (end it instead)."""
    now = now or utcnow()
    activity, station = queries.managed_activity(actor, activity_id, lock=True)
    if activity.state == "cancelled":
        raise Conflict("activity_cancelled", "活动已取消")
    if session().exec(select(CheckIn.id).where(CheckIn.activity_id == activity.id).limit(1)).first():
        raise Conflict("has_checkins", "已有人签到，不能取消；如需提前结束请点“结束活动”")
    activity.state, activity.cancelled_at = "cancelled", now
    session().flush()
    record(
        actor_id=actor.person_id,
        action="activity.cancelled",
        target_type="activity",
        target_id=activity.id,
        node_id=station.node_id,
        now=now,
    )
    return activity


def rate_confirmation_refusal(
    actor: Actor, activity: Activity, *, now: datetime | None = None
) -> DomainError | None:
    """Why `actor` may not confirm the activity's hourly rate (see `confirm_activity_rate`), or
    None when they may: the page shows its button exactly then."""
    if not actor.can("awards.approve", get_node(activity.community_id).path):
        return Forbidden("forbidden", "没有权限执行此操作")
    if activity.state == "cancelled":
        return Conflict("activity_cancelled", "活动已取消")
    if activity.hourly_rate is None:
        return Conflict("no_rate", "该活动不按小时计分，无需确认积分标准")
    if activity.rate_confirmed_by_id is not None:
        return Conflict("rate_confirmed", "积分标准已确认过")
    if activity.created_by_id == actor.person_id:
        return Forbidden("maker_checker", "创建活动的人不能确认它的积分标准，请由另一名工作人员确认")
    if activity.created_by_id in ties_of(actor.person_id, since=independence_since(now or utcnow())):
        return Forbidden(
            "not_independent",
            "您与创建活动的人有关联（相互任命，或近期创建、修改、重置、解锁过对方账号），请由其他人确认",
        )
    return None


def confirm_activity_rate(*, actor: Actor, activity_id: int, now: datetime | None = None) -> Activity:
    """A second staff member confirms an activity's hourly rate and cap: from then on, stays
    that people proved themselves (their own scan of the screen) may post without approval.

    Needs `stations.manage` over the station and `awards.approve` over the paying community,
    and independence of whoever made the activity (SPEC §3). Audited. Raises `forbidden`,
    `no_rate`, `rate_confirmed`, `activity_cancelled`, `maker_checker`, `not_independent`.
    """
    now = now or utcnow()
    activity, station = queries.managed_activity(actor, activity_id, lock=True)
    refusal = rate_confirmation_refusal(actor, activity, now=now)
    if refusal is not None:
        raise refusal
    activity.rate_confirmed_by_id, activity.rate_confirmed_at = actor.person_id, now
    session().flush()
    record(
        actor_id=actor.person_id,
        action="activity.rate_confirmed",
        target_type="activity",
        target_id=activity.id,
        node_id=station.node_id,
        detail={"hourly_rate": activity.hourly_rate, "daily_cap": activity.daily_cap},
        now=now,
    )
    return activity


# --- scanning -------------------------------------------------------------------------


def scan_code(
    *, actor: Actor, token: str, action: str | None = None, now: datetime | None = None
) -> ScanResult:
    """A person scanned a station code (the mini-program reads it and sends it here): check
    them in, or out when they are in.

    Raises what `queries.read_station_code` and `check_in_or_out` raise.
    """
    now = now or utcnow()
    scan = queries.read_station_code(token, now=now, person_id=actor.person_id)
    result = _toggle(
        actor.person_id,
        scan.activity,
        unattended=scan.unattended,
        by_staff_id=None,
        action=action,
        now=now,
        latest=scan.latest,
    )
    result.station = scan.station
    return result


def check_in_or_out(
    *,
    actor: Actor,
    activity_id: int,
    unattended: bool = False,
    key_version: int | None = None,
    action: str | None = None,
    now: datetime | None = None,
) -> ScanResult:
    """The person checks themselves in, or out when they are in (`action` pins which).

    A second scan within CHECKIN_REPEAT_SECONDS of checking in (or out) changes nothing.
    `key_version`: the station key the scanned code was signed with; a key rotated since
    refuses it (`qr_revoked`), and so does a station deactivated since (`station_inactive`).
    Raises `invalid_action`, `activity_not_found`, `activity_cancelled`,
    `activity_not_started`, `activity_ended`, `not_checked_in`, and from the board for an activity linked to a task: `not_claimed`, `task_full`,
    `not_eligible`, `task_not_open`.
    """
    now = now or utcnow()
    activity = queries.get_activity(activity_id)
    if key_version is not None:
        queries.require_code_still_good(activity, key_version=key_version)
    return _toggle(actor.person_id, activity, unattended=unattended, by_staff_id=None, action=action, now=now)


def staff_check_in(
    *,
    actor: Actor,
    activity_id: int,
    person_id: int | None = None,
    card: str | None = None,
    action: str | None = None,
    now: datetime | None = None,
) -> ScanResult:
    """Staff check a person without a smartphone in or out, by member card or from a list.

    The check-in records who did it, and its award always waits for someone else's
    approval. Needs `stations.manage` over the activity's station. Raises
    `person_required`, `card_invalid`, `card_revoked`, `person_not_found`,
    `person_suspended`, `self_staff_checkin`, and what `check_in_or_out` raises.
    """
    now = now or utcnow()
    activity, station = queries.managed_activity(actor, activity_id)
    if card:
        person_id = queries.read_member_card(card)
    if person_id is None:
        raise DomainError("person_required", "请扫描会员卡或选择人员", 422, errors={"person_id": ["必填"]})
    # Staff check in people of their scope; anyone else is not found (ids are not probed).
    person = visible_person(actor, person_id)
    if person.is_suspended:
        raise Conflict("person_suspended", "该人员账号已停用")
    if person.id == actor.person_id:
        raise Forbidden("self_staff_checkin", "不能为自己代签，请自己扫码签到")
    result = _toggle(
        person.id, activity, unattended=False, by_staff_id=actor.person_id, action=action, now=now
    )
    result.station = station
    return result


# `_toggle` reads the person's latest check-in unless the caller already did.
NOT_READ = object()


def _repeat() -> timedelta:
    return timedelta(seconds=current_app.config["CHECKIN_REPEAT_SECONDS"])


def _toggle(
    person_id: int,
    activity: Activity,
    *,
    unattended: bool,
    by_staff_id: int | None,
    action: str | None,
    now: datetime,
    latest: CheckIn | object | None = NOT_READ,
) -> ScanResult:
    if action is not None and action not in ACTIONS:
        raise DomainError(
            "invalid_action", "操作应为 in（签到）或 out（签退）", 422, errors={"action": ["in 或 out"]}
        )
    queries.require_scannable(activity, now)
    # Staff act deliberately; a person's own quick second scan is a slip, never a check-out.
    self_scan = by_staff_id is None
    if latest is NOT_READ:
        latest = queries.latest_checkin(activity.id, person_id)
    if latest is not None and latest.checked_out_at is None:
        if action == "in" or (self_scan and now - latest.checked_in_at < _repeat()):
            return ScanResult("already_in", latest, activity)
        return _check_out(latest, activity, out_by_staff_id=by_staff_id, now=now, unattended_out=unattended)
    if action == "out":
        if latest is not None:
            return ScanResult("already_out", latest, activity)
        raise Conflict("not_checked_in", "您还没有签到")
    if action is None and self_scan and latest is not None and now - latest.checked_out_at < _repeat():
        return ScanResult("already_out", latest, activity)
    return _check_in(person_id, activity, unattended=unattended, by_staff_id=by_staff_id, now=now)


def _insert_checkin(values: dict) -> CheckIn | None:
    """Insert an open check-in, or nothing when the person already has one (a concurrent scan
    won the unique index): one statement, no savepoint, however many scans race."""
    sess = session()
    insert = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}[sess.connection().dialect.name]
    stmt = (
        insert(CheckIn)
        .values(**values)
        .on_conflict_do_nothing(
            index_elements=["activity_id", "person_id"], index_where=CheckIn.checked_out_at.is_(None)
        )
        .returning(CheckIn)
    )
    return sess.scalars(stmt).first()


def _check_in(
    person_id: int, activity: Activity, *, unattended: bool, by_staff_id: int | None, now: datetime
) -> ScanResult:
    if now >= activity.ends_at:
        raise Conflict("activity_ended", "活动已结束，不能再签到")
    if not get_station(activity.station_id).is_active:
        raise Conflict("station_inactive", "站点已停用，不能签到")
    # One stay at a time: being in at two activities would earn twice for the same hours.
    # The person's row is the lock, so two scans at two stations at once cannot both pass.
    # The read comes after the lock, as its own statement: one read inside the locking
    # statement would see the snapshot from before the wait, and miss the other's stay.
    session().exec(select(Person.id).where(Person.id == person_id).with_for_update()).first()
    elsewhere = (
        session()
        .exec(
            select(CheckIn.id).where(
                CheckIn.person_id == person_id,
                CheckIn.checked_out_at.is_(None),
                CheckIn.activity_id != activity.id,
            )
        )
        .first()
    )
    if elsewhere is not None:
        raise Conflict("checked_in_elsewhere", "您在其他活动中还没有签退，请先签退再签到")
    sess = session()
    values = {
        "activity_id": activity.id,
        "person_id": person_id,
        "checked_in_at": now,
        "unattended": unattended,
        "by_staff_id": by_staff_id,
        "closed_by_job": False,
        "is_capped": False,
        "award_error": "",
        "updated_at": now,
    }
    # A check-in that marks a board claim is undone whole if the board refuses it.
    linked = sess.begin_nested() if activity.task_id is not None else None
    try:
        checkin = _insert_checkin(values)
        if checkin is None:
            if linked is not None:
                linked.rollback()
            live = queries.open_checkin(activity.id, person_id)
            if live is None:
                # The check-in that won was closed again in the same instant: nothing to show.
                raise Conflict("scan_conflict", "扫码过于频繁，请稍后再试")
            return ScanResult("already_in", live, activity)
        if linked is not None:
            # The board marks the person's claim (or claims a walk-in's slot) and answers its id.
            checkin.claim_id = answer(
                checked_in_for_task.send(task_id=activity.task_id, person_id=person_id, now=now)
            )
            sess.flush()
            linked.commit()
    except BaseException:
        if linked is not None and linked.is_active:
            linked.rollback()
        raise
    if by_staff_id is not None:
        record(
            actor_id=by_staff_id,
            action="checkin.by_staff",
            target_type="checkin",
            target_id=checkin.id,
            node_id=activity.community_id,
            detail={"person_id": person_id, "activity_id": activity.id},
            now=now,
        )
    return ScanResult("checked_in", checkin, activity)


def _day_bounds(moment: datetime) -> tuple[datetime, datetime]:
    local = moment.astimezone(LOCAL_TZ)
    start = datetime(local.year, local.month, local.day, tzinfo=LOCAL_TZ)
    return start.astimezone(UTC), (start + timedelta(days=1)).astimezone(UTC)


def credited_minutes(checked_in_at: datetime, checked_out_at: datetime, activity: Activity) -> int:
    """Whole minutes of the stay that fall within the activity's hours."""
    start = max(checked_in_at, activity.starts_at)
    end = min(checked_out_at, activity.ends_at)
    return max(0, int((end - start).total_seconds()) // 60)


def duration_points(rate: int, minutes: int) -> int:
    """floor(rate × minutes / 60): points are whole, and a part-hour earns its share rounded down."""
    return rate * minutes // 60


def _check_out(
    checkin: CheckIn,
    activity: Activity,
    *,
    out_by_staff_id: int | None,
    now: datetime,
    rule: str | None = None,
    unattended_out: bool = False,
) -> ScanResult:
    """Close a check-in: now, or by `rule` at the activity's end; work out and ask for its points.

    A check-out with the poster's code (`unattended_out`) proves nothing about the stay, so
    the stay counts as unattended and its points wait for approval."""
    sess = session()
    day_start, day_end = _day_bounds(checkin.checked_in_at)
    # Every check-in of this person's day, locked in id order: the caps add them up, and a
    # concurrent check-out of the same person waits here instead of reading stale points.
    day = sess.exec(
        select(CheckIn)
        .where(
            CheckIn.person_id == checkin.person_id,
            CheckIn.checked_in_at >= day_start,
            CheckIn.checked_in_at < day_end,
        )
        .order_by(CheckIn.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).all()
    checkin = next((c for c in day if c.id == checkin.id), checkin)
    if checkin.checked_out_at is not None:
        return ScanResult("already_out", checkin, activity)

    out_at = now if rule is None else max(activity.ends_at, checkin.checked_in_at)
    checkin.checked_out_at = out_at
    checkin.out_by_staff_id = out_by_staff_id
    if unattended_out:
        checkin.unattended = True
    checkin.closed_by_job = rule is not None
    checkin.close_rule = rule
    checkin.updated_at = now
    minutes = credited_minutes(checkin.checked_in_at, out_at, activity)
    checkin.minutes = 0 if rule == "no_credit" else minutes
    person = get_person(checkin.person_id)
    kind = "hongsong" if acts_as_party_member(person) else "xingan"
    checkin.kind = kind
    award = None
    if activity.hourly_rate is not None:
        earned = duration_points(activity.hourly_rate, checkin.minutes)
        others = [c for c in day if c.id != checkin.id and c.points]
        room = current_app.config["CHECKIN_DAILY_CAP"] - sum(c.points for c in others if c.kind == kind)
        if activity.daily_cap is not None:
            room = min(
                room, activity.daily_cap - sum(c.points for c in others if c.activity_id == activity.id)
            )
        checkin.points = max(0, min(earned, room))
        checkin.is_capped = checkin.points < earned
    sess.flush()
    if checkin.points:
        award = _award(checkin, activity, kind=kind, now=now)
    return ScanResult("checked_out", checkin, activity, award)


# Account changes that let a staff member log in as someone: such an account proves nothing
# by scanning at an activity that staff member runs.
_TAKEOVERS = ("created", "password_reset", "unlocked")


def _presence_withheld(checkin: CheckIn, activity: Activity, now: datetime) -> str:
    """Why a self-scanned, attended stay may not post at once, or "" when it may (SPEC §3:
    presence proven by the person, at an activity whose rate a second staff member confirmed,
    never for an account the activity's staff could have logged in as)."""
    if activity.rate_confirmed_by_id is None:
        return "积分标准未经第二名工作人员确认"
    changers = changed_by_since(checkin.person_id, since=independence_since(now), changes=_TAKEOVERS)
    if changers & {activity.created_by_id, activity.rate_confirmed_by_id}:
        return "账号近期由本活动的工作人员创建、重置或解锁"
    path = station_path(get_station(activity.station_id))
    if any(roles_of(changer, path) & STATION_RUNNERS for changer in changers):
        return "账号近期由本站点的工作人员创建、重置或解锁"
    return ""


def _take_auto_post_room(activity: Activity, points: int) -> bool:
    """Count `points` against the activity's cap on points posted without approval; False when
    they would pass it (one conditional update, so concurrent check-outs cannot both slip in)."""
    cap = current_app.config["CHECKIN_ACTIVITY_AUTO_POST_CAP"]
    taken = session().execute(
        sa.update(Activity)
        .where(Activity.id == activity.id, Activity.auto_posted_points + points <= cap)
        .values(auto_posted_points=Activity.auto_posted_points + points)
        .execution_options(synchronize_session=False)
    )
    return taken.rowcount == 1


def _award(checkin: CheckIn, activity: Activity, *, kind: str, now: datetime) -> dict | None:
    """Ask the ledger for the check-in's points; small, attended, self-scanned ones at a confirmed
    activity post at once, up to the activity's cap."""
    staff = checkin.by_staff_id or checkin.out_by_staff_id
    auto = not checkin.closed_by_job and ledger.qualifies_for_auto_post(
        proof="checkin", amount=checkin.points, unattended=checkin.unattended, by_staff=staff is not None
    )
    withheld = _presence_withheld(checkin, activity, now) if auto else ""
    hours, minutes = divmod(checkin.minutes, 60)
    memo = f"{activity.title}：服务{hours}小时{minutes}分钟，每小时{activity.hourly_rate}分"
    if checkin.is_capped:
        memo += "，已达每日上限"
    if checkin.unattended:
        memo += "，海报扫码（无人值守）"
    if checkin.closed_by_job:
        memo += "，未签退，按规则计至活动结束"
    verified = checkin.out_by_staff_id if checkin.out_by_staff_id not in (None, checkin.by_staff_id) else None
    sess = session()
    try:
        with sess.begin_nested():
            if auto and not withheld and not _take_auto_post_room(activity, checkin.points):
                withheld = "本活动免审发放的积分已达上限"
            if withheld:
                # The approver reads why this one waits for them.
                memo += "，需审批：" + withheld
            row = ledger.request_award(
                community_id=activity.community_id,
                recipient_type="person",
                recipient_id=checkin.person_id,
                kind=kind,
                amount=checkin.points,
                reason="checkin_award",
                proof="checkin",
                idempotency_key=f"checkin:{checkin.id}:award",
                ref_type="checkin",
                ref_id=checkin.id,
                memo=memo,
                # Whoever checked the person in asked for the points: the ledger's
                # maker–checker sends them to someone else for approval.
                requested_by_id=staff,
                verified_by_id=verified,
                auto_post=auto and not withheld,
                now=now,
            )
    except DomainError as exc:
        log.warning("check-in %s: the ledger refused its award: %s", checkin.id, exc.code)
        checkin.award_error = f"{exc.code}: {exc.message}"[:200]
        sess.flush()
        return None
    checkin.award_transfer_id = row["id"]
    sess.flush()
    return row


def close_open_checkins(*, rule: str, now: datetime | None = None) -> int:
    """Close check-ins still open after their activity's check-out grace period, by `rule`:
    `credit_until_end` counts the stay until the activity's end, `no_credit` counts nothing.
    The check-in records the rule. Returns how many it closed; a rerun closes none."""
    if rule not in CloseRule.values():
        raise ValueError(
            f"CHECKIN_MISSING_CHECKOUT_RULE must be one of {', '.join(CloseRule.values())}, not {rule!r}"
        )
    now = now or utcnow()
    grace = timedelta(minutes=current_app.config["CHECKIN_CHECKOUT_GRACE_MINUTES"])
    rows = (
        session()
        .exec(
            select(CheckIn, Activity)
            .join(Activity, Activity.id == CheckIn.activity_id)
            .where(CheckIn.checked_out_at.is_(None), Activity.ends_at <= now - grace)
            .order_by(CheckIn.id)
        )
        .all()
    )
    for checkin, activity in rows:
        _check_out(checkin, activity, out_by_staff_id=None, now=now, rule=rule)
    return len(rows)


# --- member cards ---------------------------------------------------------------------


def ensure_member_card(person_id: int, *, now: datetime | None = None) -> MemberCard:
    """The person's current card, issued (serial 1) the first time anyone asks for it."""
    card = queries.member_card(person_id)
    if card is not None:
        return card
    sess = session()
    card = MemberCard(person_id=person_id, serial=1, issued_at=now or utcnow())
    try:
        with sess.begin_nested():
            sess.add(card)
            sess.flush()
    except IntegrityError:
        card = queries.member_card(person_id)
        if card is None:
            raise
    return card


def card_token(card: MemberCard) -> str:
    return tokens.encode_card(tokens.CardCode(card.person_id, card.serial), queries.card_key())


def _check_card_reader(actor: Actor, person: Person) -> None:
    """Oneself, or people managers over the person's home."""
    if person.id != actor.person_id:
        actor.require("people.manage", home_path(person))


def member_card_for(
    *, actor: Actor, person_id: int, now: datetime | None = None
) -> tuple[Person, MemberCard]:
    """A person's card to show or print: their own, or for people managers in scope."""
    person = get_person(person_id)
    _check_card_reader(actor, person)
    return person, ensure_member_card(person.id, now=now)


def reissue_member_card(*, actor: Actor, person_id: int, now: datetime | None = None) -> MemberCard:
    """Replace a lost card: the new serial voids the old card. Needs `people.manage` over the
    person's home (or is one's own). Audited."""
    now = now or utcnow()
    person = get_person(person_id)
    _check_card_reader(actor, person)
    ensure_member_card(person.id, now=now)
    card = (
        session()
        .exec(
            select(MemberCard)
            .where(MemberCard.person_id == person.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        .one()
    )
    card.serial += 1
    card.issued_at, card.issued_by_id = now, actor.person_id
    session().flush()
    record(
        actor_id=actor.person_id,
        action="member_card.reissued",
        target_type="person",
        target_id=person.id,
        node_id=person.community_id,
        detail={"serial": card.serial},
        now=now,
    )
    return card


def kind_name(kind: str | None) -> str:
    return KIND_NAMES.get(kind or "", "")


def people_for_cards(actor: Actor, community_id: int, *, limit: int = 500) -> list[tuple[Person, MemberCard]]:
    """Everyone living in a community with their cards (issued where missing), for batch printing.
    Needs `people.manage` over the community."""
    community = get_node(community_id)
    actor.require("people.manage", community.path)
    people = (
        session()
        .exec(
            select(Person)
            .where(Person.community_id == community.id, Person.is_suspended == sa.false())
            .order_by(Person.id)
            .limit(limit)
        )
        .all()
    )
    return [(person, ensure_member_card(person.id)) for person in people]
