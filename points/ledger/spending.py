"""Points leaving a person's or unit's account: redemptions in the points store, refunds of
them, and corrections of redemptions whose goods were handed over (a second, independent
person approves those, like any correction). Everything posts through the ledger's one
posting path (`operations._append`)."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

import sqlalchemy as sa

from points.access import Actor
from points.audit.operations import record
from points.db import utcnow
from points.errors import Conflict, DomainError
from points.ledger.checks import check_amount, check_kind, check_text
from points.ledger.joined import post_after
from points.ledger.operations import _append, _get_transfer
from points.ledger.posting import Leg, account_ids, cursor, lock_head, mirror_leg
from points.ledger.queries import reversal_of
from points.ledger.transitions import approval_refusals


def spend(
    *,
    community_id: int,
    payer_type: str,
    payer_id: int,
    kind: str,
    amount: int,
    idempotency_key: str,
    reason: str = "redemption",
    ref_type: str | None = None,
    ref_id: int | None = None,
    memo: str = "",
    requested_by_id: int | None = None,
    now: datetime | None = None,
) -> dict:
    """Move points from a person or unit to the community's store (or pool, for expiry).

    Raises `insufficient_points` when the available balance is too small.
    """
    if reason not in ("redemption", "expiry"):
        raise DomainError("invalid_reason", "不是支出类型", 422)
    check_text(memo=memo)
    check_kind(kind)
    check_amount(amount)
    sink = ("store" if reason == "redemption" else "pool", community_id)
    ids = account_ids([(payer_type, payer_id), sink], kind)
    leg = Leg(
        kind=kind,
        debit_account_id=ids[(payer_type, payer_id)],
        credit_account_id=ids[sink],
        amount=amount,
        status="posted",
        reason=reason,
        ref_type=ref_type,
        ref_id=ref_id,
        memo=memo,
        requested_by_id=requested_by_id,
        idempotency_key=idempotency_key,
    )
    return _append(community_id, [leg], now=now)[0]


def refund(*, actor_id: int | None, transfer_id: int, memo: str = "", now: datetime | None = None) -> dict:
    """Give back a redemption (e.g. a cancelled order) with a new transfer from the store."""
    target = _get_transfer(transfer_id)
    if target["reason"] != "redemption" or target["status"] != "posted":
        raise Conflict("not_refundable", "只有已完成的兑换可以退还")
    leg = Leg(
        kind=target["kind"],
        debit_account_id=target["credit_account_id"],
        credit_account_id=target["debit_account_id"],
        amount=target["amount"],
        status="posted",
        reason="refund",
        ref_type=target["ref_type"],
        ref_id=target["ref_id"],
        reverses_id=target["id"],
        memo=memo,
        requested_by_id=actor_id,
        idempotency_key=f"transfer:{target['id']}:refund",
    )
    return _append(target["community_id"], [leg], now=now)[0]


# --- refunds of redemptions whose goods were handed over (the points store's corrections) ---


def request_refund(
    *, actor: Actor, transfer_id: int, reason: str, idempotency_key: str, now: datetime | None = None
) -> dict:
    """Ask to give a redemption back after its goods were handed over: a pending refund from the
    store to the payer that reserves the points in the store until someone independent decides
    it (`decide_refund`). The redemption stays as it is; the approved refund undoes it once.

    Raises `reason_required`, `not_refundable` (not a posted redemption), `already_resolved`
    (refunded before)."""
    if not reason.strip():
        raise DomainError("reason_required", "请写明退还原因", 422, errors={"reason": ["必填"]})
    check_text(reason=reason)
    target = _get_transfer(transfer_id)
    if target["reason"] != "redemption" or target["status"] != "posted":
        raise Conflict("not_refundable", "只有已完成的兑换可以退还")
    if reversal_of(target) is not None:
        raise Conflict("already_resolved", "这笔兑换已退还过")
    leg = mirror_leg(
        target,
        reason="refund",
        memo=reason,
        requested_by_id=actor.person_id,
        idempotency_key=idempotency_key,
    )
    row = _append(target["community_id"], [leg], now=now)[0]
    record(
        actor_id=actor.person_id,
        action="refund.requested",
        target_type="transfer",
        target_id=target["id"],
        node_id=target["community_id"],
        detail={"reason": reason.strip(), "amount": target["amount"], "request_id": row["id"]},
        now=now,
    )
    return row


def refund_refusals(actor: Actor, rows: list[dict], *, now: datetime | None = None) -> dict[int, DomainError]:
    """Why `actor` may not decide each of these pending refunds; a row absent may be decided.

    A refund request is a correction like a reversal, so the one independence rule decides it
    (`approval_refusals`, which knows corrections by the reason `reversal`)."""
    refusals: dict[int, DomainError] = {}
    corrections = []
    for row in rows:
        if row["status"] != "pending" or row["reason"] != "refund":
            refusals[row["id"]] = Conflict("not_pending", "这笔积分不是待审批的退还")
        else:
            corrections.append({**row, "reason": "reversal"})
    return refusals | approval_refusals(actor, corrections, now=now)


def decide_refund(
    *, actor: Actor, transfer_id: int, approve: bool, reason: str = "", now: datetime | None = None
) -> dict:
    """Post (approve) or void (reject, with a reason) a pending refund. Raises what
    `refund_refusals` names, `reason_required`, and `already_resolved`."""
    pending = _get_transfer(transfer_id)
    refusal = refund_refusals(actor, [pending], now=now).get(pending["id"])
    if refusal is not None:
        raise refusal
    if not approve and not reason.strip():
        raise DomainError("reason_required", "驳回时请写明原因", 422, errors={"reason": ["必填"]})
    check_text(reason=reason)
    status = "post" if approve else "void"
    leg = Leg(
        kind=pending["kind"],
        debit_account_id=pending["debit_account_id"],
        credit_account_id=pending["credit_account_id"],
        amount=pending["amount"],
        status=status,
        reason="refund",
        ref_type=pending["ref_type"],
        ref_id=pending["ref_id"],
        pending_id=pending["id"],
        # The approved refund undoes the redemption, at most once (unique key).
        reverses_id=pending["ref_id"] if approve else None,
        memo=reason.strip() or pending["memo"],
        requested_by_id=pending["requested_by_id"],
        approved_by_id=actor.person_id,
        idempotency_key=f"transfer:{pending['id']}:{status}",
    )
    row = _append(pending["community_id"], [leg], now=now)[0]
    record(
        actor_id=actor.person_id,
        action="refund.approved" if approve else "refund.rejected",
        target_type="transfer",
        target_id=pending["id"],
        node_id=pending["community_id"],
        detail={"amount": pending["amount"], **({"reason": reason.strip()} if not approve else {})},
        now=now,
    )
    return row


def spending_accounts(*, community_id: int, payer_type: str, payer_id: int, kind: str) -> tuple[int, int]:
    """The (payer, store) account ids a redemption moves points between, made if missing.

    Accounts never change once made, so a caller may look them up before it takes its own locks
    and post with `spend_between`, keeping the look-up out of the time it holds them."""
    check_kind(kind)
    ids = account_ids([(payer_type, payer_id), ("store", community_id)], kind)
    return ids[(payer_type, payer_id)], ids[("store", community_id)]


def spend_between(
    *,
    community_id: int,
    accounts: tuple[int, int],
    kind: str,
    amount: int,
    idempotency_key: str,
    ref_type: str | None = None,
    ref_id: int | None = None,
    memo: str = "",
    requested_by_id: int | None = None,
    now: datetime | None = None,
) -> dict:
    """`spend` (a redemption) between accounts found by `spending_accounts`. Raises
    `insufficient_points` when the payer's available balance is too small."""
    leg = _redemption_leg(accounts, kind, amount, idempotency_key, ref_type, ref_id, memo, requested_by_id)
    return _append(community_id, [leg], now=now)[0]


