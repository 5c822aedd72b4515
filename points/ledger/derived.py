"""Tables the ledger's triggers derive from its rows (the open requests, the month totals),
and the checks `verify` runs to see that they match the rows."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from points.db import LOCAL_TZ
from points.ledger.models import APPROVABLE_REASONS, AWARD_REASONS, MonthTotal, OpenRequest, Transfer

_t = Transfer.__table__
_o = OpenRequest.__table__
_m = MonthTotal.__table__
_EFFECTIVE = ("posted", "post")


def open_requests_mismatch(conn: sa.Connection, since_id: int | None = 0) -> tuple[str, int] | None:
    """The open requests are exactly the pending awards and reversals without a post or void
    row. The rows appended since `since_id` are checked for a missing entry (None: no new rows),
    and every entry, since the list is short, for one that should not be there."""
    resolution = _t.alias("resolution")
    if since_id is not None:
        missing = conn.execute(
            sa.select(_t.c.id)
            .where(
                _t.c.id >= since_id,
                _t.c.status == "pending",
                _t.c.reason.in_(APPROVABLE_REASONS),
                ~sa.exists().where(resolution.c.pending_id == _t.c.id),
                ~sa.exists().where(_o.c.transfer_id == _t.c.id),
            )
            .order_by(_t.c.id)
            .limit(1)
        ).scalar()
        if missing is not None:
            return f"transfer {missing} waits for approval but is not among the open requests", missing
    stale = conn.execute(
        sa.select(_o.c.transfer_id)
        .select_from(_o)
        .outerjoin(_t, _t.c.id == _o.c.transfer_id)
        .where(
            sa.or_(
                _t.c.id.is_(None),
                _t.c.status != "pending",
                _t.c.reason.not_in(APPROVABLE_REASONS),
                _t.c.community_id != _o.c.community_id,
                sa.exists().where(resolution.c.pending_id == _o.c.transfer_id),
            )
        )
        .order_by(_o.c.transfer_id)
        .limit(1)
    ).scalar()
    if stale is not None:
        return (
            f"the open requests list transfer {stale}, which is not an open request of its community",
            stale,
        )
    return None


def _local_month(conn: sa.Connection, column) -> sa.ColumnElement[str]:
    """ "2026-11" for a stored UTC time, in the service's local time zone (no daylight saving)."""
    if conn.dialect.name == "postgresql":
        return sa.func.to_char(sa.func.timezone(LOCAL_TZ.key, column), "YYYY-MM")
    hours = int(datetime(2000, 1, 1, tzinfo=LOCAL_TZ).utcoffset().total_seconds() // 3600)
    return sa.func.strftime("%Y-%m", column, f"{hours:+d} hours")


def _month_sums(conn: sa.Connection, account_ids: list[int] | None) -> sa.Subquery:
    """Per account and local month: awards it was credited and reversals it was debited,
    summed from the rows (only these accounts' rows, read by their indexes, when given)."""
    month = _local_month(conn, _t.c.created_at)
    effective = _t.c.status.in_(_EFFECTIVE)
    zero = sa.literal(0, sa.BigInteger)
    awards = sa.select(
        _t.c.credit_account_id.label("account_id"),
        month.label("month"),
        _t.c.amount.label("a"),
        zero.label("r"),
    ).where(effective, _t.c.reason.in_(AWARD_REASONS))
    reversals = sa.select(
        _t.c.debit_account_id.label("account_id"),
        month.label("month"),
        zero.label("a"),
        _t.c.amount.label("r"),
    ).where(effective, _t.c.reason == "reversal")
    if account_ids is not None:
        awards = awards.where(_t.c.credit_account_id.in_(account_ids))
        reversals = reversals.where(_t.c.debit_account_id.in_(account_ids))
    moves = sa.union_all(awards, reversals).subquery("moves")
    return (
        sa.select(
            moves.c.account_id,
            moves.c.month,
            sa.func.sum(moves.c.a).label("awarded"),
            sa.func.sum(moves.c.r).label("reversed"),
        )
        .group_by(moves.c.account_id, moves.c.month)
        .subquery("sums")
    )


def month_totals_mismatch(
    conn: sa.Connection, account_ids: list[int] | None = None
) -> tuple[str, None] | None:
    """The month totals (of these accounts, or all) are what their rows add up to."""
    sums = _month_sums(conn, account_ids)
    same_key = sa.and_(_m.c.account_id == sums.c.account_id, _m.c.month == sums.c.month)
    wrong = conn.execute(
        sa.select(
            sums.c.account_id, sums.c.month, sums.c.awarded, sums.c.reversed, _m.c.awarded, _m.c.reversed
        )
        .outerjoin(_m, same_key)
        .where(
            sa.or_(
                _m.c.account_id.is_(None),
                _m.c.awarded != sums.c.awarded,
                _m.c.reversed != sums.c.reversed,
            )
        )
        .order_by(sums.c.account_id, sums.c.month)
        .limit(1)
    ).first()
    if wrong is not None:
        account, month, awarded, reversed_, kept_awarded, kept_reversed = wrong
        return (
            f"account {account}'s totals for {month} are {kept_awarded} awarded and {kept_reversed} reversed, "
            f"but its transfers give {awarded} and {reversed_}",
            None,
        )
    extra = sa.select(_m.c.account_id, _m.c.month).where(
        sa.or_(_m.c.awarded != 0, _m.c.reversed != 0),
        ~sa.exists().where(same_key),
    )
    if account_ids is not None:
        extra = extra.where(_m.c.account_id.in_(account_ids))
    found = conn.execute(extra.order_by(_m.c.account_id, _m.c.month).limit(1)).first()
    if found is not None:
        return f"account {found[0]} has totals for {found[1]} but no transfers that month", None
    return None
