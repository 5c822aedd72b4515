"""Helpers for login tests: page logins, captured session cookies, and the rows behind them."""

from __future__ import annotations

import pytest
from sqlmodel import select

from points.auth.models import LoginSession
from points.db import session

PASSWORD = "password123"


@pytest.fixture
def page_login(app):
    """`page_login(person)`: a test client logged in on the login page (optionally from `address`,
    with a `device` cookie)."""

    def login(person, *, client=None, password=PASSWORD, address="127.0.0.1", device=None):
        client = client or app.test_client()
        if device is not None:
            client.set_cookie("device", device)
        r = client.post(
            "/login",
            data={"phone": person.phone, "password": password},
            environ_base={"REMOTE_ADDR": address},
        )
        assert r.status_code == 302, r.data.decode()
        return client

    return login


@pytest.fixture
def staff_and_resident(make_node, make_person, save):
    """(staff, resident) of one community, committed."""
    community = make_node("community")
    staff = make_person(community=community, roles=[("staff", community)])
    resident = make_person(community=community)
    save()
    return staff, resident


def api_login(client, phone, password="wrong-password", address="10.0.0.1"):
    """An API login from `address` (a wrong password unless given)."""
    return client.post(
        "/api/v1/auth/token",
        json={"phone": phone, "password": password},
        environ_base={"REMOTE_ADDR": address},
    )


def captured(client) -> str:
    """The session cookie as an eavesdropper or a malicious extension would copy it."""
    cookie = client.get_cookie("session")
    assert cookie is not None
    return cookie.value


@pytest.fixture
def replay(app):
    """`replay(cookie)`: another browser presenting a copied session cookie."""

    def make(value: str):
        client = app.test_client()
        client.set_cookie("session", value)
        return client

    return make


def login_sessions(person_id: int) -> list[LoginSession]:
    session().expire_all()
    return (
        session()
        .exec(select(LoginSession).where(LoginSession.person_id == person_id).order_by(LoginSession.id))
        .all()
    )
