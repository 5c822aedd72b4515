"""Redeeming items for vouchers, and everything that happens to a voucher afterwards.

Locks are taken in one order everywhere, so nothing here deadlocks with itself or the ledger:
the person (a PostgreSQL advisory lock; redeeming only), the voucher row, the item row, then
the ledger's own (the community's chain head, then accounts). On SQLite the IMMEDIATE
transaction is the lock.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.dialects.postgresql import insert as _pg_insert
from sqlalchemy.dialects.sqlite import insert as _sqlite_insert
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from points.access import Actor
from points.audit.operations import audit, record_many, record_proxy_acts
from points.db import session, utcnow
from points.errors import Conflict, DomainError, NotFound
from points.ledger import spending
from points.ledger.queries import find_transfer_by_key
from points.org.queries import get_node
from points.people.queries import get_person
from points.signals import voucher_issued
from points.store.codes import (
    BadCode,
    decode_voucher,
    encode_voucher,
    new_number,
    read_desk_input,
    voucher_key,
)
from points.store.models import Item, Voucher
from points.store.queries import (
    find_voucher_by_client_key,
    find_voucher_by_number,
    get_voucher,
    item_and_home,
    used_in_period,
    uses_store,
)
from points.store.rules import CANCELLED, EXPIRED, ISSUED, PICKED_UP, can_see, redeem_refusal, refusal

_items = Item.__table__
_vouchers = Voucher.__table__
# Advisory lock namespace for a person redeeming: per-person limits are counted under it.
_PERSON_LOCK_SPACE = 0x53544F
_LOCK_PERSON = sa.text("SELECT pg_advisory_xact_lock(:space, :person)")
_TAKE_ONE = (
    sa.update(_items)
    .where(
        _items.c.id == sa.bindparam("item"),
        _items.c.stock >= 1,
        _items.c.is_active,
        _items.c.price == sa.bindparam("b_price"),
        _items.c.kind == sa.bindparam("b_kind"),
    )
    .values(stock=_items.c.stock - 1)
    .returning(_items.c.stock)
)
_PUT_BACK = sa.update(_items).where(_items.c.id == sa.bindparam("item")).values(stock=_items.c.stock + 1)


def _lock_person(person_id: int) -> None:
    conn = session().connection()
    if conn.dialect.name == "postgresql":
        conn.execute(_LOCK_PERSON, {"space": _PERSON_LOCK_SPACE, "person": person_id})


@functools.cache
def _insert_statement(dialect: str):
    """The voucher's insert, taking a number only if it is free; built once per backend (building
    it per redemption cost more than sending it)."""
    insert = {"postgresql": _pg_insert, "sqlite": _sqlite_insert}[dialect]
    return (
        insert(_vouchers)
        .values(
            {c.name: sa.bindparam(f"v_{c.name}", type_=c.type) for c in _vouchers.columns if c.name != "id"}
        )
        .on_conflict_do_nothing(index_elements=["number"])
        .returning(_vouchers.c.id)
    )


def _insert(values: dict) -> Voucher:
    """Insert with a fresh random number (a number taken already means a new draw) in one
    statement, and hand the row to the session as it is stored."""
    conn = session().connection()
    stmt = _insert_statement(conn.dialect.name)
    params = {f"v_{c.name}": values.get(c.name) for c in _vouchers.columns if c.name != "id"}
    for _attempt in range(5):
        params["v_number"] = values["number"] = new_number()
        new_id = conn.execute(stmt, params).scalar()
        if new_id is not None:
            stored = Voucher(id=new_id, **values)
            make_transient_to_detached(stored)
            session().add(stored)
            return stored
    raise Conflict("busy_retry", "系统繁忙，请重试", 503)


def _take_and_pay(actor: Actor, item: Item, voucher: Voucher, accounts: tuple[int, int], now: datetime):
    """One piece off the shelf, if one is there and the item is as the person saw it, and its
    price from the person: on PostgreSQL one statement, which locks the item's row and then the
    community's chain head."""
    taken = spending.spend_between_after(
        _TAKE_ONE,
        {"item": item.id, "b_price": item.price, "b_kind": item.kind},
        community_id=voucher.community_id,
        accounts=accounts,
        kind=voucher.kind,
        amount=voucher.price,
        idempotency_key=f"redemption:{voucher.id}",
        ref_type="redemption",
        ref_id=voucher.id,
        memo=item.name,
        requested_by_id=actor.person_id,
        now=now,
    )
    if taken is not None:
        # The stock as stored, without reading the row again while it is locked.
        set_committed_value(item, "stock", taken[0][0])
        return
    session().expire(item, ["stock", "price", "kind", "is_active"])
    if item.stock < 1:
        raise Conflict("out_of_stock", "库存不足，已兑完")
    raise Conflict("item_changed", "商品信息刚刚更新，请刷新后再兑换")


