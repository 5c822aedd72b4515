"""The store's rules: the voucher's one transition table, and whether an item can be redeemed.

Operations call `refusal` before they change a voucher and raise what it returns;
`allowed_actions` is the actions whose refusal is None, so the API's `allowed_actions` field
and the pages' buttons come from the very checks the operations run.

| action | from | to | who |
|---|---|---|---|
| `pickup` | issued | picked_up | staff at the desk (`store.pickup` over the community) |
| `cancel` | issued | cancelled | the voucher's owner; refund and stock back |
| `staff_cancel` | issued | cancelled | staff (`store.manage`), with a reason; refund and stock back |
| `expire` | issued, past `expires_at` | expired | the scheduled job; refund and stock back |
| `request_refund` | picked_up | picked_up | staff (`store.manage`): a pending refund (a correction) |
| `approve_refund`, `reject_refund` | picked_up with a pending refund | picked_up | staff independent of the request (the ledger's rule) |
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import current_app

from points.access import Actor
from points.errors import Conflict, DomainError, Forbidden, NotFound
from points.labels import N_
from points.ledger.queries import award_states, get_transfer
from points.ledger.spending import refund_refusals
from points.store.models import Item, Voucher, VoucherState

ISSUED, PICKED_UP = VoucherState.ISSUED.value, VoucherState.PICKED_UP.value
CANCELLED, EXPIRED = VoucherState.CANCELLED.value, VoucherState.EXPIRED.value

# Who may act: the voucher's owner, staff holding a permission over its community, staff
# independent of a correction's request (the ledger decides), or the scheduled job.
OWNER, SYSTEM = "owner", "system"
DESK, MANAGER, APPROVER = "store.pickup", "store.manage", "awards.approve"


@dataclass(frozen=True)
class Transition:
    sources: tuple[str, ...]
    target: str
    who: str


TRANSITIONS: dict[str, Transition] = {
    "pickup": Transition((ISSUED,), PICKED_UP, DESK),
    "cancel": Transition((ISSUED,), CANCELLED, OWNER),
    "staff_cancel": Transition((ISSUED,), CANCELLED, MANAGER),
    "expire": Transition((ISSUED,), EXPIRED, SYSTEM),
    "request_refund": Transition((PICKED_UP,), PICKED_UP, MANAGER),
    "approve_refund": Transition((PICKED_UP,), PICKED_UP, APPROVER),
    "reject_refund": Transition((PICKED_UP,), PICKED_UP, APPROVER),
}
# What a person may be offered (the job's `expire` is nobody's button).
OFFERED = tuple(action for action, rule in TRANSITIONS.items() if rule.who != SYSTEM)

_LIMIT_MESSAGES = {
    "day": N_("每人每天限兑 %(count)s 件，今天已达上限"),
    "week": N_("每人每周限兑 %(count)s 件，本周已达上限"),
    "month": N_("每人每月限兑 %(count)s 件，本月已达上限"),
    "year": N_("每人每年限兑 %(count)s 件，今年已达上限"),
}


def can_see(actor: Actor, voucher: Voucher, path: str) -> bool:
    """Its owner, and staff or readers of the store over its community."""
    return voucher.person_id == actor.person_id or any(
        actor.can(action, path) for action in ("store.pickup", "store.manage", "store.report")
    )


def correction_state(voucher: Voucher) -> str | None:
    """The staff correction of a picked-up voucher, read from the ledger: None (none asked, or
    the last one was rejected), `pending`, or `posted` (refunded)."""
    if voucher.correction_transfer_id is None:
        return None
    state = award_states([voucher.correction_transfer_id])[voucher.correction_transfer_id]["state"]
    return None if state == "voided" else state


def _who_refusal(actor: Actor | None, voucher: Voucher, rule: Transition, path: str) -> DomainError | None:
    if rule.who == SYSTEM:
        return None if actor is None else Forbidden("forbidden", "没有权限执行此操作")
    if actor is None or not can_see(actor, voucher, path):
        return NotFound("voucher_not_found", "兑换券不存在")
    if rule.who == OWNER:
        if voucher.person_id != actor.person_id:
            return Forbidden("not_owner", "只有兑换人本人可以取消，工作人员请填写原因后取消")
        return None
    if not actor.can(rule.who, path):
        return Forbidden("forbidden", "没有权限执行此操作")
    return None


def _state_refusal(voucher: Voucher, action: str) -> DomainError:
    if voucher.state == PICKED_UP:
        if action == "cancel":
            return Conflict("not_refundable", "已领取的兑换不能自行退还，如有问题请联系工作人员")
        return Conflict("already_picked_up", "该兑换券已领取")
    if voucher.state == CANCELLED:
        return Conflict("voucher_cancelled", "该兑换券已取消，积分已退还")
    if voucher.state == EXPIRED:
        return Conflict("voucher_expired", "该兑换券已过期，积分已退还")
    return Conflict("not_picked_up", "该兑换券尚未领取，可直接取消")


def _correction_refusal(actor: Actor, voucher: Voucher, action: str, now: datetime) -> DomainError | None:
    state = correction_state(voucher)
    if action == "request_refund":
        if state == "pending":
            return Conflict("refund_pending", "已有待审批的退还申请")
        if state == "posted":
            return Conflict("already_refunded", "这笔兑换已退还")
        return None
    if state != "pending":
        return Conflict("no_refund_request", "没有待审批的退还申请")
    pending = get_transfer(voucher.correction_transfer_id)
    return refund_refusals(actor, [pending], now=now).get(pending["id"])


def refusal(
    actor: Actor | None, voucher: Voucher, action: str, *, path: str, now: datetime
) -> DomainError | None:
    """Why `actor` may not do `action` to the voucher now (None: they may). `path` is the
    voucher's community's path. Codes: `voucher_not_found` (404, outside what one may see),
    `forbidden`, `not_owner` (403), `already_picked_up`, `not_refundable`, `voucher_cancelled`,
    `voucher_expired`, `not_picked_up`, `not_expired`, `refund_pending`, `already_refunded`,
    `no_refund_request` (409), and the ledger's independence refusals for decisions."""
    rule = TRANSITIONS[action]
    refused = _who_refusal(actor, voucher, rule, path)
    if refused is not None:
        return refused
    if voucher.state not in rule.sources:
        return _state_refusal(voucher, action)
    if action == "pickup" and now >= voucher.expires_at:
        return Conflict("voucher_expired", "该兑换券已过期，积分将自动退还")
    if action == "expire" and now < voucher.expires_at:
        return Conflict("not_expired", "兑换券尚未到期")
    if rule.target == PICKED_UP and rule.sources == (PICKED_UP,):
        return _correction_refusal(actor, voucher, action, now)
    return None


