"""Reading the store: items, vouchers, what a person has redeemed in a period, stock moves."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import select

from points.db import LOCAL_TZ, session
from points.errors import NotFound
from points.org.models import OrgNode, Station
from points.pagination import Cursor, keyset
from points.people.models import Person
from points.people.queries import member_registration
from points.store.models import LIVE_STATES, Item, StockMove, Voucher


def get_item(item_id: int) -> Item:
    """The item; its community and pickup station come in the same statement, so reading them
    afterwards (`get_node`, `get_station`) costs nothing while the caller holds them
    (`item_with_places`): the session keeps only weak references to what it read."""
    return item_with_places(item_id)[0]


def item_with_places(item_id: int) -> tuple[Item, OrgNode, Station | None]:
    """The item, its community and its pickup station (None when it has none), in one statement."""
    row = (
        session()
        .exec(
            select(Item, OrgNode, Station)
            .join(OrgNode, OrgNode.id == Item.community_id)
            .outerjoin(Station, Station.id == Item.station_id)
            .where(Item.id == item_id)
        )
        .first()
    )
    if row is None:
        raise NotFound("item_not_found", "商品不存在")
    return row[0], row[1], row[2]


def item_and_home(item_id: int, person_id: int) -> tuple[Item, int | None, tuple]:
    """`get_item`, and the home community of the person asking, in one statement; and the
    item's community and station, which the caller holds while it reads them from the session."""
    home = sa.select(Person.community_id).where(Person.id == person_id).scalar_subquery()
    row = (
        session()
        .exec(
            select(Item, OrgNode, Station, home)
            .join(OrgNode, OrgNode.id == Item.community_id)
            .outerjoin(Station, Station.id == Item.station_id)
            .where(Item.id == item_id)
        )
        .first()
    )
    if row is None:
        raise NotFound("item_not_found", "商品不存在")
    return row[0], row[3], (row[1], row[2])


def get_voucher(voucher_id: int, *, lock: bool = False) -> Voucher:
    """The voucher; with `lock`, its row is locked (FOR UPDATE) and read afresh, so two
    decisions about one voucher (a cancel racing a pickup) happen one after the other."""
    stmt = select(Voucher).where(Voucher.id == voucher_id)
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    voucher = session().exec(stmt).first()
    if voucher is None:
        raise NotFound("voucher_not_found", "兑换券不存在")
    return voucher


def community_path(community_id: int) -> str:
    return session().execute(sa.select(OrgNode.path).where(OrgNode.id == community_id)).scalar_one()


def find_voucher(voucher_id: int) -> Voucher | None:
    return session().get(Voucher, voucher_id)


def find_voucher_by_number(number: str) -> Voucher | None:
    return session().exec(select(Voucher).where(Voucher.number == number)).first()


def find_voucher_by_client_key(person_id: int, client_key: str) -> Voucher | None:
    return (
        session()
        .exec(select(Voucher).where(Voucher.person_id == person_id, Voucher.client_key == client_key))
        .first()
    )


def store_communities(person: Person) -> list[int]:
    """The communities whose store a person may use: where they live, and where they reported
    as a party member (confirmed)."""
    ids = [person.community_id] if person.community_id else []
    reg = member_registration(person.id)
    if reg is not None and reg.status == "confirmed" and reg.community_id not in ids:
        ids.append(reg.community_id)
    return ids


def uses_store(person: Person, community_id: int) -> bool:
    """Whether the community's store is one of the person's (see `store_communities`)."""
    return person.community_id == community_id or community_id in store_communities(person)


def period_start(period: str, now: datetime) -> datetime:
    """The start of the local (Asia/Shanghai) day, week (Monday), month or year holding `now`."""
    local = now.astimezone(LOCAL_TZ).replace(hour=0, minute=0, second=0, microsecond=0)
    if period == "week":
        local -= timedelta(days=local.weekday())
    elif period == "month":
        local = local.replace(day=1)
    elif period == "year":
        local = local.replace(month=1, day=1)
    return local


def used_in_period(person_id: int, item: Item, now: datetime) -> int:
    """Live vouchers (issued or picked up) of this person for this item in the item's limit period."""
    if item.limit_period is None:
        return 0
    return (
        session()
        .execute(
            sa.select(sa.func.count()).where(
                Voucher.person_id == person_id,
                Voucher.item_id == item.id,
                Voucher.state.in_(LIVE_STATES),
                Voucher.issued_at >= period_start(item.limit_period, now),
            )
        )
        .scalar_one()
    )


def used_by_item(person_id: int, items: list[Item], now: datetime) -> dict[int, int]:
    """`used_in_period` for many items in one query (the store's list of cards)."""
    limited = [i for i in items if i.limit_period is not None]
    if not limited:
        return {}
    earliest = min(period_start(i.limit_period, now) for i in limited)
    rows = session().execute(
        sa.select(Voucher.item_id, Voucher.issued_at).where(
            Voucher.person_id == person_id,
            Voucher.item_id.in_([i.id for i in limited]),
            Voucher.state.in_(LIVE_STATES),
            Voucher.issued_at >= earliest,
        )
    )
    starts = {i.id: period_start(i.limit_period, now) for i in limited}
    used: dict[int, int] = {}
    for item_id, issued_at in rows:
        if issued_at >= starts[item_id]:
            used[item_id] = used.get(item_id, 0) + 1
    return used


