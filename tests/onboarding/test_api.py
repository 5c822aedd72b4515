"""Registering through the API, and consenting again."""

from __future__ import annotations

from tests.onboarding.conftest import NEW_PASSWORD

PHONE = "13912345678"


def body(homes, **overrides) -> dict:
    return {
        "phone": PHONE,
        "name": "赵大爷",
        "grid_id": homes.grid.id,
        "password": NEW_PASSWORD,
        "consent": True,
        **overrides,
    }


def test_register_info_needs_no_token(client, homes):
    info = client.get("/api/v1/register").get_json()

    assert info["privacy_notice_version"] == "2026-11-26" and info["phone_codes"] is True
    assert {
        "grid_id": homes.grid.id,
        "community_id": homes.community.id,
        "label": "兴安街道 · 红松社区 · 一网格",
    } in info["homes"]


def test_register_with_a_code_then_log_in(client, homes, codes):
    assert client.post("/api/v1/register/code", json={"phone": PHONE}).status_code == 204

    made = client.post("/api/v1/register", json=body(homes, code=codes[PHONE]))

    assert made.status_code == 201, made.get_json()
    assert (
        made.get_json()["needs_confirmation"] is False and made.get_json()["consent_version"] == "2026-11-26"
    )
    token = client.post("/api/v1/auth/token", json={"phone": PHONE, "password": NEW_PASSWORD})
    assert token.status_code == 201


def test_register_refusals_are_problem_documents(client, homes, codes, make_person):
    taken = make_person()
    cases = [
        (client.post("/api/v1/register", json=body(homes, phone="123")), 422, "validation_error"),
        (client.post("/api/v1/register", json=body(homes)), 422, "code_required"),
        (client.post("/api/v1/register/code", json={"phone": taken.phone}), 409, "phone_taken"),
        (client.post("/api/v1/register", json={"phone": PHONE}), 422, "validation_error"),
    ]
    for response, status, code in cases:
        assert response.status_code == status, response.get_json()
        assert response.mimetype == "application/problem+json"
        assert response.get_json()["code"] == code


def test_a_bad_phone_is_reported_with_the_other_field_errors(client, homes, codes):
    refused = client.post(
        "/api/v1/register",
        json=body(homes, phone="12345", name="  ", password="short", code=codes.get(PHONE)),
    )

    problem = refused.get_json()
    assert refused.status_code == 422 and refused.mimetype == "application/problem+json"
    assert problem["code"] == "validation_error"
    assert set(problem["errors"]) == {"phone", "name", "password"}
    assert problem["errors"]["phone"] == ["请输入有效的中国大陆手机号"]


def test_register_without_a_sender_waits_for_staff(client, homes, without_codes):
    made = client.post("/api/v1/register", json=body(homes, consent=True))

    assert made.status_code == 201 and made.get_json()["needs_confirmation"] is True
    assert (
        client.post("/api/v1/register/code", json={"phone": "13900000001"}).get_json()["code"] == "codes_off"
    )


def test_consent_through_the_api(make_person, api_as):
    api = api_as(make_person())

    assert api.post("/api/v1/me/consent", json={"version": "2026-11-26"}).status_code == 204
    outdated = api.post("/api/v1/me/consent", json={"version": "2020-01"})
    assert outdated.status_code == 422 and outdated.get_json()["code"] == "consent_outdated"


def test_register_a_taken_phone_says_so_before_the_code(client, homes, codes, make_person):
    taken = make_person()

    for code in (None, "000000"):
        refused = client.post("/api/v1/register", json=body(homes, phone=taken.phone, code=code))

        assert refused.status_code == 409, refused.get_json()
        assert refused.get_json()["code"] == "phone_taken"
