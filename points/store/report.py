"""The sponsor report: per community and sponsor, the goods given and what became of them, and
the points each community has in circulation (what its store may yet be asked to honour)."""

from __future__ import annotations

import sqlalchemy as sa

from points.db import session
from points.ledger.queries import balances_of
from points.org.models import OrgNode, Unit
from points.store.models import Item, StockMove, StockMoveKind, Voucher
from points.store.rules import ISSUED, PICKED_UP, redeemable_kinds

COLUMNS = (
    "community_name",
    "sponsor",
    "kind",
    "items",
    "given_count",
    "given_value_cents",
    "on_hand",
    "picked_up_count",
    "picked_up_points",
    "outstanding_count",
    "outstanding_points",
)


def _per_item_moves():
    donated = StockMove.kind == StockMoveKind.DONATION_IN.value
    return (
        sa.select(
            StockMove.item_id,
            sa.func.sum(sa.case((donated, StockMove.delta), else_=0)).label("given"),
            sa.func.sum(sa.case((donated, StockMove.value_cents), else_=0)).label("value"),
        )
        .group_by(StockMove.item_id)
        .subquery()
    )


def _per_item_vouchers():
    def count(state):
        return sa.func.sum(sa.case((Voucher.state == state, 1), else_=0))

    def points(state):
        return sa.func.sum(sa.case((Voucher.state == state, Voucher.price), else_=0))

    return (
        sa.select(
            Voucher.item_id,
            count(PICKED_UP).label("picked_up"),
            points(PICKED_UP).label("picked_up_points"),
            count(ISSUED).label("outstanding"),
            points(ISSUED).label("outstanding_points"),
        )
        .group_by(Voucher.item_id)
        .subquery()
    )


def sponsor_rows(
    *,
    scope: sa.ColumnElement[bool] | None = None,
    community_id: int | None = None,
    unit_id: int | None = None,
) -> list[dict]:
    """One row per (community, sponsor, kind), from per-item sums: no row per voucher reaches Python."""
    moves, vouchers = _per_item_moves(), _per_item_vouchers()
    total = sa.func.coalesce
    sponsor = sa.func.coalesce(Unit.name, sa.func.nullif(Item.sponsor_name, ""), sa.literal(""))
    stmt = (
        sa.select(
            Item.community_id,
            OrgNode.name.label("community_name"),
            Item.sponsor_unit_id,
            sponsor.label("sponsor"),
            Item.kind,
            sa.func.count(Item.id).label("items"),
            sa.func.sum(total(moves.c.given, 0)).label("given_count"),
            sa.func.sum(total(moves.c.value, 0)).label("given_value_cents"),
            sa.func.sum(Item.stock).label("on_hand"),
            sa.func.sum(total(vouchers.c.picked_up, 0)).label("picked_up_count"),
            sa.func.sum(total(vouchers.c.picked_up_points, 0)).label("picked_up_points"),
            sa.func.sum(total(vouchers.c.outstanding, 0)).label("outstanding_count"),
            sa.func.sum(total(vouchers.c.outstanding_points, 0)).label("outstanding_points"),
        )
        .join(OrgNode, OrgNode.id == Item.community_id)
        .outerjoin(Unit, Unit.id == Item.sponsor_unit_id)
        .outerjoin(moves, moves.c.item_id == Item.id)
        .outerjoin(vouchers, vouchers.c.item_id == Item.id)
        .group_by(Item.community_id, OrgNode.name, Item.sponsor_unit_id, sponsor, Item.kind)
        .order_by(Item.community_id, sponsor, Item.kind)
    )
    if scope is not None:
        stmt = stmt.where(scope)
    if community_id is not None:
        stmt = stmt.where(Item.community_id == community_id)
    if unit_id is not None:
        stmt = stmt.where(Item.sponsor_unit_id == unit_id)
    return [
        {k: (int(v) if isinstance(v, int | float) and k != "sponsor" else v) for k, v in r.items()}
        for r in (dict(row._mapping) for row in session().execute(stmt))
    ]


def circulation(rows: list[dict]) -> list[dict]:
    """Per community in the report and redeemable kind: points its pool issued (posted) that its
    store has not taken back yet, read from the ledger's cached balances."""
    out = []
    for community_id, name in sorted({(r["community_id"], r["community_name"]) for r in rows}):
        pool, store = balances_of("pool", community_id), balances_of("store", community_id)
        for kind in redeemable_kinds():
            out.append(
                {
                    "community_id": community_id,
                    "community_name": name,
                    "kind": kind,
                    "circulating": -pool[kind]["posted"] - store[kind]["posted"],
                }
            )
    return out
