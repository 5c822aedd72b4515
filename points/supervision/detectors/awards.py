"""Detectors over the ledger's awards: pairs who give each other points, discretionary awards
clustered under one person, and months far above the usual."""

from __future__ import annotations

from collections import defaultdict

import sqlalchemy as sa

from points.ledger.queries import award_rows, person_accounts
from points.supervision.detectors.base import EVIDENCE_ROWS, Found, Window, rows_of, setting
from points.supervision.models import Detector

# --- 1. pairs who approve or verify each other's points ---------------------------------


def _edges(w: Window) -> sa.CTE:
    """Who gave points to whom: (approver or verifier, the person credited, transfer, community)."""
    # Only rows someone approved or verified: the accounts are looked up for those alone.
    rows = award_rows(since=w.start, until=w.end)
    c = rows.selected_columns
    a = rows.where(sa.or_(c.approved_by_id.is_not(None), c.verified_by_id.is_not(None))).subquery("awards")
    owners = person_accounts().subquery("owners")
    given = (
        sa.select(a.c.approved_by_id, a.c.verified_by_id, owners.c.person_id, a.c.id, a.c.community_id)
        .join(owners, owners.c.account_id == a.c.credit_account_id)
        .cte("given_rows")
    )
    return sa.union_all(
        *(
            sa.select(
                giver.label("giver"), given.c.person_id.label("taker"), given.c.id, given.c.community_id
            ).where(giver.is_not(None), giver != given.c.person_id)
            for giver in (given.c.approved_by_id, given.c.verified_by_id)
        )
    ).cte("edges")


def _pairs_stmt(edges: sa.CTE) -> sa.Select:
    """Pairs (giver < taker) who gave to each other, with how much of all each gave."""
    pairs = (
        sa.select(edges.c.giver, edges.c.taker, sa.func.count(edges.c.id).label("n"))
        .group_by(edges.c.giver, edges.c.taker)
        .cte("pairs")
    )
    given = (
        sa.select(edges.c.giver, sa.func.count(edges.c.id).label("total"))
        .group_by(edges.c.giver)
        .cte("given")
    )
    p1, p2, g1, g2 = pairs.alias("p1"), pairs.alias("p2"), given.alias("g1"), given.alias("g2")
    least = setting("mutual_min_each")
    share = setting("mutual_share")
    return (
        sa.select(
            p1.c.giver, p1.c.taker, p1.c.n, p2.c.n.label("back"), g1.c.total, g2.c.total.label("back_total")
        )
        .join(p2, sa.and_(p2.c.giver == p1.c.taker, p2.c.taker == p1.c.giver))
        .join(g1, g1.c.giver == p1.c.giver)
        .join(g2, g2.c.giver == p1.c.taker)
        .where(
            p1.c.giver < p1.c.taker,
            p1.c.n >= least,
            p2.c.n >= least,
            sa.or_(p1.c.n >= share * g1.c.total, p2.c.n >= share * g2.c.total),
        )
    )


def mutual_approvals(w: Window) -> list[Found]:
    """Pairs where each approved or verified awards to the other (see DEFAULTS)."""
    edges = _edges(w)
    pairs = rows_of(_pairs_stmt(edges))
    if not pairs:
        return []
    # One more statement reads every pair's rows: (x, y) and (y, x) alike, keyed by the pair.
    members = {p.giver for p in pairs} | {p.taker for p in pairs}
    evidence: dict[tuple[int, int], list] = defaultdict(list)
    for row in rows_of(
        sa.select(edges.c.id, edges.c.community_id, edges.c.giver, edges.c.taker)
        .where(edges.c.giver.in_(members), edges.c.taker.in_(members))
        .order_by(edges.c.id)
    ):
        evidence[(min(row.giver, row.taker), max(row.giver, row.taker))].append(row)
    found = []
    for x, y, n, back, total, back_total in pairs:
        rows = evidence[(x, y)][:EVIDENCE_ROWS]
        top_share = max(n / total, back / back_total)
        found.append(
            Found(
                Detector.MUTUAL_APPROVALS,
                rows[0].community_id,
                f"pair:{x}:{y}",
                w.month,
                round((n + back) * top_share, 2),
                {"given": n, "returned": back, "share": round(top_share * 100)},
                [{"type": "transfer", "id": r.id} for r in rows],
                subject_person_id=x,
                related_person_id=y,
            )
        )
    return found


# --- 4. discretionary awards clustered under one person ---------------------------------


