"""Every change the store makes: items and their stock (`items`), redemptions and vouchers
(`vouchers`). Operations flush, never commit; the request, command or job commits once."""

from points.store.operations.items import adjust_stock, create_item, set_item_photo, update_item
from points.store.operations.vouchers import (
    cancel_voucher,
    decide_voucher_refund,
    expire_vouchers,
    look_up_voucher,
    pickup_voucher,
    redeem_item,
    redemption_transfer,
    request_voucher_refund,
    sold_out,
    start_redemption,
    voucher_code,
)

__all__ = [
    "adjust_stock",
    "cancel_voucher",
    "create_item",
    "decide_voucher_refund",
    "expire_vouchers",
    "look_up_voucher",
    "pickup_voucher",
    "redeem_item",
    "redemption_transfer",
    "request_voucher_refund",
    "set_item_photo",
    "sold_out",
    "start_redemption",
    "update_item",
    "voucher_code",
]
