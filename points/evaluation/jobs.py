"""Scheduled jobs of evaluation: the annual settlement at New Year, and the units' monthly
reports (双报告) on the 1st of each month (Asia/Shanghai)."""

from __future__ import annotations

from datetime import datetime

from points.evaluation.operations import prepare_unit_reports, settle_year
from points.scheduler import previous_month, previous_year, register_job


@register_job(
    "annual_settlement",
    cron={"month": 1, "day": 1, "hour": 1, "minute": 10},
    period=previous_year,
    takes_period=True,
)
def annual_settlement(*, now: datetime, period: str) -> str:
    """Settle the year just ended: every party member's stars, and the configured expiry of
    unspent points (EVALUATION_EXPIRING_KINDS), once per year."""
    result = settle_year(year=int(period), now=now)
    return f"rated {result['rated']} members, expired points of {result['expired']} accounts"


@register_job(
    "unit_reports",
    cron={"day": 1, "hour": 2, "minute": 30},
    period=previous_month,
    takes_period=True,
)
def unit_reports(*, now: datetime, period: str) -> str:
    """Prepare each unit's report (双报告) of the month just ended, once per month."""
    result = prepare_unit_reports(month=period, now=now)
    return f"prepared {result['prepared']} unit reports for {result['month']}"
