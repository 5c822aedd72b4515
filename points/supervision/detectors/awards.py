"""Detectors over the ledger's awards: pairs who give each other points, and discretionary
awards clustered under one person."""

from __future__ import annotations

from collections import defaultdict

import sqlalchemy as sa

from points.ledger.queries import award_rows, person_accounts
from points.supervision.detectors.base import EVIDENCE_ROWS, Found, Window, rows_of, setting
from points.supervision.models import Detector
from points.supervision.sql import table_order

# --- 1. pairs who approve or verify each other's points ---------------------------------


def _edges(w: Window) -> sa.CTE:
    """Who gave points to whom: (approver or verifier, the person credited, transfer, community)."""
    # Only rows someone approved or verified: the accounts are looked up for those alone. Read
    # first, on their own: joined in one step, SQLite walked the transfers account by account
    # through their index, several times slower than reading them in order.
    rows = award_rows(since=w.start, until=w.end)
    c = rows.selected_columns
    a = (
        rows.where(sa.or_(c.approved_by_id.is_not(None), c.verified_by_id.is_not(None)))
        .cte("given_awards")
        .prefix_with("MATERIALIZED")
    )
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


def _given_counts(w: Window) -> sa.CTE:
    """Who gave how many awards to whom: (giver, the person credited, `n`), self-gifts left out."""
    # Counted per (approver, verifier, account) on the approved or verified rows alone, narrow,
    # before the accounts are looked up, and kept for both roles (one pass over the transfers):
    # where matching every row to its account and carrying it whole through the pairs cost more.
    # The account read in table order: SQLite would otherwise walk the transfers by its index.
    rows = award_rows(since=w.start, until=w.end)
    c = rows.selected_columns
    a = rows.where(sa.or_(c.approved_by_id.is_not(None), c.verified_by_id.is_not(None))).subquery(
        "given_awards"
    )
    account = table_order(a.c.credit_account_id)
    counted = (
        sa.select(
            a.c.approved_by_id, a.c.verified_by_id, account.label("account_id"), sa.func.count().label("n")
        )
        .group_by(a.c.approved_by_id, a.c.verified_by_id, account)
        .cte("given_counts")
        .prefix_with("MATERIALIZED")
    )
    owners = person_accounts().subquery("owners")
    return sa.union_all(
        *(
            sa.select(giver.label("giver"), owners.c.person_id.label("taker"), counted.c.n)
            .join(owners, owners.c.account_id == counted.c.account_id)
            .where(giver.is_not(None), giver != owners.c.person_id)
            for giver in (counted.c.approved_by_id, counted.c.verified_by_id)
        )
    ).cte("given_edges")


def _pairs_stmt(w: Window) -> sa.Select:
    """Pairs (giver < taker) who gave to each other, with how much of all each gave."""
    edges = _given_counts(w)
    # Sums of counts cast back to whole numbers (PostgreSQL's sum of a count is numeric).
    pairs = (
        sa.select(edges.c.giver, edges.c.taker, sa.cast(sa.func.sum(edges.c.n), sa.BigInteger).label("n"))
        .group_by(edges.c.giver, edges.c.taker)
        .cte("pairs")
    )
    total = sa.cast(sa.func.sum(pairs.c.n), sa.BigInteger).label("total")
    given = sa.select(pairs.c.giver, total).group_by(pairs.c.giver).cte("given")
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
    pairs = rows_of(_pairs_stmt(w))
    if not pairs:
        return []
    edges = _edges(w)
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


def _grouped(w: Window) -> sa.CTE:
    """Award points and awards per community, kind, and (for discretionary awards only) approver
    and requester: one grouping over the window's awards, a few rows per community, from which
    both the community's totals and each person's discretionary share are summed."""
    every = award_rows(since=w.start, until=w.end).subquery("every")
    discretion = every.c.proof == "discretion"
    approver = sa.case((discretion, every.c.approved_by_id))
    requester = sa.case((discretion, every.c.requested_by_id))
    community = table_order(every.c.community_id)
    return (
        sa.select(
            community.label("community_id"),
            every.c.kind,
            approver.label("approved_by_id"),
            requester.label("requested_by_id"),
            sa.func.sum(every.c.amount).label("points"),
            sa.func.count().label("awards"),
        )
        .group_by(community, every.c.kind, approver, requester)
        .cte("grouped")
    )


def _clusters_stmt(w: Window) -> sa.Select:
    """Per approver and per requester, community and kind: discretionary points and awards, and
    the community's award points of the kind, where they pass the thresholds."""
    # Rows with an approver or a requester are discretionary awards only (`_grouped`).
    g = _grouped(w)
    totals = (
        sa.select(g.c.community_id, g.c.kind, sa.func.sum(g.c.points).label("total"))
        .group_by(g.c.community_id, g.c.kind)
        .subquery("totals")
    )
    by_role = sa.union_all(
        *(
            sa.select(
                sa.literal(role).label("role"),
                who.label("who"),
                g.c.community_id,
                g.c.kind,
                sa.func.sum(g.c.points).label("points"),
                sa.func.sum(g.c.awards).label("awards"),
            )
            .where(who.is_not(None))
            .group_by(who, g.c.community_id, g.c.kind)
            for role, who in (("approver", g.c.approved_by_id), ("requester", g.c.requested_by_id))
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
    clusters = rows_of(_clusters_stmt(w))
    if not clusters:
        return []
    rows = award_rows(since=w.start, until=w.end)
    a = rows.where(rows.selected_columns.proof == "discretion").subquery("discretionary")
    # One more statement reads the discretionary awards of every cluster's people.
    people = {row.who for row in clusters}
    # Filed under each (role, person, community, kind) in one pass, largest first, rather than
    # searched again for every cluster (800 clusters over 100k awards took minutes).
    awards: dict[tuple, list] = defaultdict(list)
    for r in rows_of(
        sa.select(a.c.id, a.c.approved_by_id, a.c.requested_by_id, a.c.community_id, a.c.kind)
        .where(sa.or_(a.c.approved_by_id.in_(people), a.c.requested_by_id.in_(people)))
        .order_by(a.c.amount.desc(), a.c.id)
    ):
        awards[("approver", r.approved_by_id, r.community_id, r.kind)].append(r)
        awards[("requester", r.requested_by_id, r.community_id, r.kind)].append(r)
    found = []
    for row in clusters:
        ids = awards[(row.role, row.who, row.community_id, row.kind)][:EVIDENCE_ROWS]
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
