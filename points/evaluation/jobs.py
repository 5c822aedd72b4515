"""Scheduled jobs of evaluation: the annual settlement at New Year (Asia/Shanghai)."""

from __future__ import annotations

from datetime import datetime

from points.evaluation.operations import settle_year
from points.scheduler import previous_year, register_job


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
