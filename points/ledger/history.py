"""Statements as their owners read them: keyset pages newest first with the running posted
balance, and the rows of an export, both costing what the rows they show cost.

The balance after each row is never a window over the whole history: it starts from the
account's cached posted total (less what rows newer than the page changed, read through the
account's (account, id) indexes) and walks backwards over the page's rows. A page's cursor
carries the balance where the next page starts, signed with the rest of the cursor.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import sqlalchemy as sa

from points.db import session
from points.ledger.models import Account, Transfer
from points.ledger.queries import annotate, find_account_id, resolves
from points.pagination import Cursor, count_cap, encode_cursor

_t = Transfer.__table__
_a = Account.__table__
_EFFECTIVE = ("posted", "post")
_SIDES = (_t.c.debit_account_id, _t.c.credit_account_id)


def _change(account_id: int) -> sa.ColumnElement[int]:
    """A row's effect on the account's posted balance (pending rows move nothing posted)."""
    return sa.case(
        (_t.c.status.notin_(_EFFECTIVE), 0),
        (_t.c.credit_account_id == account_id, _t.c.amount),
        else_=-_t.c.amount,
    )


def _columns(account_id: int) -> list:
    return [
        *_t.c,
        _change(account_id).label("change"),
        sa.case((_t.c.credit_account_id == account_id, "in"), else_="out").label("direction"),
    ]


def _filters(*, start: datetime | None, end: datetime | None, compact: bool) -> list:
    """The period, and for `compact` no pending rows already posted or voided (their resolution
    row tells the outcome: one line per award for a person reading their own points)."""
    out = []
    if start is not None:
        out.append(_t.c.created_at >= start)
    if end is not None:
        out.append(_t.c.created_at < end)
    if compact:
        resolution = _t.alias("resolution")
        # A scalar probe of the resolution's unique index for each pending row: as NOT EXISTS,
        # PostgreSQL may hash every resolution of the ledger first to count a page's rows.
        resolved = sa.select(resolution.c.id).where(resolves(resolution, _t)).limit(1).scalar_subquery()
        out.append(sa.or_(_t.c.status != "pending", resolved.is_(None)))
    return out


def _touching(account_id: int, conditions: list, *, ascending: bool, limit: int) -> sa.Select:
    """The account's rows matching `conditions` in id order, `limit` of them: one index range
    per side of the transfer (debit, credit) merged, never a scan of both sides' history."""
    order = _t.c.id.asc() if ascending else _t.c.id.desc()
    sides = [
        sa.select(*_columns(account_id)).where(side == account_id, *conditions).order_by(order).limit(limit)
        for side in _SIDES
    ]
    both = sa.union_all(*(sa.select(side.subquery()) for side in sides)).subquery()
    return sa.select(both).order_by(both.c.id.asc() if ascending else both.c.id.desc()).limit(limit)


def _balance_after(account_id: int, transfer_id: int) -> int:
    """The posted balance just after `transfer_id`: the cached total less what newer rows of the
    account moved, read in one statement (one snapshot)."""
    newer = [
        sa.select(sa.func.coalesce(sa.func.sum(_change(account_id)), 0))
        .where(side == account_id, _t.c.id > transfer_id)
        .scalar_subquery()
        for side in _SIDES
    ]
    balance = sa.select(_a.c.posted - newer[0] - newer[1]).where(_a.c.id == account_id)
    # PostgreSQL sums bigints as numeric.
    return int(session().execute(balance).scalar_one())


def _count(account_id: int, conditions: list) -> tuple[int, bool]:
    cap = count_cap()
    sides = [
        sa.select(_t.c.id).where(side == account_id, *conditions).limit(cap + 1).subquery() for side in _SIDES
    ]
    counts = [sa.select(sa.func.count()).select_from(side).scalar_subquery() for side in sides]
    found = sum(session().execute(sa.select(*counts)).one())
    return min(found, cap), found > cap


def _with_balances(rows: list[dict], account_id: int, cursor: Cursor | None) -> None:
    """Fill `balance` (posted balance after the row) on rows newest first."""
    if not rows:
        return
    if cursor is None:
        balance = _balance_after(account_id, rows[0]["id"])
    elif cursor.backwards:
        # The cursor holds the balance after the row just older than this page (the first row
        # of the page it came from).
        balance = cursor.extra["b"] + sum(r["change"] for r in rows)
    else:
        balance = cursor.extra["b"]
    for row in rows:
        row["balance"] = balance
        balance -= row["change"]


