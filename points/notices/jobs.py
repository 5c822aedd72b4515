"""Scheduled jobs of the inbox: delivery beyond the app, and pruning what was read long ago."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app

from points.notices.operations import deliver_notices, prune_read_notices
from points.notices.senders import sender_from
from points.scheduler import hourly, register_job


@register_job("prune_notices", cron={"hour": 3, "minute": 40})
def prune_notices_job(*, now: datetime) -> str:
    """Delete notices read more than NOTICES_KEEP_READ_DAYS ago; unread ones stay."""
    days = current_app.config["NOTICES_KEEP_READ_DAYS"]
    return f"deleted {prune_read_notices(before=now - timedelta(days=days))} read notices"


@register_job("deliver_notices", cron={"minute": 5}, period=hourly)
def deliver_notices_job(*, now: datetime) -> str:
    """Hand new notices to the configured sender (NOTICE_SENDER); nothing when none is set."""
    sender = sender_from(current_app.config)
    if sender is None:
        return "no sender configured"
    max_age = timedelta(hours=current_app.config["NOTICES_DELIVER_HOURS"])
    delivered, failed = deliver_notices(sender=sender, now=now, max_age=max_age)
    return f"delivered {delivered} notices, {failed} failed"
