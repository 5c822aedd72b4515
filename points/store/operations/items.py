"""Items of a community's store, their stock and their photos; every change is audited."""

from __future__ import annotations

from datetime import datetime

from points import photos
from points.access import Actor
from points.audit.operations import audit
from points.db import session, utcnow
from points.errors import Conflict, DomainError
from points.org.queries import get_node, get_station, get_unit
from points.store.models import PHOTOS, Item, StockMove, StockMoveKind
from points.store.queries import get_item
from points.store.rules import redeemable_kinds

# What staff may change on an item (price and stock have their own audit detail; stock moves
# through `adjust_stock` only).
EDITABLE = (
    "name",
    "description",
    "kind",
    "price",
    "limit_count",
    "limit_period",
    "station_id",
    "sponsor_unit_id",
    "sponsor_name",
    "unit_value_cents",
    "available_from",
    "available_until",
    "is_active",
)


def _managed(actor: Actor, community_id: int):
    community = get_node(community_id)
    actor.require("store.manage", community.path)
    if community.level != "community":
        raise DomainError("invalid_community", "积分超市设在社区", 422, errors={"community_id": ["应为社区"]})
    return community


def _check_item(item: Item) -> None:
    """Domain rules on an item's fields (their formats and limits are the schema's)."""
    if item.kind not in redeemable_kinds():
        raise DomainError(
            "kind_not_redeemable", "按本地政策，这种积分不能兑换商品", 422, errors={"kind": ["不可兑换"]}
        )
    if item.station_id is not None and get_station(item.station_id).node_id != item.community_id:
        raise DomainError(
            "invalid_station", "领取站点不属于本社区", 422, errors={"station_id": ["站点不属于本社区"]}
        )
    if item.sponsor_unit_id is not None:
        get_unit(item.sponsor_unit_id)
        if item.sponsor_name:
            raise DomainError(
                "one_sponsor",
                "赞助方请选单位或填写捐赠人，不能两者都填",
                422,
                errors={"sponsor_name": ["只填一项"]},
            )
    if (item.limit_count is None) != (item.limit_period is None):
        raise DomainError(
            "invalid_limit", "限兑数量和周期需同时填写", 422, errors={"limit_count": ["需同时填写周期"]}
        )
    if item.available_from and item.available_until and item.available_until <= item.available_from:
        raise DomainError(
            "invalid_window",
            "结束时间应晚于开始时间",
            422,
            errors={"available_until": ["结束时间应晚于开始时间"]},
        )


def create_item(
    *,
    actor: Actor,
    community_id: int,
    name: str,
    price: int,
    stock: int = 0,
    now: datetime | None = None,
    **fields,
) -> Item:
    """Put an item in a community's store; a starting stock counts as donated (`donation_in`).
    `fields` are among EDITABLE. Needs `store.manage` over the community. Raises
    `kind_not_redeemable`, `invalid_station`, `one_sponsor`, `invalid_limit`, `invalid_window`."""
    now = now or utcnow()
    _managed(actor, community_id)
    unknown = set(fields) - set(EDITABLE)
    if unknown:
        raise TypeError(f"not editable: {sorted(unknown)}")
    item = Item(
        community_id=community_id,
        name=name,
        price=price,
        stock=0,
        created_by_id=actor.person_id,
        created_at=now,
        updated_at=now,
        **fields,
    )
    _check_item(item)
    session().add(item)
    audit(
        actor, "store_item.created", item, detail={"name": name, "price": price, "kind": item.kind}, now=now
    )
    if stock:
        adjust_stock(actor=actor, item_id=item.id, kind=StockMoveKind.DONATION_IN, quantity=stock, now=now)
    return item


def update_item(*, actor: Actor, item_id: int, now: datetime | None = None, **changes) -> Item:
    """Change an item's fields (among EDITABLE); the audit entry keeps each change as [before,
    after], price included. Raises what `create_item` raises."""
    now = now or utcnow()
    item = get_item(item_id)
    _managed(actor, item.community_id)
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise TypeError(f"not editable: {sorted(unknown)}")
    changed = {}
    for name, value in changes.items():
        before = getattr(item, name)
        if before != value:
            changed[name] = [_plain(before), _plain(value)]
            setattr(item, name, value)
    if not changed:
        return item
    _check_item(item)
    item.updated_at = now
    audit(actor, "store_item.updated", item, detail=changed, now=now)
    return item


def _plain(value):
    return value.isoformat() if isinstance(value, datetime) else value


def adjust_stock(
    *, actor: Actor, item_id: int, kind: str, quantity: int, note: str = "", now: datetime | None = None
) -> StockMove:
    """Move stock by hand: `donation_in` adds `quantity` pieces (valued at the item's declared
    value, for the sponsor report), `write_off` takes `quantity` away, `stocktake_adjust` sets
    the stock to the `quantity` counted on the shelf. Stock never goes below zero
    (`stock_negative`, 409); nothing to change is `no_change` (422)."""
    now = now or utcnow()
    item = get_item(item_id)
    _managed(actor, item.community_id)
    session().refresh(item, with_for_update=True)
    if quantity < 0 or (quantity == 0 and kind != StockMoveKind.STOCKTAKE):
        raise DomainError("invalid_quantity", "数量应为正整数", 422, errors={"quantity": ["应为正整数"]})
    delta = {
        StockMoveKind.DONATION_IN: quantity,
        StockMoveKind.WRITE_OFF: -quantity,
        StockMoveKind.STOCKTAKE: quantity - item.stock,
    }[StockMoveKind(kind)]
    if delta == 0:
        raise DomainError("no_change", "库存没有变化", 422, errors={"quantity": ["与现有库存相同"]})
    if item.stock + delta < 0:
        raise Conflict("stock_negative", "库存不能少于零（现有 %(stock)s）", values={"stock": item.stock})
    before = item.stock
    item.stock += delta
    item.updated_at = now
    value = delta * item.unit_value_cents if kind == StockMoveKind.DONATION_IN else 0
    move = StockMove(
        item_id=item.id,
        kind=kind,
        delta=delta,
        value_cents=value,
        note=note.strip(),
        actor_id=actor.person_id,
        created_at=now,
    )
    session().add(move)
    audit(
        actor,
        "store_item.stock_changed",
        item,
        detail={"kind": str(kind), "stock": [before, item.stock], "note": note.strip()},
        now=now,
    )
    return move


def set_item_photo(*, actor: Actor, item_id: int, data: bytes, now: datetime | None = None) -> Item:
    """Give an item a photo: checked, upright, shrunk and re-encoded (see `photos`). Raises
    `photo_too_large` (413), `invalid_photo` (422)."""
    now = now or utcnow()
    item = get_item(item_id)
    _managed(actor, item.community_id)
    name = photos.save(PHOTOS, data)
    audit(actor, "store_item.updated", item, detail={"photo": [item.photo, name]}, now=now)
    item.photo, item.updated_at = name, now
    return item
