"""Failed logins lock a (phone, client) pair, never the account: an attacker cannot keep the
holder out, and a locked unknown phone looks exactly like a locked real one."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from points.auth import operations
from points.db import session, utcnow
from points.errors import DomainError
from points.people.models import LoginThrottle
from points.people.queries import is_locked
from tests.auth.conftest import PASSWORD, api_login

UNKNOWN = "13999990000"


def page_login_attempt(client, phone, password="wrong-password", address="10.0.0.1"):
    return client.post(
        "/login", data={"phone": phone, "password": password}, environ_base={"REMOTE_ADDR": address}
    )


def fail(app, attempt, n=None):
    for _ in range(n or app.config["LOGIN_MAX_FAILURES"]):
        assert attempt().status_code == 401


@pytest.fixture
def resident(make_person, save):
    person = make_person()
    save()
    return person


def test_lock_from_one_address_does_not_stop_the_holder_elsewhere(app, client, resident):
    fail(app, lambda: api_login(client, resident.phone, address="10.0.0.1"))
    assert api_login(client, resident.phone, PASSWORD, address="10.0.0.1").status_code == 423
    assert api_login(client, resident.phone, PASSWORD, address="10.0.0.2").status_code == 201


def test_lock_from_a_shared_address_spares_the_holders_own_phone(app, resident, page_login):
    holder = page_login(resident, device="holders-own-phone-cookie")
    holder.post("/logout")
    attacker = app.test_client()
    # A new device cookie for every try does not help: unknown devices count by address.
    for n in range(app.config["LOGIN_MAX_FAILURES"]):
        attacker.set_cookie("device", f"attacker-device-number-{n:04d}")
        assert page_login_attempt(attacker, resident.phone, address="10.5.5.5").status_code == 401
    attacker.set_cookie("device", "attacker-device-number-9999")
    locked = page_login_attempt(attacker, resident.phone, PASSWORD, address="10.5.5.5")
    assert locked.status_code == 401 and "锁定" in locked.data.decode()
    # Behind the same station Wi-Fi, the holder's phone (which has logged in before) gets in.
    r = page_login_attempt(holder, resident.phone, PASSWORD, address="10.5.5.5")
    assert r.status_code == 302
    assert holder.get("/").status_code == 200


def test_login_page_gives_a_device_cookie(client):
    r = client.get("/login")
    header = next(h for h in r.headers.getlist("Set-Cookie") if h.startswith("device="))
    assert "HttpOnly" in header and "SameSite=Lax" in header
    assert "device=" not in "".join(client.get("/login").headers.getlist("Set-Cookie"))


def test_lock_grows_with_each_further_lock_up_to_a_day(app, resident):
    now = utcnow()
    durations = []
    for _ in range(9):
        for _ in range(app.config["LOGIN_MAX_FAILURES"]):
            with pytest.raises(DomainError):
                operations.authenticate(phone=resident.phone, password="wrong", client_key="a:x", now=now)
        row = session().exec(select(LoginThrottle).where(LoginThrottle.phone == resident.phone)).one()
        durations.append(int((row.locked_until - now).total_seconds() // 60))
        with pytest.raises(DomainError) as locked:
            operations.authenticate(phone=resident.phone, password=PASSWORD, client_key="a:x", now=now)
        assert locked.value.code == "account_locked"
        now = row.locked_until + timedelta(seconds=1)
    assert durations == [15, 30, 60, 120, 240, 480, 960, 1440, 1440]


def test_a_quiet_day_forgets_earlier_locks(app, resident):
    now = utcnow()
    for _ in range(2 * app.config["LOGIN_MAX_FAILURES"]):
        with pytest.raises(DomainError):
            operations.authenticate(phone=resident.phone, password="wrong", client_key="a:x", now=now)
        row = session().exec(select(LoginThrottle).where(LoginThrottle.phone == resident.phone)).one()
        if row.locked_until:
            now = row.locked_until + timedelta(seconds=1)
    assert row.lock_count == 2
    later = row.locked_until + timedelta(minutes=app.config["LOGIN_LOCK_MAX_MINUTES"], seconds=1)
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        with pytest.raises(DomainError):
            operations.authenticate(phone=resident.phone, password="wrong", client_key="a:x", now=later)
    session().refresh(row)
    assert row.locked_until - later == timedelta(minutes=app.config["LOGIN_LOCK_MINUTES"])


def test_unknown_phone_is_counted_and_locked_exactly_like_a_real_one(app, client, resident):
    real, unknown = [], []
    for _ in range(app.config["LOGIN_MAX_FAILURES"] + 1):
        real.append(api_login(client, resident.phone, address="10.7.0.1"))
        unknown.append(api_login(client, UNKNOWN, address="10.7.0.1"))
    for mine, theirs in zip(real, unknown, strict=True):
        assert mine.status_code == theirs.status_code
        assert _body(mine) == _body(theirs)
        assert mine.headers.get("WWW-Authenticate") == theirs.headers.get("WWW-Authenticate")
    assert real[-1].status_code == 423 and real[-1].json["code"] == "account_locked"
    assert _body(api_login(client, UNKNOWN, PASSWORD, address="10.7.0.1")) == _body(
        api_login(client, resident.phone, PASSWORD, address="10.7.0.1")
    )


def _body(response) -> dict:
    """The answer but its request id, which every request has its own of."""
    return {k: v for k, v in response.json.items() if k != "request_id"}


def test_unknown_phone_locks_alike_on_the_login_page(app, resident):
    def attempts(phone):
        client = app.test_client()
        return [page_login_attempt(client, phone, address="10.8.0.1") for _ in range(6)]

    for mine, theirs in zip(attempts(resident.phone), attempts(UNKNOWN), strict=True):
        assert mine.status_code == theirs.status_code == 401
        message = mine.data.decode().split('role="alert">')[1].split("<")[0]
        assert message == theirs.data.decode().split('role="alert">')[1].split("<")[0]
    assert "锁定" in message


def test_unknown_phone_spends_a_password_hash(app, monkeypatch):
    seen = []
    real = operations.verify_password

    def spy(password_hash, password):
        seen.append(password_hash)
        return real(password_hash, password)

    monkeypatch.setattr(operations, "verify_password", spy)
    with pytest.raises(DomainError):
        operations.authenticate(phone=UNKNOWN, password="whatever-it-is", client_key="a:x")
    assert seen == [None]  # verify_password(None, …) hashes the password to spend the same time


def test_staff_unlock_clears_every_client_of_the_phone(app, client, make_node, make_person, api_as, save):
    community = make_node("community")
    staff = make_person(community=community, roles=[("staff", community)])
    person = make_person(community=community)
    save()
    for address in ("10.3.0.1", "10.3.0.2"):
        fail(app, lambda address=address: api_login(client, person.phone, address=address))
    assert is_locked(person.phone)
    staff_api = api_as(staff)
    assert staff_api.get(f"/api/v1/people/{person.id}").json["is_locked"] is True
    listed = staff_api.get("/api/v1/people", query_string={"community_id": community.id}).json["items"]
    assert {p["id"]: p["is_locked"] for p in listed} == {staff.id: False, person.id: True}
    r = staff_api.post(f"/api/v1/people/{person.id}/unlock")
    assert r.status_code == 200 and r.json["is_locked"] is False
    assert session().exec(select(LoginThrottle).where(LoginThrottle.phone == person.phone)).all() == []
    assert api_login(client, person.phone, PASSWORD, address="10.3.0.1").status_code == 201


def test_known_device_is_spared_the_per_account_limit(app_with, make_person, save):
    limited = app_with(
        RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT_ACCOUNT="3 per day", LOGIN_RATE_LIMIT_ADDRESS="100 per day"
    )
    person = make_person()
    save()
    holder = limited.test_client()
    holder.set_cookie("device", "the-holders-phone-0001")
    assert page_login_attempt(holder, person.phone, PASSWORD, address="10.4.0.1").status_code == 302
    holder.post("/logout")
    attacker = limited.test_client()
    for n in range(3):
        page_login_attempt(attacker, person.phone, address=f"10.4.1.{n}")
    assert page_login_attempt(attacker, person.phone, address="10.4.1.9").status_code == 429
    stranger = limited.test_client()
    stranger.set_cookie("device", "a-device-never-seen-001")
    assert page_login_attempt(stranger, person.phone, PASSWORD, address="10.4.2.1").status_code == 429
    # The holder's phone has logged in to this account before: the attacker cannot keep it out.
    assert page_login_attempt(holder, person.phone, PASSWORD, address="10.4.0.1").status_code == 302


def test_a_first_login_without_a_device_cookie_makes_the_browser_known(app, resident):
    from points.auth.queries import device_known

    client = app.test_client()
    assert page_login_attempt(client, resident.phone, PASSWORD).status_code == 302
    device = client.get_cookie("device").value
    assert device_known(phone=resident.phone, device=device)
    assert not device_known(phone=resident.phone, device=device + "x")
