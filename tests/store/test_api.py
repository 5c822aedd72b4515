"""The store's API: items, redeeming with an Idempotency-Key, vouchers, the desk, refusals that
change nothing, and the sponsor report."""

from __future__ import annotations

import itertools

import pytest
import sqlalchemy as sa

from points.ledger.queries import balances_of_person
from points.store.models import Item, Voucher

_keys = itertools.count(1)


def key() -> dict:
    return {"Idempotency-Key": f"k-{next(_keys)}"}


def state_of(sess, item, person) -> tuple:
    sess.expire_all()
    vouchers = sess.execute(sa.select(sa.func.count()).where(Voucher.person_id == person.id)).scalar_one()
    return sess.get(Item, item.id).stock, balances_of_person(person.id)["xingan"]["available"], vouchers


@pytest.fixture
def resident_api(api_as, shop):
    return api_as(shop.resident)


@pytest.fixture
def staff_api(api_as, shop):
    return api_as(shop.staff)


def test_items_list_what_i_can_afford_first(shop, make_item, resident_api, api_as):
    dear = make_item(name="电饭煲", price=500)
    cheap = make_item(name="肥皂", price=5)
    make_item(name="他社区的米", community=shop.b)

    r = resident_api.get("/api/v1/store/items")

    assert r.status_code == 200
    assert [i["id"] for i in r.json["items"]] == [cheap.id, dear.id]
    assert r.json["items"][1]["refusal"]["code"] == "insufficient_points"
    assert r.json["items"][0]["redeemable"] is True


def test_redeem_then_pickup_through_the_api(shop, make_item, resident_api, staff_api, sess):
    item = make_item(price=8, stock=3, station_id=shop.station.id)

    r = resident_api.post(f"/api/v1/store/items/{item.id}/redeem", json={"price": 8}, headers=key())

    assert r.status_code == 201, r.json
    voucher = r.json
    assert voucher["state"] == "issued" and voucher["allowed_actions"] == ["cancel"]
    assert voucher["code"] and voucher["qr_url"].endswith(voucher["code"])
    found = staff_api.post("/api/v1/store/vouchers/lookup", json={"code": voucher["qr_url"]})
    assert found.status_code == 200 and found.json["id"] == voucher["id"]
    assert found.json["code"] is None and "pickup" in found.json["allowed_actions"]
    by_number = staff_api.post("/api/v1/store/vouchers/lookup", json={"code": voucher["number"]})
    assert by_number.json["id"] == voucher["id"]

    picked = staff_api.post(f"/api/v1/store/vouchers/{voucher['id']}/pickup")
    assert picked.status_code == 200 and picked.json["state"] == "picked_up"
    again = staff_api.post(f"/api/v1/store/vouchers/{voucher['id']}/pickup")
    assert again.status_code == 409 and again.json["code"] == "already_picked_up"
    assert state_of(sess, item, shop.resident) == (2, 92, 1)


def test_redeem_replays_the_same_idempotency_key(shop, make_item, resident_api, sess):
    item = make_item()
    headers = key()
    first = resident_api.post(f"/api/v1/store/items/{item.id}/redeem", json={}, headers=headers)
    second = resident_api.post(f"/api/v1/store/items/{item.id}/redeem", json={}, headers=headers)

    assert first.status_code == second.status_code == 201
    assert second.headers.get("Idempotent-Replayed") == "true"
    assert first.json["id"] == second.json["id"]
    assert state_of(sess, item, shop.resident) == (4, 92, 1)


