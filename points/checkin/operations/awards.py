"""Asking the ledger for a stay's points (key `checkin:{id}:award`), in the check-out's
transaction. A refusal by the ledger (e.g. an exhausted budget) is kept on the check-in as a
refusal (code and parameters) and does not undo the check-out."""

from __future__ import annotations

import logging
from datetime import datetime

import sqlalchemy as sa
from flask import current_app

from points.access import PERMISSIONS
from points.checkin.models import Activity, CheckIn
from points.db import session
from points.errors import DomainError
from points.ledger import operations as ledger
from points.org.queries import get_station, station_path
from points.people.queries import changed_by_since, independence_since, roles_of

log = logging.getLogger(__name__)

STATION_RUNNERS = PERMISSIONS["stations.manage"]
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


def _memo(checkin: CheckIn, activity: Activity) -> str:
    """What the ledger row says the points are for (stored, in Chinese, as the ledger's memos are)."""
    hours, minutes = divmod(checkin.minutes, 60)
    memo = f"{activity.title}：服务{hours}小时{minutes}分钟，每小时{activity.hourly_rate}分"
    if checkin.is_capped:
        memo += "，已达每日上限"
    if checkin.unattended:
        memo += "，海报扫码（无人值守）"
    if checkin.closed_by_job:
        memo += "，未签退，按规则计至活动结束"
    return memo


def request_stay_award(checkin: CheckIn, activity: Activity, *, kind: str, now: datetime) -> dict | None:
    """Ask the ledger for the check-in's points; small, attended, self-scanned ones at a confirmed
    activity post at once, up to the activity's cap. None when the ledger refused (kept on the
    check-in as `award_refusal`)."""
    staff = checkin.by_staff_id or checkin.out_by_staff_id
    auto = not checkin.closed_by_job and ledger.qualifies_for_auto_post(
        proof="checkin", amount=checkin.points, unattended=checkin.unattended, by_staff=staff is not None
    )
    withheld = _presence_withheld(checkin, activity, now) if auto else ""
    memo = _memo(checkin, activity)
    verified = checkin.out_by_staff_id if checkin.out_by_staff_id not in (None, checkin.by_staff_id) else None
    sess = session()
    try:
        with sess.begin_nested():
            if auto and not withheld and not _take_auto_post_room(activity, checkin.points):
                withheld = "本活动免审发放的积分已达上限"
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
                # The approver reads why this one waits for them.
                memo=memo + ("，需审批：" + withheld if withheld else ""),
                # Whoever checked the person in asked for the points: the ledger's
                # maker–checker sends them to someone else for approval.
                requested_by_id=staff,
                verified_by_id=verified,
                auto_post=auto and not withheld,
                now=now,
            )
    except DomainError as exc:
        log.warning("check-in %s: the ledger refused its award: %s", checkin.id, exc.code)
        checkin.award_refusal = exc.as_refusal()
        sess.flush()
        return None
    checkin.award_transfer_id = row["id"]
    sess.flush()
    return row
