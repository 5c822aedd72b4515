"""Scheduled jobs of the ledger."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from points.db import LOCAL_TZ, session, snapshot
from points.ledger.models import IdempotencyRecord
from points.ledger.verify import record_verification, verify_appended, verify_ledger
from points.scheduler import register_job

log = logging.getLogger(__name__)


# The nightly run verifies what was appended since the last good run; once a week (Sunday,
# local time) it walks every chain from its start.
FULL_VERIFY_WEEKDAY = 6


@register_job("verify_ledger", cron={"hour": 2, "minute": 30})
def verify_ledger_nightly(*, now: datetime) -> str:
    """Verify the rows appended since the last good verification (every chain on Sundays) and
    record the result for supervisors."""
    full = now.astimezone(LOCAL_TZ).weekday() == FULL_VERIFY_WEEKDAY
    with snapshot():
        result = verify_ledger() if full else verify_appended()
    record_verification(result)
    if result.ok:
        return (
            f"{result.mode}: {result.transfers} transfers and {result.accounts} accounts check out "
            f"({result.rows_per_second} rows per second)"
        )
    log.error("ledger verification failed: %s", result.problem)
    return f"LEDGER VERIFICATION FAILED: {result.problem}"


@register_job("prune_idempotency", cron={"hour": 3, "minute": 45})
def prune_idempotency(*, now: datetime) -> str:
    """Forget stored answers to Idempotency-Keys older than the replay window."""
    hours = current_app.config.get("IDEMPOTENCY_KEEP_HOURS", 72)
    deleted = (
        session()
        .execute(
            sa.delete(IdempotencyRecord).where(IdempotencyRecord.created_at < now - timedelta(hours=hours))
        )
        .rowcount
    )
    return f"forgot {deleted} idempotency records older than {hours} hours"
