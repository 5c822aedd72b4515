"""Setup the tests of several domains share, through the operations: points given to a person
(or a unit), a discretionary award waiting for approval."""

from __future__ import annotations

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
