"""Scheduled jobs of onboarding."""

from __future__ import annotations

from datetime import datetime, timedelta

from points.onboarding.operations import prune_codes
from points.scheduler import register_job


@register_job("prune_verification_codes", cron={"hour": 3, "minute": 50})
def prune_verification_codes_job(*, now: datetime) -> str:
    """Delete phone verification codes that expired more than a day ago."""
    return f"deleted {prune_codes(before=now - timedelta(days=1))} old verification codes"
