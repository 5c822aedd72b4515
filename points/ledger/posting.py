"""The posting path's parts: the rows to append (`Leg`), the chain head lock, idempotency keys,
balance changes, budgets and accounts. Only `points.ledger.operations` uses them, through its
one posting function (`_append`); see that module's docstring for the order of the steps.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session

from points.db import LOCAL_TZ, get_db, session, utcnow
from points.errors import Conflict, DomainError
from points.ledger.models import GENESIS_HASH, Budget, Kind, Transfer
from points.ledger.queries import get_transfer
from points.ledger.statements import Statements, statements

# What a replayed key's stored row must share with the leg asking again.
_SAME_MOVEMENT = ("debit_account_id", "credit_account_id", "amount", "status")
_t = Transfer.__table__
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


@dataclass(frozen=True)
class TransferTarget:
    """A transfer as the audit log names it (the ledger reads its rows as mappings)."""

    __audit_type__ = "transfer"

    id: int
    community_id: int


@dataclass(frozen=True)
class BudgetTarget:
    """A community's budget as the audit log names it: by its community, without an id."""

    __audit_type__ = "budget"

    community_id: int
    id: None = None


def local_year(moment: datetime) -> int:
    return moment.astimezone(LOCAL_TZ).year


def balance_changes(legs: list[Leg]) -> list[dict]:
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


def call_params(leg: Leg) -> dict:
    """A single posting's balance changes (one array per column) and budget, as the server-side
    posting functions take them (PostgreSQL)."""
    changes = balance_changes([leg])
    budget_kind, budget_year, budget_delta = leg.budget or (None, None, None)
    return {
        **{name: [change[name] for change in changes] for name in changes[0]},
        "budget_kind": budget_kind,
        "budget_year": budget_year,
        "budget_delta": budget_delta,
    }


def cursor():
    """The driver cursor of the session's connection, inside its current transaction."""
    conn = session().connection()
    return conn.connection.cursor(), statements(conn.dialect.name)


def lock_head(cur, sql: Statements, community_id: int, key: str | None = None) -> tuple:
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


# Rows per multi-row statement on SQLite (at most 32,766 parameters a statement; a transfer
# row has 22).
SQLITE_ROWS = 1000

# The chain head (seq, hash) each PostgreSQL community had when this process last held its
# lock: a single posting hashes its row for it (see `operations._post_one`). Only a guess: a
# wrong one costs a second call, never a wrong row.
_HEADS: dict[tuple[str, int], tuple[int, str]] = {}


def known_head(cur, community_id: int) -> tuple[int | None, str | None]:
    return _HEADS.get((cur.connection.info.dbname, community_id), (None, None))


def remember_head(cur, community_id: int, seq: int, head_hash: str) -> None:
    _HEADS[(cur.connection.info.dbname, community_id)] = (seq, head_hash)


def move_balances(cur, sql: Statements, changes: list[dict], *, community_id: int, key: str | None) -> int:
    """Apply the balance changes to the cached totals, each account only where it keeps enough
    available (and, with `key`, only while no row holds that idempotency key); how many accounts
    moved. PostgreSQL in one statement; SQLite, in process, one prepared statement run per
    account, which there beats one statement joining VALUES rows (no per-batch parse, no
    materialised join) by about three times for a batch of thousands."""
    if sql.postgres:
        params = {name: [change[name] for change in changes] for name in changes[0]}
        cur.execute(sql.move_balances, params)
        return cur.rowcount
    if key:
        rows = [{**change, "key": key, "community": community_id} for change in changes]
        cur.executemany(sql.move_balance_new_key, rows)
        return cur.rowcount
    cur.executemany(sql.move_balance, changes)
    return cur.rowcount


def existing_keys(cur, sql: Statements, community_id: int, keys: list[str]) -> dict[str, int]:
    cur.execute(sql.existing_keys(len(keys)), {**sql.many("key", keys), "community": community_id})
    return {key: transfer_id for transfer_id, key in cur.fetchall()}


def replayed(legs: list[Leg], existing: dict[str, int]) -> dict[str, dict]:
    """The stored rows of legs whose key exists; each must describe the same movement."""
    stored = {r["idempotency_key"]: r for r in fetch(list(existing.values()))}
    for leg in legs:
        row = stored.get(leg.idempotency_key)
        if row is not None and tuple(row[c] for c in _SAME_MOVEMENT) != tuple(
            getattr(leg, c) for c in _SAME_MOVEMENT
        ):
            raise Conflict("idempotency_conflict", "该幂等键已用于另一笔积分变动")
    return stored


