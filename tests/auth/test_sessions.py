"""Page logins are rows on the server: logging out, a new password or a suspension ends them
wherever a copy of the cookie is; they end by themselves when idle or too old."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from sqlmodel import select

from points.auth.models import LoginSession
from points.auth.queries import find_live_session
from points.db import session, utcnow
from points.scheduler import run_job
from tests.auth.conftest import PASSWORD, captured, login_sessions


@pytest.fixture
def resident(make_person, save):
    person = make_person(name="刘桂芝")
    save()
    return person


def logged_in(client) -> bool:
    return client.get("/").status_code == 200


def test_logout_ends_a_captured_cookie(resident, page_login, replay):
    browser = page_login(resident)
    stolen = captured(browser)
    assert logged_in(replay(stolen))
    assert browser.post("/logout").status_code == 302
    assert not logged_in(browser)
    # The copy taken before logging out no longer works either.
    assert not logged_in(replay(stolen))
    [row] = login_sessions(resident.id)
    assert row.revoked_at is not None


def test_password_change_by_api_ends_captured_cookies(resident, page_login, replay, api_as):
    stolen = captured(page_login(resident))
    r = api_as(resident).post(
        "/api/v1/me/password", json={"old_password": PASSWORD, "new_password": "Hongsong-2026"}
    )
    assert r.status_code == 204
    assert not logged_in(replay(stolen))


def test_password_change_on_the_page_ends_other_sessions_and_keeps_this_one(resident, page_login, replay):
    stolen = captured(page_login(resident))
    browser = page_login(resident)
    r = browser.post(
        "/account/password",
        data={
            "old_password": PASSWORD,
            "new_password": "Hongsong-2026",
            "new_password_again": "Hongsong-2026",
        },
    )
    assert r.status_code == 302
    assert logged_in(browser)
    assert not logged_in(replay(stolen))
    # This browser went on in a new session: its old cookie is dead too.
    assert [row.revoked_at is None for row in login_sessions(resident.id)] == [False, False, True]


def test_password_reset_ends_captured_cookies(staff_and_resident, page_login, replay, api_as):
    staff, resident = staff_and_resident
    stolen = captured(page_login(resident))
    assert api_as(staff).post(f"/api/v1/people/{resident.id}/password-reset").status_code == 200
    assert not logged_in(replay(stolen))


def test_suspension_ends_captured_cookies_for_good(staff_and_resident, page_login, replay, api_as):
    staff, resident = staff_and_resident
    stolen = captured(page_login(resident))
    staff_api = api_as(staff)
    assert staff_api.patch(f"/api/v1/people/{resident.id}", json={"is_suspended": True}).status_code == 200
    assert not logged_in(replay(stolen))
    # Reinstating the person does not bring the old session back.
    assert staff_api.patch(f"/api/v1/people/{resident.id}", json={"is_suspended": False}).status_code == 200
    assert not logged_in(replay(stolen))
    assert logged_in(page_login(resident))


def test_idle_session_ends(app, resident, page_login, fresh):
    browser = page_login(resident)
    [row] = login_sessions(resident.id)
    idle = timedelta(days=app.config["SESSION_IDLE_DAYS"])
    row.last_seen_at = utcnow() - idle + timedelta(minutes=1)
    session().commit()
    assert logged_in(browser)  # used just in time: the idle clock starts again
    assert fresh(LoginSession, row.id).last_seen_at > utcnow() - timedelta(minutes=1)
    row = fresh(LoginSession, row.id)
    row.last_seen_at = utcnow() - idle - timedelta(seconds=1)
    session().commit()
    assert not logged_in(browser)


def test_session_ends_at_its_absolute_lifetime_however_busy(app, resident, page_login):
    browser = page_login(resident)
    [row] = login_sessions(resident.id)
    assert row.expires_at - row.created_at == timedelta(days=app.config["SESSION_ABSOLUTE_DAYS"])
    row.expires_at = utcnow() - timedelta(seconds=1)
    session().commit()
    assert not logged_in(browser)


def test_find_live_session_by_clock(app, resident, page_login):
    from points.auth.operations import start_login_session

    now = utcnow()
    secret, row = start_login_session(person=resident, now=now)
    idle = timedelta(days=app.config["SESSION_IDLE_DAYS"])
    absolute = timedelta(days=app.config["SESSION_ABSOLUTE_DAYS"])
    assert find_live_session(row.id, secret, now=now + idle - timedelta(seconds=1)) is not None
    assert find_live_session(row.id, secret, now=now + idle) is None
    row.last_seen_at = now + absolute - timedelta(days=1)
    assert find_live_session(row.id, secret, now=now + absolute - timedelta(seconds=1)) is not None
    assert find_live_session(row.id, secret, now=now + absolute) is None
    assert find_live_session(row.id, secret + "x", now=now) is None
    assert find_live_session(str(row.id), secret, now=now) is None


def test_last_seen_is_written_every_few_minutes_not_every_request(app, resident, page_login, fresh):
    browser = page_login(resident)
    [row] = login_sessions(resident.id)
    first = row.last_seen_at
    for _ in range(3):
        assert logged_in(browser)
    assert fresh(LoginSession, row.id).last_seen_at == first
    row = fresh(LoginSession, row.id)
    row.last_seen_at = first - timedelta(seconds=app.config["SESSION_TOUCH_SECONDS"])
    session().commit()
    assert logged_in(browser)
    assert fresh(LoginSession, row.id).last_seen_at > first


def test_cookie_holds_only_an_id_and_a_secret_stored_as_sha256(app, resident, page_login):
    browser = page_login(resident)
    serializer = app.session_interface.get_signing_serializer(app)
    data = serializer.loads(captured(browser))
    assert set(data) - {"_permanent"} == {"sid", "key"}
    [row] = login_sessions(resident.id)
    assert data["sid"] == row.id
    assert row.secret_hash == hashlib.sha256(data["key"].encode()).hexdigest()
    assert data["key"] not in (row.secret_hash, resident.password_hash)
    # Nothing in it comes from the password hash (the old cookie carried its last characters).
    assert resident.password_hash[-12:] not in str(data)


def test_forged_session_id_is_refused(app, resident, page_login, make_person, save):
    other = make_person()
    save()
    browser = page_login(resident)
    page_login(other)
    serializer = app.session_interface.get_signing_serializer(app)
    data = serializer.loads(captured(browser))
    mine, theirs = login_sessions(resident.id)[0], login_sessions(other.id)[0]
    # Even with the secret key, another session's id without its secret is useless.
    forged = serializer.dumps({"sid": theirs.id, "key": data["key"]})
    client = app.test_client()
    client.set_cookie("session", forged)
    assert not logged_in(client)
    assert mine.id != theirs.id


def test_prune_job_deletes_long_ended_sessions(app, resident, page_login):
    from points.auth.operations import start_login_session

    now = utcnow()
    keep = timedelta(days=app.config["LOGIN_SESSIONS_KEEP_DAYS"])
    _, old = start_login_session(person=resident, now=now - keep - timedelta(days=40))
    _, recent = start_login_session(person=resident, now=now - timedelta(days=1))
    old_id, recent_id = old.id, recent.id
    assert run_job("prune_expired", now=now).status == "ok"
    left = session().exec(select(LoginSession.id).where(LoginSession.person_id == resident.id)).all()
    assert old_id not in left and recent_id in left
