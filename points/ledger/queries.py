"""Reading balances, statements and transfers; balances come from cached totals, never sums."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import select

from points.db import LOCAL_TZ, session

# Sums over a period live in their own module; other domains read them here.
from points.ledger.earnings import (  # noqa: F401
    award_moves_stmt,
    earnings_stmt,
    month_awards_stmt,
    monthly_earnings_stmt,
    spendable_stmt,
)
from points.ledger.models import (
    AWARD_REASONS,
    Account,
    ChainHead,
    Kind,
    OpenRequest,
    Transfer,
    Verification,
)
from points.org.models import OrgNode
from points.org.queries import community_ids_where

_accounts = Account.__table__
_open = OpenRequest.__table__

_BALANCES = sa.select(
    _accounts.c.kind, _accounts.c.posted, _accounts.c.pending_in, _accounts.c.pending_out
).where(
    _accounts.c.owner_type == sa.bindparam("owner_type"), _accounts.c.owner_id == sa.bindparam("owner_id")
)


def balances_of(owner_type: str, owner_id: int) -> dict[str, dict[str, int]]:
    """Posted, pending and available points per kind, read by key from cached totals."""
    out = {kind: {"posted": 0, "pending_in": 0, "pending_out": 0, "available": 0} for kind in Kind.values()}
    rows = session().connection().execute(_BALANCES, {"owner_type": owner_type, "owner_id": owner_id})
    for kind, posted, pending_in, pending_out in rows:
        out[kind] = {
            "posted": posted,
            "pending_in": pending_in,
            "pending_out": pending_out,
            # Pending awards coming in are not spendable; pending spending is reserved.
            "available": posted - pending_out,
        }
    return out


def balances_of_person(person_id: int) -> dict[str, dict[str, int]]:
    return balances_of("person", person_id)


def balances_of_unit(unit_id: int) -> dict[str, dict[str, int]]:
    return balances_of("unit", unit_id)


_t = Transfer.__table__
_EFFECTIVE = ("posted", "post")


def account_ids_of(owner_type: str, owner_id: int) -> list[int]:
    """The owner's accounts, one per kind they have points of."""
    stmt = sa.select(_accounts.c.id).where(
        _accounts.c.owner_type == owner_type, _accounts.c.owner_id == owner_id
    )
    return list(session().execute(stmt).scalars())


def find_account_id(owner_type: str, owner_id: int, kind: str) -> int | None:
    return (
        session()
        .connection()
        .execute(
            sa.select(_accounts.c.id).where(
                _accounts.c.owner_type == owner_type,
                _accounts.c.owner_id == owner_id,
                _accounts.c.kind == kind,
            )
        )
        .scalar()
    )


def annotate(rows: list[dict]) -> list[dict]:
    """Add `state`: for a pending row, pending, posted or voided; for a posted row, posted or
    reversed; otherwise the row's status (post, void)."""
    resolved = resolutions_of([r for r in rows if r["status"] == "pending"])
    effective = [r for r in rows if r["status"] in _EFFECTIVE]
    undone = set()
    if effective:
        undone = set(
            session()
            .connection()
            .execute(
                sa.select(_t.c.reverses_id).where(
                    _in_communities(effective), _t.c.reverses_id.in_([r["id"] for r in effective])
                )
            )
            .scalars()
        )
    for row in rows:
        if row["status"] == "pending":
            row["state"] = {None: "pending", "post": "posted", "void": "voided"}[resolved.get(row["id"])]
        elif row["id"] in undone:
            row["state"] = "reversed"
        else:
            row["state"] = {"post": "posted", "void": "voided"}.get(row["status"], row["status"])
    return rows


def transfers_stmt(
    *,
    scope: sa.ColumnElement[bool],
    community_id: int | None = None,
    kind: str | None = None,
    reason: str | None = None,
    status: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
) -> sa.Select:
    """Transfers for ledger browsing; `scope` is a clause on the community's OrgNode path.

    The communities in scope are read first and named by id, so each one's rows are read
    through the (community, id) indexes instead of walking every transfer and joining."""

    query = sa.select(_t).where(_t.c.community_id.in_(community_ids_where(scope))).order_by(_t.c.id.desc())
    if community_id is not None:
        query = query.where(_t.c.community_id == community_id)
    if kind:
        query = query.where(_t.c.kind == kind)
    if reason:
        query = query.where(_t.c.reason == reason)
    if status:
        query = query.where(_t.c.status == status)
    if start is not None:
        query = query.where(_t.c.created_at >= start)
    if end is not None:
        query = query.where(_t.c.created_at < end)
    return query


