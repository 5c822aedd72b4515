"""Checking in and out: a person's own scan, staff at the desk, and the job that closes what
nobody checked out of. Who may move a check-in where is its transition table
(`points.checkin.transitions`); these operations enforce it.

A person has at most one open check-in per activity: a partial unique index holds it
whatever races, so concurrent scans make one check-in and the others read it back as
"already checked in". Check-out locks the person's check-ins of that local day (in id
order) before it adds up the day's points, so two check-outs at once cannot both slip
under the daily cap.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import select

from points.access import Actor
from points.audit.operations import audit
from points.checkin import queries
from points.checkin.models import Activity, CheckIn, CloseRule, ScanAction
from points.checkin.operations.awards import request_stay_award
from points.checkin.presenters import outcome_message
from points.checkin.transitions import (
    check_in_refusal,
    check_out_refusal,
    close_refusal,
    desk_refusal,
    elsewhere_refusal,
    repeat_window,
)
from points.db import LOCAL_TZ, session, utcnow
from points.errors import Conflict, DomainError
from points.i18n import Gettext, as_written
from points.ledger.models import Kind
from points.metrics import SCANS, count
from points.org.models import Station
from points.org.queries import get_station
from points.people.queries import acts_as_party_member, get_person, visible_person
from points.signals import answer, checked_in_for_task


@dataclass(frozen=True)
class Device:
    """The phone a person scanned with: the SHA-256 of its device cookie (or app device id),
    and its user agent (cut to 200 characters)."""

    digest: str | None
    user_agent: str | None


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
        posted = bool(self.award and self.award["status"] == "posted")
        return outcome_message(self.outcome, self.checkin, posted=posted, gettext=gettext)


def scan_code(
    *,
    actor: Actor,
    token: str,
    action: str | None = None,
    device: Device | None = None,
    now: datetime | None = None,
) -> ScanResult:
    """A person scanned a station code (the mini-program reads it and sends it here): check
    them in, or out when they are in. `device`: the scanning phone, recorded on a check-in.

    Raises what `queries.read_station_code` and `check_in_or_out` raise.
    """
    now = now or utcnow()
    scan = queries.read_station_code(token, now=now, person_id=actor.person_id)
    result = _toggle(
        actor.person_id,
        scan.activity,
        unattended=scan.unattended,
        staff=None,
        action=action,
        now=now,
        latest=scan.latest,
        device=device,
        person_locked=scan.person_locked,
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
    device: Device | None = None,
    now: datetime | None = None,
) -> ScanResult:
    """The person checks themselves in, or out when they are in (`action` pins which):
    transitions `check_in` and `check_out`. `device`: the scanning phone, recorded on a check-in.

    A second scan within CHECKIN_REPEAT_SECONDS of checking in (or out) changes nothing.
    `key_version`: the station key the scanned code was signed with; a key rotated since
    refuses it (`qr_revoked`), and so does a station deactivated since (`station_inactive`).
    Raises `invalid_action`, `activity_not_found`, `activity_cancelled`,
    `activity_not_started`, `activity_ended`, `not_checked_in`, `checked_in_elsewhere`, and
    from the board for an activity linked to a task: `not_claimed`, `task_full`,
    `not_eligible`, `task_not_open`.
    """
    now = now or utcnow()
    activity = queries.get_activity(activity_id)
    if key_version is not None:
        queries.require_code_still_good(activity, key_version=key_version)
    return _toggle(
        actor.person_id, activity, unattended=unattended, staff=None, action=action, now=now, device=device
    )


def staff_check_in(
    *,
    actor: Actor,
    activity_id: int,
    person_id: int | None = None,
    card: str | None = None,
    action: str | None = None,
    now: datetime | None = None,
) -> ScanResult:
    """Staff check a person without a smartphone in or out, by member card or from a list:
    transitions `check_in_for` and `check_out_for`.

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
    result = _toggle(person.id, activity, unattended=False, staff=actor, action=action, now=now)
    result.station = station
    return result


# `_toggle` reads the person's latest check-in unless the caller already did.
NOT_READ = object()


def _toggle(person_id: int, activity: Activity, **how) -> ScanResult:
    result = _toggle_once(person_id, activity, **how)
    count(SCANS.labels(result.outcome))
    return result


