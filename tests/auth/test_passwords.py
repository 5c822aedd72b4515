"""The password policy, passwords made for people, the forced change after a reset, and the
change page and API."""

from __future__ import annotations

import re

import pytest

from points.errors import DomainError
from points.people import operations as people_ops
from points.people.models import Person
from points.people.passwords import READABLE_ALPHABET, check_password_policy, generate_password
from tests.auth.conftest import PASSWORD

PHONE = "13812340021"


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("short7!", "至少需要 8 位"),
        (PHONE, "手机号"),
        ("12340021", "手机号"),  # the phone's last eight digits
        ("wo" + PHONE, "手机号"),
        ("password", "常见"),
        ("PASSWORD123", "常见"),
        ("qwertyuiop", "常见"),
        ("woaini1314", "常见"),
        ("aaaaaaaaaa", "常见"),
    ],
)
def test_policy_refuses(app, password, reason):
    with pytest.raises(DomainError) as refused:
        check_password_policy(password, PHONE)
    assert refused.value.code == "weak_password" and refused.value.status == 422
    assert reason in refused.value.message
    assert list(refused.value.errors) == ["password"]


@pytest.mark.parametrize(
    "password", ["Hongsong-2026", "松花江边我的老家门口", "k7mp-x4qa-9h", "13812349999x"]
)
def test_policy_accepts(app, password):
    check_password_policy(password, PHONE)


def test_generated_passwords_are_readable_and_pass_the_policy(app):
    made = {generate_password() for _ in range(200)}
    assert len(made) == 200
    for password in made:
        assert re.fullmatch(r"[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{2}", password)
        assert not set(password) & set("0Oo1lIi")
        assert set(password.replace("-", "")) <= set(READABLE_ALPHABET)
        check_password_policy(password, PHONE)


def test_create_person_applies_the_policy(app, make_node):
    community = make_node("community")
    with pytest.raises(DomainError) as refused:
        people_ops.create_person(
            actor=None, phone=PHONE, name="甲", password="password1", community_id=community.id
        )
    assert refused.value.code == "weak_password"


def test_api_create_without_password_makes_a_readable_one_to_change(make_node, make_person, api_as, client):
    community = make_node("community")
    staff = make_person(community=community, roles=[("staff", community)])
    r = api_as(staff).post(
        "/api/v1/people", json={"phone": PHONE, "name": "孙丽", "community_id": community.id}
    )
    assert r.status_code == 201
    assert re.fullmatch(r"[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{2}", r.json["initial_password"])
    token = client.post("/api/v1/auth/token", json={"phone": PHONE, "password": r.json["initial_password"]})
    forced = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token.json['token']}"})
    assert forced.status_code == 403 and forced.json["code"] == "password_change_required"


def test_change_password_api_refusals(make_person, api_as):
    person = make_person()
    api = api_as(person)
    for new, expected in [
        (person.phone, "weak_password"),
        ("iloveyou", "weak_password"),
        ("short", "validation_error"),
        (PASSWORD, "same_password"),
    ]:
        r = api.post("/api/v1/me/password", json={"old_password": PASSWORD, "new_password": new})
        assert r.status_code == 422, new
        assert r.json["code"] == expected
        assert "new_password" in r.json["errors"]


@pytest.fixture
def reset(make_node, make_person, page_login, save):
    """A resident whose password a staff member reset on the people page; the page's answer."""
    community = make_node("community")
    staff = make_person(community=community, roles=[("staff", community)])
    resident = make_person(community=community, name="赵桂兰")
    save()
    staff_page = page_login(staff)
    response = staff_page.post(f"/people/{resident.id}/reset-password", data={"back": "/people"})
    password = re.search(r"<strong>([a-z2-9-]+)</strong>", response.data.decode()).group(1)
    return resident, password, response


def test_reset_password_is_shown_in_the_answer_and_never_in_a_cookie(reset, fresh):
    resident, password, response = reset
    assert response.status_code == 200
    assert password in response.data.decode() and "赵桂兰" in response.data.decode()
    assert response.headers["Cache-Control"] == "no-store"
    for header in response.headers.getlist("Set-Cookie"):
        assert password not in header
    assert fresh(Person, resident.id).must_change_password


