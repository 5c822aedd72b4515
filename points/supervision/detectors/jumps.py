"""Detector 6: people whose points this month are far above the usual, by a robust z-score.

One statement sums each person's awards of the run's month from the rows (up to the run's day)
and reads their earlier months from the ledger's month totals, a column per month: the ledger
is read for one month, not the whole history. The medians and deviations are then taken over
those rows, a handful of numbers per person, in Python: the same on both databases."""

from __future__ import annotations

from collections import defaultdict

import sqlalchemy as sa

from points.ledger.queries import award_rows, month_awards_stmt, person_accounts
from points.supervision.detectors.base import EVIDENCE_ROWS, Found, Window, rows_of, setting
from points.supervision.models import Detector
from points.supervision.sql import table_order

# 1.4826 × MAD estimates the standard deviation of normally distributed totals.
MAD_SCALE = 1.4826


def _monthly_stmt(w: Window) -> sa.Select:
    """Per person with awards in the run's month: the community of the month's awards, the
    month's total so far (`c0`) and each earlier month's total (`m1` the month before, ...; None
    without awards)."""
    a = award_rows(since=w.month_start, until=w.end).subquery("awards")
    account = table_order(a.c.credit_account_id)
    this_month = (
        sa.select(
            account.label("account_id"),
            sa.func.max(a.c.community_id).label("community_id"),
            # Integer sums stay fixed-width (an award's amount is small).
            sa.func.sum(sa.cast(a.c.amount, sa.Integer)).label("c0"),
        )
        .group_by(account)
        .subquery("this_month")
    )
    labels = [label for label, _start in w.months[1:]]
    history = month_awards_stmt(labels).subquery("history")
    # Whole numbers, not PostgreSQL's numeric sums: twenty thousand rows of decimals cost more
    # to fetch than to sum.
    by_month = [
        sa.cast(sa.func.sum(sa.case((history.c.month == label, history.c.awarded))), sa.BigInteger)
        for label in labels
    ]
    earlier = (
        sa.select(history.c.account_id, *(total.label(f"m{i}") for i, total in enumerate(by_month, start=1)))
        .group_by(history.c.account_id)
        .subquery("earlier")
    )
    owners = person_accounts().subquery("owners")
    return (
        sa.select(
            owners.c.person_id,
            this_month,
            *(earlier.c[f"m{i}"] for i in range(1, len(labels) + 1)),
        )
        .join(owners, owners.c.account_id == this_month.c.account_id)
        .outerjoin(earlier, earlier.c.account_id == this_month.c.account_id)
    )


def _months(row) -> tuple[int, list[int]]:
    """The run's month's total, and the earlier months' totals that had awards."""
    earlier = row[4:]  # m1, m2, ...: the columns after the person, account, community and c0
    return row.c0, [int(t) for t in earlier if t]


def _median(values: list[float]) -> float:
    # statistics.median, without its checks: it runs twice for each of thousands of people.
    ordered = sorted(values)
    half = len(ordered) // 2
    return ordered[half] if len(ordered) % 2 else (ordered[half - 1] + ordered[half]) / 2


def _robust(values: list[float]) -> tuple[float, float]:
    """Median and median absolute deviation."""
    middle = _median(values)
    return middle, _median([abs(v - middle) for v in values])


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