def _earlier(actor: Actor, item_id: int, client_key: str | None) -> Voucher | None:
    if not client_key:
        return None
    earlier = find_voucher_by_client_key(actor.person_id, client_key)
    if earlier is not None and earlier.item_id != item_id:
        raise Conflict("idempotency_key_reused", "该请求编号已用于兑换另一件商品")
    return earlier


def _redeemable(actor: Actor, item: Item, home_id: int | None, price: int | None, now: datetime) -> None:
    """Raise why the actor may not redeem the item now, if anything stops them."""
    if home_id != item.community_id and not uses_store(get_person(actor.person_id), item.community_id):
        raise NotFound("item_not_found", "商品不存在")
    if price is not None and price != item.price:
        raise Conflict(
            "price_changed", "价格已变为 %(price)s 分，请确认后再兑换", values={"price": item.price}
        )
    # Points are checked by the ledger's own conditional update (`insufficient_points`).
    refused = redeem_refusal(item, now=now, available=None, used=used_in_period(actor.person_id, item, now))
    if refused is not None:
        raise refused


@dataclass
class Redemption:
    """A redemption up to its last step. `pay` takes the piece and the points while holding the
    item's row and the community's chain head: whatever else the request does (storing its
    answer) goes before it, so a storm on one item queues on as little as possible. None when
    a form's key found the voucher it made before."""

    voucher: Voucher
    item: Item
    pay: Callable[[], None] | None
    # The item's community and station, read with it: the session holds them weakly.
    places: tuple = ()


def redeem_item(
    *,
    actor: Actor,
    item_id: int,
    client_key: str | None = None,
    price: int | None = None,
    now: datetime | None = None,
) -> Voucher:
    """Redeem one piece of an item: take it from stock and its price in points from the person
    (a ledger redemption `redemption:{id}` to the community's store), in one transaction, and
    issue a voucher good for STORE_VOUCHER_DAYS.

    `client_key` (the page form's own key) makes a double tap redeem once: the same key returns
    the voucher it made. `price`, when given, is the price the person confirmed. Needs the item's
    community to be one of the person's (`item_not_found` otherwise, 404). Raises `price_changed`,
    `item_changed`, and what `rules.redeem_refusal` names: `item_unavailable`,
    `kind_not_redeemable`, `limit_reached`, `out_of_stock`, `insufficient_points` (409).
    """
    redemption = start_redemption(actor=actor, item_id=item_id, client_key=client_key, price=price, now=now)
    if redemption.pay is not None:
        redemption.pay()
    return redemption.voucher


def start_redemption(
    *,
    actor: Actor,
    item_id: int,
    client_key: str | None = None,
    price: int | None = None,
    now: datetime | None = None,
    read: tuple | None = None,
) -> Redemption:
    """`redeem_item` but its last step, which the caller runs (`pay`) after what it must do
    first; the voucher is issued already. `read` is what `queries.item_and_home` answered
    earlier in this transaction, if the caller asked it. Raises what `redeem_item` raises, except what only
    the last step knows: `out_of_stock` and `item_changed` when another redemption or a change
    came in between, and `insufficient_points`."""
    now = now or utcnow()
    item, home_id, places = read or item_and_home(item_id, actor.person_id)
    if item.limit_count is not None or client_key:
        # Limits are counted, and a form's key looked up, one redemption of the person at a time.
        # Without either nothing needs it: the ledger's conditional update guards the points.
        _lock_person(actor.person_id)
        earlier = _earlier(actor, item_id, client_key)
        if earlier is not None:
            return Redemption(earlier, item, None, places)
    _redeemable(actor, item, home_id, price, now)
    accounts = spending.spending_accounts(
        community_id=item.community_id, payer_type="person", payer_id=actor.person_id, kind=item.kind
    )
    voucher = _issue(actor, item, client_key, now)
    voucher_issued.send(None, voucher_id=voucher.id, person_id=actor.person_id, item=item.name, now=now)
    return Redemption(voucher, item, lambda: _take_and_pay(actor, item, voucher, accounts, now), places)