def _toggle_once(
    person_id: int,
    activity: Activity,
    *,
    unattended: bool,
    staff: Actor | None,
    action: str | None,
    now: datetime,
    latest: CheckIn | object | None = NOT_READ,
    device: Device | None = None,
    person_locked: bool = False,
) -> ScanResult:
    if action is not None and action not in ScanAction.values():
        raise DomainError(
            "invalid_action", "操作应为 in（签到）或 out（签退）", 422, errors={"action": ["in 或 out"]}
        )
    if staff is not None and (refusal := desk_refusal(staff, person_id, get_station(activity.station_id))):
        raise refusal
    queries.require_scannable(activity, now)
    if latest is NOT_READ:
        latest = queries.latest_checkin(activity.id, person_id)
    if latest is not None and latest.checked_out_at is None:
        return _out(latest, activity, staff=staff, action=action, unattended=unattended, now=now)
    if action == ScanAction.OUT:
        if latest is not None:
            return ScanResult("already_out", latest, activity)
        raise Conflict("not_checked_in", "您还没有签到")
    # A person's own quick second scan is a slip, never a second stay.
    if (
        action is None
        and staff is None
        and latest is not None
        and now - latest.checked_out_at < repeat_window()
    ):
        return ScanResult("already_out", latest, activity)
    return _check_in(
        person_id, activity, unattended=unattended, staff=staff, now=now, device=device, locked=person_locked
    )


def _out(
    checkin: CheckIn,
    activity: Activity,
    *,
    staff: Actor | None,
    action: str | None,
    unattended: bool,
    now: datetime,
) -> ScanResult:
    """The person is in: check them out, unless the scan asked for "in" or came too soon."""
    if action == ScanAction.IN:
        return ScanResult("already_in", checkin, activity)
    refusal = check_out_refusal(checkin, activity, now=now, staff=staff)
    if refusal is not None:
        if refusal.code == "checkout_too_soon":
            # Staff act deliberately; a person's own quick second scan is a slip, never a check-out.
            return ScanResult("already_in", checkin, activity)
        raise refusal
    out_by = staff.person_id if staff is not None else None
    return _check_out(checkin, activity, out_by_staff_id=out_by, now=now, unattended_out=unattended)


_checkins = CheckIn.__table__
# The columns a check-in is begun with, in the order the insert names them.
_BEGUN = (
    "activity_id",
    "person_id",
    "checked_in_at",
    "unattended",
    "by_staff_id",
    "closed_by_job",
    "is_capped",
    "updated_at",
    "device_hash",
    "user_agent",
)


@functools.cache
def _insert_statement(dialect: str):
    """Begin a stay unless the person has one open at another activity, and do nothing when they
    already have one open here (a concurrent scan won the unique index): one statement, built once
    per backend. Run under the person's check-in lock, it reads what committed before it."""
    elsewhere = sa.exists().where(
        _checkins.c.person_id == sa.bindparam("person_id"),
        _checkins.c.checked_out_at.is_(None),
        _checkins.c.activity_id != sa.bindparam("activity_id"),
    )
    row = sa.select(*(sa.bindparam(name, type_=_checkins.c[name].type) for name in _BEGUN)).where(~elsewhere)
    insert = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}[dialect]
    stmt = (
        insert(_checkins)
        .from_select(list(_BEGUN), row)
        .on_conflict_do_nothing(
            index_elements=["activity_id", "person_id"], index_where=_checkins.c.checked_out_at.is_(None)
        )
        .returning(*_checkins.c)
    )
    # Loaded as the session's CheckIn, like any row it reads.
    return sa.select(CheckIn).from_statement(stmt)


def _insert_checkin(values: dict) -> CheckIn | None:
    """Insert an open check-in, or nothing when the person has one open here or elsewhere: one
    statement, no savepoint, however many scans race."""
    sess = session()
    return sess.scalars(_insert_statement(sess.connection().dialect.name), values).first()


def _insert_for_task(values: dict, activity: Activity, now: datetime) -> CheckIn | None:
    """Insert the check-in and let the board mark the person's claim (or claim a walk-in's
    slot) and answer its id; the check-in is undone whole if the board refuses it."""
    sess = session()
    linked = sess.begin_nested()
    try:
        checkin = _insert_checkin(values)
        if checkin is None:
            linked.rollback()
            return None
        checkin.claim_id = answer(
            checked_in_for_task.send(task_id=activity.task_id, person_id=values["person_id"], now=now)
        )
        sess.flush()
        linked.commit()
    except BaseException:
        if linked.is_active:
            linked.rollback()
        raise
    return checkin


