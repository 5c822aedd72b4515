"""Scheduled jobs of the board: close tasks past their claim deadline, mark no-shows."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import select

from points.board import operations
from points.board.models import Claim, Task
from points.db import session
from points.scheduler import hourly, register_job


@register_job("close_tasks", cron={"minute": 5}, period=hourly)
def close_tasks(*, now: datetime) -> str:
    """Stop taking claims on tasks whose claim deadline has passed, and draw the slots of
    those that took applications."""
    due = (
        session()
        .exec(select(Task.id).where(Task.state == "posted", Task.claim_deadline <= now).order_by(Task.id))
        .all()
    )
    for task_id in due:
        operations.close_task(actor=None, task_id=task_id, now=now)
    draws = (
        session()
        .exec(
            select(Task.id)
            .where(
                Task.fill_mode != "first_come",
                Task.drawn_at.is_(None),
                Task.state.in_(("posted", "closed")),
                Task.claim_deadline <= now,
            )
            .order_by(Task.id)
        )
        .all()
    )
    for task_id in draws:
        operations.draw_task(actor=None, task_id=task_id, now=now)
    return f"closed {len(due)} tasks past their claim deadline and drew {len(draws)}"


@register_job("mark_no_shows", cron={"minute": 20}, period=hourly)
def mark_no_shows(*, now: datetime) -> str:
    """After a task ends: claims that needed a QR check-in and never had one become no-shows,
    and dispatched tasks nobody answered are declined, so the records say what happened."""
    due = (
        session()
        .exec(
            select(Claim.id)
            .join(Task, Task.id == Claim.task_id)
            .where(
                Task.ends_at <= now,
                Task.state.in_(("posted", "closed", "done")),
                (Claim.state == "offered") | ((Claim.state == "claimed") & Task.requires_checkin),
            )
            .order_by(Claim.id)
        )
        .all()
    )
    for claim_id in due:
        operations.mark_no_show(actor=None, claim_id=claim_id, now=now)
    return f"marked {len(due)} claims as no-show or unanswered"