def allowed_actions(actor: Actor, voucher: Voucher, *, path: str, now: datetime) -> list[str]:
    return [a for a in OFFERED if refusal(actor, voucher, a, path=path, now=now) is None]


# --- redeeming an item ------------------------------------------------------------------


def redeemable_kinds() -> tuple[str, ...]:
    """The kinds of points the store takes (STORE_REDEEMABLE_KINDS)."""
    configured = current_app.config.get("STORE_REDEEMABLE_KINDS", "xingan")
    return tuple(kind.strip() for kind in configured.split(",") if kind.strip())


def redeem_refusal(item: Item, *, now: datetime, available: int | None, used: int) -> DomainError | None:
    """Why one piece of `item` cannot be redeemed now by someone with `available` points of its
    kind (None: not checked here) who has `used` live vouchers of it in its limit period (None:
    it can). The operation
    runs this under the person's lock; stock and points are then taken by conditional updates,
    which decide in the end. Codes: `item_unavailable`, `kind_not_redeemable`, `limit_reached`,
    `out_of_stock`, `insufficient_points` (all 409)."""
    if not item.is_active or (item.available_from and now < item.available_from):
        return Conflict("item_unavailable", "该商品暂不可兑换")
    if item.available_until and now >= item.available_until:
        return Conflict("item_unavailable", "该商品暂不可兑换")
    if item.kind not in redeemable_kinds():
        return Conflict("kind_not_redeemable", "按本地政策，这种积分不能兑换商品")
    if item.limit_count is not None and used >= item.limit_count:
        return Conflict(
            "limit_reached", _LIMIT_MESSAGES[item.limit_period], values={"count": item.limit_count}
        )
    if item.stock < 1:
        return Conflict("out_of_stock", "库存不足，已兑完")
    if available is not None and available < item.price:
        return Conflict(
            "insufficient_points",
            "可用积分不足（需要 %(price)s，可用 %(available)s）",
            values={"price": item.price, "available": available},
        )
    return None
