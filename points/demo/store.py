"""The store's demo: 红升社区's 积分超市 with ten items, most given by two co-building units,
and vouchers picked up, outstanding and refunded. Safe to run twice: an existing store is left
as it is."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import sqlalchemy as sa

from points.auth.current import actor_for
from points.db import session
from points.ledger import operations as ledger
from points.store import operations
from points.store.models import Item

# (name, description, price, stock, sponsor: unit index or donor name or None, value in fen,
#  limit per month or None)
ITEMS = (
    ("东北大米 5kg", "五常产新米，真空包装", 40, 20, 0, 3500, 2),
    ("大豆油 5L", "非转基因压榨大豆油", 60, 10, 0, 6990, 1),
    ("洗衣液 2kg", "薰衣草香型", 15, 30, 1, 1990, None),
    ("抽纸 10 包", "三层加厚", 10, 40, 1, 1500, None),
    ("香皂", "抑菌香皂一块", 5, 50, "爱心人士王秀英", 400, None),
    ("毛巾", "纯棉毛巾一条", 8, 25, 1, 800, None),
    ("理发券", "红升理发店理发一次，凭券到店", 12, 20, "红升理发店", 2000, 1),
    ("家政服务 1 小时", "上门保洁一小时，需提前一天预约", 30, 10, 0, 5000, 1),
    ("保温杯", "500ml 不锈钢保温杯", 20, 15, 1, 2500, None),
    ("老花镜", "+150 / +200 / +250 度可选", 25, 8, None, 3000, None),
)
# (resident index among 红升社区's people with points, item index, days ago, what happened next)
REDEMPTIONS = (
    ("resident", 4, 12, "picked_up"),
    (0, 0, 9, "picked_up"),
    (1, 2, 6, "picked_up"),
    (2, 6, 1, "issued"),
    (3, 3, 3, "cancelled"),
)


def _stocked(community_id: int) -> bool:
    return (
        session().execute(sa.select(Item.id).where(Item.community_id == community_id).limit(1)).first()
        is not None
    )


def _items(objects: dict, staff, now: datetime) -> list[Item]:
    community, units = objects["communities"][0], objects["units"]
    station = objects["stations"][1]
    items = []
    for name, description, price, stock, sponsor, value, monthly in ITEMS:
        sponsoring = {"sponsor_unit_id": units[sponsor].id} if isinstance(sponsor, int) else {}
        if isinstance(sponsor, str):
            sponsoring = {"sponsor_name": sponsor}
        limits = {"limit_count": monthly, "limit_period": "month"} if monthly else {}
        items.append(
            operations.create_item(
                actor=staff,
                community_id=community.id,
                name=name,
                description=description,
                price=price,
                stock=stock,
                station_id=station.id,
                unit_value_cents=value,
                now=now - timedelta(days=20),
                **sponsoring,
                **limits,
            )
        )
    return items


def _shoppers(objects: dict, now: datetime) -> list:
    """Four residents of 红升社区 with 兴安分 earned at the demo's duty shifts."""
    community = objects["communities"][0]
    logins = {p.id for p in objects["logins"].values()}
    shoppers = [p for p in objects["people"] if p.community_id == community.id and p.id not in logins][:4]
    for i, person in enumerate(shoppers):
        ledger.request_award(
            community_id=community.id,
            recipient_type="person",
            recipient_id=person.id,
            kind="xingan",
            amount=60,
            reason="checkin_award",
            proof="checkin",
            idempotency_key=f"demo:store:points:{i}",
            memo="社区志愿服务值班",
            auto_post=True,
            now=now - timedelta(days=15),
        )
    return shoppers


def load_store(objects: dict, *, now: datetime, echo: Callable[..., None]) -> dict[str, int]:
    """Stock 红升社区's store and redeem a few vouchers; {"store_items": n, "vouchers": m} added."""
    community = objects["communities"][0]
    if _stocked(community.id):
        return {"store_items": 0, "vouchers": 0}
    staff = actor_for(objects["logins"]["staff"])
    items = _items(objects, staff, now)
    shoppers = _shoppers(objects, now)
    for who, item_index, days, outcome in REDEMPTIONS:
        person = objects["logins"]["resident"] if who == "resident" else shoppers[who]
        actor = actor_for(person)
        when = now - timedelta(days=days)
        voucher = operations.redeem_item(actor=actor, item_id=items[item_index].id, now=when)
        if outcome == "picked_up":
            operations.pickup_voucher(actor=staff, voucher_id=voucher.id, now=when + timedelta(hours=2))
        elif outcome == "cancelled":
            operations.cancel_voucher(actor=actor, voucher_id=voucher.id, now=when + timedelta(hours=1))
    echo(f"积分超市: {len(items)} items in {community.name}, {len(REDEMPTIONS)} vouchers")
    return {"store_items": len(items), "vouchers": len(REDEMPTIONS)}
