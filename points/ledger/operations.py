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
"""

from __future__ import annotations

import logging
import sqlite3
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

import psycopg
import sqlalchemy as sa
from flask import current_app

from points.access import Actor
from points.audit.operations import record, record_many
from points.db import LOCAL_TZ, session, utcnow
from points.errors import Conflict, DomainError, Forbidden, NotFound
from points.ledger.chain import row_hash
from points.ledger.models import (
    APPROVABLE_REASONS,
    AWARD_REASONS,
    GENESIS_HASH,
    KIND_NAMES,
    KINDS,
    Account,
    Budget,
    ChainHead,
    Transfer,
)
from points.ledger.queries import (
    account_owners,
    get_transfer,
    issued_in_year,
    resolution_of,
    reversal_of,
    reversal_requests,
)
from points.ledger.statements import TRANSFER_COLUMNS, Statements, statements
from points.org.queries import get_node, get_unit
from points.people.queries import (
    acts_as_party_member,
    belongs_to_community,
    get_person,
    independence_since,
    ties_of,
    unit_reports_to,
)

log = logging.getLogger(__name__)

_t = Transfer.__table__
_a = Account.__table__
_h = ChainHead.__table__
_b = Budget.__table__

_USE_BUDGET = (
    sa.update(_b)
    .where(
        _b.c.community_id == sa.bindparam("b_community"),
        _b.c.kind == sa.bindparam("b_kind"),
        _b.c.year == sa.bindparam("b_year"),
        _b.c.issued + sa.bindparam("delta") <= _b.c.amount,
    )
    .values(issued=_b.c.issued + sa.bindparam("delta"))
)


class InsufficientPoints(DomainError):
    status = 409
    code = "insufficient_points"


@dataclass
class Leg:
    """One transfer row to append (before it has an id, sequence number and hash)."""

    kind: str
    debit_account_id: int
    credit_account_id: int
    amount: int
    status: str
    reason: str
    idempotency_key: str
    proof: str | None = None
    ref_type: str | None = None
    ref_id: int | None = None
    pending_id: int | None = None
    reverses_id: int | None = None
    memo: str = ""
    evidence: str = ""
    requested_by_id: int | None = None
    verified_by_id: int | None = None
    approved_by_id: int | None = None
    # (kind, local year, delta) on the community pool's budget, if any.
    budget: tuple[str, int, int] | None = None


def _year(moment: datetime) -> int:
    return moment.astimezone(LOCAL_TZ).year


def _balance_changes(legs: list[Leg]) -> list[dict]:
    """Per account: the change of each cached total and how much must be available."""
    changes: dict[int, dict] = defaultdict(
        lambda: {"d_posted": 0, "d_pending_in": 0, "d_pending_out": 0, "need": 0}
    )
    for leg in legs:
        debit, credit, amount = changes[leg.debit_account_id], changes[leg.credit_account_id], leg.amount
        if leg.status == "pending":
            debit["d_pending_out"] += amount
            debit["need"] += amount
            credit["d_pending_in"] += amount
        elif leg.status == "posted":
            debit["d_posted"] -= amount
            debit["need"] += amount
            credit["d_posted"] += amount
        elif leg.status == "post":
            debit["d_posted"] -= amount
            debit["d_pending_out"] -= amount
            credit["d_posted"] += amount
            credit["d_pending_in"] -= amount
        else:  # void
            debit["d_pending_out"] -= amount
            credit["d_pending_in"] -= amount
    return [{"account_id": account_id, **changes[account_id]} for account_id in sorted(changes)]


def _cursor():
    """The driver cursor of the session's connection, inside its current transaction."""
    conn = session().connection()
    return conn.connection.cursor(), statements(conn.dialect.name)


