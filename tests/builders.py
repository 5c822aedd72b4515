"""Setup the tests of several domains share, through the operations: points given to a person
(or a unit), a discretionary award waiting for approval, an activity running now."""

from __future__ import annotations

from datetime import datetime, timedelta

from points.checkin import operations as checkin
from points.db import utcnow
from points.ledger import operations as ledger

# The proof each automatic award reason carries.
PROOFS = {"task_award": "claim", "checkin_award": "checkin", "manual_award": "discretion"}


def _award_fields(community_id: int, recipient_id: int, amount: int, key: str, more: dict) -> dict:
    """What both kinds of award name: the pool, the recipient (a person unless told), the kind
    (兴安分 unless told), the amount and the idempotency key."""
    return {"recipient_type": "person", "kind": "xingan", **more} | {
        "community_id": community_id,
        "recipient_id": recipient_id,
        "amount": amount,
        "idempotency_key": key,
    }


def award_points(
    community_id: int,
    recipient_id: int,
    amount: int,
    key: str,
    *,
    reason="checkin_award",
    auto_post=True,
    **more,
) -> dict:
    """An automatic award from a community's pool through the ledger, posted at once unless
    `auto_post=False`; `more` sets the operation's other fields (`kind=`, `now=`, `memo=`, …)."""
    fields = _award_fields(community_id, recipient_id, amount, key, more)
    return ledger.request_award(reason=reason, proof=PROOFS[reason], auto_post=auto_post, **fields)


def pending_award(
    actor, community_id: int, recipient_id: int, amount: int, key: str, memo="协助", **more
) -> dict:
    """A discretionary award asked for by `actor`: pending until someone else approves it."""
    fields = _award_fields(community_id, recipient_id, amount, key, more)
    return ledger.create_manual_award(actor=actor, memo=memo, **fields)


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
