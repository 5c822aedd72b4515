"""Presence-proven points post at once only when the person proved presence themselves, at an
activity whose rate a second staff member confirmed, from an account the activity's staff could
not log in as (SPEC §3). The attack each test plays is the puppet one: a staff member makes
accounts, opens an activity at their own station and scans its screen with those logins."""

from __future__ import annotations

from datetime import timedelta

import pytest

from points.checkin import operations as ops
from points.db import utcnow
from points.ledger.queries import balances_of_person
from points.org.queries import get_node
from tests.builders import running_activity
from tests.checkin.conftest import at
from tests.conftest import first_login

PASSWORD = "Kq7mPx4aLr"


def _token(client, phone: str, password: str = PASSWORD) -> dict:
    r = client.post("/api/v1/auth/token", json={"phone": phone, "password": password})
    assert r.status_code == 201, r.json
    return {"Authorization": f"Bearer {r.json['token']}"}


def _open_duty(api, world, rate: int = 240) -> dict:
    now = utcnow()
    made = api.post(
        "/api/v1/activities",
        json={
            "station_id": world.station.id,
            "title": "夜间值守",
            "starts_at": (now - timedelta(minutes=5)).isoformat(),
            "ends_at": (now + timedelta(hours=2)).isoformat(),
            "hourly_rate": rate,
        },
    )
    assert made.status_code == 201, made.json
    return made.json


def _stay(client, world, activity_id: int, headers: dict, monkeypatch, minutes: int = 5) -> dict:
    """Scan the screen now (in), and again `minutes` later (out); the check-out's award."""
    now = utcnow()
    token = ops.station_code(actor=world.staff_actor, activity_id=activity_id, now=now).token
    first = client.post("/api/v1/scan", json={"token": token}, headers=headers)
    assert first.status_code == 200 and first.json["outcome"] == "checked_in", first.json
    # Just past the whole minutes: the check-in was stamped a moment after `now`.
    later = now + timedelta(minutes=minutes, seconds=2)
    monkeypatch.setattr("points.checkin.operations.scanning.utcnow", lambda: later)
    token = ops.station_code(actor=world.staff_actor, activity_id=activity_id, now=later).token
    second = client.post("/api/v1/scan", json={"token": token}, headers=headers)
    monkeypatch.undo()
    assert second.status_code == 200 and second.json["outcome"] == "checked_out", second.json
    return second.json["checkin"]["award"]


def test_puppet_accounts_at_an_unconfirmed_activity_earn_nothing_without_approval(
    world, api_as, client, save, monkeypatch
):
    staff = api_as(world.staff)
    activity = _open_duty(staff, world)
    puppets = []
    for i in range(3):
        made = staff.post(
            "/api/v1/people",
            json={
                "phone": f"1381234010{i}",
                "name": f"居民{i}",
                "password": PASSWORD,
                "community_id": world.community.id,
            },
        )
        assert made.status_code == 201, made.json
        puppets.append(made.json)
    save()

    awards = [
        _stay(client, world, activity["id"], first_login(client, p["phone"], PASSWORD), monkeypatch)
        for p in puppets
    ]

    assert [(a["state"], a["amount"]) for a in awards] == [("pending", 20)] * 3
    assert all(balances_of_person(p["id"])["xingan"]["available"] == 0 for p in puppets)


def test_puppet_accounts_do_not_auto_post_even_at_a_confirmed_activity(
    world, api_as, client, save, monkeypatch
):
    staff = api_as(world.staff)
    activity = _open_duty(staff, world)
    confirmed = api_as(world.checker).post(f"/api/v1/activities/{activity['id']}/confirm-rate")
    assert confirmed.status_code == 200 and confirmed.json["rate_confirmed_by_id"] == world.checker.id
    made = staff.post(
        "/api/v1/people",
        json={
            "phone": "13812340200",
            "name": "居民",
            "password": PASSWORD,
            "community_id": world.community.id,
        },
    )
    save()

    award = _stay(client, world, activity["id"], first_login(client, "13812340200", PASSWORD), monkeypatch)

    assert award["state"] == "pending"
    assert balances_of_person(made.json["id"])["xingan"]["available"] == 0