def approval_queue_stmt(
    *,
    scope: sa.ColumnElement[bool],
    community_id: int | None = None,
    kind: str | None = None,
    reason: str | None = None,
    older_than: datetime | None = None,
) -> sa.Select:
    """Pending awards and reversals not yet posted or voided, oldest first, within scope: the
    open requests' rows (what stays pending in the ledger after its resolution is not read)."""
    communities = community_ids_where(scope)
    if community_id is not None:
        communities = [c for c in communities if c == community_id]
    query = (
        sa.select(_t)
        .select_from(_open)
        .join(_t, _t.c.id == _open.c.transfer_id)
        .where(_open.c.community_id.in_(communities))
        .order_by(_t.c.id)
    )
    if kind:
        query = query.where(_t.c.kind == kind)
    if reason:
        query = query.where(_t.c.reason == reason)
    if older_than is not None:
        query = query.where(_t.c.created_at < older_than)
    return query


def reversal_requests(target: dict) -> tuple[int, int]:
    """How many reversals of the transfer were asked for, and how many of them were rejected."""
    resolution = _t.alias("resolution")
    asked, rejected = (
        session()
        .connection()
        .execute(
            sa.select(sa.func.count(), sa.func.count(resolution.c.id))
            .select_from(_t)
            .outerjoin(resolution, sa.and_(resolves(resolution, _t), resolution.c.status == "void"))
            .where(
                _t.c.community_id == target["community_id"],
                _t.c.reason == "reversal",
                _t.c.status == "pending",
                _t.c.ref_type == "transfer",
                _t.c.ref_id == target["id"],
            )
        )
        .one()
    )
    return asked, rejected


def get_transfer(transfer_id: int) -> dict | None:
    row = session().connection().execute(sa.select(_t).where(_t.c.id == transfer_id)).mappings().first()
    return dict(row) if row else None


def _in_communities(rows) -> sa.ColumnElement[bool]:
    """The communities of these rows: a row's resolution or reversal is always in its own
    community (verify checks it), and naming it keeps the read on that community's shard."""
    return _t.c.community_id.in_(sorted({r["community_id"] for r in rows}))


def resolves(resolution, pending) -> sa.ColumnElement[bool]:
    return sa.and_(
        resolution.c.community_id == pending.c.community_id, resolution.c.pending_id == pending.c.id
    )


def _first(query: sa.Select) -> dict | None:
    row = session().connection().execute(query).mappings().first()
    return dict(row) if row else None


def resolution_of(pending: dict) -> dict | None:
    """The post or void row of a pending transfer (a row with `id` and `community_id`), if it
    was resolved."""
    return _first(
        sa.select(_t).where(_t.c.community_id == pending["community_id"], _t.c.pending_id == pending["id"])
    )


def resolutions_of(pendings: list[dict]) -> dict[int, str]:
    """pending id -> 'post' or 'void', for those of these pending rows that were resolved."""
    if not pendings:
        return {}
    rows = (
        session()
        .connection()
        .execute(
            sa.select(_t.c.pending_id, _t.c.status).where(
                _in_communities(pendings), _t.c.pending_id.in_([r["id"] for r in pendings])
            )
        )
    )
    return {r.pending_id: r.status for r in rows}


def reversal_of(posted: dict) -> dict | None:
    """The row that reversed (or refunded) a posted row, if any."""
    return _first(
        sa.select(_t).where(_t.c.community_id == posted["community_id"], _t.c.reverses_id == posted["id"])
    )


def account_owners(account_ids: set[int]) -> dict[int, tuple[str, int]]:
    if not account_ids:
        return {}
    rows = (
        session()
        .connection()
        .execute(
            sa.select(_accounts.c.id, _accounts.c.owner_type, _accounts.c.owner_id).where(
                _accounts.c.id.in_(account_ids)
            )
        )
    )
    return {r.id: (r.owner_type, r.owner_id) for r in rows}


def latest_verification() -> Verification | None:
    return session().exec(select(Verification).order_by(Verification.id.desc())).first()


