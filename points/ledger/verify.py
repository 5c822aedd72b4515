"""Verifying the ledger: the hash chains, the cached balances and the zero sums.

Whoever controls the database could recompute a whole chain, so `verify`
prints each community's head hash for supervisors to note down elsewhere;
a later head that does not continue from a noted one shows a rewrite.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

import sqlalchemy as sa

from points.db import session
from points.ledger.chain import HASHED_FIELDS, values_hash
from points.ledger.models import GENESIS_HASH, Account, Budget, ChainHead, Transfer, Verification
from points.ledger.queries import issued_in_year, latest_verification
from points.metrics import VERIFY_AT, VERIFY_OK

_t = Transfer.__table__
_a = Account.__table__
_h = ChainHead.__table__
_b = Budget.__table__


@dataclass
class VerifyResult:
    ok: bool = True
    transfers: int = 0
    accounts: int = 0
    communities: int = 0
    heads: dict[int, dict] = field(default_factory=dict)
    problem: str = ""
    bad_transfer_id: int | None = None

    def fail(self, problem: str, transfer_id: int | None = None) -> VerifyResult:
        self.ok, self.problem, self.bad_transfer_id = False, problem, transfer_id
        return self


def count_transfers() -> int:
    return session().connection().execute(sa.select(sa.func.count()).select_from(_t)).scalar_one()


_I_COMMUNITY, _I_SEQ = HASHED_FIELDS.index("community_id"), HASHED_FIELDS.index("seq")
_I_DEBIT, _I_CREDIT = HASHED_FIELDS.index("debit_account_id"), HASHED_FIELDS.index("credit_account_id")
_I_AMOUNT, _I_STATUS = HASHED_FIELDS.index("amount"), HASHED_FIELDS.index("status")


class _ChainWalk:
    """Walks every transfer in (community, seq) order: each community's chain from the genesis
    hash to its head, and the balances the rows add up to."""

    def __init__(self, heads: dict[int, tuple[int, str]]):
        self.heads = heads
        self.community: int | None = None
        self.expected_seq, self.prev = 1, GENESIS_HASH
        self.chained: set[int] = set()
        # Per account: posted, pending in, pending out.
        self.totals: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0])

    def step(self, row) -> tuple[str, int | None] | None:
        """Check one row and count it; the problem with it (and its id) if there is one."""
        transfer_id, stored_prev, stored_hash, values = row[0], row[1], row[2], row[3:]
        if values[_I_COMMUNITY] != self.community:
            if problem := self.finish():
                return problem, None
            self.community, self.expected_seq, self.prev = values[_I_COMMUNITY], 1, GENESIS_HASH
            self.chained.add(self.community)
        if problem := self._link_problem(transfer_id, values[_I_SEQ], stored_prev):
            return problem, transfer_id
        if values_hash(values, self.prev) != stored_hash:
            return (
                f"transfer {transfer_id} (community {self.community}, seq {values[_I_SEQ]}) was changed: "
                "its content does not match its hash",
                transfer_id,
            )
        self.prev, self.expected_seq = stored_hash, values[_I_SEQ] + 1
        self._tally(values)
        return None

    def _link_problem(self, transfer_id: int, seq: int, stored_prev: str) -> str:
        if seq != self.expected_seq:
            what = "missing before it" if seq > self.expected_seq else "out of order"
            return (
                f"transfer {transfer_id} (community {self.community}) has sequence {seq}, expected "
                f"{self.expected_seq}: rows are {what}"
            )
        if stored_prev != self.prev:
            return (
                f"transfer {transfer_id} (community {self.community}, seq {seq}) does not continue the "
                "chain: its previous hash differs from the hash of the row before it"
            )
        return ""

    def _tally(self, values) -> None:
        debit, credit = self.totals[values[_I_DEBIT]], self.totals[values[_I_CREDIT]]
        amount, status = values[_I_AMOUNT], values[_I_STATUS]
        if status == "pending":
            debit[2] += amount
            credit[1] += amount
        elif status == "posted":
            debit[0] -= amount
            credit[0] += amount
        else:
            debit[2] -= amount
            credit[1] -= amount
            if status == "post":
                debit[0] -= amount
                credit[0] += amount

    def finish(self) -> str:
        """The problem with the chain walked last, if its head does not match its last row."""
        if self.community is None:
            return ""
        return _head_mismatch(self.heads, self.community, self.expected_seq - 1, self.prev)


def verify_ledger(*, progress: Callable[[int], None] | None = None, batch: int = 5000) -> VerifyResult:
    """Recompute every chain and balance; stop at the first bad row and say why."""
    result = VerifyResult()
    conn = session().connection()
    heads = {r.community_id: (r.seq, r.head_hash) for r in conn.execute(sa.select(_h))}
    columns = [_t.c[name] for name in HASHED_FIELDS]
    rows = conn.execute(
        sa.select(_t.c.id, _t.c.prev_hash, _t.c.hash, *columns).order_by(_t.c.community_id, _t.c.seq),
        execution_options={"stream_results": True, "yield_per": batch},
    )
    walk = _ChainWalk(heads)
    seen = 0
    for row in rows:
        problem = walk.step(row)
        result.communities = len(walk.chained)
        if problem is not None:
            return result.fail(*problem)
        seen += 1
        if progress is not None and seen % batch == 0:
            progress(batch)
    if progress is not None:
        progress(seen % batch)
    if problem := walk.finish():
        return result.fail(problem)
    result.transfers = seen
    if problem := _links_mismatch(conn):
        return result.fail(*problem)
    for community_id, (seq, head_hash) in sorted(heads.items()):
        result.heads[community_id] = {"seq": seq, "hash": head_hash}
    for community_id, (seq, _) in heads.items():
        if seq > 0 and community_id not in walk.chained:
            return result.fail(f"community {community_id}'s chain head is at {seq} but it has no transfers")
    return _check_balances(conn, result, walk.totals)


def _links_mismatch(conn: sa.Connection) -> tuple[str, int] | None:
    """Each resolution points at a pending transfer of its own community with the same accounts,
    kind and amount; each reversal or refund mirrors the posted row it undoes."""
    origin = _t.alias("origin")
    same = sa.and_(origin.c.amount == _t.c.amount, origin.c.kind == _t.c.kind)
    bad_resolution = conn.execute(
        sa.select(_t.c.id, _t.c.pending_id)
        .join(origin, origin.c.id == _t.c.pending_id)
        .where(
            sa.not_(
                sa.and_(
                    same,
                    origin.c.status == "pending",
                    origin.c.community_id == _t.c.community_id,
                    origin.c.debit_account_id == _t.c.debit_account_id,
                    origin.c.credit_account_id == _t.c.credit_account_id,
                )
            )
        )
        .order_by(_t.c.id)
        .limit(1)
    ).first()
    if bad_resolution is not None:
        return (
            f"transfer {bad_resolution.id} resolves transfer {bad_resolution.pending_id}, which is not a pending "
            "transfer of the same community, accounts, kind and amount",
            bad_resolution.id,
        )
    bad_reversal = conn.execute(
        sa.select(_t.c.id, _t.c.reverses_id)
        .join(origin, origin.c.id == _t.c.reverses_id)
        .where(
            sa.not_(
                sa.and_(
                    same,
                    origin.c.status.in_(("posted", "post")),
                    origin.c.debit_account_id == _t.c.credit_account_id,
                    origin.c.credit_account_id == _t.c.debit_account_id,
                )
            )
        )
        .order_by(_t.c.id)
        .limit(1)
    ).first()
    if bad_reversal is not None:
        return (
            f"transfer {bad_reversal.id} undoes transfer {bad_reversal.reverses_id} but does not mirror it",
            bad_reversal.id,
        )
    return None


def _head_mismatch(heads: dict, community: int, last_seq: int, last_hash: str) -> str:
    head = heads.get(community)
    if head is None:
        return f"community {community} has transfers but no chain head"
    if head != (last_seq, last_hash):
        return (
            f"community {community}'s chain head says seq {head[0]} but the last row is seq {last_seq} "
            "with another hash: rows at the end were removed or the head was changed"
        )
    return ""


def _check_balances(conn: sa.Connection, result: VerifyResult, totals: dict) -> VerifyResult:
    sums: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for account in conn.execute(sa.select(_a).order_by(_a.c.id)):
        result.accounts += 1
        computed = totals.get(account.id, [0, 0, 0])
        cached = [account.posted, account.pending_in, account.pending_out]
        if computed != cached:
            return result.fail(
                f"account {account.id} ({account.owner_type} {account.owner_id}, {account.kind}) caches "
                f"posted/pending in/pending out {cached} but its transfers give {computed}"
            )
        if not account.allow_negative and account.posted - account.pending_out < 0:
            return result.fail(f"account {account.id} is overdrawn")
        for i in range(3):
            sums[account.kind][i] += cached[i]
    for kind, (posted, pending_in, pending_out) in sorted(sums.items()):
        if posted != 0:
            return result.fail(f"posted balances of {kind} sum to {posted}, not zero")
        if pending_in != pending_out:
            return result.fail(f"pending {kind} in ({pending_in}) and out ({pending_out}) differ")
    for budget in conn.execute(sa.select(_b)):
        issued = issued_in_year(budget.community_id, budget.kind, budget.year)
        if issued != budget.issued or issued > budget.amount:
            return result.fail(
                f"community {budget.community_id}'s {budget.year} {budget.kind} budget records {budget.issued} "
                f"issued of {budget.amount}, but its transfers give {issued}"
            )
    return result


def record_verification(result: VerifyResult) -> Verification:
    row = Verification(
        ok=result.ok,
        transfers=result.transfers,
        accounts=result.accounts,
        communities=result.communities,
        heads={str(k): v for k, v in result.heads.items()},
        problem=result.problem,
    )
    session().add(row)
    session().flush()
    return row


def export_verification() -> None:
    """The last verification's result and time, as the metrics gauges (alert on its age)."""
    row = latest_verification()
    if row is not None:
        VERIFY_OK.set(1 if row.ok else 0)
        VERIFY_AT.set(row.at.timestamp())
