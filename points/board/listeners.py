"""How the board reacts to other domains' events."""

from __future__ import annotations

from datetime import datetime

from points.board.operations import check_in_claim
from points.signals import checked_in_for_task


@checked_in_for_task.connect
def mark_claim_checked_in(_sender, *, task_id: int, person_id: int, now: datetime, **_) -> int:
    """A check-in at a task's activity marks the person's claim checked in, or claims a free slot
    for a walk-in; answers the claim's id. Refusals (not claimed, full) refuse the check-in."""
    return check_in_claim(task_id=task_id, person_id=person_id, now=now)
