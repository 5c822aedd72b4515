"""Evaluation's demo: 红升社区's last year of 红松分 frozen after its 公示, and last quarter's
兴安分 in 公示 now, with two objections, one of them answered. Safe to run twice: a period
already there is left as it is."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from points.auth.current import actor_for
from points.db import LOCAL_TZ
from points.evaluation import operations
from points.evaluation.queries import period_span, public_periods


def _last_quarter(now: datetime) -> str:
    local = now.astimezone(LOCAL_TZ)
    quarter = (local.month - 1) // 3  # the one before this quarter, 0 meaning last year's fourth
    return f"{local.year - 1}-Q4" if quarter == 0 else f"{local.year}-Q{quarter}"


def load_evaluation(objects: dict, *, now: datetime, echo: Callable[..., None]) -> dict[str, int]:
    community = objects["communities"][0]
    staff, checker = actor_for(objects["logins"]["staff"]), actor_for(objects["logins"]["staff_2"])
    existing = {(p.kind, p.label) for p in public_periods(community.id)}
    added = {"evaluation_periods": 0, "objections": 0}
    year = str(now.astimezone(LOCAL_TZ).year - 1)
    if ("hongsong", year) not in existing:
        opened_at = period_span("year", year)[1] + timedelta(days=1)
        period = operations.open_notice(
            actor=staff,
            community_id=community.id,
            kind="hongsong",
            period_type="year",
            key=year,
            notice_days=7,
            now=opened_at,
        )
        operations.freeze_period(actor=checker, period_id=period.id, now=opened_at + timedelta(days=8))
        added["evaluation_periods"] += 1
    quarter = _last_quarter(now)
    if ("xingan", quarter) not in existing:
        period = operations.open_notice(
            actor=staff, community_id=community.id, kind="xingan", period_type="quarter", key=quarter, now=now
        )
        added["evaluation_periods"] += 1
        residents = [p for p in objects["people"] if p.community_id == community.id and not p.is_party_member]
        first, second = residents[-1], residents[-2]
        answered = operations.file_objection(
            actor=actor_for(first),
            period_id=period.id,
            subject_id=second.id,
            text="那次活动我也在场，他的签到时长似乎多记了",
            now=now,
        )
        operations.answer_objection(
            actor=checker,
            objection_id=answered.id,
            decision="reject",
            answer="已核对签到记录：签到 9:02、签退 11:30，积分按时长计算无误",
            now=now,
        )
        operations.file_objection(
            actor=actor_for(second),
            period_id=period.id,
            subject_id=second.id,
            text="我 9 月参加的助老活动没有记分",
            now=now,
        )
        added["objections"] += 2
    echo(f"公示: {added['evaluation_periods']} periods, {added['objections']} objections")
    return added