def test_reset_password_must_be_changed_first_on_pages(reset, page_login, fresh):
    resident, password, _ = reset
    browser = page_login(resident, password=password)
    assert browser.get("/").headers["Location"] == "/account/password?next=/"
    assert browser.get("/board").headers["Location"].startswith("/account/password")
    assert browser.post("/help", data={}).headers["Location"].startswith("/account/password")
    assert browser.get("/static/site.css").status_code == 200
    page = browser.get("/account/password")
    assert page.status_code == 200 and "工作人员重置" in page.data.decode()

    mismatch = browser.post(
        "/account/password",
        data={
            "old_password": password,
            "new_password": "Hongsong-2026",
            "new_password_again": "Hongsong-2027",
        },
    )
    assert mismatch.status_code == 422 and "不一致" in mismatch.data.decode()
    common = browser.post(
        "/account/password",
        data={"old_password": password, "new_password": "iloveyou1", "new_password_again": "iloveyou1"},
    )
    assert common.status_code == 422 and "太常见" in common.data.decode()
    done = browser.post(
        "/account/password?next=/board",
        data={
            "old_password": password,
            "new_password": "Hongsong-2026",
            "new_password_again": "Hongsong-2026",
        },
    )
    assert done.status_code == 302 and done.headers["Location"] == "/board"
    assert browser.get("/").status_code == 200
    assert not fresh(Person, resident.id).must_change_password
    # The logout button still works while a change is due (checked above); and the login
    # page itself sends a forced person straight to the change page.


def test_login_with_a_reset_password_goes_to_the_change_page(reset, app):
    resident, password, _ = reset
    r = app.test_client().post("/login?next=/board", data={"phone": resident.phone, "password": password})
    assert r.headers["Location"] == "/account/password?next=/board"


def test_reset_password_must_be_changed_first_on_the_api(reset, client):
    resident, password, _ = reset
    token = client.post("/api/v1/auth/token", json={"phone": resident.phone, "password": password}).json[
        "token"
    ]
    auth = {"Authorization": f"Bearer {token}"}
    for url in ("/api/v1/me", "/api/v1/tasks", "/api/v1/me/balances"):
        r = client.get(url, headers=auth)
        assert r.status_code == 403 and r.json["code"] == "password_change_required", url
    r = client.post(
        "/api/v1/me/password", json={"old_password": password, "new_password": "Hongsong-2026"}, headers=auth
    )
    assert r.status_code == 204
    token = client.post(
        "/api/v1/auth/token", json={"phone": resident.phone, "password": "Hongsong-2026"}
    ).json["token"]
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200


def test_forced_change_still_lets_one_log_out(reset, client):
    resident, password, _ = reset
    token = client.post("/api/v1/auth/token", json={"phone": resident.phone, "password": password}).json[
        "token"
    ]
    assert (
        client.delete("/api/v1/auth/token", headers={"Authorization": f"Bearer {token}"}).status_code == 204
    )


def test_change_password_page_needs_the_current_password(make_person, page_login, save):
    person = make_person()
    save()
    browser = page_login(person)
    page = browser.get("/account/password").data.decode()
    for field in ("old_password", "new_password", "new_password_again", "csrf_token"):
        assert f'name="{field}"' in page
    wrong = browser.post(
        "/account/password",
        data={
            "old_password": "not-it-at-all",
            "new_password": "Hongsong-2026",
            "new_password_again": "Hongsong-2026",
        },
    )
    assert wrong.status_code == 422 and "原密码不正确" in wrong.data.decode()


def test_change_password_api_is_limited_per_token_and_per_account(app_with, make_person, save):
    from points.auth.operations import issue_token

    limited = app_with(
        RATELIMIT_ENABLED=True, PASSWORD_RATE_LIMIT_TOKEN="2 per day", PASSWORD_RATE_LIMIT_ACCOUNT="3 per day"
    )
    person = make_person()
    first, _ = issue_token(person=person)
    second, _ = issue_token(person=person)
    save()
    client = limited.test_client()

    def attempt(token):
        return client.post(
            "/api/v1/me/password",
            json={"old_password": "a-wrong-guess", "new_password": "Hongsong-2026"},
            headers={"Authorization": f"Bearer {token}"},
        )

    assert [attempt(first).status_code for _ in range(3)] == [422, 422, 429]
    # Another token of the same account: its own limit, and the account's.
    assert [attempt(second).status_code for _ in range(2)] == [422, 429]
    assert attempt(second).json["code"] == "rate_limited"


def test_password_pages_keep_a_passwords_spaces(make_person, page_login, save, client):
    person = make_person()
    save()
    browser = page_login(person)
    spaced = "  Hongsong 2026  "
    done = browser.post(
        "/account/password",
        data={"old_password": "password123", "new_password": spaced, "new_password_again": spaced},
    )
    assert done.status_code == 302
    api = client.post("/api/v1/auth/token", json={"phone": person.phone, "password": spaced})
    assert api.status_code == 201
    again = page_login(person, password=spaced)
    assert again.get("/").status_code == 200


def test_change_password_page_says_what_is_wrong_by_field(make_person, page_login, save):
    person = make_person()
    save()
    browser = page_login(person)
    r = browser.post("/account/password", data={"old_password": "password123", "new_password": "short"})
    html = r.data.decode()
    assert r.status_code == 422 and "长度应在 8 到 128 之间" in html and "必填" in html
    assert 'minlength="8"' in html and 'maxlength="128"' in html
