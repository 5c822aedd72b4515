"""The store's pages: the shop on a phone, redeeming with the form's own key, the voucher, the
desk, item management with photos, and the sponsor report."""

from __future__ import annotations

import io
import re

import pytest
import sqlalchemy as sa
from PIL import Image

from points.ledger.queries import balances_of_person
from points.store import operations
from points.store.models import Item, Voucher


def vouchers_of(sess, person) -> list[Voucher]:
    sess.expire_all()
    return list(sess.execute(sa.select(Voucher).where(Voucher.person_id == person.id)).scalars())


def image_bytes(fmt: str = "PNG", size=(1600, 1200)) -> bytes:
    out = io.BytesIO()
    image = Image.new(
        "RGBA" if fmt == "PNG" else "RGB", size, (200, 30, 30, 255) if fmt == "PNG" else (200, 30, 30)
    )
    exif = Image.Exif()
    exif[0x010E] = "secret description"
    image.save(out, fmt, exif=exif)
    return out.getvalue()


@pytest.fixture
def resident(page_as, shop):
    return page_as(shop.resident)


@pytest.fixture
def staff(page_as, shop):
    return page_as(shop.staff)


def test_store_shows_cards_and_greys_what_cannot_be_redeemed(shop, make_item, resident, save):
    make_item(name="大米", price=8)
    make_item(name="电饭煲", price=500)
    make_item(name="毛巾", stock=0)
    save()

    html = resident.get("/store").data.decode()

    assert "大米" in html and "电饭煲" in html
    assert html.count('class="goods greyed"') == 2
    assert "可用积分不足" in html and "库存不足" in html


def test_redeem_form_double_tap_redeems_once(shop, make_item, resident, sess, save):
    item = make_item(price=8)
    save()
    confirm = resident.get(f"/store/items/{item.id}/confirm").data.decode()
    key = re.search(r'name="client_key" value="([^"]+)"', confirm).group(1)
    form = {"client_key": key, "price": "8"}

    first = resident.post(f"/store/items/{item.id}/redeem", data=form)
    second = resident.post(f"/store/items/{item.id}/redeem", data=form)

    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    assert len(vouchers_of(sess, shop.resident)) == 1
    page = resident.get(first.headers["Location"]).data.decode()
    assert "<svg" in page and "兑换券二维码" in page and "取消兑换" in page
    assert balances_of_person(shop.resident.id)["xingan"]["available"] == 92


def test_a_refused_redeem_is_flashed_and_changes_nothing(shop, make_item, resident, sess, save):
    item = make_item(price=8, stock=1)
    save()
    sess.execute(sa.update(Item).where(Item.id == item.id).values(stock=0))
    save()

    r = resident.post(
        f"/store/items/{item.id}/redeem", data={"client_key": "k" * 12, "price": "8"}, follow_redirects=True
    )

    assert "库存不足" in r.data.decode()
    assert vouchers_of(sess, shop.resident) == []


def test_desk_finds_by_number_and_hands_over_once(shop, make_item, resident, staff, sess, save):
    item = make_item()
    save()
    confirm = resident.get(f"/store/items/{item.id}/confirm").data.decode()
    key = re.search(r'name="client_key" value="([^"]+)"', confirm).group(1)
    resident.post(f"/store/items/{item.id}/redeem", data={"client_key": key})
    (voucher,) = vouchers_of(sess, shop.resident)

    found = staff.post("/store/desk/lookup", data={"code": f"{voucher.number[:4]} {voucher.number[4:]}"})
    assert found.headers["Location"].endswith(f"/store/vouchers/{voucher.id}")
    desk_page = staff.get(found.headers["Location"]).data.decode()
    assert "确认领取" in desk_page and "<svg" not in desk_page.split("<main")[1].split("</main>")[0]
    assert staff.post(f"/store/vouchers/{voucher.id}/pickup", follow_redirects=True).status_code == 200
    again = staff.post(f"/store/vouchers/{voucher.id}/pickup", follow_redirects=True).data.decode()
    assert "该兑换券已领取" in again
    assert vouchers_of(sess, shop.resident)[0].state == "picked_up"
    mine = resident.get(f"/store/vouchers/{voucher.id}").data.decode()
    assert "取消兑换" not in mine and "已领取的兑换不能自行退还" in mine
    code = operations.voucher_code(voucher)
    assert staff.get(f"/store/v/{code}").headers["Location"].endswith(f"/store/vouchers/{voucher.id}")
    assert resident.get(f"/store/v/{code}").headers["Location"].endswith(f"/store/vouchers/{voucher.id}")
    assert resident.get(f"/store/v/{code[:-2]}xx").status_code == 404
    unknown = staff.post("/store/desk/lookup", data={"code": "0000 0000"}, follow_redirects=True)
    assert "兑换券不存在" in unknown.data.decode()