def _lock_head(cur, sql: Statements, community_id: int, key: str | None = None) -> tuple:
    """Lock the community's chain head: (seq, head hash, has budget, {key: id} if the key exists)."""
    if key:
        query, params = sql.lock_head_one, {"community": community_id, "key": key}
    else:
        query, params = sql.lock_head, {"community": community_id}
    cur.execute(query, params)
    row = cur.fetchone()
    if row is None:
        cur.execute(sql.ensure_head, {"community": community_id, "genesis": GENESIS_HASH})
        cur.execute(query, params)
        row = cur.fetchone()
    seq, head_hash, has_budget, transfer_id, existing_key = row
    return seq, head_hash, bool(has_budget), {existing_key: transfer_id} if transfer_id is not None else {}


def _existing_keys(cur, sql: Statements, keys: list[str]) -> dict[str, int]:
    cur.execute(sql.existing_keys(len(keys)), sql.many("key", keys))
    return {key: transfer_id for transfer_id, key in cur.fetchall()}


def _replayed(legs: list[Leg], existing: dict[str, int]) -> dict[str, dict]:
    """The stored rows of legs whose key exists; each must describe the same movement."""
    stored = {r["idempotency_key"]: r for r in _fetch(list(existing.values()))}
    for leg in legs:
        row = stored.get(leg.idempotency_key)
        if row is not None and (
            row["debit_account_id"],
            row["credit_account_id"],
            row["amount"],
            row["status"],
        ) != (leg.debit_account_id, leg.credit_account_id, leg.amount, leg.status):
            raise Conflict("idempotency_conflict", "该幂等键已用于另一笔积分变动")
    return stored


def _fetch(ids: list[int]) -> list[dict]:
    rows = session().connection().execute(sa.select(_t).where(_t.c.id.in_(ids)).order_by(_t.c.id)).mappings()
    return [dict(r) for r in rows]


def _append(community_id: int, legs: list[Leg], *, now: datetime | None = None) -> list[dict]:
    """Append rows to a community's chain, moving cached balances; the one posting path.

    A row whose idempotency key exists already is not written again: the stored
    row is returned in its place (it must describe the same movement, else
    `idempotency_conflict`); resolving or reversing is never replayed but refused
    (`already_resolved`). Raises `insufficient_points`, `budget_exceeded`, and
    `ledger_conflict` when the database's own constraints refuse a row.
    """
    try:
        return _append_rows(community_id, legs, now=now)
    except (sqlite3.IntegrityError, psycopg.IntegrityError) as exc:
        # The checks above should make this unreachable; the constraints are the backstop.
        log.error("ledger constraint refused a posting in community %s: %s", community_id, exc)
        raise Conflict("ledger_conflict", "积分记录与已有记录冲突，未入账") from exc