def items_stmt(
    *,
    community_ids: list[int] | None = None,
    scope: sa.ColumnElement[bool] | None = None,
    kind: str | None = None,
    active_only: bool = True,
    affordable: dict[str, int] | None = None,
) -> sa.Select:
    """Items of these communities (or of a staff scope on the community's path), newest first,
    or — given the reader's available points per kind — what they can afford first."""
    stmt = select(Item).join(OrgNode, OrgNode.id == Item.community_id)
    if community_ids is not None:
        stmt = stmt.where(Item.community_id.in_(community_ids))
    if scope is not None:
        stmt = stmt.where(scope)
    if kind:
        stmt = stmt.where(Item.kind == kind)
    if active_only:
        stmt = stmt.where(Item.is_active)
    if affordable is not None:
        stmt = stmt.order_by(_unaffordable(affordable), Item.price)
    return stmt.order_by(Item.id.desc())


def _unaffordable(affordable: dict[str, int]) -> sa.ColumnElement[int]:
    """0 for an item in stock the reader can pay for now, 1 otherwise."""
    can_pay = sa.or_(
        sa.false(),
        *(sa.and_(Item.kind == k, Item.price <= available) for k, available in affordable.items()),
    )
    return sa.case((sa.and_(can_pay, Item.stock > 0), 0), else_=1)


def items_page(
    stmt: sa.Select, *, affordable: dict[str, int] | None = None, cursor: Cursor | None, per_page: int
) -> dict:
    """A keyset page of `items_stmt` in its order: newest first, or (given the reader's available
    points) what they can afford first, cheapest first. The second order depends on the reader,
    so no index serves it; a store's items are those of a few communities."""
    if affordable is None:
        return keyset(stmt, keys=[(Item.id, True)], cursor=cursor, per_page=per_page)

    def row_key(item: Item) -> tuple:
        can_pay = item.kind in affordable and item.price <= affordable[item.kind] and item.stock > 0
        return (0 if can_pay else 1, item.price, item.id)

    keys = [(_unaffordable(affordable), False), (Item.price, False), (Item.id, True)]
    return keyset(stmt, keys=keys, row_key=row_key, cursor=cursor, per_page=per_page)


def vouchers_stmt(
    *,
    person_id: int | None = None,
    community_ids: list[int] | None = None,
    scope: sa.ColumnElement[bool] | None = None,
    state: str | None = None,
    corrections_pending: bool = False,
) -> sa.Select:
    """Vouchers with their item, newest first: one person's, or those of a staff scope."""
    stmt = (
        sa.select(Voucher, Item)
        .join(Item, Item.id == Voucher.item_id)
        .join(OrgNode, OrgNode.id == Voucher.community_id)
    )
    if person_id is not None:
        stmt = stmt.where(Voucher.person_id == person_id)
    if community_ids is not None:
        stmt = stmt.where(Voucher.community_id.in_(community_ids))
    if scope is not None:
        stmt = stmt.where(scope)
    if state:
        stmt = stmt.where(Voucher.state == state)
    if corrections_pending:
        stmt = stmt.where(Voucher.correction_transfer_id.is_not(None))
    return stmt.order_by(Voucher.id.desc())


def vouchers_page(stmt: sa.Select, *, cursor: Cursor | None, per_page: int) -> dict:
    """A keyset page of `vouchers_stmt`, newest first: rows of (voucher, item)."""
    return keyset(
        stmt,
        keys=[(Voucher.id, True)],
        cursor=cursor,
        per_page=per_page,
        fetch="rows",
    )


def stock_moves(item_id: int, *, limit: int = 20) -> list[StockMove]:
    return list(
        session()
        .exec(
            select(StockMove).where(StockMove.item_id == item_id).order_by(StockMove.id.desc()).limit(limit)
        )
        .all()
    )


def stock_from_history(item_id: int) -> int:
    """What the stock must be: every staff move, less the vouchers that hold a piece."""
    moved = (
        session()
        .execute(
            sa.select(sa.func.coalesce(sa.func.sum(StockMove.delta), 0)).where(StockMove.item_id == item_id)
        )
        .scalar_one()
    )
    held = (
        session()
        .execute(sa.select(sa.func.count()).where(Voucher.item_id == item_id, Voucher.state.in_(LIVE_STATES)))
        .scalar_one()
    )
    return moved - held


def people_names(person_ids: set[int]) -> dict[int, str]:
    if not person_ids:
        return {}
    rows = session().execute(sa.select(Person.id, Person.name).where(Person.id.in_(person_ids)))
    return dict(rows.all())