def statement(
    owner_type: str,
    owner_id: int,
    kind: str,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    cursor: Cursor | None = None,
    per_page: int = 50,
    compact: bool = False,
) -> dict:
    """One keyset page of the owner's statement of one kind, newest first: each row with its
    `change` to the posted balance, the `balance` after it, its `direction` and `state`
    (`queries.annotate`); `total` counted up to `count_cap()`."""
    account_id = find_account_id(owner_type, owner_id, kind)
    page = {"items": [], "per_page": per_page, "total": 0, "total_capped": False, "account_id": account_id}
    page |= {"next_cursor": None, "prev_cursor": None}
    if account_id is None:
        return page
    conditions = _filters(start=start, end=end, compact=compact)
    backwards = cursor is not None and cursor.backwards
    paged = list(conditions)
    if cursor is not None:
        paged.append(_t.c.id > cursor.values[0] if backwards else _t.c.id < cursor.values[0])
    result = session().execute(_touching(account_id, paged, ascending=backwards, limit=per_page + 1))
    rows = [dict(r) for r in result.mappings()]
    more = len(rows) > per_page
    rows = rows[:per_page]
    if backwards:
        rows.reverse()
    _with_balances(rows, account_id, cursor)
    page["total"], page["total_capped"] = _count(account_id, conditions)
    if rows and (more or backwards):
        last = rows[-1]
        page["next_cursor"] = encode_cursor((last["id"],), b=last["balance"] - last["change"])
    if rows and cursor is not None and (more or not backwards):
        first = rows[0]
        page["prev_cursor"] = encode_cursor((first["id"],), backwards=True, b=first["balance"])
    page["items"] = annotate(rows)
    return page


def _period_bounds(account_id: int, conditions: list) -> sa.Select:
    """The first and last ids of the account's rows in the period on each side (debit, credit),
    each read from that side's (account, created_at, id) index: the range of the period's
    dates alone, whatever the account's history before or after it."""
    if not conditions:
        # The whole history: each end of each side's (account, id) index, one entry apiece.
        return sa.select(
            *(
                sa.select(_t.c.id).where(side == account_id).order_by(order).limit(1).scalar_subquery()
                for side in _SIDES
                for order in (_t.c.id.asc(), _t.c.id.desc())
            )
        )
    # Over an expression of the id: PostgreSQL would read min(id) and max(id) by walking the
    # primary key from either end until a row of the account in the period turns up.
    return sa.select(
        *(
            sa.select(edge(_t.c.id + 0)).where(side == account_id, *conditions).scalar_subquery()
            for side in _SIDES
            for edge in (sa.func.min, sa.func.max)
        )
    )


def _period_ids(account_id: int, conditions: list) -> tuple[int, int]:
    """The first and last ids of the account's rows in the period; (0, 0) when it has none."""
    row = session().execute(_period_bounds(account_id, conditions)).one()
    lows = [i for i in row[::2] if i is not None]
    highs = [i for i in row[1::2] if i is not None]
    return (min(lows), max(highs)) if highs else (0, 0)


def export_rows(
    account_id: int,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    batch: int = 500,
    first: int | None = None,
) -> Iterator[dict]:
    """Every row of the account's statement in the period, newest first, with `change`,
    `balance` and `direction`, read a batch at a time (constant memory). The newest row and the
    balance after it are read in one statement, so rows posted while the file is written neither
    show nor shift the balances."""
    conditions = _filters(start=start, end=end, compact=False)
    first_id, last_id = _period_ids(account_id, conditions)
    if not last_id:
        return
    balance = _balance_after(account_id, last_id)
    # Batch after batch down the period's rows, each the next `batch` of both sides' (account,
    # id) index ranges merged: the first rows flow as soon as the first batch is read, where one
    # query over the whole period was planned (and sorted) for all of its rows first.
    # (`first`: a smaller first batch, for a download that should start at once.)
    upper, limit = last_id, first or batch
    while upper >= first_id:
        below = [_t.c.id.between(first_id, upper), *conditions]
        rows = [
            dict(r)
            for r in session().execute(_touching(account_id, below, ascending=False, limit=limit)).mappings()
        ]
        for row in rows:
            row["balance"] = balance
            balance -= row["change"]
            yield row
        if len(rows) < limit:
            return
        upper, limit = rows[-1]["id"] - 1, batch