def last_good_verification() -> Verification | None:
    """The latest verification that passed: its heads are where an incremental run starts."""
    return (
        session().exec(select(Verification).where(Verification.ok).order_by(Verification.id.desc())).first()
    )


def discretionary_share(*, scope: sa.ColumnElement[bool]) -> list[dict]:
    """Per community and approver: posted award points, and how many were discretionary."""

    nodes = OrgNode.__table__
    discretionary = sa.case((_t.c.proof == "discretion", _t.c.amount), else_=0)
    rows = (
        session()
        .connection()
        .execute(
            sa.select(
                _t.c.community_id,
                _t.c.approved_by_id,
                _t.c.kind,
                sa.func.sum(_t.c.amount).label("total"),
                sa.func.sum(discretionary).label("discretionary"),
            )
            .join(nodes, nodes.c.id == _t.c.community_id)
            .where(scope, _t.c.status.in_(_EFFECTIVE), _t.c.reason.in_(AWARD_REASONS))
            .group_by(_t.c.community_id, _t.c.approved_by_id, _t.c.kind)
            .order_by(_t.c.community_id, _t.c.approved_by_id)
        )
    )
    return [dict(r._mapping) for r in rows]


def issued_in_year(community_id: int, kind: str, year: int) -> int:
    """Awards the pool asked for in a local calendar year, less voided and reversed ones."""
    start = datetime(year, 1, 1, tzinfo=LOCAL_TZ)
    end = datetime(year + 1, 1, 1, tzinfo=LOCAL_TZ)
    conn = session().connection()
    pool = find_account_id("pool", community_id, kind)
    if pool is None:
        return 0
    origin = _t.alias("origin")
    first_ask = _t.alias("first_ask")
    asked = sa.select(sa.func.coalesce(sa.func.sum(_t.c.amount), 0)).where(
        _t.c.debit_account_id == pool,
        _t.c.reason.in_(AWARD_REASONS),
        _t.c.status.in_(("pending", "posted")),
        _t.c.created_at >= start,
        _t.c.created_at < end,
    )
    voided = (
        sa.select(sa.func.coalesce(sa.func.sum(_t.c.amount), 0))
        .join(origin, origin.c.id == _t.c.pending_id)
        .where(
            _t.c.debit_account_id == pool,
            _t.c.status == "void",
            origin.c.created_at >= start,
            origin.c.created_at < end,
        )
    )
    # A reversal gives back to the year its award was asked in: that of the pending row
    # when the reversed row is the approval of one.
    asked_at = sa.func.coalesce(first_ask.c.created_at, origin.c.created_at)
    reversed_ = (
        sa.select(sa.func.coalesce(sa.func.sum(_t.c.amount), 0))
        .join(origin, origin.c.id == _t.c.reverses_id)
        .outerjoin(first_ask, first_ask.c.id == origin.c.pending_id)
        .where(
            _t.c.credit_account_id == pool,
            _t.c.reason == "reversal",
            origin.c.reason.in_(AWARD_REASONS),
            asked_at >= start,
            asked_at < end,
        )
    )
    return (
        conn.execute(asked).scalar_one()
        - conn.execute(voided).scalar_one()
        - conn.execute(reversed_).scalar_one()
    )


def award_states(transfer_ids: list[int]) -> dict[int, dict]:
    """For awards asked of the ledger by other domains: id -> amount, kind and state
    (pending, posted, voided or reversed), read from the rows themselves, never a copy."""
    if not transfer_ids:
        return {}
    conn = session().connection()
    rows = conn.execute(
        sa.select(_t.c.id, _t.c.community_id, _t.c.amount, _t.c.kind, _t.c.status).where(
            _t.c.id.in_(transfer_ids)
        )
    ).all()
    if not rows:
        return {}
    mine = _in_communities([r._mapping for r in rows])
    resolved = {
        r.pending_id: (r.status, r.id)
        for r in conn.execute(
            sa.select(_t.c.pending_id, _t.c.status, _t.c.id).where(mine, _t.c.pending_id.in_(transfer_ids))
        )
    }
    effective = [r.id for r in rows if r.status == "posted"] + [
        post_id for status, post_id in resolved.values() if status == "post"
    ]
    undone = set(
        conn.execute(sa.select(_t.c.reverses_id).where(mine, _t.c.reverses_id.in_(effective))).scalars()
        if effective
        else ()
    )
    states = {}
    for row in rows:
        if row.status == "pending":
            status, moved_id = resolved.get(row.id, (None, None))
            state = {None: "pending", "post": "posted", "void": "voided"}[status]
        else:
            moved_id, state = row.id, "posted"
        if state == "posted" and moved_id in undone:
            state = "reversed"
        states[row.id] = {"transfer_id": row.id, "amount": row.amount, "kind": row.kind, "state": state}
    return states


