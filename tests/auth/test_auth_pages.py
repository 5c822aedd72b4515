"""The login and logout pages: session cookie, CSRF, safe redirects."""

from __future__ import annotations

import re

import pytest

from points.db import session
from points.people.models import Person

PASSWORD = "password123"


@pytest.fixture
def resident(make_person, save):
    person = make_person(name="王秀英")
    save()
    return person


@pytest.fixture
def guarded(app_with):
    """A client of an app that checks the CSRF token of every form."""
    return app_with(WTF_CSRF_ENABLED=True).test_client()


def csrf_token_from(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "the form carries no CSRF token"
    return match.group(1)


def test_login_page_shows_chinese_form(client):
    r = client.get("/login")
    assert r.status_code == 200
    assert r.mimetype == "text/html"
    html = r.get_data(as_text=True)
    assert 'lang="zh-CN"' in html
    for text in ("登录", "手机号", "密码", 'name="phone"', 'name="password"', 'name="csrf_token"'):
        assert text in html


def test_login_with_right_password_redirects_home_showing_name(client, resident):
    r = client.post("/login", data={"phone": resident.phone, "password": PASSWORD})
    assert r.status_code == 302
    assert r.headers["Location"] == "/"
    home = client.get("/")
    assert home.status_code == 200
    assert "王秀英" in home.get_data(as_text=True)


def test_login_with_wrong_password_shows_chinese_error(client, resident):
    r = client.post("/login", data={"phone": resident.phone, "password": "wrong-password"})
    assert r.status_code == 401
    html = r.get_data(as_text=True)
    assert "手机号或密码错误" in html
    assert resident.phone in html  # the phone stays filled in
    assert client.get("/").status_code == 302


def test_login_with_empty_fields_asks_for_both(client):
    r = client.post("/login", data={"phone": "", "password": ""})
    assert r.status_code == 401
    assert "请输入手机号和密码" in r.get_data(as_text=True)


def test_login_locked_account_shows_lock_message(app, client, resident):
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        client.post("/login", data={"phone": resident.phone, "password": "wrong-password"})
    r = client.post("/login", data={"phone": resident.phone, "password": PASSWORD})
    assert r.status_code == 401
    assert "锁定" in r.get_data(as_text=True)


def test_home_without_login_redirects_to_login_with_next(client):
    r = client.get("/registrations?status=pending")
    assert r.status_code == 302
    assert r.headers["Location"].startswith("/login?next=")
    assert "registrations" in r.headers["Location"]


def test_login_follows_local_next(client, resident):
    r = client.post(
        "/login?next=/registrations?status=confirmed", data={"phone": resident.phone, "password": PASSWORD}
    )
    assert r.status_code == 302
    assert r.headers["Location"] == "/registrations?status=confirmed"


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example/",
        "\\\\evil.example",
        "/\t/evil.example",
        "/\n/evil.example",
        "javascript:alert(1)",
        "evil.example",
        "",
    ],
)
def test_login_ignores_non_local_next(client, resident, target):
    r = client.post(
        "/login", query_string={"next": target}, data={"phone": resident.phone, "password": PASSWORD}
    )
    assert r.status_code == 302
    assert r.headers["Location"] == "/"


def test_login_page_when_logged_in_redirects_to_safe_next(client, resident):
    client.post("/login", data={"phone": resident.phone, "password": PASSWORD})
    assert client.get("/login?next=/registrations").headers["Location"] == "/registrations"
    assert client.get("/login", query_string={"next": "//evil.example"}).headers["Location"] == "/"


def test_logout_ends_page_session(client, resident):
    client.post("/login", data={"phone": resident.phone, "password": PASSWORD})
    assert client.get("/").status_code == 200
    r = client.post("/logout")
    assert r.status_code == 302
    assert r.headers["Location"] == "/login"
    assert "您已退出登录" in client.get("/login").get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_logout_by_get_is_refused(client, resident):
    client.post("/login", data={"phone": resident.phone, "password": PASSWORD})
    assert client.get("/logout").status_code == 405
    assert client.get("/").status_code == 200


def test_suspended_person_page_session_ends(client, resident, fresh):
    client.post("/login", data={"phone": resident.phone, "password": PASSWORD})
    fresh(Person, resident.id).is_suspended = True
    session().commit()
    assert client.get("/").status_code == 302


def test_password_change_ends_page_sessions(client, resident, api_as):
    client.post("/login", data={"phone": resident.phone, "password": PASSWORD})
    r = api_as(resident).post(
        "/api/v1/me/password", json={"old_password": PASSWORD, "new_password": "another-password"}
    )
    assert r.status_code == 204
    assert client.get("/").status_code == 302


def test_login_without_csrf_token_is_refused(guarded, resident):
    client = guarded
    r = client.post("/login", data={"phone": resident.phone, "password": PASSWORD})
    assert r.status_code == 400
    assert r.mimetype == "text/html"
    html = r.get_data(as_text=True)
    assert "页面已过期" in html
    assert "CSRF" not in html
    assert client.get("/").status_code == 302  # not logged in


def test_login_with_csrf_token_succeeds(guarded, resident):
    client = guarded
    token = csrf_token_from(client.get("/login").get_data(as_text=True))
    forged = client.post("/login", data={"phone": resident.phone, "password": PASSWORD, "csrf_token": "x"})
    assert forged.status_code == 400
    r = client.post("/login", data={"phone": resident.phone, "password": PASSWORD, "csrf_token": token})
    assert r.status_code == 302
    assert "王秀英" in client.get("/").get_data(as_text=True)
    # Logging out is a form too.
    assert client.post("/logout").status_code == 400
    token = csrf_token_from(client.get("/").get_data(as_text=True))
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/").status_code == 302


def test_api_is_csrf_exempt_and_takes_bearer_only(guarded, resident):
    client = guarded
    r = client.post("/api/v1/auth/token", json={"phone": resident.phone, "password": PASSWORD})
    assert r.status_code == 201
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {r.json['token']}"}).status_code == 200
