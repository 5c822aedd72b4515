"""Scheduled jobs of QR check-in."""

from __future__ import annotations

from datetime import datetime

from flask import current_app

from points.checkin.operations import close_open_checkins
from points.scheduler import hourly, register_job


@register_job("close_missing_checkouts", cron={"minute": 5}, period=hourly)
def close_missing_checkouts(*, now: datetime) -> str:
    """Close check-ins left open after their activity ended, by CHECKIN_MISSING_CHECKOUT_RULE."""
    rule = current_app.config["CHECKIN_MISSING_CHECKOUT_RULE"]
    closed = close_open_checkins(rule=rule, now=now)
    return f"closed {closed} check-ins left open ({rule})"