def earned_in_year(owner_type: str, owner_id: int, kind: str, year: int) -> int:
    """Award points that reached an account in a local calendar year (by the day they were
    posted), less reversals of awards taken from it that year."""
    account = find_account_id(owner_type, owner_id, kind)
    if account is None:
        return 0
    start = datetime(year, 1, 1, tzinfo=LOCAL_TZ)
    end = datetime(year + 1, 1, 1, tzinfo=LOCAL_TZ)
    in_year = sa.and_(_t.c.created_at >= start, _t.c.created_at < end)
    conn = session().connection()
    earned = sa.select(sa.func.coalesce(sa.func.sum(_t.c.amount), 0)).where(
        _t.c.credit_account_id == account,
        _t.c.reason.in_(AWARD_REASONS),
        _t.c.status.in_(("posted", "post")),
        in_year,
    )
    reversed_ = sa.select(sa.func.coalesce(sa.func.sum(_t.c.amount), 0)).where(
        _t.c.debit_account_id == account,
        _t.c.reason == "reversal",
        _t.c.status.in_(("posted", "post")),
        in_year,
    )
    return conn.execute(earned).scalar_one() - conn.execute(reversed_).scalar_one()


def chain_heads(connection: sa.Connection) -> dict[int, tuple[int, str]]:
    """Each community's chain head (last sequence number, hash), read on `connection` (which may
    be another database's, e.g. a backup's)."""
    heads = ChainHead.__table__
    rows = connection.execute(sa.select(heads.c.community_id, heads.c.seq, heads.c.head_hash))
    return {community: (seq, head) for community, seq, head in rows}


def last_transfer_id() -> int:
    """The largest transfer id so far (0 for an empty ledger): rows above it are newer."""
    return session().execute(sa.select(sa.func.coalesce(sa.func.max(Transfer.id), 0))).scalar_one()


def find_transfer_by_key(idempotency_key: str) -> dict | None:
    """The transfer holding this idempotency key (e.g. `redemption:{id}`), if any."""
    row = (
        session()
        .connection()
        .execute(sa.select(_t).where(_t.c.idempotency_key == idempotency_key))
        .mappings()
        .first()
    )
    return dict(row) if row else None


def award_rows(*, since: datetime, until: datetime) -> sa.Select:
    """Awards in effect that took effect in [since, until): posted at once, or the approval of a
    pending one. A statement for other domains to aggregate over (supervision's detectors), never
    loaded whole; `person_accounts` tells whose the credited accounts are."""
    return sa.select(
        _t.c.id,
        _t.c.community_id,
        _t.c.kind,
        _t.c.amount,
        _t.c.reason,
        _t.c.proof,
        _t.c.ref_type,
        _t.c.ref_id,
        _t.c.credit_account_id,
        _t.c.requested_by_id,
        _t.c.verified_by_id,
        _t.c.approved_by_id,
        _t.c.created_at,
    ).where(
        _t.c.status.in_(_EFFECTIVE),
        _t.c.reason.in_(AWARD_REASONS),
        _t.c.created_at >= since,
        _t.c.created_at < until,
    )


def person_accounts() -> sa.Select:
    """Accounts of people: (`account_id`, `person_id`), to join aggregated rows against."""
    return sa.select(_accounts.c.id.label("account_id"), _accounts.c.owner_id.label("person_id")).where(
        _accounts.c.owner_type == "person"
    )


def person_recipients(pendings: list[dict]) -> dict[int, int]:
    """Transfer id → the person credited, for those of `pendings` that credit a person's account."""
    accounts = {p["credit_account_id"] for p in pendings}
    if not accounts:
        return {}
    owners = dict(
        session()
        .execute(
            sa.select(Account.id, Account.owner_id).where(
                Account.id.in_(accounts), Account.owner_type == "person"
            )
        )
        .all()
    )
    return {p["id"]: owners[p["credit_account_id"]] for p in pendings if p["credit_account_id"] in owners}
