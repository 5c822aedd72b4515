"""A demand's optional photo: attached on the help form (without JavaScript) or through the API,
checked and re-encoded by points.photos, and shown only to whoever may read the demand."""

from __future__ import annotations

import io

from PIL import Image
from sqlmodel import select

from points.db import session
from points.demands.models import Demand

FORM = {"category": "助老助残", "details": "楼道灯坏了", "place": "5号楼"}


def image_bytes(fmt: str = "JPEG", size=(2400, 1800)) -> bytes:
    out = io.BytesIO()
    image = Image.new("RGB", size, (30, 120, 200))
    exif = Image.Exif()
    exif[0x010E] = "secret description"
    image.save(out, fmt, exif=exif)
    return out.getvalue()


def _form(photo: bytes, name: str = "lamp.jpg") -> dict:
    return {**FORM, "photo": (io.BytesIO(photo), name)}


def _mine(person) -> list[Demand]:
    sess = session()
    sess.expire_all()
    return list(sess.exec(select(Demand).where(Demand.requester_id == person.id)))


def test_ask_for_help_with_a_photo_shows_it_to_the_requester_and_staff(board, page_as, media):
    resident = page_as(board.resident)
    asked = resident.post("/help", data=_form(image_bytes()), content_type="multipart/form-data")
    assert asked.status_code == 302
    (demand,) = _mine(board.resident)
    assert demand.photo and (media / demand.photo).is_file()
    photo_url = f"/demands/{demand.id}/photo"
    assert photo_url in resident.get("/help").data.decode()
    for client in (resident, page_as(board.staff)):
        shown = client.get(photo_url)
        assert shown.status_code == 200 and shown.mimetype == "image/jpeg"
        assert shown.headers["X-Content-Type-Options"] == "nosniff"
        stored = Image.open(io.BytesIO(shown.data))
        assert max(stored.size) == 1024 and not stored.getexif()
    staff = page_as(board.staff)
    assert photo_url in staff.get(f"/demands/{demand.id}").data.decode()
    assert photo_url in staff.get("/triage").data.decode()
    for stranger in (board.neighbour, board.outsider, board.member):
        assert page_as(stranger).get(photo_url).status_code == 404


def test_a_file_that_is_no_image_is_refused_in_chinese_and_changes_nothing(board, page_as, media):
    resident = page_as(board.resident)
    refused = resident.post(
        "/help", data=_form(b"<script>alert(1)</script>", "x.png"), content_type="multipart/form-data"
    )
    html = refused.data.decode()
    assert refused.status_code == 422 and "请上传 JPEG、PNG 或 WebP 格式的照片" in html
    assert "楼道灯坏了" in html  # what was typed stays
    assert _mine(board.resident) == [] and not media.exists()


def test_a_photo_too_large_is_refused_by_name(app, board, page_as):
    app.config["PHOTO_MAX_BYTES"], before = 100_000, app.config["PHOTO_MAX_BYTES"]
    try:
        big = image_bytes("PNG", (1200, 1200)) + b"\0" * 200_000
        refused = page_as(board.resident).post("/help", data=_form(big), content_type="multipart/form-data")
    finally:
        app.config["PHOTO_MAX_BYTES"] = before
    assert refused.status_code == 413 and "照片不能超过" in refused.data.decode()
    assert _mine(board.resident) == []


def test_no_photo_is_fine_and_a_demand_without_one_has_none(board, page_as):
    resident = page_as(board.resident)
    empty = {**FORM, "photo": (io.BytesIO(b""), "")}
    assert resident.post("/help", data=empty, content_type="multipart/form-data").status_code == 302
    (demand,) = _mine(board.resident)
    assert demand.photo is None
    assert resident.get(f"/demands/{demand.id}/photo").status_code == 404


def test_the_api_takes_a_photo_for_an_open_demand_of_mine(board, api_as, make_demand, actor_of):
    demand = make_demand()
    resident = api_as(board.resident)
    sent = resident.post(
        f"/api/v1/demands/{demand.id}/photo",
        data={"photo": (io.BytesIO(image_bytes("PNG", (300, 200))), "p.png")},
        content_type="multipart/form-data",
    )
    assert sent.status_code == 200, sent.json
    assert sent.json["photo_url"] == f"/api/v1/demands/{demand.id}/photo"
    got = api_as(board.staff).get(sent.json["photo_url"])
    assert got.status_code == 200 and got.mimetype == "image/jpeg"
    assert api_as(board.neighbour).get(sent.json["photo_url"]).status_code == 404
    bad = resident.post(
        f"/api/v1/demands/{demand.id}/photo",
        data={"photo": (io.BytesIO(b"not an image"), "p.png")},
        content_type="multipart/form-data",
    )
    assert bad.status_code == 422 and bad.json["code"] == "invalid_photo"
    assert bad.mimetype == "application/problem+json"
    other = api_as(board.neighbour).post(
        f"/api/v1/demands/{demand.id}/photo",
        data={"photo": (io.BytesIO(image_bytes()), "p.jpg")},
        content_type="multipart/form-data",
    )
    assert other.status_code == 404


def test_the_openapi_document_names_the_photo_upload(client):
    spec = client.get("/api/v1/openapi.json").json
    post = spec["paths"]["/api/v1/demands/{demand_id}/photo"]["post"]
    assert "multipart/form-data" in post["requestBody"]["content"]
    assert (
        "image/jpeg"
        in spec["paths"]["/api/v1/demands/{demand_id}/photo"]["get"]["responses"]["200"]["content"]
    )