def test_redeem_needs_an_idempotency_key(shop, make_item, resident_api):
    item = make_item()
    r = resident_api.post(f"/api/v1/store/items/{item.id}/redeem", json={})
    assert r.status_code == 428


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"price": 101}, "insufficient_points"),
        ({"stock": 0}, "out_of_stock"),
        ({"is_active": False}, "item_unavailable"),
        ({"limit_count": 1, "limit_period": "day", "redeem_first": True}, "limit_reached"),
        ({"kind_policy": True}, "kind_not_redeemable"),
    ],
)
def test_redeem_refusals_have_stable_codes_and_change_nothing(
    shop, make_item, resident_api, sess, app, fields, code
):
    first = fields.pop("redeem_first", False)
    policy = fields.pop("kind_policy", False)
    item = make_item(**fields)
    if first:
        assert (
            resident_api.post(f"/api/v1/store/items/{item.id}/redeem", json={}, headers=key()).status_code
            == 201
        )
    if policy:
        app.config["STORE_REDEEMABLE_KINDS"] = "hongsong"
    try:
        before = state_of(sess, item, shop.resident)
        r = resident_api.post(f"/api/v1/store/items/{item.id}/redeem", json={}, headers=key())
    finally:
        app.config["STORE_REDEEMABLE_KINDS"] = "xingan"

    assert r.status_code == 409, r.json
    assert r.json["code"] == code
    assert r.headers["Content-Type"].startswith("application/problem+json")
    assert state_of(sess, item, shop.resident) == before


def test_another_communitys_item_is_not_found(shop, make_item, api_as, sess):
    item = make_item()
    other = api_as(shop.other)

    assert other.get(f"/api/v1/store/items/{item.id}").status_code == 404
    r = other.post(f"/api/v1/store/items/{item.id}/redeem", json={}, headers=key())

    assert r.status_code == 404
    assert state_of(sess, item, shop.other)[0] == item.stock


def test_someone_elses_voucher_is_not_found(shop, make_item, resident_api, api_as, sess):
    item = make_item()
    voucher = resident_api.post(f"/api/v1/store/items/{item.id}/redeem", json={}, headers=key()).json
    neighbour = api_as(shop.poor)
    before = state_of(sess, item, shop.resident)

    assert neighbour.get(f"/api/v1/store/vouchers/{voucher['id']}").status_code == 404
    assert (
        neighbour.post(f"/api/v1/store/vouchers/{voucher['id']}/cancel", json={}, headers=key()).status_code
        == 404
    )
    assert neighbour.post(f"/api/v1/store/vouchers/{voucher['id']}/pickup").status_code == 404
    assert state_of(sess, item, shop.resident) == before


def test_cancel_refunds_and_staff_cancel_needs_a_reason(shop, make_item, resident_api, staff_api, sess):
    item = make_item(stock=2)
    one = resident_api.post(f"/api/v1/store/items/{item.id}/redeem", json={}, headers=key()).json
    two = resident_api.post(f"/api/v1/store/items/{item.id}/redeem", json={}, headers=key()).json

    assert (
        resident_api.post(f"/api/v1/store/vouchers/{one['id']}/cancel", json={}, headers=key()).json["state"]
        == "cancelled"
    )
    no_reason = staff_api.post(f"/api/v1/store/vouchers/{two['id']}/cancel", json={}, headers=key())
    assert no_reason.status_code == 422 and no_reason.json["code"] == "reason_required"
    staff = staff_api.post(
        f"/api/v1/store/vouchers/{two['id']}/cancel", json={"reason": "商品破损"}, headers=key()
    )
    assert staff.status_code == 200 and staff.json["end_reason"] == "商品破损"
    assert state_of(sess, item, shop.resident) == (2, 100, 2)


def test_refund_of_a_picked_up_voucher_through_the_api(
    shop, make_item, resident_api, staff_api, api_as, sess
):
    item = make_item()
    voucher = resident_api.post(f"/api/v1/store/items/{item.id}/redeem", json={}, headers=key()).json
    staff_api.post(f"/api/v1/store/vouchers/{voucher['id']}/pickup")

    own = resident_api.post(f"/api/v1/store/vouchers/{voucher['id']}/cancel", json={}, headers=key())
    assert own.status_code == 409 and own.json["code"] == "not_refundable"
    asked = staff_api.post(
        f"/api/v1/store/vouchers/{voucher['id']}/refund-request", json={"reason": "发霉"}, headers=key()
    )
    assert asked.status_code == 200 and asked.json["correction"]["state"] == "pending"
    assert "approve_refund" not in asked.json["allowed_actions"]
    self_approved = staff_api.post(f"/api/v1/store/vouchers/{voucher['id']}/refund-approve", headers=key())
    assert self_approved.status_code == 403 and self_approved.json["code"] == "maker_checker"
    approved = api_as(shop.staff2).post(
        f"/api/v1/store/vouchers/{voucher['id']}/refund-approve", headers=key()
    )
    assert approved.status_code == 200 and approved.json["correction"]["state"] == "posted"
    assert state_of(sess, item, shop.resident) == (4, 100, 1)


