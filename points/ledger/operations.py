"""Every change to the ledger. The only code that writes transfers and balances.

All public operations go through `_append`, which for one community and a batch
of rows:

1. locks the community's chain head row (`SELECT … FOR UPDATE`; on SQLite the
   `BEGIN IMMEDIATE` transaction is the lock); the locked row gives the sequence
   number, the previous hash and whether a budget applies;
2. finds rows already holding the idempotency keys (for a single row, in the same
   statement, and again in the balance update, which on PostgreSQL sees a row
   committed while this posting waited for the lock);
3. applies the balance changes to the cached totals, one conditional UPDATE per
   account in id order (`… WHERE allow_negative OR posted - pending_out >= :need`),
   so concurrent debits of one account from different communities can never
   overdraw it: PostgreSQL re-checks the condition on the row it locked;
4. inserts the rows with their per-community sequence numbers and hashes, and
   moves the chain head.

Locks are always taken in the order chain heads (by id), then accounts by id, so
postings cannot deadlock on each other. Everything happens in the caller's
transaction: operations flush, the boundary commits. A `DomainError` raised
here leaves the transaction to be rolled back (the request boundary does it).

Who may move an award where is `points.ledger.transitions`; the parts of the posting path
are in `points.ledger.posting`.
"""

from __future__ import annotations

import logging
import sqlite3
from collections import defaultdict
from datetime import datetime
from operator import attrgetter

import psycopg
import sqlalchemy as sa
from flask import current_app

from points.access import Actor
from points.audit.operations import audit, record_many
from points.db import session, utcnow
from points.errors import Conflict, DomainError, Forbidden, NotFound
from points.ledger.chain import HASHED_FIELDS, row_hash, values_hash
from points.ledger.checks import (
    check_amount,
    check_award_reason,
    check_community,
    check_earner,
    check_kind,
    check_recipient_in,
    check_text,
    is_self,
)
from points.ledger.models import AWARD_REASONS, Budget, ChainHead, Transfer
from points.ledger.posting import (
    SQLITE_ROWS,
    BudgetTarget,
    InsufficientPoints,
    Leg,
    TransferTarget,
    account_ids,
    balance_changes,
    call_params,
    cursor,
    existing_keys,
    known_head,
    local_year,
    lock_head,
    mirror_leg,
    move_balances,
    remember_head,
    replayed,
    resolution_leg,
    use_budgets,
)
from points.ledger.queries import (
    get_transfer,
    issued_in_year,
    person_recipients,
    resolution_of,
    reversal_requests,
)
from points.ledger.statements import TRANSFER_COLUMNS
from points.ledger.transitions import approval_refusals, reversal_target, withdrawal_refusal
from points.metrics import APPROVALS, POSTINGS, count
from points.signals import awards_decided

log = logging.getLogger(__name__)

_t = Transfer.__table__
_h = ChainHead.__table__


def _append(community_id: int, legs: list[Leg], *, now: datetime | None = None) -> list[dict]:
    """Append rows to a community's chain, moving cached balances; the one posting path.

    A row whose idempotency key exists already is not written again: the stored
    row is returned in its place (it must describe the same movement, else
    `idempotency_conflict`); resolving or reversing is never replayed but refused
    (`already_resolved`). Raises `insufficient_points`, `budget_exceeded`, and
    `ledger_conflict` when the database's own constraints refuse a row.
    """
    try:
        rows = _append_rows(community_id, legs, now=now)
    except (sqlite3.IntegrityError, psycopg.IntegrityError) as exc:
        # The checks above should make this unreachable; the constraints are the backstop.
        log.error("ledger constraint refused a posting in community %s: %s", community_id, exc)
        raise Conflict("ledger_conflict", "积分记录与已有记录冲突，未入账") from exc
    for status in {leg.status for leg in legs}:
        count(POSTINGS.labels(status), sum(1 for leg in legs if leg.status == status))
    return rows


