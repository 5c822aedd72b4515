"""Scheduled jobs of the ledger."""

from __future__ import annotations

import logging
from datetime import datetime

from points.db import snapshot
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
        return f"ok: {result.transfers} transfers, {result.accounts} accounts"
    log.error("ledger verification failed: %s", result.problem)
    return f"FAILED: {result.problem}"
