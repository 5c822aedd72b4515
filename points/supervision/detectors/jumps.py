"""Detector 6: people whose points this month are far above the usual, by a robust z-score.

One grouped statement sums each person's awards per month (a column per month, one group per
account, as the bare aggregate groups); the medians and deviations are then taken over those
grouped rows, a handful of numbers per person, in Python: the same on both databases, and no
second pass over the awards."""

from __future__ import annotations

from collections import defaultdict
from statistics import median

import sqlalchemy as sa

from points.ledger.queries import award_rows, person_accounts
from points.supervision.detectors.base import EVIDENCE_ROWS, Found, Window, rows_of, setting
from points.supervision.models import Detector
from points.supervision.sql import table_order

# 1.4826 × MAD estimates the standard deviation of normally distributed totals.
MAD_SCALE = 1.4826


def _monthly_stmt(w: Window) -> sa.Select:
    """Per person with awards in the run's month: the community of the month's awards and, per
    month back from the run's (`c0` the run's month, `c1` since the month before, ...), the total
    of the awards since that month began; `_months` takes the months' own totals from these."""
    a = award_rows(since=w.history_start, until=w.end).subquery("awards")
    starts = [start for _label, start in w.months]
    # A column per month rather than a group per account and month, which is several times as
    # many groups to hash or sort; sums since a month's start need one comparison per row and
    # column where a month's own bounds need two, and the oldest is every row read. Integer
    # sums stay fixed-width (an award's amount is small).
    amount = sa.cast(a.c.amount, sa.Integer)
    since = [sa.func.sum(sa.case((a.c.created_at >= start, amount))) for start in starts[:-1]]
    account = table_order(a.c.credit_account_id)
    by_account = (
        sa.select(
            account.label("account_id"),
            sa.func.max(sa.case((a.c.created_at >= starts[0], a.c.community_id))).label("community_id"),
            *(total.label(f"c{i}") for i, total in enumerate([*since, sa.func.sum(amount)])),
        )
        .group_by(account)
        .subquery("by_account")
    )
    owners = person_accounts().subquery("owners")
    return (
        sa.select(owners.c.person_id, by_account)
        .join(owners, owners.c.account_id == by_account.c.account_id)
        .where(by_account.c.c0.is_not(None))
    )


def _months(row) -> tuple[int, list[int]]:
    """The run's month's total, and the earlier months' totals that had awards: a month's total is
    the difference of two sums since, and zero only without awards (an award is positive)."""
    since = row[3:]  # c0, c1, ...: the columns after the person, account and community
    earlier = [since[i] - since[i - 1] for i in range(1, len(since))]
    return since[0], [t for t in earlier if t]


def _robust(values: list[float]) -> tuple[float, float]:
    """Median and median absolute deviation."""
    middle = median(values)
    return middle, median(abs(v - middle) for v in values)


def _z(total: float, middle: float, mad: float) -> float:
    """(total − median) / max(1.4826 × MAD, 10% of the median, 10 points)."""
    return (total - middle) / max(MAD_SCALE * mad, 0.1 * middle, 10.0)


def _scored(rows: list) -> list[dict]:
    """The rows whose z-score reaches `jump_z`: against the person's own earlier months when
    there are `jump_min_history` of them, else against the community's month."""
    least, threshold = setting("jump_min_points"), setting("jump_z")
    min_history, min_community = setting("jump_min_history"), setting("jump_min_community")
    by_community: dict[int, list[float]] = defaultdict(list)
    for row in rows:
        by_community[row.community_id].append(float(row.c0))
    communities = {c: (len(v), *_robust(v)) for c, v in by_community.items()}
    scored = []
    # Below the least total no history can flag a month: those rows are passed over unread.
    for row in rows:
        if row.c0 < least:
            continue
        total, history = _months(row)
        if len(history) >= min_history:
            usual, mad = _robust([float(t) for t in history])
            z, against = _z(float(total), usual, mad), "own"
        else:
            count, usual, mad = communities[row.community_id]
            if count < min_community:
                continue
            z, against = _z(float(total), usual, mad), "community"
        if z >= threshold:
            scored.append({"row": row, "total": total, "z": z, "usual": usual, "against": against})
    return scored


def monthly_jumps(w: Window) -> list[Found]:
    """People whose points this month are far above their own earlier months, or (with too
    little history) above their community's month: robust z-score ≥ `jump_z`."""
    jumps = _scored(rows_of(_monthly_stmt(w)))
    if not jumps:
        return []
    # One more statement reads the month's awards of every flagged account, largest first.
    month = award_rows(since=w.month_start, until=w.end).subquery("month")
    awards: dict[int, list] = defaultdict(list)
    for award in rows_of(
        sa.select(month.c.id, month.c.credit_account_id)
        .where(month.c.credit_account_id.in_([jump["row"].account_id for jump in jumps]))
        .order_by(month.c.amount.desc(), month.c.id)
    ):
        awards[award.credit_account_id].append(award)
    found = []
    for jump in jumps:
        row = jump["row"]
        ids = awards[row.account_id][:EVIDENCE_ROWS]
        found.append(
            Found(
                Detector.MONTHLY_JUMP,
                row.community_id,
                f"person:{row.person_id}",
                w.month,
                round(jump["z"], 2),
                {
                    "total": int(jump["total"]),
                    "usual": round(jump["usual"]),
                    "z": round(jump["z"], 1),
                    "compared_with": jump["against"],
                },
                [{"type": "transfer", "id": r.id} for r in ids],
                subject_person_id=row.person_id,
            )
        )
    return found