def sold_out(
    actor: Actor, read: tuple, *, price: int | None, now: datetime | None = None
) -> DomainError | None:
    """The refusal of a redemption once the item's stock has run out, from what
    `queries.item_and_home` read, with no lock taken and nothing written: the code the
    redemption itself would give (`item_not_found`, `price_changed`, `item_unavailable`, …,
    `out_of_stock`). None while there is stock, and for an item with a limit (counted under the
    person's lock): the redemption decides."""
    item, home_id, _places = read
    if item.stock >= 1 or item.limit_count is not None:
        return None
    try:
        _redeemable(actor, item, home_id, price, now or utcnow())
    except DomainError as refusal:
        return refusal
    return None


def _issue(actor: Actor, item, client_key: str | None, now: datetime) -> Voucher:
    """The voucher of a redemption, inserted with its audit entry before any lock is taken."""
    voucher = _insert(
        {
            "item_id": item.id,
            "community_id": item.community_id,
            "person_id": actor.person_id,
            "kind": item.kind,
            "price": item.price,
            "state": ISSUED,
            "client_key": client_key or None,
            "issued_at": now,
            "expires_at": now + timedelta(days=current_app.config["STORE_VOUCHER_DAYS"]),
            "end_reason": "",
        }
    )
    # One statement, no unit of work to flush: this is the storm's hot path.
    record_many(
        actor_id=actor.person_id,
        action="voucher.issued",
        target_type="voucher",
        entries=[(voucher.id, voucher.community_id, {"item_id": item.id, "price": item.price})],
        now=now,
    )
    if actor.proxy_id is not None:
        record_proxy_acts(
            person_id=actor.person_id,
            proxy_id=actor.proxy_id,
            action="voucher.issued",
            targets=[("voucher", voucher.id)],
            now=now,
        )
    return voucher


def redemption_transfer(voucher: Voucher) -> dict:
    """The ledger row that took the voucher's points."""
    row = find_transfer_by_key(f"redemption:{voucher.id}")
    if row is None:
        raise NotFound("not_found", "未找到")
    return row


def _decided(actor: Actor | None, voucher_id: int, action: str, now: datetime) -> Voucher:
    """The voucher, locked, once `action` is allowed to `actor`; else the refusal is raised."""
    voucher = get_voucher(voucher_id, lock=True)
    refused = refusal(actor, voucher, action, path=get_node(voucher.community_id).path, now=now)
    if refused is not None:
        raise refused
    return voucher


def _give_back(actor_id: int | None, voucher: Voucher, *, state: str, reason: str, now: datetime) -> None:
    """End a voucher that was not picked up: its piece back on the shelf, its points back by a
    refund transfer pointing at the redemption."""
    voucher.state, voucher.ended_at, voucher.ended_by_id, voucher.end_reason = state, now, actor_id, reason
    session().connection().execute(_PUT_BACK, {"item": voucher.item_id})
    row = spending.refund(
        actor_id=actor_id, transfer_id=redemption_transfer(voucher)["id"], memo=reason, now=now
    )
    voucher.refund_transfer_id = row["id"]


def cancel_voucher(
    *,
    actor: Actor,
    voucher_id: int,
    reason: str = "",
    by_staff: bool | None = None,
    now: datetime | None = None,
) -> Voucher:
    """Cancel a voucher not yet picked up: its owner (`cancel`), or staff with a reason
    (`staff_cancel`; `by_staff` None: staff unless the actor owns it). Refunds the points and
    puts the piece back, in one transaction. Raises `reason_required` (staff) and what
    `rules.refusal` names for the action."""
    now = now or utcnow()
    reason = reason.strip()
    voucher = get_voucher(voucher_id)
    if by_staff is None:
        by_staff = voucher.person_id != actor.person_id
    action = "staff_cancel" if by_staff else "cancel"
    if action == "staff_cancel" and not reason:
        # Outside the scope the voucher is not found, whatever the reason says.
        _decided(actor, voucher_id, action, now)
        raise DomainError("reason_required", "工作人员取消时请写明原因", 422, errors={"reason": ["必填"]})
    voucher = _decided(actor, voucher_id, action, now)
    _give_back(actor.person_id, voucher, state=CANCELLED, reason=reason, now=now)
    audit(actor, "voucher.cancelled", voucher, detail={"reason": reason, "by": action}, now=now)
    return voucher


