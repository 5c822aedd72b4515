"""Housekeeping jobs of the auth domain."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from points.auth.models import ApiToken, LoginSession
from points.db import session
from points.people.operations import prune_login_throttles
from points.scheduler import JobRun, register_job


@register_job("prune_expired", cron={"hour": 3, "minute": 15})
def prune_expired(*, now: datetime) -> str:
    """Delete API tokens expired for a week, page sessions ended LOGIN_SESSIONS_KEEP_DAYS ago,
    failed-login throttles quiet for longer than the longest lock, and old job-run records."""
    sess = session()
    config = current_app.config
    tokens = sess.execute(sa.delete(ApiToken).where(ApiToken.expires_at < now - timedelta(days=7))).rowcount
    # Ended sessions are kept a while: they tell which devices an account logged in from.
    ended = now - timedelta(days=config["LOGIN_SESSIONS_KEEP_DAYS"])
    logins = sess.execute(
        sa.delete(LoginSession).where(
            sa.or_(LoginSession.expires_at < ended, LoginSession.revoked_at < ended),
        )
    ).rowcount
    quiet = now - 2 * timedelta(minutes=config["LOGIN_LOCK_MAX_MINUTES"])
    throttles = prune_login_throttles(before=quiet)
    keep = timedelta(days=config.get("JOB_RUNS_KEEP_DAYS", 400))
    runs = sess.execute(sa.delete(JobRun).where(JobRun.started_at < now - keep)).rowcount
    return (
        f"deleted {tokens} expired tokens, {logins} ended login sessions, "
        f"{throttles} quiet login throttles, {runs} old job runs"
    )