def fetch(ids: list[int]) -> list[dict]:
    rows = session().connection().execute(sa.select(_t).where(_t.c.id.in_(ids)).order_by(_t.c.id)).mappings()
    return [dict(r) for r in rows]


def use_budgets(community_id: int, legs: list[Leg]) -> None:
    """Count the legs' awards against the community pool's yearly budgets (the chain head lock
    is held); refuse with `budget_exceeded` when one would pass its budget."""
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
                    "社区%(year)s年度%(kind)s发放预算不足（预算 %(amount)s，已发放 %(issued)s）",
                    409,
                    values={
                        "year": year,
                        "kind": Kind(kind).title,
                        "amount": budget.amount,
                        "issued": budget.issued,
                    },
                )


def mirror_leg(
    target: dict, *, reason: str, memo: str, requested_by_id: int, idempotency_key: str | None
) -> Leg:
    """A pending request to move `target`'s amount back the other way (a reversal, a refund),
    pointing at it; a second person posts or voids it."""
    return Leg(
        kind=target["kind"],
        debit_account_id=target["credit_account_id"],
        credit_account_id=target["debit_account_id"],
        amount=target["amount"],
        status="pending",
        reason=reason,
        ref_type="transfer",
        ref_id=target["id"],
        memo=memo.strip(),
        requested_by_id=requested_by_id,
        idempotency_key=idempotency_key,
    )


def resolution_leg(pending: dict, *, status: str, approver_id: int | None, memo: str = "") -> Leg:
    """The row that posts (`post`) or voids (`void`) a pending award or reversal request, with
    what it gives back to the budget."""
    reversal = pending["reason"] == "reversal"
    if status == "void":
        # A voided award gives its amount back to the budget of the year it was asked in;
        # a voided reversal never touched the budget.
        budget = (
            None if reversal else (pending["kind"], local_year(pending["created_at"]), -pending["amount"])
        )
    elif reversal:
        # A reversal gives the award back to the budget of the year the award was asked for.
        asked = local_year(award_asked(pending["ref_id"])["created_at"])
        budget = (pending["kind"], asked, -pending["amount"])
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


def award_asked(transfer_id: int) -> dict:
    """The row an award was first asked with: the pending row when `transfer_id` approved one."""
    row = get_transfer(transfer_id)
    return get_transfer(row["pending_id"]) if row["pending_id"] else row


# Account ids known to be committed, per database: an account never changes owner or kind and
# is never deleted, so once committed its id can be used without asking again. Ids seen in a
# transaction join this only when it commits (a rolled-back account may have its id reused).
_COMMITTED: dict[tuple[str, str, str, int], int] = {}
_SEEN = "points.ledger.accounts_seen"


@event.listens_for(Session, "after_commit")
def _remember_accounts(sess: Session) -> None:
    seen = sess.info.pop(_SEEN, None)
    if seen:
        _COMMITTED.update(seen)


@event.listens_for(Session, "after_rollback")
def _forget_accounts(sess: Session) -> None:
    sess.info.pop(_SEEN, None)


def account_ids(owners: list[tuple[str, int]], kind: str) -> dict[tuple[str, int], int]:
    """Ids of the accounts of these (owner_type, owner_id) in one kind, creating missing ones.

    Committed ids come from memory (no round trip on the posting path); the rest are read, or
    made, and remembered once their transaction commits. Sessions pinned to one connection (the
    tests' rolled-back transactions) always read."""
    wanted = sorted(set(owners))
    database = get_db()
    remember = not isinstance(database.bind, sa.Connection)
    found = {}
    if remember:
        sess, database = session(), str(database.engine.url)
        found = {o: _COMMITTED[(database, kind, *o)] for o in wanted if (database, kind, *o) in _COMMITTED}
        if len(found) == len(wanted):
            return found
    found.update(_read_or_make(wanted, kind))
    if remember:
        sess.info.setdefault(_SEEN, {}).update({(database, kind, *o): i for o, i in found.items()})
    return found


# Owners per look-up: SQLite allows 32,766 parameters a statement.
ACCOUNT_BATCH = 5000


def _read_or_make(wanted: list[tuple[str, int]], kind: str) -> dict[tuple[str, int], int]:
    found = {}
    for start in range(0, len(wanted), ACCOUNT_BATCH):
        found.update(_read_or_make_batch(wanted[start : start + ACCOUNT_BATCH], kind))
    return found


def _read_or_make_batch(wanted: list[tuple[str, int]], kind: str) -> dict[tuple[str, int], int]:
    cur, sql = cursor()
    query = sql.accounts_two if len(wanted) == 2 else sql.accounts_many(len(wanted))
    params = sql.owners(kind, wanted)
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
