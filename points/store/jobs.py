"""Scheduled jobs of the points store."""

from __future__ import annotations

from datetime import datetime

from points.scheduler import hourly, register_job
from points.store.operations import expire_vouchers


@register_job("expire_vouchers", cron={"minute": 20}, period=hourly)
def expire_vouchers_job(*, now: datetime) -> str:
    """Expire vouchers not picked up within STORE_VOUCHER_DAYS: refund their points, restock."""
    total = 0
    while expired := expire_vouchers(now=now):
        total += expired
    return f"expired {total} vouchers"