def test_staff_add_an_item_change_its_price_and_upload_a_photo(shop, staff, sess, save, media):
    r = staff.post(
        "/store/manage/new",
        data={"community_id": shop.a.id, "name": "花生油 5L", "price": "60", "stock": "3", "is_active": "1"},
    )
    assert r.status_code == 302, r.data.decode()
    item = sess.execute(sa.select(Item).where(Item.name == "花生油 5L")).scalar_one()
    assert item.stock == 3

    edit = staff.post(
        f"/store/manage/items/{item.id}",
        data={
            "name": "花生油 5L",
            "price": "55",
            "kind": "xingan",
            "is_active": "1",
            "limit_count": "",
            "limit_period": "",
        },
    )
    assert edit.status_code == 302
    upload = staff.post(
        f"/store/manage/items/{item.id}/photo",
        data={"photo": (io.BytesIO(image_bytes("JPEG")), "oil.jpg")},
        content_type="multipart/form-data",
    )
    assert upload.status_code == 302
    sess.expire_all()
    item = sess.get(Item, item.id)
    assert item.price == 55 and item.photo.endswith(".jpg")
    photo = staff.get(f"/store/photos/{item.photo}")
    assert photo.mimetype == "image/jpeg"
    assert photo.headers["X-Content-Type-Options"] == "nosniff"
    stored = Image.open(io.BytesIO(photo.data))
    assert max(stored.size) == 1024 and not stored.getexif()


def test_an_upload_that_is_no_image_is_refused(shop, make_item, staff, save):
    item = make_item()
    save()
    r = staff.post(
        f"/store/manage/items/{item.id}/photo",
        data={"photo": (io.BytesIO(b"<script>alert(1)</script>"), "x.png")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert "请上传 JPEG、PNG 或 WebP 格式的照片" in r.data.decode()


def test_photos_are_only_ours(staff):
    assert staff.get("/store/photos/..%2Fsecret_key").status_code == 404
    assert staff.get("/store/photos/" + "0" * 64 + ".jpg").status_code == 404


def test_sponsor_report_page_and_exports(shop, make_item, staff, resident, save):
    make_item(sponsor_name="王阿姨", unit_value_cents=1250)
    save()
    page = staff.get("/store/sponsors").data.decode()
    assert "王阿姨" in page and "62.50" in page
    assert staff.get("/store/sponsors?format=csv").data.startswith("\ufeff".encode())
    assert staff.get("/store/sponsors?format=xlsx").data[:2] == b"PK"
    assert resident.get("/store/sponsors").status_code == 403


@pytest.mark.parametrize(
    "path", ["/store", "/store/vouchers", "/store/desk", "/store/manage", "/store/manage/new"]
)
def test_pages_speak_english_on_request(shop, make_item, staff, save, path):
    make_item()
    save()
    r = staff.get(path + "?lang=en")
    assert r.status_code == 200
    assert "积分超市" not in r.data.decode().split("<main")[1]
