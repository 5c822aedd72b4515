"""Housekeeping jobs of the auth domain."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from points.auth.models import ApiToken
from points.db import session
from points.scheduler import JobRun, register_job


@register_job("prune_expired", cron={"hour": 3, "minute": 15})
def prune_expired(*, now: datetime) -> str:
    """Delete API tokens expired for a week and job-run records past their keep time."""
    sess = session()
    tokens = sess.execute(sa.delete(ApiToken).where(ApiToken.expires_at < now - timedelta(days=7))).rowcount
    keep = timedelta(days=current_app.config.get("JOB_RUNS_KEEP_DAYS", 400))
    runs = sess.execute(sa.delete(JobRun).where(JobRun.started_at < now - keep)).rowcount
    return f"deleted {tokens} expired tokens, {runs} old job runs"