def _append_rows(community_id: int, legs: list[Leg], *, now: datetime | None) -> list[dict]:
    now = now or utcnow()
    if now.tzinfo is None:
        # It would be stored as local time but hashed as UTC, and then fail verification.
        raise ValueError("the ledger needs an aware datetime")
    cur, sql = _cursor()
    keys = [leg.idempotency_key for leg in legs]
    single = len(legs) == 1
    seq, prev_hash, has_budget, existing = _lock_head(cur, sql, community_id, keys[0] if single else None)
    if not single:
        # Read after taking the lock, so rows committed while waiting for it are seen.
        existing = _existing_keys(cur, sql, keys)

    # Resolving or reversing is never replayed: a second attempt is refused.
    for column in ("pending_id", "reverses_id"):
        targets = [getattr(leg, column) for leg in legs if getattr(leg, column)]
        if targets:
            cur.execute(sql.resolved_any(column, len(targets)), sql.many("r", targets))
            if cur.fetchone() is not None:
                raise Conflict("already_resolved", "该笔积分已处理过")

    stored: dict[str, dict] = {}
    if existing:
        stored = _replayed(legs, existing)
        legs = [leg for leg in legs if leg.idempotency_key not in existing]
        if not legs:
            return [stored[k] for k in keys]

    changes = _balance_changes(legs)
    if single:
        # The key check rides along with the balance update: on PostgreSQL it sees a row
        # with this key committed while this posting waited for the head lock.
        cur.executemany(sql.move_balance_new_key, [{**change, "key": keys[0]} for change in changes])
        if cur.rowcount != len(changes):
            existing = _existing_keys(cur, sql, keys)
            if existing:
                return [_replayed(legs, existing)[keys[0]]]
            raise InsufficientPoints(message="可用积分不足")
    else:
        cur.executemany(sql.move_balance, changes)
        if cur.rowcount != len(changes):
            raise InsufficientPoints(message="可用积分不足")

    if has_budget:
        _use_budgets(community_id, legs)

    values = []
    for leg in legs:
        seq += 1
        row = {
            "community_id": community_id,
            "seq": seq,
            "kind": leg.kind,
            "debit_account_id": leg.debit_account_id,
            "credit_account_id": leg.credit_account_id,
            "amount": leg.amount,
            "status": leg.status,
            "reason": leg.reason,
            "proof": leg.proof,
            "ref_type": leg.ref_type,
            "ref_id": leg.ref_id,
            "pending_id": leg.pending_id,
            "reverses_id": leg.reverses_id,
            "memo": leg.memo,
            "evidence": leg.evidence,
            "requested_by_id": leg.requested_by_id,
            "verified_by_id": leg.verified_by_id,
            "approved_by_id": leg.approved_by_id,
            "idempotency_key": leg.idempotency_key,
            "created_at": now,
        }
        row["prev_hash"] = prev_hash
        row["hash"] = prev_hash = row_hash(row, row["prev_hash"])
        values.append(row)
    stamp = sql.timestamp(now)
    params = [{**row, "created_at": stamp} for row in values]
    if len(values) == 1:
        cur.execute(sql.insert_transfer_returning, params[0])
        values[0]["id"] = cur.fetchone()[0]
    elif sql.postgres:
        columns = {column: [row[column] for row in params] for column in TRANSFER_COLUMNS}
        cur.execute(sql.insert_transfers_arrays, columns)
        ids = dict((row_seq, new_id) for new_id, row_seq in cur.fetchall())
        for row in values:
            row["id"] = ids[row["seq"]]
    else:
        # SQLite runs one prepared statement per row fastest, then reads the ids back
        # by the community's sequence numbers.
        cur.executemany(sql.insert_transfer, params)
        cur.execute(sql.transfer_ids, {"community": community_id, "first": values[0]["seq"], "last": seq})
        ids = dict((row_seq, new_id) for new_id, row_seq in cur.fetchall())
        for row in values:
            row["id"] = ids[row["seq"]]
    cur.execute(sql.move_head, {"community": community_id, "seq": seq, "hash": prev_hash})

    if existing:
        by_key = {r["idempotency_key"]: r for r in values} | stored
        return [by_key[k] for k in keys]
    return values


def _use_budgets(community_id: int, legs: list[Leg]) -> None:
    conn = session().connection()
    totals: dict[tuple[str, int], int] = defaultdict(int)
    for leg in legs:
        if leg.budget is not None:
            kind, year, delta = leg.budget
            totals[(kind, year)] += delta
    for (kind, year), delta in sorted(totals.items()):
        if delta == 0:
            continue
        params = {"b_community": community_id, "b_kind": kind, "b_year": year, "delta": delta}
        if conn.execute(_USE_BUDGET, params).rowcount == 0 and delta > 0:
            budget = conn.execute(
                sa.select(_b.c.amount, _b.c.issued).where(
                    _b.c.community_id == community_id, _b.c.kind == kind, _b.c.year == year
                )
            ).first()
            if budget is not None:
                raise DomainError(
                    "budget_exceeded",
                    f"社区{year}年度{KIND_NAMES[kind]}发放预算不足（预算 {budget.amount}，已发放 {budget.issued}）",
                    409,
                )


# --- accounts ---------------------------------------------------------------------------


