"""Registration rate limits, per address and per phone, on the form and the API alike.

Limits are per day so a fixed window never rolls over in the middle of a test."""

from __future__ import annotations

import pytest


@pytest.fixture
def limited(app_with):
    return app_with(
        RATELIMIT_ENABLED=True,
        REGISTER_RATE_LIMIT_PHONE="2 per day",
        REGISTER_RATE_LIMIT_ADDRESS="100 per day",
        VERIFICATION_CODE_INTERVAL_SECONDS=0,
    )


@pytest.fixture
def address_limited(app_with):
    """A client of an app that takes two registration attempts a day from an address."""
    limited = app_with(
        RATELIMIT_ENABLED=True,
        REGISTER_RATE_LIMIT_PHONE="100 per day",
        REGISTER_RATE_LIMIT_ADDRESS="2 per day",
    )
    return limited.test_client()


def test_register_api_per_phone_limit(limited):
    client = limited.test_client()
    for n in range(2):
        sent = client.post(
            "/api/v1/register/code",
            json={"phone": "13912345678"},
            environ_base={"REMOTE_ADDR": f"10.0.0.{n}"},
        )
        assert sent.status_code == 204

    again = client.post(
        "/api/v1/register/code", json={"phone": "13912345678"}, environ_base={"REMOTE_ADDR": "10.9.9.9"}
    )

    assert again.status_code == 429 and again.get_json()["code"] == "rate_limited"
    other = client.post(
        "/api/v1/register", json={"phone": "13912345679"}, environ_base={"REMOTE_ADDR": "10.9.9.9"}
    )
    assert other.status_code == 422


def test_register_page_per_address_limit(address_limited):
    client = address_limited
    for n in range(2):
        client.post(
            "/register",
            data={"phone": f"1391234567{n}", "step": "code"},
            environ_base={"REMOTE_ADDR": "10.1.1.1"},
        )

    again = client.post(
        "/register", data={"phone": "13912345677", "step": "code"}, environ_base={"REMOTE_ADDR": "10.1.1.1"}
    )

    assert again.status_code == 429
    assert client.get("/register", environ_base={"REMOTE_ADDR": "10.1.1.1"}).status_code == 200


def test_failed_attempts_do_not_lock_a_phone_out(limited):
    client = limited.test_client()
    for n in range(5):
        typo = client.post(
            "/api/v1/register", json={"phone": "13912345678"}, environ_base={"REMOTE_ADDR": f"10.0.0.{n}"}
        )
        assert typo.status_code == 422
        form = client.post(
            "/register",
            data={"phone": "13912345678", "step": "register"},
            environ_base={"REMOTE_ADDR": "10.2.2.2"},
        )
        assert form.status_code == 422

    sent = client.post("/api/v1/register/code", json={"phone": "13912345678"})
    page = client.post("/register", data={"phone": "13912345678", "step": "code"})

    assert (sent.status_code, page.status_code) == (204, 200)


def test_failed_attempts_still_count_per_address(address_limited):
    client = address_limited
    for _ in range(2):
        client.post(
            "/api/v1/register", json={"phone": "13912345678"}, environ_base={"REMOTE_ADDR": "10.3.3.3"}
        )

    again = client.post(
        "/api/v1/register", json={"phone": "13912345678"}, environ_base={"REMOTE_ADDR": "10.3.3.3"}
    )

    assert again.status_code == 429