def _clusters_stmt(a: sa.CTE, w: Window) -> sa.Select:
    """Per approver and per requester, community and kind: discretionary points and awards (`a`:
    the discretionary awards), and the community's award points of the kind, where they pass the
    thresholds."""
    every = award_rows(since=w.start, until=w.end).subquery("every")
    totals = (
        sa.select(every.c.community_id, every.c.kind, sa.func.sum(every.c.amount).label("total"))
        .group_by(every.c.community_id, every.c.kind)
        .subquery("totals")
    )
    by_role = sa.union_all(
        *(
            sa.select(
                sa.literal(role).label("role"),
                who.label("who"),
                a.c.community_id,
                a.c.kind,
                sa.func.sum(a.c.amount).label("points"),
                sa.func.count(a.c.id).label("awards"),
            )
            .where(who.is_not(None))
            .group_by(who, a.c.community_id, a.c.kind)
            for role, who in (("approver", a.c.approved_by_id), ("requester", a.c.requested_by_id))
        )
    ).subquery("by_role")
    return (
        sa.select(by_role, totals.c.total)
        .join(
            totals, sa.and_(totals.c.community_id == by_role.c.community_id, totals.c.kind == by_role.c.kind)
        )
        .where(
            by_role.c.points >= setting("discretionary_share") * totals.c.total,
            by_role.c.awards >= setting("discretionary_min_awards"),
            by_role.c.points >= setting("discretionary_min_points"),
        )
    )


def discretionary_clusters(w: Window) -> list[Found]:
    """Approvers or requesters whose discretionary awards are `discretionary_share` or more of
    their community's award points of the kind in the window."""
    rows = award_rows(since=w.start, until=w.end)
    a = rows.where(rows.selected_columns.proof == "discretion").cte("discretionary")
    clusters = rows_of(_clusters_stmt(a, w))
    if not clusters:
        return []
    # One more statement reads the discretionary awards of every cluster's people.
    people = {row.who for row in clusters}
    awards = rows_of(
        sa.select(a.c.id, a.c.approved_by_id, a.c.requested_by_id, a.c.community_id, a.c.kind)
        .where(sa.or_(a.c.approved_by_id.in_(people), a.c.requested_by_id.in_(people)))
        .order_by(a.c.amount.desc(), a.c.id)
    )
    found = []
    for row in clusters:
        role = "approved_by_id" if row.role == "approver" else "requested_by_id"
        ids = [
            r
            for r in awards
            if getattr(r, role) == row.who and r.community_id == row.community_id and r.kind == row.kind
        ][:EVIDENCE_ROWS]
        points, total = int(row.points), int(row.total)
        share = points / total
        found.append(
            Found(
                Detector.DISCRETIONARY_CLUSTER,
                row.community_id,
                f"{row.role}:{row.who}:{row.kind}",
                w.month,
                round(share * 100, 1),
                {
                    "role": row.role,
                    "kind": row.kind,
                    "points": points,
                    "total": total,
                    "awards": int(row.awards),
                    "share": round(share * 100),
                },
                [{"type": "transfer", "id": r.id} for r in ids],
                subject_person_id=row.who,
            )
        )
    return found


# --- 6. a month far above the usual -----------------------------------------------------

# 1.4826 × MAD estimates the standard deviation of normally distributed totals.
MAD_SCALE = 1.4826