def spend_between_after(
    first: sa.Executable,
    first_params: dict,
    *,
    community_id: int,
    accounts: tuple[int, int],
    kind: str,
    amount: int,
    idempotency_key: str,
    ref_type: str | None = None,
    ref_id: int | None = None,
    memo: str = "",
    requested_by_id: int | None = None,
    now: datetime | None = None,
) -> tuple[tuple, dict] | None:
    """`spend_between`, only if the statement `first` (run before it, in the same round trip
    on PostgreSQL) returns a row: that row and the posted transfer, or None when it returned
    none and nothing was posted. The locks `first` takes come before the ledger's."""
    leg = _redemption_leg(accounts, kind, amount, idempotency_key, ref_type, ref_id, memo, requested_by_id)
    return post_after(first, first_params, community_id, leg, now or utcnow())


def _redemption_leg(accounts, kind, amount, idempotency_key, ref_type, ref_id, memo, requested_by_id) -> Leg:
    check_text(memo=memo)
    check_amount(amount)
    debit, credit = accounts
    return Leg(
        kind=kind,
        debit_account_id=debit,
        credit_account_id=credit,
        amount=amount,
        status="posted",
        reason="redemption",
        ref_type=ref_type,
        ref_id=ref_id,
        memo=memo,
        requested_by_id=requested_by_id,
        idempotency_key=idempotency_key,
    )


def expire_points(
    *, kind: str, expiries: list[tuple[int, str, int, int]], year: int, now: datetime | None = None
) -> int:
    """Expire unspent points in bulk: each (community_id, owner_type, owner_id, amount) moves
    `amount` from the owner's account to the community's pool (reason `expiry`).

    One posting batch per community, every chain head locked first in id order (as bulk
    approval does), so a batch of hundreds of accounts costs a few statements, never a posting
    each. Keys `expiry:{year}:{owner_type}:{owner_id}`: a rerun moves nothing twice. Raises
    `insufficient_points` when an owner spent the points meanwhile (the batch rolls back)."""
    check_kind(kind)
    if not expiries:
        return 0
    owners = [(owner_type, owner_id) for _, owner_type, owner_id, _ in expiries]
    pools = [("pool", community_id) for community_id, *_ in expiries]
    ids = account_ids(owners + pools, kind)
    by_community: dict[int, list[Leg]] = defaultdict(list)
    for community_id, owner_type, owner_id, amount in expiries:
        check_amount(amount)
        by_community[community_id].append(
            Leg(
                kind=kind,
                debit_account_id=ids[(owner_type, owner_id)],
                credit_account_id=ids[("pool", community_id)],
                amount=amount,
                status="posted",
                reason="expiry",
                memo=f"{year}",
                idempotency_key=f"expiry:{year}:{owner_type}:{owner_id}",
            )
        )
    cur, sql = cursor()
    for community_id in sorted(by_community):
        lock_head(cur, sql, community_id)
    return sum(len(_append(c, by_community[c], now=now)) for c in sorted(by_community))
