"""Check-in pages: the scan page and its one button, the login detour, results, the desk, the screen,
the poster, member cards and attendance history."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from points.checkin import operations as ops
from points.checkin.models import CheckIn
from points.db import LOCAL_TZ, utcnow


def screen_code(world, activity, *, now=None, poster=False) -> str:
    return ops.station_code(actor=world.staff_actor, activity_id=activity.id, poster=poster, now=now).token


def count_checkins(sess) -> int:
    return sess.execute(sa.select(sa.func.count()).select_from(CheckIn)).scalar_one()


def intent_of(html: str) -> str:
    return re.search(r"/s/i/([A-Za-z0-9_.\-]+)", html).group(1)


def test_scan_page_shows_who_and_where_and_checks_nobody_in(world, running, page_as, sess):
    client = page_as(world.resident)

    r = client.get(f"/s/{screen_code(world, running)}")

    html = r.data.decode()
    assert r.status_code == 200
    assert "周末值班" in html and "党群服务站" in html and world.resident.name in html
    assert html.count('type="submit" class="primary big"') == 1 and "签到</button>" in html
    assert r.headers["Cache-Control"] == "no-store"
    assert count_checkins(sess) == 0


def test_scan_page_post_checks_in_then_shows_the_result(world, running, page_as, sess, fresh):
    client = page_as(world.resident)
    html = client.get(f"/s/{screen_code(world, running)}").data.decode()

    r = client.post(f"/s/i/{intent_of(html)}", data={"action": "in"}, follow_redirects=True)

    assert r.status_code == 200
    assert "签到成功" in r.data.decode()
    assert count_checkins(sess) == 1
    again = client.post(f"/s/i/{intent_of(html)}", data={"action": "in"}, follow_redirects=True)
    assert "您已签到，无需重复扫码" in again.data.decode()
    assert count_checkins(sess) == 1


def test_scan_page_second_visit_within_minutes_offers_no_button(world, running, page_as):
    client = page_as(world.resident)
    token = screen_code(world, running)
    html = client.get(f"/s/{token}").data.decode()
    client.post(f"/s/i/{intent_of(html)}", data={"action": "in"})

    html = client.get(f"/s/{token}").data.decode()

    assert "您已于" in html and "分钟后可扫码签退" in html
    assert 'class="primary big"' not in html


def test_scan_page_offers_check_out_later_and_shows_points(world, running, page_as, monkeypatch, sess):
    client = page_as(world.resident)
    html = client.get(f"/s/{screen_code(world, running)}").data.decode()
    client.post(f"/s/i/{intent_of(html)}", data={"action": "in"})
    later = utcnow() + timedelta(minutes=61)
    monkeypatch.setattr("points.checkin.pages.scan.utcnow", lambda: later)

    html = client.get(f"/s/{screen_code(world, running, now=later)}").data.decode()
    assert "签退</button>" in html
    r = client.post(f"/s/i/{intent_of(html)}", data={"action": "out"}, follow_redirects=True)

    text = r.data.decode()
    assert "签退成功，本次服务1小时1分钟，获得 10 兴安分（已入账）" in text


def test_scan_page_anonymous_logs_in_and_comes_back_to_the_same_button(world, running, client, sess):
    r = client.get(f"/s/{screen_code(world, running)}")
    html = r.data.decode()
    assert r.status_code == 200 and "登录后签到" in html
    login = re.search(r'href="(/login\?next=[^"]+)"', html).group(1).replace("&amp;", "&")

    r = client.post(login, data={"phone": world.resident.phone, "password": "password123"})

    assert r.status_code == 302 and "/s/i/" in r.headers["Location"]
    html = client.get(r.headers["Location"]).data.decode()
    assert "签到</button>" in html and world.resident.name in html
    r = client.post(f"/s/i/{intent_of(html)}", data={"action": "in"}, follow_redirects=True)
    assert "签到成功" in r.data.decode()
    assert sess.execute(sa.select(CheckIn.person_id)).scalars().all() == [world.resident.id]


def test_scan_intent_survives_the_code_moving_on(world, running, client, monkeypatch):
    html = client.get(f"/s/{screen_code(world, running)}").data.decode()
    intent = intent_of(html)
    client.post("/login", data={"phone": world.resident.phone, "password": "password123"})
    # Five minutes at the login page: the screen's code changed ten times meanwhile.
    later = utcnow() + timedelta(minutes=5)
    monkeypatch.setattr("points.checkin.pages.scan.utcnow", lambda: later)

    r = client.post(f"/s/i/{intent}", data={"action": "in"}, follow_redirects=True)

    assert "签到成功" in r.data.decode()


def test_scan_intent_expires_after_ten_minutes(world, running, client, monkeypatch):
    html = client.get(f"/s/{screen_code(world, running)}").data.decode()
    client.post("/login", data={"phone": world.resident.phone, "password": "password123"})
    later = utcnow() + timedelta(minutes=11)
    monkeypatch.setattr("points.checkin.pages.scan.utcnow", lambda: later)

    r = client.post(f"/s/i/{intent_of(html)}", data={"action": "in"})

    assert r.status_code == 410
    assert "扫码已超过10分钟，请重新扫描屏幕上的二维码" in r.data.decode()


def test_scan_intent_of_another_person_is_refused(world, running, page_as):
    html = page_as(world.resident).get(f"/s/{screen_code(world, running)}").data.decode()

    r = page_as(world.member).post(f"/s/i/{intent_of(html)}", data={"action": "in"})

    assert r.status_code == 403 and "别人的扫码链接" in r.data.decode()


def test_scan_intent_tampered_is_refused(world, running, page_as):
    client = page_as(world.resident)
    intent = intent_of(client.get(f"/s/{screen_code(world, running)}").data.decode())

    r = client.post(f"/s/i/{intent[:-2]}xx", data={"action": "in"})

    assert r.status_code == 400 and "链接无效" in r.data.decode()


def test_scan_page_expired_code_says_so_plainly(world, running, client):
    old = screen_code(world, running, now=utcnow() - timedelta(minutes=2))

    r = client.get(f"/s/{old}")

    assert r.status_code == 410
    assert "二维码已过期，请重新扫描屏幕上的二维码" in r.data.decode()


@pytest.mark.parametrize("token", ["nonsense", "A" * 64, "UwzSCfLMxBwBThhW6eq88bsLXA"])
def test_scan_page_forged_code_is_refused(world, running, client, token):
    r = client.get(f"/s/{token}")

    assert r.status_code == 400 and "二维码无效" in r.data.decode()


def test_scan_page_overlong_path_is_refused(client):
    assert client.get("/s/" + "A" * 5000).status_code == 400


def test_scan_page_post_without_csrf_token_checks_nobody_in(world, running, app_with, sess):
    guarded = app_with(WTF_CSRF_ENABLED=True)
    client = guarded.test_client()
    html = client.get("/login").data.decode()
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    client.post("/login", data={"phone": world.resident.phone, "password": "password123", "csrf_token": csrf})
    html = client.get(f"/s/{screen_code(world, running)}").data.decode()

    r = client.post(f"/s/i/{intent_of(html)}", data={"action": "in"})

    assert r.status_code == 400 and "页面已过期" in r.data.decode()
    assert count_checkins(sess) == 0


def test_checkin_page_of_someone_else_is_not_found(world, running, page_as):
    result = ops.check_in_or_out(actor=world_actor(world.resident), activity_id=running.id)
    r = page_as(world.visitor).get(f"/checkins/{result.checkin.id}")

    assert r.status_code == 404


def world_actor(person):
    from points.auth.current import actor_for

    return actor_for(person)


def test_my_checkins_lists_the_record_with_notes(world, running, page_as, save):
    ops.staff_check_in(actor=world.staff_actor, activity_id=running.id, person_id=world.resident.id)
    save()

    html = page_as(world.resident).get("/checkins").data.decode()

    assert "周末值班" in html and "由工作人员张丽华代为签到" in html and "在场" in html


def test_person_checkins_page_for_staff_in_scope_only(world, running, page_as):
    assert page_as(world.staff).get(f"/people/{world.resident.id}/checkins").status_code == 200
    assert page_as(world.outsider).get(f"/people/{world.resident.id}/checkins").status_code == 404
    assert page_as(world.visitor).get(f"/people/{world.resident.id}/checkins").status_code == 404


# --- staff pages ----------------------------------------------------------------------


def test_stations_page_lists_the_stations_and_running_activities(world, running, page_as):
    html = page_as(world.staff).get("/checkin/stations").data.decode()

    assert "党群服务站" in html and "周末值班" in html and "骑手驿站" not in html
    assert "签到站点" in html
    assert page_as(world.resident).get("/checkin/stations").status_code == 403


def test_station_page_creates_an_activity(world, page_as, sess):
    client = page_as(world.staff)
    assert "新建活动" in client.get(f"/checkin/stations/{world.station.id}").data.decode()
    start = (utcnow() + timedelta(hours=1)).astimezone(LOCAL_TZ).strftime("%Y-%m-%dT%H:%M")
    end = (utcnow() + timedelta(hours=3)).astimezone(LOCAL_TZ).strftime("%Y-%m-%dT%H:%M")

    r = client.post(
        f"/checkin/stations/{world.station.id}/activities",
        data={"title": "助老值班", "starts_at": start, "ends_at": end, "hourly_rate": "8"},
        follow_redirects=True,
    )

    assert r.status_code == 200 and "活动已创建" in r.data.decode() and "助老值班" in r.data.decode()


def test_station_page_create_with_bad_input_says_what_is_wrong(world, page_as):
    client = page_as(world.staff)

    r = client.post(
        f"/checkin/stations/{world.station.id}/activities",
        data={"title": "", "starts_at": "昨天", "ends_at": "", "hourly_rate": "many"},
    )

    html = r.data.decode()
    assert r.status_code == 422
    assert "时间格式无效" in html and "应为整数" in html and "必填" in html


def test_station_page_rotates_the_key(world, running, page_as):
    client = page_as(world.staff)
    old = screen_code(world, running)

    r = client.post(f"/checkin/stations/{world.station.id}/rotate-key", follow_redirects=True)

    assert "已更换二维码密钥（第 2 版）" in r.data.decode()
    assert client.get(f"/s/{old}").status_code == 410


def test_station_page_outside_scope_is_not_found(world, page_as):
    assert page_as(world.outsider).get(f"/checkin/stations/{world.station.id}").status_code == 404
    assert page_as(world.outsider).post(f"/checkin/stations/{world.station.id}/rotate-key").status_code == 404


def test_activity_desk_checks_in_by_card_and_from_the_list(world, running, page_as, sess):
    client = page_as(world.staff)
    card = ops.card_token(ops.ensure_member_card(world.resident.id))
    url = f"/checkin/activities/{running.id}"

    r = client.post(
        f"{url}/staff-checkin", data={"card": f"http://localhost/c/{card}"}, follow_redirects=True
    )
    assert f"{world.resident.name}：签到成功（工作人员代签）" in r.data.decode()

    html = client.get(f"{url}?q={world.member.name}").data.decode()
    assert world.member.name in html and "138" not in html.split(world.member.name)[1][:5]
    r = client.post(
        f"{url}/staff-checkin", data={"person_id": world.member.id, "action": "in"}, follow_redirects=True
    )
    assert f"{world.member.name}：签到成功" in r.data.decode()
    rows = sess.execute(sa.select(CheckIn.person_id, CheckIn.by_staff_id)).all()
    assert sorted(rows) == sorted([(world.resident.id, world.staff.id), (world.member.id, world.staff.id)])


def test_activity_desk_refuses_a_bad_card_plainly(world, running, page_as, sess):
    r = page_as(world.staff).post(
        f"/checkin/activities/{running.id}/staff-checkin", data={"card": "not-a-card"}, follow_redirects=True
    )

    assert "无法识别该会员卡" in r.data.decode()
    assert count_checkins(sess) == 0


def test_activity_desk_ends_the_activity(world, running, page_as, fresh):
    from points.checkin.models import Activity

    r = page_as(world.staff).post(f"/checkin/activities/{running.id}/end", follow_redirects=True)

    assert "活动已结束" in r.data.decode()
    assert fresh(Activity, running.id).ends_at <= utcnow()


def test_screen_page_is_full_screen_with_the_code_and_count(world, running, page_as):
    client = page_as(world.staff)

    html = client.get(f"/checkin/activities/{running.id}/screen").data.decode()

    assert 'class="topbar"' not in html and "data-screen" in html
    assert "<svg" in html and "周末值班" in html and "checkin.js" in html
    assert "网络连接已断开" in html


def test_screen_state_gives_the_current_code_and_count(world, running, page_as, app):
    client = page_as(world.staff)
    ops.check_in_or_out(actor=world_actor(world.resident), activity_id=running.id)
    from points.db import session

    session().commit()

    state = client.get(f"/checkin/activities/{running.id}/screen.json").get_json()

    assert state["showing"] is True and state["present"] == 1 and state["people"] == 1
    assert state["url"] == f"http://localhost/s/{state['token']}"
    assert state["svg"].startswith("<svg") and 0 <= state["rotates_in"] <= 30
    again = client.get(f"/checkin/activities/{running.id}/screen.json?have={state['token']}").get_json()
    assert again["token"] == state["token"] and again["svg"] is None


def test_screen_state_uses_the_public_base_url(world, running, app, monkeypatch, page_as):
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", "https://points.example.cn/")

    state = page_as(world.staff).get(f"/checkin/activities/{running.id}/screen.json").get_json()

    assert state["url"] == f"https://points.example.cn/s/{state['token']}"


def test_production_qr_codes_carry_the_public_base_url_whatever_the_host(world, running, app_with):
    from points.checkin.qr import card_url

    production = app_with(ENV_NAME="production", PUBLIC_BASE_URL="https://points.example.cn")
    # Requests that came in on another name (a forged Host header, a second domain).
    client = production.test_client()
    elsewhere = {"base_url": "http://attacker.example"}
    client.post("/login", data={"phone": world.staff.phone, "password": "password123"}, **elsewhere)

    state = client.get(f"/checkin/activities/{running.id}/screen.json", **elsewhere).get_json()
    poster = client.get(f"/checkin/activities/{running.id}/poster", **elsewhere).data.decode()

    assert state["url"] == f"https://points.example.cn/s/{state['token']}"
    assert 'class="poster-url">https://points.example.cn/s/' in poster and "attacker.example" not in poster
    with production.test_request_context("/", **elsewhere):
        assert card_url("token") == "https://points.example.cn/c/token"


def test_qr_pages_run_no_inline_script(world, running, page_as, sess):
    from tests.test_security import inline_script

    client = page_as(world.staff)
    pages = [
        f"/checkin/activities/{running.id}/screen",
        f"/checkin/activities/{running.id}/poster",
        f"/checkin/activities/{running.id}",
        f"/checkin/stations/{world.station.id}",
        f"/checkin/cards?community_id={world.community.id}",
    ]

    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
        assert inline_script(response.data.decode()) == [], url


def test_screen_is_for_staff_only(world, running, page_as):
    assert page_as(world.resident).get(f"/checkin/activities/{running.id}/screen").status_code == 404
    assert page_as(world.outsider).get(f"/checkin/activities/{running.id}/screen.json").status_code == 404


def test_poster_page_has_a_static_code_and_print_rules(world, running, page_as):
    client = page_as(world.staff)

    first = client.get(f"/checkin/activities/{running.id}/poster").data.decode()
    second = client.get(f"/checkin/activities/{running.id}/poster").data.decode()

    url = re.search(r'class="poster-url">([^<]+)<', first).group(1)
    assert url == re.search(r'class="poster-url">([^<]+)<', second).group(1)
    assert "仅在活动时间内有效" in first and "<svg" in first
    css = client.get("/static/site.css").data.decode()
    assert "@page { size: A4;" in css


def test_activity_qr_images_as_png_and_svg(world, running, page_as):
    client = page_as(world.staff)

    png = client.get(f"/checkin/activities/{running.id}/qr.png?poster=1")
    svg = client.get(f"/checkin/activities/{running.id}/qr.svg")

    assert png.mimetype == "image/png" and png.data.startswith(b"\x89PNG")
    assert svg.mimetype == "image/svg+xml" and svg.data.startswith(b"<svg")
    assert client.get(f"/checkin/activities/{running.id}/qr.gif").status_code == 404


def test_member_card_page_for_oneself_and_staff(world, page_as):
    mine = page_as(world.resident).get("/card").data.decode()
    assert world.resident.name in mine and "<svg" in mine and "补办新卡" in mine
    assert page_as(world.staff).get(f"/checkin/cards/{world.resident.id}").status_code == 200
    assert page_as(world.outsider).get(f"/checkin/cards/{world.resident.id}").status_code == 404
    assert page_as(world.member).get(f"/checkin/cards/{world.resident.id}").status_code == 404


def test_member_cards_batch_page_prints_a_community(world, page_as):
    html = page_as(world.staff).get(f"/checkin/cards?community_id={world.community.id}").data.decode()

    # The two staff members, the resident and the party member live there.
    assert html.count('class="member-card"') == 4
    assert world.resident.name in html and world.visitor.name not in html
    assert page_as(world.resident).get("/checkin/cards").status_code == 403


def test_card_landing_offers_the_running_activities(world, running, page_as):
    card = ops.card_token(ops.ensure_member_card(world.resident.id))

    html = page_as(world.staff).get(f"/c/{card}").data.decode()

    assert world.resident.name in html and "周末值班" in html and "签到</button>" in html
    assert page_as(world.staff).get("/c/garbage").status_code == 400


def test_scan_page_rate_limits_before_and_after_login(world, running, app_with, make_person, save):
    limited = app_with(
        RATELIMIT_ENABLED=True,
        CHECKIN_SCAN_RATE_LIMIT_CODE="2 per day",
        CHECKIN_SCAN_RATE_LIMIT_PERSON="1 per day",
    )
    code = screen_code(world, running)
    save()
    crowd = limited.test_client()

    statuses = [crowd.get(f"/s/{code}").status_code for _ in range(3)]

    assert statuses == [200, 200, 429]
    assert "操作过于频繁" in crowd.get(f"/s/{code}").data.decode()
    # Logged in, each person has a budget of their own.
    person = make_person(community=world.community)
    save()
    client = limited.test_client()
    client.post("/login", data={"phone": person.phone, "password": "password123"})
    assert [client.get(f"/s/{code}").status_code for _ in range(2)] == [200, 429]
