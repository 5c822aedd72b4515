"""What a redemption does while it holds the item's row (and then the community's chain head):
only the stock and the ledger's posting, on PostgreSQL in one statement. Everything else (the
voucher, its audit entry, the notice, what the answer shows, the stored answer) happens before,
so a storm on one item queues on as little as possible."""

from __future__ import annotations

from points.ledger import posting
from points.ledger.verify import verify_ledger
from tests.ledger.test_statement_counts import counted
from tests.store.test_api import key

LEDGER_TABLES = ("ledger_transfers", "ledger_chain_heads", "ledger_accounts", "ledger_budgets")


def test_nothing_but_the_posting_follows_the_stock_update(shop, make_item, api_as, sess):
    resident_api = api_as(shop.resident)
    item = make_item(price=8, stock=5)
    with counted() as statements:
        r = resident_api.post(f"/api/v1/store/items/{item.id}/redeem", json={"price": 8}, headers=key())
    assert r.status_code == 201, r.json
    assert r.json["item_name"] == item.name
    flat = [" ".join(s.split()) for s in statements]
    taken = next(i for i, s in enumerate(flat) if "UPDATE store_items SET stock" in s)
    before, after = flat[:taken], flat[taken + 1 :]
    assert any(s.startswith("INSERT INTO store_vouchers") for s in before)
    assert any(s.startswith("INSERT INTO notices") for s in before)
    assert any(s.startswith("UPDATE idempotency_records") for s in before)
    if sess.get_bind().dialect.name == "postgresql":
        # One round trip takes the piece and posts.
        assert "ledger_post_after(" in flat[taken]
    # The tests' transaction ends the request with a savepoint's release, not a commit.
    ended = ("RELEASE SAVEPOINT", "COMMIT")
    for statement in after:
        assert statement.startswith(ended) or any(table in statement for table in LEDGER_TABLES), statement


def test_a_redemption_posts_in_one_call_whoever_moved_the_head_last(shop, make_item, api_as, sess):
    """Another process posting in the community leaves this one's idea of the head stale: the
    row is still hashed for the head it follows, in the one call."""
    item = make_item(price=8, stock=5)
    database = sess.connection().connection.dbapi_connection
    if sess.get_bind().dialect.name == "postgresql":
        posting._HEADS[(database.info.dbname, item.community_id)] = (999, "f" * 64)
    with counted() as statements:
        r = api_as(shop.resident).post(f"/api/v1/store/items/{item.id}/redeem", json={}, headers=key())
    assert r.status_code == 201, r.json
    if sess.get_bind().dialect.name == "postgresql":
        assert sum("ledger_post_after(" in s for s in statements) == 1
    assert verify_ledger().ok


def test_a_sold_out_item_is_refused_before_anything_is_written(shop, make_item, api_as):
    item = make_item(price=8, stock=1)
    first, again = key(), key()
    resident_api = api_as(shop.resident)
    assert (
        resident_api.post(f"/api/v1/store/items/{item.id}/redeem", json={}, headers=first).status_code == 201
    )
    with counted() as statements:
        refused = resident_api.post(f"/api/v1/store/items/{item.id}/redeem", json={}, headers=again)
    assert refused.status_code == 409 and refused.json["code"] == "out_of_stock"
    assert not [s for s in statements if s.lstrip().startswith(("INSERT", "UPDATE", "DELETE"))], statements
    # The key of the redemption that took the last piece still replays its answer.
    replayed = resident_api.post(f"/api/v1/store/items/{item.id}/redeem", json={}, headers=first)
    assert replayed.status_code == 201 and replayed.headers["Idempotent-Replayed"] == "true"
    # A sold-out item of another community is still not found, and a moved price still says so.
    assert (
        api_as(shop.other).post(f"/api/v1/store/items/{item.id}/redeem", json={}, headers=key()).status_code
        == 404
    )
    moved = resident_api.post(f"/api/v1/store/items/{item.id}/redeem", json={"price": 5}, headers=key())
    assert moved.status_code == 409 and moved.json["code"] == "price_changed"
