"""Scheduled jobs of the ledger."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from points.db import session, snapshot
from points.ledger.models import IdempotencyRecord
from points.ledger.verify import record_verification, verify_ledger
from points.scheduler import register_job

log = logging.getLogger(__name__)


@register_job("verify_ledger", cron={"hour": 2, "minute": 30})
def verify_ledger_nightly(*, now: datetime) -> str:
    """Verify the hash chains and balances and record the result for supervisors."""
    with snapshot():
        result = verify_ledger()
    record_verification(result)
    if result.ok:
        return f"{result.transfers} transfers and {result.accounts} accounts check out"
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