def account_ids(owners: list[tuple[str, int]], kind: str) -> dict[tuple[str, int], int]:
    """Ids of the accounts of these (owner_type, owner_id) in one kind, creating missing ones."""
    cur, sql = _cursor()
    wanted = sorted(set(owners))
    query = sql.accounts_two if len(wanted) == 2 else sql.accounts_many(len(wanted))
    params = {"kind": kind}
    for i, (owner_type, owner_id) in enumerate(wanted):
        params[f"t{i}"], params[f"i{i}"] = owner_type, owner_id
    cur.execute(query, params)
    found = {(owner_type, owner_id): account_id for account_id, owner_type, owner_id in cur.fetchall()}
    missing = [owner for owner in wanted if owner not in found]
    if missing:
        stamp = sql.timestamp(utcnow())
        cur.executemany(
            sql.insert_account,
            [
                {
                    "kind": kind,
                    "owner_type": owner_type,
                    "owner_id": owner_id,
                    # A pool issues points, so it goes below zero by what it issued.
                    "allow_negative": sql.flag(owner_type == "pool"),
                    "now": stamp,
                }
                for owner_type, owner_id in missing
            ],
        )
        cur.execute(query, params)
        found = {(owner_type, owner_id): account_id for account_id, owner_type, owner_id in cur.fetchall()}
    return found


TEXT_MAX = 500


def _check_text(**texts: str) -> None:
    """Memos, evidence and reasons fit their columns (500 characters), whoever calls."""
    too_long = {name: [f"最多 {TEXT_MAX} 个字符"] for name, text in texts.items() if len(text) > TEXT_MAX}
    if too_long:
        raise DomainError("text_too_long", f"文字最多 {TEXT_MAX} 个字符", 422, errors=too_long)


def _check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise DomainError("invalid_kind", "积分类型不存在", 422)


def _check_amount(amount: int) -> None:
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
        raise DomainError("invalid_amount", "积分数必须是正整数", 422)


def _check_community(community_id: int):
    community = get_node(community_id)
    if community.level != "community":
        raise DomainError("invalid_community", "积分只能由社区发放", 422)
    return community


def _recipient_in(community_id: int, recipient_type: str, recipient_id: int) -> None:
    """A manual award goes to someone of the community: a resident, a member who reported
    there, or a unit that reported there."""
    if recipient_type == "person":
        person = get_person(recipient_id)
        if not belongs_to_community(person, community_id):
            raise DomainError("recipient_not_in_community", "该人员不是本社区居民，也未向本社区报到", 422)
    elif recipient_type == "unit":
        get_unit(recipient_id)
        if not unit_reports_to(recipient_id, community_id):
            raise DomainError("recipient_not_in_community", "该单位未向本社区报到", 422)
    else:
        raise DomainError("invalid_recipient", "积分只能发给个人或单位", 422)


def _check_earner(recipient_type: str, recipient_id: int, kind: str) -> None:
    """红松分 go to party members who reported to a community, and to units; 兴安分 to people."""
    if recipient_type == "unit":
        if kind != "hongsong":
            raise DomainError("wrong_kind", "单位只能获得红松分", 422)
    elif recipient_type == "person":
        if kind == "hongsong" and not acts_as_party_member(get_person(recipient_id)):
            raise DomainError("wrong_kind", "红松分只发给已到社区报到的党员，请改发兴安分", 422)
    else:
        raise DomainError("invalid_recipient", "积分只能发给个人或单位", 422)


