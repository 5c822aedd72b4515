"""Bearer tokens: log in, log out, expiry, suspension and lockout (spec §9, §11)."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from sqlmodel import select

from points.audit.models import AuditEntry
from points.auth import operations
from points.auth.models import ApiToken
from points.db import session, utcnow
from points.errors import DomainError
from points.people.models import LoginThrottle, Person

PASSWORD = "password123"


def log_in(client, phone, password=PASSWORD, **extra):
    return client.post("/api/v1/auth/token", json={"phone": phone, "password": password, **extra})


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def fail_until_locked(app, client, phone):
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        r = log_in(client, phone, "wrong-password")
        assert r.status_code == 401
        assert r.json["code"] == "invalid_credentials"


@pytest.fixture
def resident(make_person, save):
    person = make_person()
    save()
    return person


def test_issue_token_returns_working_token(client, resident):
    r = log_in(client, resident.phone, label="手机")
    assert r.status_code == 201
    body = r.json
    assert body["token_type"] == "Bearer"
    assert body["person_id"] == resident.id
    assert body["expires_at"]
    me = client.get("/api/v1/me", headers=bearer(body["token"]))
    assert me.status_code == 200
    assert me.json["id"] == resident.id
    assert me.json["phone"] == resident.phone


def test_issue_token_stores_only_a_digest(client, resident):
    token = log_in(client, resident.phone).json["token"]
    rows = session().exec(select(ApiToken).where(ApiToken.person_id == resident.id)).all()
    assert [row.token_hash for row in rows] == [hashlib.sha256(token.encode()).hexdigest()]
    assert all(token not in (row.token_hash, row.label) for row in rows)


def test_issue_token_trims_phone(client, resident):
    assert log_in(client, f" {resident.phone} ").status_code == 201


def test_issue_token_wrong_password_is_401(client, resident):
    r = log_in(client, resident.phone, "not-the-password")
    assert r.status_code == 401
    assert r.mimetype == "application/problem+json"
    assert r.json["code"] == "invalid_credentials"
    assert "WWW-Authenticate" in r.headers


def test_issue_token_unknown_phone_is_401_like_wrong_password(client, resident):
    unknown = log_in(client, "13999999999")
    wrong = log_in(client, resident.phone, "not-the-password")
    assert unknown.status_code == wrong.status_code == 401
    # Same code and message: the answer does not tell whether the phone is registered.
    assert unknown.json["code"] == wrong.json["code"] == "invalid_credentials"
    assert unknown.json["detail"] == wrong.json["detail"]


def test_issue_token_without_password_set_is_401(client, app):
    from points.people import operations as people_ops

    person = people_ops.create_person(actor=None, phone="13700000001", name="无密码")
    session().commit()
    assert log_in(client, person.phone, "").status_code == 422
    assert log_in(client, person.phone, "anything-at-all").json["code"] == "invalid_credentials"


def test_issue_token_suspended_person_is_403(client, resident, fresh):
    fresh(Person, resident.id).is_suspended = True
    session().commit()
    r = log_in(client, resident.phone)
    assert r.status_code == 403
    assert r.json["code"] == "account_suspended"


def test_suspend_person_ends_existing_tokens(client, make_node, make_person, api_as):
    community = make_node("community")
    staff = make_person(community=community, roles=[("staff", community)])
    person = make_person(community=community)
    mine = api_as(person)
    assert mine.get("/api/v1/me").status_code == 200

    r = api_as(staff).patch(f"/api/v1/people/{person.id}", json={"is_suspended": True})
    assert r.status_code == 200
    assert r.json["is_suspended"] is True

    refused = mine.get("/api/v1/me")
    assert refused.status_code == 401
    assert refused.json["code"] == "invalid_token"
    assert log_in(client, person.phone).json["code"] == "account_suspended"

    # Reinstated, the person can log in again.
    assert api_as(staff).patch(f"/api/v1/people/{person.id}", json={"is_suspended": False}).status_code == 200
    assert log_in(client, person.phone).status_code == 201


def test_revoke_token_logs_out_that_token_only(client, resident):
    first = log_in(client, resident.phone).json["token"]
    second = log_in(client, resident.phone).json["token"]
    r = client.delete("/api/v1/auth/token", headers=bearer(first))
    assert r.status_code == 204
    assert client.get("/api/v1/me", headers=bearer(first)).status_code == 401
    assert client.delete("/api/v1/auth/token", headers=bearer(first)).status_code == 401
    assert client.get("/api/v1/me", headers=bearer(second)).status_code == 200


def test_revoke_token_without_token_is_401(client):
    r = client.delete("/api/v1/auth/token")
    assert r.status_code == 401
    assert r.json["code"] == "unauthorized"


def test_expired_token_is_refused(client, resident):
    token, row = operations.issue_token(person=resident, now=utcnow() - timedelta(hours=1000))
    session().commit()
    assert row.expires_at < utcnow()
    r = client.get("/api/v1/me", headers=bearer(token))
    assert r.status_code == 401
    assert r.json["code"] == "invalid_token"


def test_actor_for_token_refuses_at_expiry(app, resident):
    from points.auth.current import actor_for_token

    token, row = operations.issue_token(person=resident)
    actor, token_id = actor_for_token(token, now=row.expires_at - timedelta(seconds=1))
    assert actor.person_id == resident.id and token_id == row.id
    with pytest.raises(DomainError) as refused:
        actor_for_token(token, now=row.expires_at)
    assert refused.value.code == "invalid_token"


def test_token_lifetime_follows_config(app, resident):
    now = utcnow()
    _, row = operations.issue_token(person=resident, now=now)
    assert row.expires_at - now == timedelta(hours=app.config["API_TOKEN_HOURS"])


def test_page_session_cookie_is_not_accepted_by_api(client, resident):
    page = client.post("/login", data={"phone": resident.phone, "password": PASSWORD})
    assert page.status_code == 302
    assert client.get("/").status_code == 200  # the cookie works on pages
    r = client.get("/api/v1/me")
    assert r.status_code == 401
    assert r.json["code"] == "unauthorized"


def throttle_of(phone, client_key="a:127.0.0.1"):
    session().expire_all()
    return (
        session()
        .exec(
            select(LoginThrottle).where(LoginThrottle.phone == phone, LoginThrottle.client_key == client_key)
        )
        .one()
    )


def test_lockout_after_max_failures_refuses_right_password(app, client, resident):
    fail_until_locked(app, client, resident.phone)
    r = log_in(client, resident.phone)
    assert r.status_code == 423
    assert r.mimetype == "application/problem+json"
    assert r.json["code"] == "account_locked"
    # The lock is on this phone from this client (the test client's address), not on the account.
    assert throttle_of(resident.phone).locked_until > utcnow()
    refusals = (
        session()
        .exec(
            select(AuditEntry)
            .where(AuditEntry.action == "auth.login_failed", AuditEntry.target_id == resident.id)
            .order_by(AuditEntry.id)
        )
        .all()
    )
    assert [e.detail["reason"] for e in refusals] == ["password"] * 5 + ["locked"]
    assert "locked_until" in refusals[4].detail
    assert all(e.actor_id is None for e in refusals)


def test_lockout_failures_below_limit_do_not_lock(app, client, resident):
    for _ in range(app.config["LOGIN_MAX_FAILURES"] - 1):
        assert log_in(client, resident.phone, "wrong-password").status_code == 401
    assert log_in(client, resident.phone).status_code == 201
    # A success clears the count: the next failures start from zero.
    for _ in range(app.config["LOGIN_MAX_FAILURES"] - 1):
        assert log_in(client, resident.phone, "wrong-password").status_code == 401
    assert log_in(client, resident.phone).status_code == 201


def test_lockout_ends_when_locked_until_passes(app, client, resident):
    fail_until_locked(app, client, resident.phone)
    locked_until = throttle_of(resident.phone).locked_until
    later = locked_until + timedelta(seconds=1)
    with pytest.raises(DomainError) as locked:
        operations.authenticate(
            phone=resident.phone,
            password=PASSWORD,
            client_key="a:127.0.0.1",
            now=locked_until - timedelta(seconds=1),
        )
    assert locked.value.code == "account_locked"
    person = operations.authenticate(
        phone=resident.phone, password=PASSWORD, client_key="a:127.0.0.1", now=later
    )
    assert person.id == resident.id


def test_lockout_ends_for_the_api_once_past(app, client, resident):
    fail_until_locked(app, client, resident.phone)
    assert log_in(client, resident.phone).status_code == 423
    throttle_of(resident.phone).locked_until = utcnow() - timedelta(seconds=1)
    session().commit()
    assert log_in(client, resident.phone).status_code == 201
    # A success from that client forgets its failures.
    assert session().exec(select(LoginThrottle).where(LoginThrottle.phone == resident.phone)).first() is None


def test_lockout_lock_lasts_configured_minutes(app, resident):
    now = utcnow()
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        with pytest.raises(DomainError):
            operations.authenticate(
                phone=resident.phone, password="wrong-password", client_key="a:x", now=now
            )
    assert throttle_of(resident.phone, "a:x").locked_until == now + timedelta(
        minutes=app.config["LOGIN_LOCK_MINUTES"]
    )


def test_unlock_by_staff_lets_person_log_in(app, client, make_node, make_person, api_as):
    community = make_node("community")
    staff = make_person(community=community, roles=[("staff", community)])
    person = make_person(community=community)
    staff_api = api_as(staff)
    fail_until_locked(app, client, person.phone)
    assert log_in(client, person.phone).status_code == 423
    assert staff_api.get(f"/api/v1/people/{person.id}").json["is_locked"] is True

    r = staff_api.post(f"/api/v1/people/{person.id}/unlock")
    assert r.status_code == 200
    assert r.json["is_locked"] is False
    assert log_in(client, person.phone).status_code == 201
    assert session().exec(select(AuditEntry).where(AuditEntry.action == "person.unlocked")).first()


def test_unlock_outside_scope_is_404_and_by_resident_403(app, client, make_node, make_person, api_as):
    a, b = make_node("community"), make_node("community")
    staff_b = make_person(community=b, roles=[("staff", b)])
    person = make_person(community=a)
    neighbour = make_person(community=a)
    fail_until_locked(app, client, person.phone)
    assert api_as(staff_b).post(f"/api/v1/people/{person.id}/unlock").status_code == 404
    assert api_as(neighbour).post(f"/api/v1/people/{person.id}/unlock").status_code == 404
    # Oneself is visible, so unlocking oneself without the role is refused, not hidden.
    assert api_as(person).post(f"/api/v1/people/{person.id}/unlock").status_code == 403
    assert log_in(client, person.phone).status_code == 423


def test_change_own_password_then_log_in_with_new(client, resident, api_as):
    phone = resident.phone  # a refused request rolls back the session and expires its objects
    api = api_as(resident)
    wrong = api.post(
        "/api/v1/me/password", json={"old_password": "nope-nope", "new_password": "brand-new-pw"}
    )
    assert wrong.status_code == 422
    assert "old_password" in wrong.json["errors"]
    short = api.post("/api/v1/me/password", json={"old_password": PASSWORD, "new_password": "short"})
    assert short.status_code == 422
    r = api.post("/api/v1/me/password", json={"old_password": PASSWORD, "new_password": "brand-new-pw"})
    assert r.status_code == 204
    assert log_in(client, phone).status_code == 401
    assert log_in(client, phone, "brand-new-pw").status_code == 201