def _append_rows(community_id: int, legs: list[Leg], *, now: datetime | None) -> list[dict]:
    now = now or utcnow()
    if now.tzinfo is None:
        # It would be stored as local time but hashed as UTC, and then fail verification.
        raise ValueError("the ledger needs an aware datetime")
    cur, sql = cursor()
    if sql.postgres and len(legs) == 1:
        return [_post_one(cur, sql, community_id, legs[0], now)]
    keys = [leg.idempotency_key for leg in legs]
    single = len(legs) == 1
    seq, prev_hash, has_budget, existing = lock_head(cur, sql, community_id, keys[0] if single else None)
    if not single:
        # Read after taking the lock, so rows committed while waiting for it are seen.
        existing = existing_keys(cur, sql, community_id, keys)

    # Resolving or reversing is never replayed: a second attempt is refused.
    for column in ("pending_id", "reverses_id"):
        targets = [getattr(leg, column) for leg in legs if getattr(leg, column)]
        if targets:
            cur.execute(
                sql.resolved_any(column, len(targets)), {**sql.many("r", targets), "community": community_id}
            )
            if cur.fetchone() is not None:
                raise Conflict("already_resolved", "该笔积分已处理过")

    stored: dict[str, dict] = {}
    if existing:
        stored = replayed(legs, existing)
        legs = [leg for leg in legs if leg.idempotency_key not in existing]
        if not legs:
            return [stored[k] for k in keys]

    changes = balance_changes(legs)
    # For a single row the key check rides along with the balance update: on PostgreSQL it
    # sees a row with this key committed while this posting waited for the head lock.
    if move_balances(cur, sql, changes, community_id=community_id, key=keys[0] if single else None) != len(
        changes
    ):
        existing = existing_keys(cur, sql, community_id, keys) if single else {}
        if existing:
            return [replayed(legs, existing)[keys[0]]]
        raise InsufficientPoints(message="可用积分不足")

    if has_budget:
        use_budgets(community_id, legs)

    chained = _chained(community_id, seq, prev_hash, legs, now)
    seq, prev_hash = chained[-1][_SEQ], chained[-1][_HASH]
    stamp = sql.timestamp(now)
    if len(chained) == 1:
        params = dict(zip(TRANSFER_COLUMNS, chained[0], strict=True))
        cur.execute(sql.insert_transfer_returning, {**params, "created_at": stamp})
        ids = {seq: cur.fetchone()[0]}
    elif sql.postgres:
        columns = {column: [row[i] for row in chained] for i, column in enumerate(TRANSFER_COLUMNS)}
        columns["created_at"] = [stamp] * len(chained)
        cur.execute(sql.insert_transfers_arrays, columns)
        ids = {row_seq: new_id for new_id, row_seq in cur.fetchall()}
    else:
        ids = _insert_sqlite(cur, sql, chained, stamp)
    values = [{**dict(zip(TRANSFER_COLUMNS, row, strict=True)), "id": ids[row[_SEQ]]} for row in chained]
    cur.execute(sql.move_head, {"community": community_id, "seq": seq, "hash": prev_hash})
    if sql.postgres:
        remember_head(cur, community_id, seq, prev_hash)
    return _with_stored(values, stored, keys, existing)


# A row in TRANSFER_COLUMNS order: the hashed fields (community and seq, the leg's own, the
# time), then prev_hash and hash. A batch of thousands is built as plain lists, each row hashed
# from its list; dicts are made once, for the answer.
_LEG_FIELDS = attrgetter(*HASHED_FIELDS[2:-1])
_SEQ, _STAMP, _HASH = (TRANSFER_COLUMNS.index(c) for c in ("seq", "created_at", "hash"))


def _fields(community_id: int, seq: int, leg: Leg, now: datetime) -> list:
    """The hashed fields of `leg` at `seq`, in HASHED_FIELDS order."""
    return [community_id, seq, *_LEG_FIELDS(leg), now]


def _chained(community_id: int, seq: int, prev_hash: str, legs: list[Leg], now: datetime) -> list[list]:
    """The legs' rows numbered after `seq`, each hashed onto the one before (the first onto
    `prev_hash`)."""
    rows = []
    for leg in legs:
        seq += 1
        fields = _fields(community_id, seq, leg, now)
        digest = values_hash(fields, prev_hash)
        fields += (prev_hash, digest)
        prev_hash = digest
        rows.append(fields)
    return rows