def _is_self(actor: Actor, owner: tuple[str, int]) -> bool:
    """The actor's own account, or that of a unit they administer."""
    kind, owner_id = owner
    return (kind == "person" and owner_id == actor.person_id) or (
        kind == "unit" and actor.administers_unit(owner_id)
    )


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
    if reason not in AWARD_REASONS:
        raise DomainError("invalid_reason", "不是奖励类型", 422)
    _check_kind(kind)
    _check_amount(amount)
    _check_text(memo=memo, evidence=evidence)
    _check_earner(recipient_type, recipient_id, kind)
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
        budget=(kind, _year(now), amount),
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
    actor.require("awards.request", get_node(community_id).path)
    _check_community(community_id)
    if not memo.strip():
        raise DomainError("reason_required", "手动发放积分必须写明理由", 422, errors={"memo": ["必填"]})
    if _is_self(actor, (recipient_type, recipient_id)):
        raise Forbidden("self_award", "不能给自己或自己管理的单位发放积分")
    _recipient_in(community_id, recipient_type, recipient_id)
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
    record(
        actor_id=actor.person_id,
        action="award.requested",
        target_type="transfer",
        target_id=row["id"],
        node_id=community_id,
        detail={"amount": amount, "kind": kind, recipient_type: recipient_id},
        now=now,
    )
    return row


def _get_transfer(transfer_id: int) -> dict:
    row = get_transfer(transfer_id)
    if row is None:
        raise NotFound("not_found", "未找到")  # the same answer as out of scope: ids are not probed
    return row


def _path_of(community_id: int, paths: dict[int, str]) -> str:
    if community_id not in paths:
        paths[community_id] = get_node(community_id).path
    return paths[community_id]


def approval_refusals(
    actor: Actor, rows: list[dict], *, now: datetime | None = None
) -> dict[int, DomainError]:
    """Why `actor` may not approve or reject each of these rows; a row absent may be decided.

    The one independence rule (SPEC §3), for single and bulk decisions and for the pages'
    buttons alike. A pending award or reversal is decided by someone with `awards.approve`
    over its community who is none of: a person or unit it pays or takes from
    (`self_approval`), its requester or verifier (`maker_checker`), and nobody tied to those
    people (`not_independent`: an appointment either way, or a staff change to either's
    account within INDEPENDENCE_DAYS, see `people.queries.ties_of`). Anything else than a
    pending award or reversal is `not_pending`; outside the actor's scope `not_found`.
    """
    if not rows:
        return {}
    now = now or utcnow()
    owners = account_owners({r["debit_account_id"] for r in rows} | {r["credit_account_id"] for r in rows})
    ties = ties_of(actor.person_id, since=independence_since(now))
    paths: dict[int, str] = {}
    refusals: dict[int, DomainError] = {}
    for row in rows:
        try:
            actor.require("awards.approve", _path_of(row["community_id"], paths))
            if row["status"] != "pending" or row["reason"] not in APPROVABLE_REASONS:
                raise Conflict("not_pending", "这笔积分不是待审批的奖励或冲正")
            parties = [owners[row[side]] for side in ("debit_account_id", "credit_account_id")]
            if any(_is_self(actor, party) for party in parties):
                raise Forbidden("self_approval", "不能审批发给自己或自己管理的单位的积分")
            makers = {row["requested_by_id"], row["verified_by_id"]} - {None}
            if actor.person_id in makers:
                raise Forbidden("maker_checker", "申请或核验这笔积分的人不能再审批它")
            people = makers | {owner_id for owner_type, owner_id in parties if owner_type == "person"}
            if people & ties:
                raise Forbidden(
                    "not_independent",
                    "审批人与申请人或受益人有关联（相互任命，或近期创建、修改、重置、解锁过对方账号），请由其他人审批",
                )
        except DomainError as exc:
            refusals[row["id"]] = exc
    return refusals


