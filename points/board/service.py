"""Reads of verified service for other domains' reports, charts and checks: verified claims in a
window, hours per task, and what each claim was (task, day, hours)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from points.board.models import Claim, ClaimState, Task
from points.db import session
from points.org.models import OrgNode


def verified_claim_rows(*, since: datetime, until: datetime) -> sa.Select:
    """Claims the community verified in [since, until), with their task's community and end and
    whether it asks for a check-in: a statement for other domains to aggregate over
    (supervision's detectors), never loaded whole."""
    return (
        sa.select(
            Claim.id,
            Claim.task_id,
            Claim.person_id,
            Claim.checked_in_at,
            Claim.submitted_at,
            Claim.community_verified_by_id.label("verifier_id"),
            Claim.community_verified_at.label("verified_at"),
            Claim.award_transfer_id,
            Task.community_id,
            Task.ends_at,
            Task.requires_checkin,
        )
        .join(Task, Task.id == Claim.task_id)
        .where(
            Claim.community_verified_at >= since,
            Claim.community_verified_at < until,
            Claim.community_verified_by_id.is_not(None),
        )
    )


def _hours_between(starts: sa.ColumnElement, ends: sa.ColumnElement) -> sa.ColumnElement:
    """A task's length in hours, as the database computes it (days on SQLite, seconds on PostgreSQL)."""
    if session().get_bind().dialect.name == "sqlite":
        return (sa.func.julianday(ends) - sa.func.julianday(starts)) * 24.0
    return sa.extract("epoch", ends - starts) / 3600.0


def task_hours_stmt(*, since: datetime, until: datetime, node_path: str, limit: int = 10) -> sa.Select:
    """The tasks under a node that ended in [since, until) with the hours of service their
    verified claims gave (each claim the task's length), most first: columns task_id, title,
    claims, hours."""
    verified = sa.func.count(Claim.id)
    hours = sa.func.sum(_hours_between(Task.starts_at, Task.ends_at))
    return (
        sa.select(Task.id.label("task_id"), Task.title, verified.label("claims"), hours.label("hours"))
        .join(Claim, Claim.task_id == Task.id)
        .join(OrgNode, OrgNode.id == Task.community_id)
        .where(
            Claim.state == ClaimState.VERIFIED,
            Task.ends_at >= since,
            Task.ends_at < until,
            OrgNode.path.startswith(node_path, autoescape=True),
        )
        .group_by(Task.id, Task.title)
        .order_by(hours.desc(), Task.id)
        .limit(limit)
    )


def services_of_claims(claim_ids: list[int]) -> dict[int, dict]:
    """claim id -> the task it served: title, starts_at, ends_at (what a certificate lists)."""
    if not claim_ids:
        return {}
    rows = session().execute(
        sa.select(Claim.id, Task.title, Task.starts_at, Task.ends_at)
        .join(Task, Task.id == Claim.task_id)
        .where(Claim.id.in_(claim_ids))
    )
    return {r.id: {"title": r.title, "starts_at": r.starts_at, "ends_at": r.ends_at} for r in rows}