def _insert_sqlite(cur, sql, rows: list[list], stamp: str) -> dict[int, int]:
    """SQLite: the rows as multi-row inserts, each answering its rows' ids; {seq: id}."""
    ids = {}
    for start in range(0, len(rows), SQLITE_ROWS):
        chunk = rows[start : start + SQLITE_ROWS]
        flat = []
        for row in chunk:
            flat.extend(row)
            flat[_STAMP - len(row)] = stamp  # the time as the driver stores it
        cur.execute(sql.insert_transfers_values(len(chunk)), flat)
        ids.update((row_seq, new_id) for new_id, row_seq in cur.fetchall())
    return ids


def _row(community_id: int, seq: int, leg: Leg, now: datetime) -> dict:
    """The transfer row of `leg` at `seq`, before its place in the chain (prev_hash, hash)."""
    return dict(zip(HASHED_FIELDS, _fields(community_id, seq, leg, now), strict=True))


def _post_one(cur, sql, community_id: int, leg: Leg, now: datetime) -> dict:
    """One row on PostgreSQL: the steps of `_append_rows` in one server-side call
    (`ledger_post_one`, migration 0021).

    The row's hash needs the head it follows, known only under the head's lock, so the hash is
    computed for the head this process saw last; when another posting moved it since, the call
    changes nothing but answers `stale` with the locked head, and the second call, holding the
    lock, cannot miss."""
    params = call_params(leg)
    expected = known_head(cur, community_id)
    for _ in range(2):
        seq, prev_hash = expected
        row = _row(community_id, (seq or 0) + 1, leg, now)
        row["prev_hash"] = prev_hash
        row["hash"] = row_hash(row, prev_hash) if prev_hash is not None else None
        cur.execute(sql.post_one, {**params, **row, "expect_seq": seq, "expect_hash": prev_hash})
        outcome, row_id, head_seq, head_hash = cur.fetchone()
        remember_head(cur, community_id, head_seq, head_hash)
        if outcome != "stale":
            break
        expected = (head_seq, head_hash)
    return _posted_one(outcome, row_id, row, community_id, leg)


def _posted_one(outcome: str, row_id: int | None, row: dict, community_id: int, leg: Leg) -> dict:
    """The row a server-side single posting answered for, or the refusal it stands for."""
    if outcome == "posted":
        row["id"] = row_id
        return row
    if outcome == "exists":
        return replayed([leg], {leg.idempotency_key: row_id})[leg.idempotency_key]
    if outcome == "resolved":
        raise Conflict("already_resolved", "该笔积分已处理过")
    if outcome == "budget":
        use_budgets(community_id, [leg])  # raises budget_exceeded with the budget's figures
    if outcome in ("insufficient", "budget"):
        raise InsufficientPoints(message="可用积分不足")
    raise RuntimeError(f"the server-side posting answered {outcome}")


def _with_stored(values: list[dict], stored: dict[str, dict], keys: list[str], existing: dict) -> list[dict]:
    """The rows for `keys` in order: those just written, and those found stored already."""
    if existing:
        by_key = {r["idempotency_key"]: r for r in values} | stored
        return [by_key[k] for k in keys]
    return values


# --- awards ---------------------------------------------------------------------------


def qualifies_for_auto_post(*, proof: str, amount: int, unattended: bool, by_staff: bool) -> bool:
    """Small awards proven by a person's own attended QR check-in may post without approval."""
    limit = current_app.config.get("LEDGER_AUTO_POST_MAX", 0)
    return proof == "checkin" and not unattended and not by_staff and 0 < amount <= limit