def _check_in(
    person_id: int,
    activity: Activity,
    *,
    unattended: bool,
    staff: Actor | None,
    now: datetime,
    device: Device | None = None,
    locked: bool = False,
) -> ScanResult:
    # The person's check-in lock, so two scans at two stations at once cannot both begin a stay
    # (`locked`: the scan's first read took it). The one-stay check runs after the lock, inside
    # the insert: a read in the locking statement would see the snapshot from before the wait,
    # and miss the other's stay.
    if not locked:
        queries.lock_person_checkins(person_id)
    refusal = check_in_refusal(person_id, activity, now=now, staff=staff, look_elsewhere=False)
    if refusal is not None:
        raise refusal
    values = {
        "activity_id": activity.id,
        "person_id": person_id,
        "checked_in_at": now,
        "unattended": unattended,
        "by_staff_id": staff.person_id if staff is not None else None,
        "closed_by_job": False,
        "is_capped": False,
        "updated_at": now,
        "device_hash": device.digest if device is not None else None,
        "user_agent": device.user_agent if device is not None else None,
    }
    if activity.task_id is not None:
        checkin = _insert_for_task(values, activity, now)
    else:
        checkin = _insert_checkin(values)
    if checkin is None:
        if queries.open_elsewhere(person_id, activity.id) is not None:
            raise elsewhere_refusal()
        live = queries.open_checkin(activity.id, person_id)
        if live is None:
            # The check-in that won was closed again in the same instant: nothing to show.
            raise Conflict("scan_conflict", "扫码过于频繁，请稍后再试")
        return ScanResult("already_in", live, activity)
    if staff is not None:
        detail = {"person_id": person_id, "activity_id": activity.id}
        audit(staff, "checkin.by_staff", checkin, node_id=activity.community_id, detail=detail, now=now)
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


def _lock_day(checkin: CheckIn) -> list[CheckIn]:
    """Every check-in of this person's local day, locked in id order: the caps add them up, and
    a concurrent check-out of the same person waits here instead of reading stale points."""
    day_start, day_end = _day_bounds(checkin.checked_in_at)
    return (
        session()
        .exec(
            select(CheckIn)
            .where(
                CheckIn.person_id == checkin.person_id,
                CheckIn.checked_in_at >= day_start,
                CheckIn.checked_in_at < day_end,
            )
            .order_by(CheckIn.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        .all()
    )


def _capped_points(checkin: CheckIn, activity: Activity, day: list[CheckIn]) -> None:
    """The stay's points by the hour, within the global and the activity's daily caps."""
    earned = duration_points(activity.hourly_rate, checkin.minutes)
    others = [c for c in day if c.id != checkin.id and c.points]
    room = current_app.config["CHECKIN_DAILY_CAP"] - sum(c.points for c in others if c.kind == checkin.kind)
    if activity.daily_cap is not None:
        room = min(room, activity.daily_cap - sum(c.points for c in others if c.activity_id == activity.id))
    checkin.points = max(0, min(earned, room))
    checkin.is_capped = checkin.points < earned


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
    day = _lock_day(checkin)
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
    checkin.minutes = 0 if rule == CloseRule.NO_CREDIT else minutes
    party_member = acts_as_party_member(get_person(checkin.person_id))
    checkin.kind = (Kind.HONGSONG if party_member else Kind.XINGAN).value
    if activity.hourly_rate is not None:
        _capped_points(checkin, activity, day)
    session().flush()
    award = request_stay_award(checkin, activity, kind=checkin.kind, now=now) if checkin.points else None
    return ScanResult("checked_out", checkin, activity, award)


def close_open_checkins(*, rule: str, now: datetime | None = None) -> int:
    """Close check-ins still open after their activity's check-out grace period, by `rule`
    (transition `close`): `credit_until_end` counts the stay until the activity's end,
    `no_credit` counts nothing. The check-in records the rule. Returns how many it closed; a
    rerun closes none."""
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
    closed = 0
    for checkin, activity in rows:
        if close_refusal(checkin, activity, now=now) is None:
            _check_out(checkin, activity, out_by_staff_id=None, now=now, rule=rule)
            closed += 1
    return closed
