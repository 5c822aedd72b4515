"""The store's lists page by cursor: a person's vouchers, the desk's waiting vouchers and the
items (what the reader can afford first), through the API and the pages."""

from __future__ import annotations

import pytest

from points.store import operations
from tests.keyset_walk import assert_api_walk, page_walk
from tests.store.conftest import NOW


@pytest.fixture
def vouchers(shop, make_item):
    """Six items at prices the resident can and cannot pay; one voucher each for five of them."""
    items = [make_item(name=f"商品{n}", price=price) for n, price in enumerate((8, 8, 5, 12, 9, 500))]
    return [operations.redeem_item(actor=shop.actor, item_id=item.id, now=NOW) for item in items[:5]]


def test_my_vouchers_page_by_cursor_newest_first(shop, vouchers, api_as):
    ids = assert_api_walk(api_as(shop.resident).get, "/api/v1/me/vouchers")
    assert ids == [v.id for v in reversed(vouchers)]


def test_the_desk_vouchers_page_by_cursor(shop, vouchers, api_as):
    ids = assert_api_walk(api_as(shop.staff).get, "/api/v1/store/vouchers", state="issued")
    assert ids == [v.id for v in reversed(vouchers)]


def test_the_items_page_by_cursor_affordable_first(shop, vouchers, api_as):
    items = api_as(shop.poor).get("/api/v1/store/items", query_string={"per_page": 100}).json["items"]
    ids = assert_api_walk(api_as(shop.poor).get, "/api/v1/store/items")
    assert ids == [i["id"] for i in items]
    # 10 points: what they can pay first, cheapest first (the newest of one price first), then the rest.
    assert [i["price"] for i in items] == [5, 8, 8, 9, 12, 500]
    assert items[1]["id"] > items[2]["id"]
    assert_api_walk(api_as(shop.staff).get, "/api/v1/store/items", manage="true")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_pages_walk_vouchers_and_items_by_their_links(shop, vouchers, page_as, api_as, monkeypatch, lang):
    from points.store.pages import desk, manage
    from points.store.pages import shop as shelf

    for module in (desk, manage, shelf):
        monkeypatch.setattr(module, "PER_PAGE", 2)
    newest_first = [str(v.id) for v in reversed(vouchers)]
    resident, staff = page_as(shop.resident), page_as(shop.staff)
    for client in (resident, staff):
        client.set_cookie("lang", lang)
    assert page_walk(resident, "/store/vouchers", r'href="/store/vouchers/(\d+)"') == newest_first
    assert page_walk(staff, "/store/desk", r'href="/store/vouchers/(\d+)"') == newest_first
    listed = api_as(shop.resident).get("/api/v1/store/items", query_string={"per_page": 100}).json["items"]
    items = [str(i["id"]) for i in listed]
    assert page_walk(resident, "/store", r'href="/store/items/(\d+)"') == items
    managed = page_walk(staff, "/store/manage", r'href="/store/manage/items/(\d+)"')
    assert managed == sorted(managed, key=int, reverse=True) and len(managed) == 6
