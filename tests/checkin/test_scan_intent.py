"""The scan intent: a scan carried through the login page belongs to the phone that made it, and
never outlives the code it came from."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from itsdangerous import URLSafeSerializer

from points.auth.current import actor_for
from points.checkin import operations as ops
from points.checkin.models import CheckIn
from points.db import utcnow
from points.org import operations as org_ops
from tests.checkin.test_pages import count_checkins, intent_of, screen_code


def log_in(client, person) -> None:
    r = client.post("/login", data={"phone": person.phone, "password": "password123"})
    assert r.status_code == 302


def link_contents(intent: str) -> list[str]:
    """Everything a person holding the link can read from it (the intent is signed, not encrypted)."""
    _valid, payload = URLSafeSerializer("any key").loads_unsafe(intent)
    return [str(value) for value in payload.values()]


def test_forwarded_logged_out_intent_with_a_cookie_from_the_link_is_refused(world, running, app, sess):
    phone = app.test_client()
    intent = intent_of(phone.get(f"/s/{screen_code(world, running)}").data.decode())
    assert phone.get_cookie("scan_nonce") is not None

    for value in link_contents(intent):
        # The link was passed on in a chat: its receiver plants what it carries as their own cookie.
        elsewhere = app.test_client()
        elsewhere.set_cookie("scan_nonce", value)
        log_in(elsewhere, world.visitor)

        page = elsewhere.get(f"/s/i/{intent}")
        button = elsewhere.post(f"/s/i/{intent}", data={"action": "in"})

        assert page.status_code == 403 and "别人的扫码链接" in page.data.decode()
        assert button.status_code == 403
    assert count_checkins(sess) == 0


def test_logged_out_intent_checks_in_on_the_phone_that_scanned(world, running, app, sess):
    phone = app.test_client()
    intent = intent_of(phone.get(f"/s/{screen_code(world, running)}").data.decode())
    log_in(phone, world.resident)

    html = phone.get(f"/s/i/{intent}").data.decode()
    r = phone.post(f"/s/i/{intent_of(html)}", data={"action": "in"}, follow_redirects=True)

    assert "签到成功" in r.data.decode()
    assert count_checkins(sess) == 1


def test_logged_out_intent_without_the_cookie_is_refused(world, running, app, sess):
    phone = app.test_client()
    intent = intent_of(phone.get(f"/s/{screen_code(world, running)}").data.decode())
    phone.delete_cookie("scan_nonce")
    log_in(phone, world.resident)

    r = phone.post(f"/s/i/{intent}", data={"action": "in"})

    assert r.status_code == 403
    assert count_checkins(sess) == 0


def test_intent_of_a_poster_code_ends_with_the_activitys_check_out_window(
    world, running, page_as, monkeypatch, sess, app
):
    client = page_as(world.resident)
    ops.check_in_or_out(actor=actor_for(world.resident), activity_id=running.id, now=running.starts_at)
    closes = running.ends_at + timedelta(minutes=app.config["CHECKIN_CHECKOUT_GRACE_MINUTES"])
    scanned = closes - timedelta(minutes=2)
    monkeypatch.setattr("points.checkin.pages.scan.utcnow", lambda: scanned)
    # In the grace period after the end: checking out is still open, checking in no longer.
    html = client.get(f"/s/{screen_code(world, running, poster=True)}").data.decode()
    assert "签退</button>" in html and "签到</button>" not in html
    # Within the intent's ten minutes, but after the poster's code stopped being good.
    monkeypatch.setattr("points.checkin.pages.scan.utcnow", lambda: closes + timedelta(minutes=1))

    page = client.get(f"/s/i/{intent_of(html)}")
    button = client.post(f"/s/i/{intent_of(html)}", data={"action": "out"})

    assert page.status_code == button.status_code == 409
    assert "活动已结束" in button.data.decode()
    assert sess.execute(sa.select(CheckIn.checked_out_at)).scalars().all() == [None]


def test_intent_of_a_screen_code_lives_at_most_the_intent_seconds(world, running, page_as, monkeypatch, sess):
    client = page_as(world.resident)
    html = client.get(f"/s/{screen_code(world, running)}").data.decode()
    monkeypatch.setattr("points.checkin.pages.scan.utcnow", lambda: utcnow() + timedelta(minutes=11))

    page = client.get(f"/s/i/{intent_of(html)}")
    button = client.post(f"/s/i/{intent_of(html)}", data={"action": "in"})

    assert page.status_code == button.status_code == 410
    assert count_checkins(sess) == 0


def test_rotated_station_key_kills_the_intent(world, running, page_as, sess, save):
    client = page_as(world.resident)
    html = client.get(f"/s/{screen_code(world, running, poster=True)}").data.decode()
    ops.rotate_station_key(actor=world.staff_actor, station_id=world.station.id)
    save()

    page = client.get(f"/s/i/{intent_of(html)}")
    button = client.post(f"/s/i/{intent_of(html)}", data={"action": "in"})

    assert page.status_code == button.status_code == 410
    assert "已作废" in page.data.decode() and 'class="primary big"' not in page.data.decode()
    assert count_checkins(sess) == 0


def test_deactivated_station_kills_the_intent(world, running, page_as, sess, save):
    client = page_as(world.resident)
    html = client.get(f"/s/{screen_code(world, running)}").data.decode()
    org_ops.update_station(actor=world.staff_actor, station_id=world.station.id, changes={"is_active": False})
    save()

    page = client.get(f"/s/i/{intent_of(html)}")
    button = client.post(f"/s/i/{intent_of(html)}", data={"action": "in"})

    assert page.status_code == button.status_code == 409
    assert "该站点已停用" in button.data.decode()
    assert count_checkins(sess) == 0
