"""QR images decode, with a real reader (zxing-cpp), to exactly the URL they were made from."""

from __future__ import annotations

from xml.etree import ElementTree

import png
import pytest
import zxingcpp

from points.checkin import operations as ops
from points.checkin.qr import qr_png, qr_svg
from tests.checkin.conftest import at


def decode_png(data: bytes) -> list[str]:
    """Every QR code zxing-cpp finds in a PNG, as text."""
    width, height, rows, info = png.Reader(bytes=data).asDirect()
    top = 2 ** info["bitdepth"] - 1
    planes = info["planes"]
    pixels = bytearray()
    for row in rows:
        # Greyscale: the first plane of each pixel, scaled to 0–255.
        pixels.extend(value * 255 // top for value in list(row)[::planes])
    image = memoryview(bytes(pixels)).cast("B", (height, width))
    return [code.text for code in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)]


@pytest.mark.parametrize("box_size", [3, 10])
def test_qr_png_decodes_to_the_url(box_size):
    url = "https://points.example.cn/s/UwzSCfLMxBwBThhW6eq88bsLXA"

    assert decode_png(qr_png(url, box_size=box_size)) == [url]


def test_qr_svg_is_a_scalable_image_on_white(app):
    svg = qr_svg("https://points.example.cn/s/abc", label="签到二维码")
    root = ElementTree.fromstring(svg)

    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert root.get("viewBox", "").startswith("0 0 ") and root.get("width") is None
    assert root.get("aria-label") == "签到二维码"
    assert root.find("{http://www.w3.org/2000/svg}rect").get("fill") == "white"


def test_activity_qr_png_decodes_to_the_scan_url(world, make_activity, page_as):
    activity = make_activity(starts_at=at(0), ends_at=at(240))
    token = ops.station_code(actor=world.staff_actor, activity_id=activity.id, poster=True).token

    response = page_as(world.staff).get(f"/checkin/activities/{activity.id}/qr.png?poster=1")

    assert response.mimetype == "image/png"
    assert decode_png(response.data) == [f"http://localhost/s/{token}"]


def test_member_card_png_decodes_to_the_card_url(world, page_as):
    card = ops.card_token(ops.ensure_member_card(world.resident.id))

    response = page_as(world.resident).get(f"/checkin/cards/{world.resident.id}.png")

    assert decode_png(response.data) == [f"http://localhost/c/{card}"]


def test_screen_code_is_a_small_symbol(world, make_activity):
    import qrcode

    activity = make_activity()
    token = ops.station_code(actor=world.staff_actor, activity_id=activity.id, now=at(10)).token
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M)
    code.add_data(f"https://hongsong.yichun.gov.cn/s/{token}")
    code.make(fit=True)

    # 33 × 33 modules at most: readable from across the room on a tablet.
    assert code.version <= 4