def request_award(
    *,
    community_id: int,
    recipient_type: str,
    recipient_id: int,
    kind: str,
    amount: int,
    reason: str,
    proof: str,
    idempotency_key: str,
    ref_type: str | None = None,
    ref_id: int | None = None,
    memo: str = "",
    evidence: str = "",
    requested_by_id: int | None = None,
    verified_by_id: int | None = None,
    auto_post: bool = False,
    now: datetime | None = None,
) -> dict:
    """Award points from the community's pool: pending (awaiting approval), or posted at once
    when `auto_post` (see `qualifies_for_auto_post`).

    The idempotency key comes from the cause (`claim:{id}:award`, `checkin:{id}:award`), so
    a rerun returns the first transfer. Raises `invalid_amount`, `invalid_kind`,
    `invalid_recipient`, `budget_exceeded`, `idempotency_conflict`.
    """
    check_award_reason(reason)
    check_kind(kind)
    check_amount(amount)
    check_text(memo=memo, evidence=evidence)
    check_earner(recipient_type, recipient_id, kind)
    now = now or utcnow()
    ids = account_ids([("pool", community_id), (recipient_type, recipient_id)], kind)
    leg = Leg(
        kind=kind,
        debit_account_id=ids[("pool", community_id)],
        credit_account_id=ids[(recipient_type, recipient_id)],
        amount=amount,
        status="posted" if auto_post else "pending",
        reason=reason,
        proof=proof,
        ref_type=ref_type,
        ref_id=ref_id,
        memo=memo,
        evidence=evidence,
        requested_by_id=requested_by_id,
        verified_by_id=verified_by_id,
        idempotency_key=idempotency_key,
        budget=(kind, local_year(now), amount),
    )
    return _append(community_id, [leg], now=now)[0]


def create_manual_award(
    *,
    actor: Actor,
    community_id: int,
    recipient_type: str,
    recipient_id: int,
    kind: str,
    amount: int,
    memo: str,
    evidence: str = "",
    idempotency_key: str,
    now: datetime | None = None,
) -> dict:
    """Staff ask for a discretionary award (pending); someone else must approve it.

    Needs `awards.request` over the community. Raises `reason_required`, `self_award`,
    and what `request_award` raises.
    """
    actor.require("awards.request", check_community(community_id).path)
    if not memo.strip():
        raise DomainError("reason_required", "手动发放积分必须写明理由", 422, errors={"memo": ["必填"]})
    if is_self(actor, (recipient_type, recipient_id)):
        raise Forbidden("self_award", "不能给自己或自己管理的单位发放积分")
    check_recipient_in(community_id, recipient_type, recipient_id)
    row = request_award(
        community_id=community_id,
        recipient_type=recipient_type,
        recipient_id=recipient_id,
        kind=kind,
        amount=amount,
        reason="manual_award",
        proof="discretion",
        idempotency_key=idempotency_key,
        memo=memo.strip(),
        evidence=evidence.strip(),
        requested_by_id=actor.person_id,
        now=now,
    )
    detail = {"amount": amount, "kind": kind, recipient_type: recipient_id}
    audit(actor, "award.requested", _target(row), detail=detail, now=now)
    return row


def _target(row: dict) -> TransferTarget:
    return TransferTarget(id=row["id"], community_id=row["community_id"])


def _get_transfer(transfer_id: int) -> dict:
    row = get_transfer(transfer_id)
    if row is None:
        raise NotFound("not_found", "未找到")  # the same answer as out of scope: ids are not probed
    return row


def _decidable(actor: Actor, transfer_id: int, now: datetime | None) -> dict:
    """The pending award or reversal `actor` may approve or reject (see `approval_refusals`)."""
    pending = _get_transfer(transfer_id)
    refusal = approval_refusals(actor, [pending], now=now).get(pending["id"])
    if refusal is not None:
        raise refusal
    return pending


def _decide(actor: Actor, pending: dict, leg: Leg, action: str, detail: dict, now: datetime | None) -> dict:
    row = _append(pending["community_id"], [leg], now=now)[0]
    audit(actor, action, _target(pending), detail=detail, now=now)
    count(APPROVALS.labels("approve" if leg.status == "post" else "reject"))
    return row


def _tell_recipients(pendings: list[dict], *, approved: bool, reason: str, now: datetime | None) -> None:
    """Let the people whose awards were decided know (reversals tell nobody)."""
    awards = [p for p in pendings if p["reason"] in AWARD_REASONS]
    people = person_recipients(awards)
    told = [
        {"transfer_id": p["id"], "person_id": people[p["id"]], "amount": p["amount"], "memo": p["memo"]}
        for p in awards
        if p["id"] in people
    ]
    if told:
        awards_decided.send(None, awards=told, approved=approved, reason=reason, now=now or utcnow())