def _resolution(pending: dict, *, status: str, approver_id: int | None, memo: str = "") -> Leg:
    reversal = pending["reason"] == "reversal"
    if status == "void":
        # A voided award gives its amount back to the budget of the year it was asked in;
        # a voided reversal never touched the budget.
        budget = None if reversal else (pending["kind"], _year(pending["created_at"]), -pending["amount"])
    elif reversal:
        # A reversal gives the award back to the budget of the year the award was asked for.
        budget = (pending["kind"], _year(_award_asked(pending["ref_id"])["created_at"]), -pending["amount"])
    else:
        budget = None
    return Leg(
        kind=pending["kind"],
        debit_account_id=pending["debit_account_id"],
        credit_account_id=pending["credit_account_id"],
        amount=pending["amount"],
        status=status,
        reason=pending["reason"],
        proof=pending["proof"],
        ref_type=pending["ref_type"],
        ref_id=pending["ref_id"],
        pending_id=pending["id"],
        # The approved reversal is the row that undoes the award (at most once: unique key).
        reverses_id=pending["ref_id"] if reversal and status == "post" else None,
        # A posting says what it was for; a voiding says why it was refused.
        memo=memo or pending["memo"],
        requested_by_id=pending["requested_by_id"],
        verified_by_id=pending["verified_by_id"],
        approved_by_id=approver_id,
        idempotency_key=f"transfer:{pending['id']}:{status}",
        budget=budget,
    )


def _award_asked(transfer_id: int) -> dict:
    """The row an award was first asked with: the pending row when `transfer_id` approved one."""
    row = _get_transfer(transfer_id)
    return _get_transfer(row["pending_id"]) if row["pending_id"] else row


def _decidable(actor: Actor, transfer_id: int, now: datetime | None) -> dict:
    """The pending award or reversal `actor` may approve or reject (see `approval_refusals`)."""
    pending = _get_transfer(transfer_id)
    refusal = approval_refusals(actor, [pending], now=now).get(pending["id"])
    if refusal is not None:
        raise refusal
    return pending


def _decide(actor: Actor, pending: dict, leg: Leg, action: str, detail: dict, now: datetime | None) -> dict:
    row = _append(pending["community_id"], [leg], now=now)[0]
    record(
        actor_id=actor.person_id,
        action=action,
        target_type="transfer",
        target_id=pending["id"],
        node_id=pending["community_id"],
        detail=detail,
        now=now,
    )
    return row


def approve_award(*, actor: Actor, transfer_id: int, now: datetime | None = None) -> dict:
    """Post a pending award. Raises `not_found`, `forbidden`, `not_pending`, `already_resolved`,
    `self_approval`, `maker_checker`."""
    pending = _decidable(actor, transfer_id, now)
    leg = _resolution(pending, status="post", approver_id=actor.person_id)
    action = "transfer.reversed" if pending["reason"] == "reversal" else "award.approved"
    return _decide(actor, pending, leg, action, {"amount": pending["amount"]}, now)


def reject_award(*, actor: Actor, transfer_id: int, reason: str, now: datetime | None = None) -> dict:
    """Void a pending award with a reason. Same refusals as `approve_award`, plus `reason_required`."""
    if not reason.strip():
        raise DomainError("reason_required", "驳回时请写明原因", 422, errors={"reason": ["必填"]})
    _check_text(reason=reason)
    pending = _decidable(actor, transfer_id, now)
    leg = _resolution(pending, status="void", approver_id=actor.person_id, memo=reason.strip())
    action = "transfer.reversal_rejected" if pending["reason"] == "reversal" else "award.rejected"
    return _decide(actor, pending, leg, action, {"reason": reason.strip()}, now)


def withdraw_award(
    *, actor_id: int | None, transfer_id: int, reason: str, now: datetime | None = None
) -> dict | None:
    """Void an award that is still pending because its cause went away (a cancelled task).

    No approval is needed to give points up, so maker–checker does not apply; an award
    already approved or rejected is left as it is (None). Raises `not_pending`.
    """
    _check_text(reason=reason)
    pending = _get_transfer(transfer_id)
    if pending["status"] != "pending" or pending["reason"] not in AWARD_REASONS:
        raise Conflict("not_pending", "这笔积分不是待审批的奖励")
    if resolution_of(transfer_id) is not None:
        return None
    leg = _resolution(pending, status="void", approver_id=actor_id, memo=reason.strip())
    row = _append(pending["community_id"], [leg], now=now)[0]
    record(
        actor_id=actor_id,
        action="award.withdrawn",
        target_type="transfer",
        target_id=transfer_id,
        node_id=pending["community_id"],
        detail={"reason": reason.strip()},
        now=now,
    )
    return row


