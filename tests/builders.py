"""Setup the tests of several domains share, through the operations: points given to a person
(or a unit), a discretionary award waiting for approval, an activity running now."""

from __future__ import annotations

from datetime import datetime, timedelta

from points.checkin import operations as checkin
from points.db import utcnow
from points.ledger import operations as ledger

# The proof each automatic award reason carries.
PROOFS = {"task_award": "claim", "checkin_award": "checkin", "manual_award": "discretion"}


def award_points(
    community_id: int,
    recipient_id: int,
    amount: int,
    key: str,
    *,
    recipient_type: str = "person",
    kind: str = "xingan",
    reason: str = "checkin_award",
    auto_post: bool = True,
    **more,
) -> dict:
    """An automatic award from a community's pool through the ledger (posted at once unless
    `auto_post=False`); `more` passes the operation's other fields (`now=`, `memo=`, …)."""
    return ledger.request_award(
        community_id=community_id,
        recipient_type=recipient_type,
        recipient_id=recipient_id,
        kind=kind,
        amount=amount,
        reason=reason,
        proof=PROOFS[reason],
        idempotency_key=key,
        auto_post=auto_post,
        **more,
    )


def pending_award(
    actor,
    community_id: int,
    recipient_id: int,
    amount: int,
    key: str,
    *,
    memo: str = "协助",
    recipient_type: str = "person",
    kind: str = "xingan",
) -> dict:
    """A discretionary award asked for by `actor`: pending until someone else approves it."""
    return ledger.create_manual_award(
        actor=actor,
        community_id=community_id,
        recipient_type=recipient_type,
        recipient_id=recipient_id,
        kind=kind,
        amount=amount,
        memo=memo,
        idempotency_key=key,
    )


def running_activity(
    actor,
    station_id: int,
    title: str,
    *,
    began: timedelta = timedelta(minutes=30),
    ends_in: timedelta = timedelta(hours=3),
    hourly_rate: int | None = 10,
    now: datetime | None = None,
    **more,
):
    """An activity at a station that began `began` ago and ends in `ends_in` (real time unless
    `now=`), paid `hourly_rate` points an hour (None: presence only); its rate not yet confirmed."""
    now = now or utcnow()
    return checkin.create_activity(
        actor=actor,
        station_id=station_id,
        title=title,
        starts_at=now - began,
        ends_at=now + ends_in,
        hourly_rate=hourly_rate,
        now=now,
        **more,
    )