def approve_award(*, actor: Actor, transfer_id: int, now: datetime | None = None) -> dict:
    """Post a pending award or reversal request (transition `approve`). Raises `not_found`,
    `forbidden`, `not_pending`, `already_resolved`, `self_approval`, `maker_checker`,
    `not_independent`."""
    pending = _decidable(actor, transfer_id, now)
    leg = resolution_leg(pending, status="post", approver_id=actor.person_id)
    action = "transfer.reversed" if pending["reason"] == "reversal" else "award.approved"
    row = _decide(actor, pending, leg, action, {"amount": pending["amount"]}, now)
    _tell_recipients([pending], approved=True, reason="", now=now)
    return row


def reject_award(*, actor: Actor, transfer_id: int, reason: str, now: datetime | None = None) -> dict:
    """Void a pending award with a reason (transition `reject`). Same refusals as
    `approve_award`, plus `reason_required`."""
    if not reason.strip():
        raise DomainError("reason_required", "驳回时请写明原因", 422, errors={"reason": ["必填"]})
    check_text(reason=reason)
    pending = _decidable(actor, transfer_id, now)
    leg = resolution_leg(pending, status="void", approver_id=actor.person_id, memo=reason.strip())
    action = "transfer.reversal_rejected" if pending["reason"] == "reversal" else "award.rejected"
    row = _decide(actor, pending, leg, action, {"reason": reason.strip()}, now)
    _tell_recipients([pending], approved=False, reason=reason.strip(), now=now)
    return row


def withdraw_award(
    *, actor_id: int | None, transfer_id: int, reason: str, now: datetime | None = None
) -> dict | None:
    """Void an award that is still pending because its cause went away (transition `withdraw`,
    e.g. a cancelled task).

    No approval is needed to give points up, so maker–checker does not apply; an award
    already approved or rejected is left as it is (None). Raises `not_pending`.
    """
    check_text(reason=reason)
    pending = _get_transfer(transfer_id)
    refusal = withdrawal_refusal(pending)
    if refusal is not None:
        raise refusal
    if resolution_of(pending) is not None:
        return None
    leg = resolution_leg(pending, status="void", approver_id=actor_id, memo=reason.strip())
    row = _append(pending["community_id"], [leg], now=now)[0]
    withdrawer = Actor(person_id=actor_id, name="") if actor_id is not None else None
    audit(withdrawer, "award.withdrawn", _target(pending), detail={"reason": reason.strip()}, now=now)
    return row


def bulk_approve(*, actor: Actor, transfer_ids: list[int], now: datetime | None = None) -> list[dict]:
    """Approve many pending awards in one transaction: all of them, or none (`bulk_refused`,
    whose `refusals` hold each refused id's refusal and `errors` its message).

    Rows are posted in batches per community, so 500 approvals cost a few statements."""
    now = now or utcnow()
    ids = list(dict.fromkeys(transfer_ids))
    conn = session().connection()
    pendings = {r["id"]: dict(r) for r in conn.execute(sa.select(_t).where(_t.c.id.in_(ids))).mappings()}
    refused = approval_refusals(actor, list(pendings.values()), now=now)
    for transfer_id in ids:
        if transfer_id not in pendings:
            # The same answer as out of scope: ids are not probed.
            refused[transfer_id] = NotFound("not_found", "未找到")
    if refused:
        refused_ids = [i for i in ids if i in refused]
        raise DomainError(
            "bulk_refused",
            "部分积分不能审批，整批未执行",
            409,
            errors={str(i): [refused[i].message] for i in refused_ids},
            refusals={str(i): refused[i].as_refusal() for i in refused_ids},
        )
    by_community: dict[int, list[Leg]] = defaultdict(list)
    for transfer_id in ids:
        pending = pendings[transfer_id]
        by_community[pending["community_id"]].append(
            resolution_leg(pending, status="post", approver_id=actor.person_id)
        )
    # Every chain head first, in id order, so two bulk approvals over shared communities
    # queue rather than deadlock, and no single posting can hold an account we need next.
    cur, sql = cursor()
    for community_id in sorted(by_community):
        lock_head(cur, sql, community_id)
    rows = []
    for community_id in sorted(by_community):
        rows.extend(_append(community_id, by_community[community_id], now=now))
    for action, reasons in (("award.approved", AWARD_REASONS), ("transfer.reversed", ("reversal",))):
        record_many(
            actor_id=actor.person_id,
            action=action,
            target_type="transfer",
            entries=[
                (transfer_id, pending["community_id"], {"amount": pending["amount"], "bulk": True})
                for transfer_id in ids
                if (pending := pendings[transfer_id])["reason"] in reasons
            ],
            now=now,
        )
    count(APPROVALS.labels("approve"), len(ids))
    _tell_recipients([pendings[i] for i in ids], approved=True, reason="", now=now)
    return rows