def _median(values, partition: str, name: str) -> sa.Subquery:
    """Per `partition`: the median of `values.c.total` (the mean of the middle one or two)."""
    key = values.c[partition]
    ranked = sa.select(
        key,
        values.c.total,
        sa.func.row_number().over(partition_by=key, order_by=values.c.total).label("rn"),
        sa.func.count().over(partition_by=key).label("cnt"),
    ).subquery(f"{name}_ranked")
    middle = sa.or_(ranked.c.rn == (ranked.c.cnt + 1) // 2, ranked.c.rn == (ranked.c.cnt + 2) // 2)
    return (
        sa.select(
            ranked.c[partition],
            sa.func.avg(ranked.c.total).label("median"),
            sa.func.max(ranked.c.cnt).label("n"),
        )
        .where(middle)
        .group_by(ranked.c[partition])
        .subquery(name)
    )


def _robust(values, partition: str, name: str) -> sa.Subquery:
    """Per `partition`: median, MAD and how many values."""
    med = _median(values, partition, f"{name}_med")
    dev = (
        sa.select(values.c[partition], sa.func.abs(values.c.total - med.c.median).label("total"))
        .join(med, med.c[partition] == values.c[partition])
        .subquery(f"{name}_dev")
    )
    mad = _median(dev, partition, f"{name}_mad")
    return (
        sa.select(med.c[partition], med.c.median, med.c.n, mad.c.median.label("mad"))
        .join(mad, mad.c[partition] == med.c[partition])
        .subquery(name)
    )


def _z(total, stats) -> sa.ColumnElement:
    """(total − median) / max(1.4826 × MAD, 10% of the median, 10 points)."""
    scale = sa.case(
        (MAD_SCALE * stats.c.mad >= 0.1 * stats.c.median, MAD_SCALE * stats.c.mad), else_=0.1 * stats.c.median
    )
    scale = sa.case((scale >= 10, scale), else_=10.0)
    return (total - stats.c.median) / scale


def _by_person(a: sa.Subquery, w: Window) -> sa.CTE:
    """Per person: the total of each month of `w.months` (`t0` the run's month, `t1` the one
    before, ...; NULL for a month without awards) and the community of the run's month."""
    # One grouping by account, as many groups as accounts: a column per month rather than a
    # group per account and month, which would be several times as many groups to hash or sort.
    starts = [start for _label, start in w.months]

    def within(i: int) -> sa.ColumnElement[bool]:
        after = a.c.created_at >= starts[i]
        return after if i == 0 else sa.and_(after, a.c.created_at < starts[i - 1])

    by_account = (
        sa.select(
            a.c.credit_account_id.label("account_id"),
            sa.func.max(sa.case((within(0), a.c.community_id))).label("community_id"),
            *(sa.func.sum(sa.case((within(i), a.c.amount))).label(f"t{i}") for i in range(len(starts))),
        )
        .group_by(a.c.credit_account_id)
        .subquery("by_account")
    )
    owners = person_accounts().subquery("owners")
    return (
        sa.select(owners.c.person_id, by_account)
        .join(owners, owners.c.account_id == by_account.c.account_id)
        .cte("monthly")
    )


def _jumps_stmt(a: sa.Subquery, w: Window) -> sa.Select:
    """Each person's total of the run's month, the usual total and the robust z-score, where the
    z-score reaches `jump_z`."""
    monthly = _by_person(a, w)
    least = setting("jump_min_points")
    now = (
        sa.select(
            monthly.c.person_id, monthly.c.account_id, monthly.c.community_id, monthly.c.t0.label("total")
        )
        .where(monthly.c.t0.is_not(None))
        .subquery("now")
    )
    # The earlier months, a row each, of the people whose month could be flagged at all.
    history = sa.union_all(
        *(
            sa.select(monthly.c.person_id, monthly.c[f"t{i}"].label("total")).where(
                monthly.c.t0 >= least, monthly.c[f"t{i}"].is_not(None)
            )
            for i in range(1, len(w.months))
        )
    ).subquery("history")
    own = _robust(history, "person_id", "own")
    community = _robust(now, "community_id", "community")
    own_z = sa.case((own.c.n >= setting("jump_min_history"), _z(now.c.total, own)))
    community_z = sa.case((community.c.n >= setting("jump_min_community"), _z(now.c.total, community)))
    z = sa.case((own.c.n >= setting("jump_min_history"), own_z), else_=community_z)
    scored = (
        sa.select(
            now.c.person_id,
            now.c.account_id,
            now.c.community_id,
            now.c.total,
            own_z.label("own_z"),
            sa.case((own_z.is_(None), community.c.median), else_=own.c.median).label("usual"),
            z.label("z"),
        )
        .outerjoin(own, own.c.person_id == now.c.person_id)
        .outerjoin(community, community.c.community_id == now.c.community_id)
        .where(now.c.total >= least)
        .subquery("scored")
    )
    return sa.select(scored).where(scored.c.z >= setting("jump_z"))


def monthly_jumps(w: Window) -> list[Found]:
    """People whose points this month are far above their own earlier months, or (with too
    little history) above their community's month: robust z-score ≥ `jump_z`."""
    a = award_rows(since=w.history_start, until=w.end).subquery("awards")
    jumps = rows_of(_jumps_stmt(a, w))
    if not jumps:
        return []
    # One more statement reads the month's awards of every flagged account, largest first.
    month = award_rows(since=w.month_start, until=w.end).subquery("month")
    awards: dict[int, list] = defaultdict(list)
    for award in rows_of(
        sa.select(month.c.id, month.c.credit_account_id)
        .where(month.c.credit_account_id.in_([row.account_id for row in jumps]))
        .order_by(month.c.amount.desc(), month.c.id)
    ):
        awards[award.credit_account_id].append(award)
    found = []
    for row in jumps:
        ids = awards[row.account_id][:EVIDENCE_ROWS]
        found.append(
            Found(
                Detector.MONTHLY_JUMP,
                row.community_id,
                f"person:{row.person_id}",
                w.month,
                round(float(row.z), 2),
                {
                    "total": int(row.total),
                    "usual": round(float(row.usual)),
                    "z": round(float(row.z), 1),
                    "compared_with": "community" if row.own_z is None else "own",
                },
                [{"type": "transfer", "id": r.id} for r in ids],
                subject_person_id=row.person_id,
            )
        )
    return found
