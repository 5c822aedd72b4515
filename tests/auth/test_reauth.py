"""Sensitive staff actions need the password typed within REAUTH_HOURS: pages ask for it again,
the API answers 401 `reauth_required` to a token older than that."""

from __future__ import annotations

from datetime import timedelta

from points.auth.guards import SENSITIVE
from points.auth.operations import issue_token
from points.db import session, utcnow
from points.people.models import LoginThrottle
from points.people.queries import is_locked
from tests.auth.conftest import PASSWORD, login_sessions
from tests.conftest import ApiClient


def lock(phone):
    session().add(
        LoginThrottle(
            phone=phone, client_key="a:10.9.9.9", lock_count=1, locked_until=utcnow() + timedelta(hours=1)
        )
    )
    session().commit()


def age_password_entry(app, person, hours=None):
    [row] = [r for r in login_sessions(person.id) if r.revoked_at is None]
    row.password_confirmed_at = utcnow() - timedelta(hours=hours or app.config["REAUTH_HOURS"])
    session().commit()


def test_page_action_after_reauth_hours_asks_for_the_password(app, staff_and_resident, page_login):
    staff, resident = staff_and_resident
    lock(resident.phone)
    browser = page_login(staff)
    age_password_entry(app, staff)

    r = browser.post(f"/people/{resident.id}/unlock", data={"back": "/people?q=x"})
    assert r.status_code == 302
    assert r.headers["Location"] == "/account/confirm?next=/people?q%3Dx"
    assert is_locked(resident.phone)  # nothing was done

    page = browser.get(r.headers["Location"])
    assert page.status_code == 200 and 'name="password"' in page.data.decode()
    wrong = browser.post(r.headers["Location"], data={"password": "not-my-password"})
    assert wrong.status_code == 422 and "密码不正确" in wrong.data.decode()
    confirmed = browser.post(r.headers["Location"], data={"password": PASSWORD})
    assert confirmed.status_code == 302 and confirmed.headers["Location"] == "/people?q=x"

    done = browser.post(f"/people/{resident.id}/unlock", data={"back": "/people"})
    assert done.status_code == 302 and done.headers["Location"] == "/people"
    assert not is_locked(resident.phone)


def test_page_action_within_reauth_hours_goes_through(app, staff_and_resident, page_login):
    staff, resident = staff_and_resident
    lock(resident.phone)
    browser = page_login(staff)
    age_password_entry(app, staff, hours=app.config["REAUTH_HOURS"] - 1)
    assert (
        browser.post(f"/people/{resident.id}/unlock", data={"back": "/people"}).headers["Location"]
        == "/people"
    )
    assert not is_locked(resident.phone)


def test_page_reauth_comes_back_to_the_referring_page(app, staff_and_resident, page_login):
    staff, _ = staff_and_resident
    browser = page_login(staff)
    age_password_entry(app, staff)
    r = browser.post("/approvals/1/approve", headers={"Referer": "http://localhost/approvals?kind=xingan"})
    assert r.headers["Location"] == "/account/confirm?next=/approvals?kind%3Dxingan"
    r = browser.post("/approvals/1/approve", headers={"Referer": "http://evil.example/approvals"})
    assert r.headers["Location"] == "/account/confirm?next=/"


def test_ordinary_pages_need_no_confirmation(app, staff_and_resident, page_login):
    staff, _ = staff_and_resident
    browser = page_login(staff)
    age_password_entry(app, staff, hours=100)
    assert browser.get("/people").status_code == 200


def test_api_sensitive_action_with_an_old_token_is_reauth_required(app, client, staff_and_resident):
    staff, resident = staff_and_resident
    lock(resident.phone)
    old, _ = issue_token(person=staff, now=utcnow() - timedelta(hours=app.config["REAUTH_HOURS"]))
    api = ApiClient(client, old)
    assert api.get("/api/v1/me").status_code == 200  # the token itself is still good
    for method, url in [
        ("post", f"/api/v1/people/{resident.id}/unlock"),
        ("post", f"/api/v1/people/{resident.id}/password-reset"),
        ("post", "/api/v1/awards/1/approve"),
        ("post", "/api/v1/transfers/1/reverse"),
        ("delete", f"/api/v1/people/{resident.id}/roles/1"),
    ]:
        r = getattr(api, method)(url, json={})
        assert r.status_code == 401, url
        assert r.mimetype == "application/problem+json"
        assert r.json["code"] == "reauth_required"
    assert is_locked(resident.phone)

    fresh, _ = issue_token(person=staff)
    assert ApiClient(client, fresh).post(f"/api/v1/people/{resident.id}/unlock").status_code == 200
    assert not is_locked(resident.phone)


def test_every_sensitive_action_names_a_real_route(app):
    routes = {}
    for rule in app.url_map.iter_rules():
        routes.setdefault(rule.endpoint, set()).update(rule.methods)
    for endpoint, methods in SENSITIVE.items():
        assert endpoint in routes, endpoint
        assert methods <= routes[endpoint], endpoint
