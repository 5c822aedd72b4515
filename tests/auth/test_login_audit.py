"""Logins, failed logins and logouts are in the audit log, with the address, never the password."""

from __future__ import annotations

import pytest
from sqlmodel import select

from points.audit.models import AuditEntry
from points.db import session
from tests.auth.conftest import PASSWORD

WRONG = "Wrong-Guess-9"


@pytest.fixture
def resident(make_person, save):
    person = make_person()
    save()
    return person


def entries(*actions):
    session().expire_all()
    return (
        session().exec(select(AuditEntry).where(AuditEntry.action.in_(actions)).order_by(AuditEntry.id)).all()
    )


def masked(phone):
    return phone[:3] + "****" + phone[-4:]


def test_page_login_failure_and_logout_are_audited(app, resident):
    client = app.test_client()
    client.post(
        "/login", data={"phone": resident.phone, "password": WRONG}, environ_base={"REMOTE_ADDR": "10.6.0.1"}
    )
    client.post(
        "/login",
        data={"phone": resident.phone, "password": PASSWORD},
        environ_base={"REMOTE_ADDR": "10.6.0.2"},
    )
    client.post("/logout", environ_base={"REMOTE_ADDR": "10.6.0.3"})
    failed, login, logout = entries("auth.login_failed", "auth.login", "auth.logout")
    assert (failed.action, failed.address, failed.actor_id, failed.target_id) == (
        "auth.login_failed",
        "10.6.0.1",
        None,
        resident.id,
    )
    assert failed.detail == {"phone": masked(resident.phone), "reason": "password", "via": "page"}
    assert (login.action, login.address, login.actor_id, login.target_id) == (
        "auth.login",
        "10.6.0.2",
        resident.id,
        resident.id,
    )
    assert (logout.action, logout.address, logout.actor_id) == ("auth.logout", "10.6.0.3", resident.id)
    assert {failed.node_id, login.node_id, logout.node_id} == {resident.community_id}
    for entry in (failed, login, logout):
        assert WRONG not in str(entry.detail) and PASSWORD not in str(entry.detail)
        assert resident.phone not in str(entry.detail)


def test_api_login_failure_and_logout_are_audited(client, resident):
    bad = client.post(
        "/api/v1/auth/token",
        json={"phone": resident.phone, "password": WRONG},
        environ_base={"REMOTE_ADDR": "10.6.1.1"},
    )
    assert bad.status_code == 401
    token = client.post(
        "/api/v1/auth/token",
        json={"phone": resident.phone, "password": PASSWORD},
        environ_base={"REMOTE_ADDR": "10.6.1.2"},
    ).json["token"]
    client.delete("/api/v1/auth/token", headers={"Authorization": f"Bearer {token}"})
    failed, login, logout = entries("auth.login_failed", "auth.login", "auth.logout")
    assert (failed.address, failed.detail["via"], failed.detail["reason"]) == ("10.6.1.1", "api", "password")
    assert (login.address, login.detail) == ("10.6.1.2", {"via": "api"})
    assert (logout.actor_id, logout.detail) == (resident.id, {"via": "api"})
    assert all(WRONG not in str(e.detail) and PASSWORD not in str(e.detail) for e in (failed, login, logout))


def test_failed_login_on_an_unknown_phone_is_audited_masked(client):
    client.post("/api/v1/auth/token", json={"phone": "13912345678", "password": WRONG})
    [failed] = entries("auth.login_failed")
    assert failed.target_id is None and failed.node_id is None
    assert failed.detail["phone"] == "139****5678"
    assert WRONG not in str(failed.detail)


def test_the_person_reads_failed_logins_on_their_account(client, resident, api_as):
    client.post("/api/v1/auth/token", json={"phone": resident.phone, "password": WRONG})
    seen = api_as(resident).get("/api/v1/audit", query_string={"action": "auth.login_failed"}).json["items"]
    assert [e["target_id"] for e in seen] == [resident.id]
