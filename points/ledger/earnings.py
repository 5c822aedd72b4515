"""Sums of awards over a period for the evaluation and the charts: what owners earned (less
reversals), what they can still spend, per month. Read through `points.ledger.queries`."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from points.db import LOCAL_TZ
from points.ledger.models import AWARD_REASONS, Account, MonthTotal, Transfer
from points.org.models import OrgNode

_accounts = Account.__table__
_t = Transfer.__table__
_months = MonthTotal.__table__
_EFFECTIVE = ("posted", "post")


def earnings_stmt(
    *,
    kind: str,
    owner_type: str,
    start: datetime,
    end: datetime,
    moved_in: sa.Select | None = None,
    moved_out: sa.Select | list[int] | None = None,
) -> sa.Select:
    """Per owner of `owner_type`: award points posted into their `kind` account in [start, end),
    less reversals taken from it in that time (columns `owner_id`, `points`), as one grouped
    statement for rankings to build on.

    A row counts by the day it was posted, except corrections a caller attributes elsewhere:
    `moved_in` selects awards or reversal requests (by the id of the asking row) that count
    here whatever their date, `moved_out` (a statement or the ids) those that count somewhere
    else."""
    cause = sa.func.coalesce(_t.c.pending_id, _t.c.id)
    in_span = sa.and_(_t.c.created_at >= start, _t.c.created_at < end)
    if moved_out is not None:
        in_span = sa.and_(in_span, cause.notin_(moved_out))
    if moved_in is not None:
        in_span = sa.or_(in_span, cause.in_(moved_in))
    # One pass over the rows, grouped by account before anything is joined: an award counts for
    # the account it credited, a reversal against the account it debited.
    reversal = _t.c.reason == "reversal"
    account = sa.case((reversal, _t.c.debit_account_id), else_=_t.c.credit_account_id)
    moves = (
        sa.select(
            account.label("account_id"),
            sa.func.sum(sa.case((reversal, -_t.c.amount), else_=_t.c.amount)).label("points"),
        )
        .where(
            _t.c.kind == kind,
            _t.c.status.in_(_EFFECTIVE),
            _t.c.reason.in_((*AWARD_REASONS, "reversal")),
            in_span,
        )
        .group_by(account)
        .subquery("moves")
    )
    # One account per owner and kind: the account's sum is the owner's.
    return (
        sa.select(_accounts.c.owner_id, moves.c.points)
        .join(_accounts, _accounts.c.id == moves.c.account_id)
        .where(_accounts.c.owner_type == owner_type, _accounts.c.kind == kind)
    )


def spendable_stmt(*, kind: str, owner_type: str) -> sa.Select:
    """Owners of `owner_type` with points of `kind` they could still spend (columns `owner_id`,
    `available`), from the cached totals, in owner order."""
    available = (_accounts.c.posted - _accounts.c.pending_out).label("available")
    return (
        sa.select(_accounts.c.owner_id, available)
        .where(_accounts.c.kind == kind, _accounts.c.owner_type == owner_type, available > 0)
        .order_by(_accounts.c.owner_id)
    )


def award_moves_stmt(*, start: datetime, end: datetime) -> sa.Select:
    """Every award that took effect in [start, end), and every reversal of one, against the
    person's or unit's account it counted for (reversals negative): columns transfer_id,
    created_at, community_id, kind, reason, memo, ref_type, ref_id, owner_type, owner_id, points."""
    reversal = _t.c.reason == "reversal"
    account = sa.case((reversal, _t.c.debit_account_id), else_=_t.c.credit_account_id)
    return (
        sa.select(
            _t.c.id.label("transfer_id"),
            _t.c.created_at,
            _t.c.community_id,
            _t.c.kind,
            _t.c.reason,
            _t.c.memo,
            _t.c.ref_type,
            _t.c.ref_id,
            _accounts.c.owner_type,
            _accounts.c.owner_id,
            sa.case((reversal, -_t.c.amount), else_=_t.c.amount).label("points"),
        )
        .join(_accounts, _accounts.c.id == account)
        .where(
            _t.c.status.in_(_EFFECTIVE),
            _t.c.reason.in_((*AWARD_REASONS, "reversal")),
            _t.c.created_at >= start,
            _t.c.created_at < end,
            _accounts.c.owner_type.in_(("person", "unit")),
        )
    )


def _accounts_months(bounds: list[datetime], account_ids: list[int]) -> sa.Select:
    """`monthly_earnings_stmt` for some accounts of one owner, read from the accounts' month
    totals: twelve rows a year whatever the number of awards. The bounds are local months'
    first moments (`points.charts.month_bounds`)."""
    local = [b.astimezone(LOCAL_TZ) for b in bounds]
    if any(b.day != 1 or b.time() != datetime.min.time() for b in local):
        raise ValueError("an owner's months are whole local months")
    labels = [b.strftime("%Y-%m") for b in local]
    month = sa.case(*[(_months.c.month == label, i) for i, label in enumerate(labels[:-1])], else_=None)
    points = sa.func.sum(_months.c.awarded - _months.c.reversed)
    return (
        sa.select(month.label("month"), _accounts.c.kind, points.label("points"))
        .join(_accounts, _accounts.c.id == _months.c.account_id)
        .where(
            _months.c.account_id.in_(account_ids),
            _months.c.month >= labels[0],
            _months.c.month < labels[-1],
        )
        .group_by(month, _accounts.c.kind)
        .order_by(month, _accounts.c.kind)
    )


def monthly_earnings_stmt(
    *,
    bounds: list[datetime],
    owner_type: str | None = None,
    account_ids: list[int] | None = None,
    node_path: str | None = None,
    by_owner: bool = False,
) -> sa.Select:
    """Award points per month and kind, less reversals, summed by the database: month `i` is
    [bounds[i], bounds[i + 1]). Optionally only for one owner type, for some accounts of one
    owner (`account_ids`: `account_ids_of`) or for the communities under `node_path`. Columns
    month, kind, points (and owner_id when `by_owner`, not with `account_ids`)."""
    if account_ids is not None:
        return _accounts_months(bounds, account_ids)
    rows = award_moves_stmt(start=bounds[0], end=bounds[-1])
    if owner_type is not None:
        rows = rows.where(_accounts.c.owner_type == owner_type)
    if node_path is not None:
        nodes = OrgNode.__table__
        rows = rows.join(nodes, nodes.c.id == _t.c.community_id).where(
            nodes.c.path.startswith(node_path, autoescape=True)
        )
    moves = rows.subquery("moves")
    month = sa.case(*[(moves.c.created_at < end, i) for i, end in enumerate(bounds[1:])], else_=None)
    keys = [month.label("month"), moves.c.kind] + ([moves.c.owner_id] if by_owner else [])
    months = sa.select(*keys, moves.c.points).subquery("months")
    keys = [months.c.month, months.c.kind] + ([months.c.owner_id] if by_owner else [])
    return sa.select(*keys, sa.func.sum(months.c.points).label("points")).group_by(*keys).order_by(*keys)


def month_awards_stmt(months: list[str]) -> sa.Select:
    """Award points credited to each account in each of these local months ("2026-11"),
    reversals apart, read from the month totals: columns account_id, month, awarded. A statement
    for other domains to aggregate over (supervision's monthly jumps)."""
    return sa.select(_months.c.account_id, _months.c.month, _months.c.awarded).where(
        _months.c.month.in_(months), _months.c.awarded > 0
    )
