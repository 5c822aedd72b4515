"""Verifying the ledger: the hash chains, the cached balances and the zero sums.

Whoever controls the database could recompute a whole chain, so `verify`
prints each community's head hash for supervisors to note down elsewhere;
a later head that does not continue from a noted one shows a rewrite.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

import sqlalchemy as sa

from points.db import session
from points.ledger.chain import HASHED_FIELDS, values_hash
from points.ledger.derived import month_totals_mismatch, open_requests_mismatch
from points.ledger.models import GENESIS_HASH, Account, Budget, ChainHead, Transfer, Verification
from points.ledger.queries import issued_in_year, last_good_verification, latest_verification
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
    mode: str = "full"
    seconds: float = 0.0

    @property
    def rows_per_second(self) -> int:
        return round(self.transfers / self.seconds) if self.seconds else 0

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
    started = time.perf_counter()
    result = _verify_all(progress, batch)
    result.seconds = time.perf_counter() - started
    return result


def _verify_all(progress: Callable[[int], None] | None, batch: int) -> VerifyResult:
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
    if problem := _links_mismatch(conn) or open_requests_mismatch(conn) or month_totals_mismatch(conn):
        return result.fail(*problem)
    for community_id, (seq, head_hash) in sorted(heads.items()):
        result.heads[community_id] = {"seq": seq, "hash": head_hash}
    for community_id, (seq, _) in heads.items():
        if seq > 0 and community_id not in walk.chained:
            return result.fail(f"community {community_id}'s chain head is at {seq} but it has no transfers")
    return _check_balances(conn, result, walk.totals)


# --- incremental: the rows appended since the last good verification ----------------------


def verify_appended(*, batch: int = 5000) -> VerifyResult:
    """Verify what was appended since the heads the last good verification recorded: each
    chain continues from its verified head to its current one, the new rows' hashes and links,
    the cached totals of every account they touched (recomputed from all that account's rows),
    the zero sums and the budgets. Rows before those heads are left to the full run; without a
    good verification to start from, this is the full run."""
    previous = last_good_verification()
    if previous is None:
        return verify_ledger(batch=batch)
    started = time.perf_counter()
    verified = {int(k): (v["seq"], v["hash"]) for k, v in previous.heads.items()}
    result = _verify_appended(verified, batch)
    result.mode, result.seconds = "incremental", time.perf_counter() - started
    return result


def _verify_appended(verified: dict[int, tuple[int, str]], batch: int) -> VerifyResult:
    result = VerifyResult()
    conn = session().connection()
    heads = {r.community_id: (r.seq, r.head_hash) for r in conn.execute(sa.select(_h))}
    if gone := sorted(set(verified) - set(heads)):
        return result.fail(f"community {gone[0]}'s chain head, verified before, is gone")
    touched: set[int] = set()
    first_new_id = None
    for community_id, head in sorted(heads.items()):
        start = verified.get(community_id, (0, GENESIS_HASH))
        walk, problem = _walk_from(conn, heads, community_id, start, batch)
        if problem is not None:
            return result.fail(*problem)
        result.transfers += walk.seen
        touched |= set(walk.totals)
        if walk.first_id is not None:
            first_new_id = min(first_new_id or walk.first_id, walk.first_id)
        result.heads[community_id] = {"seq": head[0], "hash": head[1]}
    result.communities = len(heads)
    if first_new_id is not None and (problem := _links_mismatch(conn, first_new_id)):
        return result.fail(*problem)
    if problem := open_requests_mismatch(conn, first_new_id):
        return result.fail(*problem)
    return _check_touched(conn, result, touched)


class _AppendedWalk(_ChainWalk):
    """A walk that starts at a verified head instead of the genesis row."""

    def __init__(self, heads: dict, community_id: int, start: tuple[int, str]):
        super().__init__(heads)
        self.community, self.expected_seq, self.prev = community_id, start[0] + 1, start[1]
        self.seen, self.first_id = 0, None


def _walk_from(conn, heads: dict, community_id: int, start: tuple[int, str], batch: int):
    """Walk one community's rows after its verified head `start` (seq, hash) to its head now."""
    walk = _AppendedWalk(heads, community_id, start)
    if heads[community_id][0] < start[0]:
        return walk, (f"community {community_id}'s chain head went back from seq {start[0]}", None)
    columns = [_t.c[name] for name in HASHED_FIELDS]
    rows = conn.execute(
        sa.select(_t.c.id, _t.c.prev_hash, _t.c.hash, *columns)
        .where(_t.c.community_id == community_id, _t.c.seq > start[0])
        .order_by(_t.c.seq),
        execution_options={"stream_results": True, "yield_per": batch},
    )
    for row in rows:
        if (problem := walk.step(row)) is not None:
            return walk, problem
        walk.seen += 1
        walk.first_id = row[0] if walk.first_id is None else min(walk.first_id, row[0])
    if problem := walk.finish():
        return walk, (problem, None)
    return walk, None


def _touched_totals(conn, account_ids: list[int]) -> dict[int, list[int]]:
    """Posted, pending in and pending out of these accounts, summed from all their rows."""
    effective = _t.c.status.in_(("posted", "post"))
    resolved = _t.c.status.in_(("post", "void"))
    moved = sa.case((effective, _t.c.amount), else_=0)
    reserved = sa.case((_t.c.status == "pending", _t.c.amount), (resolved, -_t.c.amount), else_=0)
    zero = sa.literal(0, sa.BigInteger)
    debits = sa.select(
        _t.c.debit_account_id.label("account"), (-moved).label("p"), zero.label("i"), reserved.label("o")
    )
    credits = sa.select(
        _t.c.credit_account_id.label("account"), moved.label("p"), reserved.label("i"), zero.label("o")
    )
    sides = sa.union_all(
        debits.where(_t.c.debit_account_id.in_(account_ids)),
        credits.where(_t.c.credit_account_id.in_(account_ids)),
    ).subquery()
    rows = conn.execute(
        sa.select(
            sides.c.account, sa.func.sum(sides.c.p), sa.func.sum(sides.c.i), sa.func.sum(sides.c.o)
        ).group_by(sides.c.account)
    )
    return {account: [int(p), int(i), int(o)] for account, p, i, o in rows}


def _check_touched(conn, result: VerifyResult, touched: set[int]) -> VerifyResult:
    ordered = sorted(touched)
    for start in range(0, len(ordered), 500):
        chunk = ordered[start : start + 500]
        totals = _touched_totals(conn, chunk)
        for account in conn.execute(sa.select(_a).where(_a.c.id.in_(chunk)).order_by(_a.c.id)):
            result.accounts += 1
            if problem := _account_problem(account, totals.get(account.id, [0, 0, 0])):
                return result.fail(problem)
        if problem := month_totals_mismatch(conn, chunk):
            return result.fail(*problem)
    sums = {
        kind: [int(posted), int(pending_in), int(pending_out)]
        for kind, posted, pending_in, pending_out in conn.execute(
            sa.select(
                _a.c.kind,
                sa.func.sum(_a.c.posted),
                sa.func.sum(_a.c.pending_in),
                sa.func.sum(_a.c.pending_out),
            ).group_by(_a.c.kind)
        )
    }
    return _check_sums_and_budgets(conn, result, sums)


def _links_mismatch(conn: sa.Connection, since_id: int = 0) -> tuple[str, int] | None:
    """Each resolution points at a pending transfer of its own community with the same accounts,
    kind and amount; each reversal or refund mirrors the posted row it undoes."""
    origin = _t.alias("origin")
    same = sa.and_(origin.c.amount == _t.c.amount, origin.c.kind == _t.c.kind)
    bad_resolution = conn.execute(
        sa.select(_t.c.id, _t.c.pending_id)
        .join(origin, origin.c.id == _t.c.pending_id)
        .where(
            _t.c.id >= since_id,
            sa.not_(
                sa.and_(
                    same,
                    origin.c.status == "pending",
                    origin.c.community_id == _t.c.community_id,
                    origin.c.debit_account_id == _t.c.debit_account_id,
                    origin.c.credit_account_id == _t.c.credit_account_id,
                )
            ),
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
            _t.c.id >= since_id,
            sa.not_(
                sa.and_(
                    same,
                    origin.c.status.in_(("posted", "post")),
                    origin.c.debit_account_id == _t.c.credit_account_id,
                    origin.c.credit_account_id == _t.c.debit_account_id,
                )
            ),
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
    """Every account's cached totals against what the walk added up, then the zero sums."""
    sums: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for account in conn.execute(sa.select(_a).order_by(_a.c.id)):
        result.accounts += 1
        if problem := _account_problem(account, totals.get(account.id, [0, 0, 0])):
            return result.fail(problem)
        for i, cached in enumerate((account.posted, account.pending_in, account.pending_out)):
            sums[account.kind][i] += cached
    return _check_sums_and_budgets(conn, result, sums)


def _account_problem(account, computed: list[int]) -> str:
    """What is wrong with an account row: cached totals other than its transfers give, or an
    overdraft (empty when nothing is)."""
    cached = [account.posted, account.pending_in, account.pending_out]
    if computed != cached:
        return (
            f"account {account.id} ({account.owner_type} {account.owner_id}, {account.kind}) caches "
            f"posted/pending in/pending out {cached} but its transfers give {computed}"
        )
    if not account.allow_negative and account.posted - account.pending_out < 0:
        return f"account {account.id} is overdrawn"
    return ""


def _check_sums_and_budgets(conn: sa.Connection, result: VerifyResult, sums: dict) -> VerifyResult:
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
        mode=result.mode,
        seconds=round(result.seconds, 3),
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
