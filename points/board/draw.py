"""The draw of a task that took applications (oversubscribed tasks): its slots are filled once
the claim deadline passed, in an order anyone can re-run from what the audit log recorded."""

from __future__ import annotations

import random
import secrets
from datetime import datetime, timedelta

from points.access import Actor
from points.audit.operations import audit
from points.board.models import ClaimState, FillMode, Task
from points.board.operations import rules
from points.board.operations.tasks import refuse_if
from points.board.queries import applications, get_task, live_claim_count, recent_service
from points.db import utcnow

# "Recent" service, for the fewer_recent fill mode.
RECENT_DAYS = 90


def rank_applicants(applicants: list[tuple[int, int]], seed: str, mode: str) -> list[int]:
    """The order a draw fills slots in, from (claim id, recent verified claims) pairs.

    Pure and reproducible: anyone holding the seed and the applicants gets the same
    order. `draw` is a shuffle seeded by `seed`; `fewer_recent` puts those with fewer
    recent verified claims first, the shuffle breaking ties."""
    ids = sorted(claim_id for claim_id, _ in applicants)
    random.Random(seed).shuffle(ids)
    if mode == FillMode.FEWER_RECENT:
        recent = dict(applicants)
        ids.sort(key=lambda claim_id: recent[claim_id])  # stable: ties keep the shuffled order
    return ids


def draw_task(*, actor: Actor | None, task_id: int, now: datetime | None = None) -> Task:
    """Fill the slots of a task that took applications, once its claim deadline passed
    (staff, or the deadline job with no actor). Winners are claimed, the rest not selected.

    The seed is random, drawn at that moment, kept on the task, and the applicants with the
    resulting order go to the audit log: `rank_applicants` re-runs it from that record.
    Raises `not_a_draw`, `already_drawn`, `task_not_open`, `deadline_not_passed`.
    """
    now = now or utcnow()
    task = get_task(task_id, lock=True)
    refuse_if(rules.task_refusal(actor, task, "draw", rules.Facts(actor, now)))
    applicants = applications(task.id)
    # Drawn now, not derived from anything known before: nobody can compute the result early
    # or re-roll it by applying again. Recorded with the applicants, it can be re-run by anyone.
    seed = secrets.token_hex(32)
    recent = (
        recent_service(applicants, now - timedelta(days=RECENT_DAYS))
        if task.fill_mode == FillMode.FEWER_RECENT
        else {}
    )
    order = rank_applicants([(c.id, recent.get(c.id, 0)) for c in applicants], seed, task.fill_mode)
    free = max(task.slots - live_claim_count(task.id), 0)
    by_id = {c.id: c for c in applicants}
    for position, claim_id in enumerate(order):
        claim = by_id[claim_id]
        claim.state = ClaimState.CLAIMED if position < free else ClaimState.NOT_SELECTED
        claim.updated_at = now
    task.draw_seed, task.drawn_at = seed, now
    detail = {
        "seed": seed,
        "mode": task.fill_mode,
        "slots": free,
        "applicants": [c.id for c in applicants],
        "order": order,
        "recent": recent or None,
    }
    audit(actor, "task.drawn", task, detail=detail, now=now)
    return task