def bulk_approve(*, actor: Actor, transfer_ids: list[int], now: datetime | None = None) -> list[dict]:
    """Approve many pending awards in one transaction: all of them, or none with the reason
    for each refusal (`bulk_refused`, with `errors` keyed by transfer id).

    Rows are posted in batches per community, so 500 approvals cost a few statements."""
    now = now or utcnow()
    ids = list(dict.fromkeys(transfer_ids))
    conn = session().connection()
    pendings = {r["id"]: dict(r) for r in conn.execute(sa.select(_t).where(_t.c.id.in_(ids))).mappings()}
    refused = approval_refusals(actor, list(pendings.values()), now=now)
    refusals: dict[str, list[str]] = {}
    for transfer_id in ids:
        if transfer_id not in pendings:
            # The same answer as out of scope: ids are not probed.
            refused[transfer_id] = NotFound("not_found", "未找到")
        if transfer_id in refused:
            exc = refused[transfer_id]
            refusals[str(transfer_id)] = [f"{exc.code}: {exc.message}"]
    if refusals:
        raise DomainError("bulk_refused", "部分积分不能审批，整批未执行", 409, errors=refusals)
    by_community: dict[int, list[Leg]] = defaultdict(list)
    for transfer_id in ids:
        pending = pendings[transfer_id]
        by_community[pending["community_id"]].append(
            _resolution(pending, status="post", approver_id=actor.person_id)
        )
    # Every chain head first, in id order, so two bulk approvals over shared communities
    # queue rather than deadlock, and no single posting can hold an account we need next.
    cur, sql = _cursor()
    for community_id in sorted(by_community):
        _lock_head(cur, sql, community_id)
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
    return rows


def reverse_transfer(*, actor: Actor, transfer_id: int, reason: str, now: datetime | None = None) -> dict:
    """Ask for a correction of a posted award: a pending reversal that reserves the points
    where the award put them, until someone independent approves it (the reversal posts) or
    rejects it (the reservation is released). The original stays as it is.

    Accepts the posted row, or a pending award that was posted. Needs `awards.request` over
    its community. Asking again while a request waits returns that request. Raises
    `reason_required`, `not_posted`, `not_reversible`, `already_resolved` (reversed before),
    `insufficient_points` (the points were spent).
    """
    if not reason.strip():
        raise DomainError("reason_required", "冲正时请写明原因", 422, errors={"reason": ["必填"]})
    _check_text(reason=reason)
    target = _get_transfer(transfer_id)
    actor.require("awards.request", get_node(target["community_id"]).path)
    if target["status"] == "pending":
        post = resolution_of(target["id"])
        if post is None or post["status"] != "post":
            raise Conflict("not_posted", "这笔积分尚未入账，无法冲正")
        target = post
    elif target["status"] not in ("posted", "post"):
        raise Conflict("not_posted", "这笔积分尚未入账，无法冲正")
    if target["reason"] not in AWARD_REASONS:
        # Spending is undone by a refund (which also restores stock), never by a reversal.
        raise Conflict("not_reversible", "只有奖励可以冲正；兑换请走退还流程")
    if reversal_of(target["id"]) is not None:
        raise Conflict("already_resolved", "这笔积分已冲正过")
    asked, rejected = reversal_requests(target["id"])
    if asked > rejected:
        raise Conflict("reversal_pending", "这笔积分已有待审批的冲正申请")
    leg = Leg(
        kind=target["kind"],
        debit_account_id=target["credit_account_id"],
        credit_account_id=target["debit_account_id"],
        amount=target["amount"],
        status="pending",
        reason="reversal",
        ref_type="transfer",
        ref_id=target["id"],
        memo=reason.strip(),
        requested_by_id=actor.person_id,
        # Two requests racing past the check above meet on this key: the second gets the
        # first's row back. After a rejection the next request counts on.
        idempotency_key=f"transfer:{target['id']}:reversal-request:{rejected}",
    )
    row = _append(target["community_id"], [leg], now=now)[0]
    record(
        actor_id=actor.person_id,
        action="transfer.reversal_requested",
        target_type="transfer",
        target_id=target["id"],
        node_id=target["community_id"],
        detail={"reason": reason.strip(), "amount": target["amount"], "request_id": row["id"]},
        now=now,
    )
    return row