def reverse_transfer(*, actor: Actor, transfer_id: int, reason: str, now: datetime | None = None) -> dict:
    """Ask for a correction of a posted award (transition `reverse`): a pending reversal that
    reserves the points where the award put them, until someone independent approves it (the
    reversal posts) or rejects it (the reservation is released). The original stays as it is.

    Accepts the posted row, or a pending award that was posted. Needs `awards.request` over
    its community. Raises `reason_required`, `not_posted`, `not_reversible`,
    `already_resolved` (reversed before), `reversal_pending` (a request waits),
    `insufficient_points` (the points were spent).
    """
    if not reason.strip():
        raise DomainError("reason_required", "冲正时请写明原因", 422, errors={"reason": ["必填"]})
    check_text(reason=reason)
    row = _get_transfer(transfer_id)
    actor.require("awards.request", check_community(row["community_id"]).path)
    target, refusal = reversal_target(row)
    if refusal is not None:
        raise refusal
    _, rejected = reversal_requests(target)
    leg = mirror_leg(
        target,
        reason="reversal",
        memo=reason,
        requested_by_id=actor.person_id,
        # Two requests racing past the check above meet on this key: the second gets the
        # first's row back. After a rejection the next request counts on.
        idempotency_key=f"transfer:{target['id']}:reversal-request:{rejected}",
    )
    request = _append(target["community_id"], [leg], now=now)[0]
    detail = {"reason": reason.strip(), "amount": target["amount"], "request_id": request["id"]}
    audit(actor, "transfer.reversal_requested", _target(target), detail=detail, now=now)
    return request


# --- budgets --------------------------------------------------------------------------


def set_budget(*, actor: Actor | None, community_id: int, kind: str, year: int, amount: int) -> Budget:
    """Set a community pool's annual issuing budget; what was already issued that year counts.

    Raises `budget_below_issued` when the pool already issued more than the new amount.
    """
    community = check_community(community_id)
    if actor is not None:
        actor.require("org.manage", community.path)
    check_kind(kind)
    if amount < 0:
        raise DomainError("invalid_amount", "预算不能为负数", 422)
    # The chain head lock orders this against concurrent awards of the community, which
    # read the head's budget flag once they hold the lock.
    cur, sql = cursor()
    lock_head(cur, sql, community_id)
    session().connection().execute(
        sa.update(_h).where(_h.c.community_id == community_id).values(has_budget=True)
    )
    issued = issued_in_year(community_id, kind, year)
    if issued > amount:
        raise DomainError(
            "budget_below_issued", "该年度已发放 %(issued)s，预算不能低于此数", 409, values={"issued": issued}
        )
    sess = session()
    budget = sess.get(Budget, (community_id, kind, year))
    if budget is None:
        budget = Budget(community_id=community_id, kind=kind, year=year, amount=amount, issued=issued)
        sess.add(budget)
    else:
        budget.amount, budget.issued = amount, issued
    detail = {"kind": kind, "year": year, "amount": amount}
    audit(actor, "budget.set", BudgetTarget(community_id=community_id), detail=detail)
    return budget
