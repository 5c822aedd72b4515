"""Presence rules found in review: a scan link stays with the phone that scanned, a poster cannot
end an attended stay for free, one stay at a time, inactive stations take nothing, staff check in
only people of their scope, member cards open only for station staff, odd edges answer 4xx."""

from __future__ import annotations

from datetime import timedelta

import pytest

from points.db import utcnow
from points.errors import DomainError
from tests.checkin.conftest import at


def _scan_link(client, token: str) -> str:
    page = client.get(f"/s/{token}")
    assert page.status_code == 200, page.data.decode()
    html = page.data.decode()
    start = html.index("/s/i/")
    return html[start : html.index('"', start)].split("?")[0]


def _live_activity(make_activity, **fields):
    now = utcnow()
    return make_activity(
        starts_at=now - timedelta(minutes=30), ends_at=now + timedelta(hours=2), now=now, **fields
    )


def test_scan_link_from_a_logged_out_phone_does_not_work_on_another(world, app, make_activity, code, page_as):
    activity = _live_activity(make_activity)
    token = code(activity, now=utcnow())
    scanning_phone = app.test_client()
    link = _scan_link(scanning_phone, token)
    # The link is shared in a chat; someone far away, logged in, opens it and presses the button.
    elsewhere = page_as(world.visitor)
    refused = elsewhere.post(link, data={})
    assert refused.status_code == 403
    assert "自己扫描" in refused.data.decode()
    from points.checkin import queries

    assert queries.open_checkin(activity.id, world.visitor.id) is None
    # The phone that scanned logs in and comes back to the same button.
    login = scanning_phone.post(
        "/login", data={"phone": world.resident.phone, "password": "password123", "next": link}
    )
    assert login.status_code == 302
    done = scanning_phone.post(link, data={})
    assert done.status_code == 302 and queries.open_checkin(activity.id, world.resident.id) is not None


def test_check_out_with_the_poster_makes_the_stay_unattended(world, make_activity, scan):
    from points.ledger.queries import get_transfer

    activity = make_activity()
    scan(world.resident, activity, now=at(0))
    result = scan(world.resident, activity, now=at(120), poster=True)
    assert result.outcome == "checked_out" and result.checkin.unattended
    assert get_transfer(result.award["id"])["status"] == "pending"


def test_check_in_while_in_at_another_activity_is_refused(world, make_activity, scan):
    first = make_activity(title="上午值班")
    second = make_activity(title="同时段另一活动")
    scan(world.resident, first, now=at(0))
    with pytest.raises(DomainError) as refused:
        scan(world.resident, second, now=at(5))
    assert refused.value.code == "checked_in_elsewhere"
    scan(world.resident, first, now=at(60))
    assert scan(world.resident, second, now=at(61)).outcome == "checked_in"


def test_inactive_station_takes_no_more_scans(world, make_activity, scan, code, actor_of):
    from points.org import operations as org_ops

    activity = make_activity()
    scan(world.resident, activity, now=at(0))
    org_ops.update_station(actor=world.staff_actor, station_id=world.station.id, changes={"is_active": False})
    with pytest.raises(DomainError) as refused:
        scan(world.member, activity, now=at(5))
    assert refused.value.code == "station_inactive"


def test_staff_check_in_of_a_person_outside_scope_is_not_found(world, make_activity):
    from points.checkin import operations as ops

    activity = make_activity()
    with pytest.raises(DomainError) as refused:
        ops.staff_check_in(
            actor=world.staff_actor, activity_id=activity.id, person_id=world.visitor.id, now=at(1)
        )
    assert refused.value.status == 404


def test_member_card_page_opens_only_for_station_staff(world, page_as):
    from points.checkin import operations as ops

    card = ops.card_token(ops.ensure_member_card(world.resident.id))
    assert page_as(world.staff).get(f"/c/{card}").status_code == 200
    assert page_as(world.visitor).get(f"/c/{card}").status_code == 404


def test_station_screen_before_the_activity_opens_is_a_page(world, make_activity, page_as):
    now = utcnow()
    activity = make_activity(starts_at=now + timedelta(hours=2), ends_at=now + timedelta(hours=4), now=now)
    response = page_as(world.staff).get(f"/checkin/activities/{activity.id}/screen")
    assert response.status_code == 200


def test_end_activity_at_its_very_start_is_refused_cleanly(world, make_activity):
    from points.checkin import operations as ops

    activity = make_activity()
    with pytest.raises(DomainError) as refused:
        ops.end_activity(actor=world.staff_actor, activity_id=activity.id, now=at(0))
    assert refused.value.code == "activity_not_started"
