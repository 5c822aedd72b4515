"""Scheduled jobs of the board: close tasks past their claim deadline and draw their slots,
mark no-shows."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from sqlmodel import select

from points.board import draw, operations
from points.board.models import Claim, Task
from points.db import session
from points.errors import DomainError
from points.scheduler import hourly, register_job

log = logging.getLogger(__name__)


def _each(ids: list[int], step: Callable[[int], object]) -> tuple[int, int]:
    """Apply `step` to each id in a savepoint of its own: one item changed meanwhile (a task
    cancelled, a claim withdrawn) is skipped and said so, and the others still go through."""
    done = skipped = 0
    for item_id in ids:
        try:
            with session().begin_nested():
                step(item_id)
            done += 1
        except DomainError as exc:
            skipped += 1
            log.info("skipped %s: %s", item_id, exc.code)
    return done, skipped


@register_job("close_tasks", cron={"minute": 5}, period=hourly)
def close_tasks(*, now: datetime) -> str:
    """Stop taking claims on tasks whose claim deadline has passed, and draw the slots of
    those that took applications."""
    due = (
        session()
        .exec(select(Task.id).where(Task.state == "posted", Task.claim_deadline <= now).order_by(Task.id))
        .all()
    )
    closed, skipped = _each(due, lambda task_id: operations.close_task(actor=None, task_id=task_id, now=now))
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
    drawn, not_drawn = _each(draws, lambda task_id: draw.draw_task(actor=None, task_id=task_id, now=now))
    return f"closed {closed} tasks past their claim deadline and drew {drawn}" + (
        f"; skipped {skipped + not_drawn} changed meanwhile" if skipped + not_drawn else ""
    )


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
    marked, skipped = _each(
        due, lambda claim_id: operations.mark_no_show(actor=None, claim_id=claim_id, now=now)
    )
    return f"marked {marked} claims as no-show or unanswered" + (f"; skipped {skipped}" if skipped else "")
