"""What a redemption does while it holds the item's row (and then the community's chain head):
only the stock, the ledger's posting and the stored answer. Everything else (the voucher, its
audit entry, the notice, what the answer shows) happens before, so a storm on one item queues on
as little as possible."""

from __future__ import annotations

from tests.ledger.test_statement_counts import counted
from tests.store.test_api import key


def test_nothing_but_the_posting_and_the_stored_answer_follows_the_stock_update(shop, make_item, api_as):
    resident_api = api_as(shop.resident)
    item = make_item(price=8, stock=5)
    with counted() as statements:
        r = resident_api.post(f"/api/v1/store/items/{item.id}/redeem", json={"price": 8}, headers=key())
    assert r.status_code == 201, r.json
    assert r.json["item_name"] == item.name
    flat = [" ".join(s.split()) for s in statements]
    taken = next(i for i, s in enumerate(flat) if s.startswith("UPDATE store_items SET stock"))
    before, after = flat[:taken], flat[taken + 1 :]
    assert any(s.startswith("INSERT INTO store_vouchers") for s in before)
    assert any(s.startswith("INSERT INTO notices") for s in before)
    for statement in after:
        assert not any(
            table in statement
            for table in ("store_items", "store_vouchers", "org_nodes", "notices", "people")
        ), statement
    assert any(s.startswith("UPDATE idempotency_records") for s in after)