def test_staff_manage_items_and_stock(shop, staff_api, resident_api):
    r = staff_api.post(
        "/api/v1/store/items",
        json={"community_id": shop.a.id, "name": "洗衣液", "price": 15, "stock": 4, "unit_value_cents": 1990},
    )
    assert r.status_code == 201, r.json
    item_id = r.json["id"]
    assert staff_api.patch(f"/api/v1/store/items/{item_id}", json={"price": 12}).json["price"] == 12
    low = staff_api.post(f"/api/v1/store/items/{item_id}/stock", json={"kind": "write_off", "quantity": 9})
    assert low.status_code == 409 and low.json["code"] == "stock_negative"
    more = staff_api.post(f"/api/v1/store/items/{item_id}/stock", json={"kind": "donation_in", "quantity": 2})
    assert more.json["stock"] == 6
    assert (
        resident_api.post(
            "/api/v1/store/items", json={"community_id": shop.a.id, "name": "x", "price": 1}
        ).status_code
        == 404  # a resident holds no scope there: not found, as anything outside one's scope
    )


def test_hongsong_items_only_where_policy_allows(shop, staff_api):
    r = staff_api.post(
        "/api/v1/store/items", json={"community_id": shop.a.id, "name": "书", "price": 5, "kind": "hongsong"}
    )
    assert r.status_code == 422 and r.json["code"] == "kind_not_redeemable"


def test_sponsor_report_counts_given_redeemed_and_outstanding(
    shop, make_item, make_unit, resident_api, staff_api, api_as, make_person
):
    unit = make_unit(name="伊春市税务局")
    item = make_item(price=8, stock=4, sponsor_unit_id=unit.id, unit_value_cents=2500)
    make_item(name="肥皂", price=5, stock=2, sponsor_name="王阿姨")
    one = resident_api.post(f"/api/v1/store/items/{item.id}/redeem", json={}, headers=key()).json
    resident_api.post(f"/api/v1/store/items/{item.id}/redeem", json={}, headers=key())
    staff_api.post(f"/api/v1/store/vouchers/{one['id']}/pickup")

    r = staff_api.get(f"/api/v1/store/sponsors?community_id={shop.a.id}")

    assert r.status_code == 200
    row = next(x for x in r.json["rows"] if x["sponsor"] == "伊春市税务局")
    assert (row["given_count"], row["given_value_cents"], row["on_hand"]) == (4, 10000, 2)
    assert (row["picked_up_count"], row["picked_up_points"]) == (1, 8)
    assert (row["outstanding_count"], row["outstanding_points"]) == (1, 8)
    circulating = next(c for c in r.json["circulation"] if c["kind"] == "xingan")["circulating"]
    assert circulating == 100 + 10 - 16  # issued in A, less what A's store took
    assert staff_api.get("/api/v1/store/sponsors?format=csv").data.startswith("\ufeff".encode())
    xlsx = staff_api.get("/api/v1/store/sponsors?format=xlsx")
    assert xlsx.data[:2] == b"PK"
    admin = make_person(community=shop.a, roles=[("unit_admin", unit)])
    mine = api_as(admin).get(f"/api/v1/store/sponsors?unit_id={unit.id}")
    assert [x["sponsor"] for x in mine.json["rows"]] == ["伊春市税务局"]
    assert resident_api.get("/api/v1/store/sponsors").status_code == 403