# --- spending -------------------------------------------------------------------------


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
    _check_text(memo=memo)
    _check_kind(kind)
    _check_amount(amount)
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
    leg = _undoing(target, reason="refund", memo=memo, actor_id=actor_id)
    return _append(target["community_id"], [leg], now=now)[0]


def _undoing(target: dict, *, reason: str, memo: str, actor_id: int | None) -> Leg:
    """The mirror image of a posted movement (a reversal or a refund), undone at most once."""
    return Leg(
        kind=target["kind"],
        debit_account_id=target["credit_account_id"],
        credit_account_id=target["debit_account_id"],
        amount=target["amount"],
        status="posted",
        reason=reason,
        ref_type=target["ref_type"],
        ref_id=target["ref_id"],
        reverses_id=target["id"],
        memo=memo,
        requested_by_id=actor_id,
        idempotency_key=f"transfer:{target['id']}:{reason}",
    )


# --- budgets --------------------------------------------------------------------------


def set_budget(*, actor: Actor | None, community_id: int, kind: str, year: int, amount: int) -> Budget:
    """Set a community pool's annual issuing budget; what was already issued that year counts.

    Raises `budget_below_issued` when the pool already issued more than the new amount.
    """
    community = _check_community(community_id)
    if actor is not None:
        actor.require("org.manage", community.path)
    _check_kind(kind)
    if amount < 0:
        raise DomainError("invalid_amount", "预算不能为负数", 422)
    # The chain head lock orders this against concurrent awards of the community, which
    # read the head's budget flag once they hold the lock.
    cur, sql = _cursor()
    _lock_head(cur, sql, community_id)
    session().connection().execute(
        sa.update(_h).where(_h.c.community_id == community_id).values(has_budget=True)
    )
    issued = issued_in_year(community_id, kind, year)
    if issued > amount:
        raise DomainError("budget_below_issued", f"该年度已发放 {issued}，预算不能低于此数", 409)
    sess = session()
    budget = sess.get(Budget, (community_id, kind, year))
    if budget is None:
        budget = Budget(community_id=community_id, kind=kind, year=year, amount=amount, issued=issued)
        sess.add(budget)
    else:
        budget.amount, budget.issued = amount, issued
    sess.flush()
    record(
        actor_id=actor.person_id if actor else None,
        action="budget.set",
        target_type="budget",
        target_id=None,
        node_id=community_id,
        detail={"kind": kind, "year": year, "amount": amount},
    )
    return budget


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
    _check_text(reason=reason)
    target = _get_transfer(transfer_id)
    if target["reason"] != "redemption" or target["status"] != "posted":
        raise Conflict("not_refundable", "只有已完成的兑换可以退还")
    if reversal_of(target["id"]) is not None:
        raise Conflict("already_resolved", "这笔兑换已退还过")
    leg = Leg(
        kind=target["kind"],
        debit_account_id=target["credit_account_id"],
        credit_account_id=target["debit_account_id"],
        amount=target["amount"],
        status="pending",
        reason="refund",
        ref_type="transfer",
        ref_id=target["id"],
        memo=reason.strip(),
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
    _check_text(reason=reason)
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
    _check_kind(kind)
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
    _check_text(memo=memo)
    _check_amount(amount)
    debit, credit = accounts
    leg = Leg(
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
    return _append(community_id, [leg], now=now)[0]