def pickup_voucher(*, actor: Actor, voucher_id: int, now: datetime | None = None) -> Voucher:
    """Staff at the desk hand the piece over: issued → picked_up, once. Raises what
    `rules.refusal` names for `pickup` (`already_picked_up` on a second pickup)."""
    now = now or utcnow()
    voucher = _decided(actor, voucher_id, "pickup", now)
    voucher.state, voucher.picked_up_at, voucher.picked_up_by_id = PICKED_UP, now, actor.person_id
    audit(actor, "voucher.picked_up", voucher, now=now)
    return voucher


def expire_vouchers(*, now: datetime | None = None, batch: int = 200) -> int:
    """Expire vouchers past their time that nobody picked up: refund and stock back for each.
    Safe to run twice: an expired voucher is not issued any more."""
    now = now or utcnow()
    ids = (
        session()
        .execute(
            sa.select(Voucher.id)
            .where(Voucher.state == ISSUED, Voucher.expires_at <= now)
            .order_by(Voucher.id)
            .limit(batch)
        )
        .scalars()
        .all()
    )
    expired = 0
    for voucher_id in ids:
        voucher = get_voucher(voucher_id, lock=True)
        if refusal(None, voucher, "expire", path="", now=now) is not None:
            continue  # picked up or cancelled meanwhile
        _give_back(None, voucher, state=EXPIRED, reason="", now=now)
        audit(None, "voucher.expired", voucher, now=now)
        expired += 1
    return expired


def request_voucher_refund(
    *, actor: Actor, voucher_id: int, reason: str, now: datetime | None = None
) -> Voucher:
    """Staff ask to give back the points of a picked-up voucher (a correction): a pending refund
    in the ledger that someone independent approves. The piece is not put back: goods that come
    back are a stock move. Raises `reason_required` and what `rules.refusal` names."""
    now = now or utcnow()
    voucher = _decided(actor, voucher_id, "request_refund", now)
    row = spending.request_refund(
        actor=actor,
        transfer_id=redemption_transfer(voucher)["id"],
        reason=reason,
        # After a rejection the next request is a new one.
        idempotency_key=f"redemption:{voucher.id}:refund-request:{voucher.correction_transfer_id or 0}",
        now=now,
    )
    voucher.correction_transfer_id = row["id"]
    return voucher


def decide_voucher_refund(
    *, actor: Actor, voucher_id: int, approve: bool, reason: str = "", now: datetime | None = None
) -> Voucher:
    """Approve or reject (with a reason) the pending refund of a picked-up voucher. Raises what
    `rules.refusal` names, the ledger's independence refusals among them."""
    now = now or utcnow()
    voucher = _decided(actor, voucher_id, "approve_refund" if approve else "reject_refund", now)
    spending.decide_refund(
        actor=actor, transfer_id=voucher.correction_transfer_id, approve=approve, reason=reason, now=now
    )
    return voucher


def voucher_code(voucher: Voucher) -> str:
    """The signed code a voucher's QR carries."""
    return encode_voucher(voucher.id, voucher_key(current_app.config["SECRET_KEY"]))


def look_up_voucher(*, actor: Actor, text: str, for_desk: bool = True) -> Voucher:
    """The voucher staff scanned (its QR's URL or code) or typed (its number) at the desk; with
    `for_desk` False, any voucher the actor may see (its owner opening their own QR). Raises
    `invalid_voucher_code` (422), and `voucher_not_found` (404) outside the desk's scope."""
    parsed = read_desk_input(text)
    if parsed is None:
        raise DomainError("invalid_voucher_code", "无法识别的兑换码，请重新扫描或输入 8 位兑换号", 422)
    how, value = parsed
    if how == "number":
        voucher = find_voucher_by_number(value)
    else:
        try:
            voucher_id = decode_voucher(value, voucher_key(current_app.config["SECRET_KEY"]))
        except BadCode as exc:
            raise DomainError("invalid_voucher_code", "兑换码无效或已被篡改", 422) from exc
        voucher = session().get(Voucher, voucher_id)
    if voucher is None:
        raise NotFound("voucher_not_found", "兑换券不存在")
    path = get_node(voucher.community_id).path
    if not (actor.can("store.pickup", path) if for_desk else can_see(actor, voucher, path)):
        raise NotFound("voucher_not_found", "兑换券不存在")
    return voucher
