"""Login rate limits: per account whatever the address, and per address (spec §11).

Limits are per day so a fixed window never rolls over in the middle of a test.
"""

from __future__ import annotations

import pytest

from points.extensions import limiter
from tests.auth.conftest import PASSWORD, api_login


@pytest.fixture
def limited(app_with):
    return app_with(
        RATELIMIT_ENABLED=True,
        LOGIN_RATE_LIMIT_ACCOUNT="3 per day",
        LOGIN_RATE_LIMIT_ADDRESS="100 per day",
    )


def test_issue_token_per_account_limit_holds_across_addresses(limited, make_person, save):
    person = make_person()
    save()
    client = limited.test_client()
    for n in range(3):
        assert api_login(client, person.phone, address=f"10.0.0.{n + 1}").status_code == 401
    r = api_login(client, person.phone, PASSWORD, address="10.9.9.9")
    assert r.status_code == 429
    assert r.mimetype == "application/problem+json"
    assert r.json["code"] == "rate_limited"
    assert r.json["status"] == 429
    assert {"type", "title", "detail"} <= set(r.json)
    assert "Retry-After" in r.headers
    # Another account from the same addresses is not held back.
    other = make_person()
    save()
    assert api_login(client, other.phone, PASSWORD, address="10.9.9.9").status_code == 201


def test_issue_token_per_account_limit_ignores_surrounding_spaces(limited):
    client = limited.test_client()
    for phone in ("13612345678", " 13612345678", "13612345678 "):
        assert api_login(client, phone).status_code == 401
    assert api_login(client, "\t13612345678").status_code == 429


def test_issue_token_per_address_limit(app_with):
    limited = app_with(
        RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT_ACCOUNT="100 per day", LOGIN_RATE_LIMIT_ADDRESS="2 per day"
    )
    client = limited.test_client()
    assert api_login(client, "13600000001", address="10.1.1.1").status_code == 401
    assert api_login(client, "13600000002", address="10.1.1.1").status_code == 401
    r = api_login(client, "13600000003", address="10.1.1.1")
    assert r.status_code == 429
    assert r.json["code"] == "rate_limited"
    assert api_login(client, "13600000003", address="10.1.1.2").status_code == 401


def test_login_page_per_account_limit_is_chinese_page(limited, make_person, save):
    person = make_person()
    save()
    client = limited.test_client()
    for n in range(3):
        r = client.post(
            "/login",
            data={"phone": person.phone, "password": "wrong-password"},
            environ_base={"REMOTE_ADDR": f"10.2.0.{n}"},
        )
        assert r.status_code == 401
    r = client.post(
        "/login", data={"phone": person.phone, "password": PASSWORD}, environ_base={"REMOTE_ADDR": "10.2.9.9"}
    )
    assert r.status_code == 429
    assert r.mimetype == "text/html"
    assert "操作过于频繁" in r.get_data(as_text=True)


def test_get_login_page_is_not_limited(limited):
    client = limited.test_client()
    for _ in range(5):
        assert client.get("/login").status_code == 200


def test_rate_limit_is_per_app(app, client, limited, app_with):
    """The limiter object is shared by every app in the process; its switch must not be."""
    assert limited.config["RATELIMIT_ENABLED"] is True
    assert app.config["RATELIMIT_ENABLED"] is False
    # The test app keeps no limit although a limited app was built after it.
    for _ in range(5):
        assert api_login(client, "13611111111").status_code == 401
    # And an unlimited app built after the limited one does not switch it off.
    app_with(RATELIMIT_ENABLED=False)
    limited_client = limited.test_client()
    for _ in range(3):
        assert api_login(limited_client, "13622222222").status_code == 401
    assert api_login(limited_client, "13622222222").status_code == 429
    assert api_login(client, "13622222222").status_code == 401
    with app.test_request_context():
        assert limiter.enabled is False
    with limited.test_request_context():
        assert limiter.enabled is True