def test_a_reset_by_any_staff_member_of_the_station_stops_auto_posting(
    world, make_person, actor_of, client, save, monkeypatch
):
    from points.people import operations as people_ops

    third = make_person(community=world.community, roles=[("staff", world.community)])
    resident = make_person(community=world.community, password=PASSWORD)
    activity = running_activity(
        world.staff_actor,
        world.station.id,
        "值守",
        began=timedelta(minutes=5),
        ends_in=timedelta(hours=2),
        hourly_rate=60,
    )
    ops.confirm_activity_rate(actor=world.checker_actor, activity_id=activity.id)
    password = people_ops.reset_password(actor=actor_of(third), person_id=resident.id)
    save()
    headers = first_login(client, resident.phone, password)

    award = _stay(client, world, activity.id, headers, monkeypatch)

    assert award["state"] == "pending"


def test_honest_residents_still_auto_post_at_a_confirmed_activity(
    world, make_person, api_as, client, save, monkeypatch
):
    resident = make_person(community=world.community, password=PASSWORD)
    activity = _open_duty(api_as(world.staff), world, rate=60)
    api_as(world.checker).post(f"/api/v1/activities/{activity['id']}/confirm-rate")
    save()

    award = _stay(client, world, activity["id"], _token(client, resident.phone), monkeypatch, minutes=10)

    assert (award["state"], award["amount"]) == ("posted", 10)
    assert balances_of_person(resident.id)["xingan"]["available"] == 10


def test_activity_cap_on_auto_posted_points(world, make_activity, make_person, scan, app):
    app.config["CHECKIN_ACTIVITY_AUTO_POST_CAP"] = 25
    try:
        activity = make_activity(hourly_rate=60)
        people = [make_person(community=world.community) for _ in range(3)]
        states = []
        for i, person in enumerate(people):
            scan(person, activity, now=at(i))
            result = scan(person, activity, now=at(i + 10))
            states.append(result.award["status"])
    finally:
        app.config["CHECKIN_ACTIVITY_AUTO_POST_CAP"] = 400

    # 10 + 10 fit under 25; the third 10 would pass it and waits for approval.
    assert states == ["posted", "posted", "pending"]
    assert "免审发放的积分已达上限" in result.award["memo"]


def test_confirm_rate_needs_an_independent_second_person(world, make_person, make_activity, actor_of):
    from points.errors import DomainError
    from points.people import operations as people_ops

    activity = make_activity(confirm=False)

    with pytest.raises(DomainError) as own:
        ops.confirm_activity_rate(actor=world.staff_actor, activity_id=activity.id)
    assert own.value.code == "maker_checker"

    street_node = get_node(world.community.parent_id)
    street_admin = make_person(community=world.community, roles=[("street_admin", street_node)])
    appointee = make_person(community=world.community)
    people_ops.grant_role(
        actor=actor_of(street_admin), person_id=appointee.id, role="staff", node_id=world.community.id
    )
    appointed = make_activity(actor=actor_of(appointee), confirm=False)
    with pytest.raises(DomainError) as tied:
        ops.confirm_activity_rate(actor=actor_of(street_admin), activity_id=appointed.id)
    assert tied.value.code == "not_independent"

    ops.confirm_activity_rate(actor=world.checker_actor, activity_id=activity.id)
    with pytest.raises(DomainError) as again:
        ops.confirm_activity_rate(actor=world.checker_actor, activity_id=activity.id)
    assert again.value.code == "rate_confirmed"


def test_activity_desk_shows_the_confirm_button_only_to_who_may_press_it(world, make_activity, page_as, save):
    activity = make_activity(confirm=False)
    save()
    url = f"/checkin/activities/{activity.id}"

    creator = page_as(world.staff).get(url).data.decode()
    assert "积分标准待第二名工作人员确认" in creator
    assert f"/checkin/activities/{activity.id}/confirm-rate" not in creator

    checker = page_as(world.checker)
    assert f"/checkin/activities/{activity.id}/confirm-rate" in checker.get(url).data.decode()
    r = checker.post(f"/checkin/activities/{activity.id}/confirm-rate")
    assert r.status_code == 302
    assert "积分标准已由第二名工作人员确认" in checker.get(url).data.decode()
