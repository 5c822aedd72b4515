"""The check-in API: activities, the screen's code, scanning, staff check-in, history, keys, cards."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from points.checkin import operations as ops
from points.checkin.models import CheckIn
from points.db import LOCAL_TZ, utcnow


def token_for(world, activity, *, now=None, poster=False) -> str:
    return ops.station_code(actor=world.staff_actor, activity_id=activity.id, poster=poster, now=now).token


def problem(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    assert response.json["code"] == code
    return response.json


def count_checkins(sess) -> int:
    return sess.execute(sa.select(sa.func.count()).select_from(CheckIn)).scalar_one()


def activity_body(world, **changes) -> dict:
    now = utcnow()
    body = {
        "station_id": world.station.id,
        "title": "助老值班",
        "starts_at": (now + timedelta(hours=1)).isoformat(),
        "ends_at": (now + timedelta(hours=4)).isoformat(),
        "hourly_rate": 8,
        "daily_cap": 20,
    }
    body.update(changes)
    return body


# --- activities -----------------------------------------------------------------------


def test_create_activity_answers_the_activity(world, api_as):
    r = api_as(world.staff).post("/api/v1/activities", json=activity_body(world))

    assert r.status_code == 201
    assert {
        k: r.json[k] for k in ("title", "station_id", "community_id", "hourly_rate", "daily_cap", "state")
    } == {
        "title": "助老值班",
        "station_id": world.station.id,
        "community_id": world.community.id,
        "hourly_rate": 8,
        "daily_cap": 20,
        "state": "active",
    }
    assert (r.json["present"], r.json["people"], r.json["is_running"]) == (0, 0, False)


def test_create_activity_bad_input_is_422_with_chinese_field_errors(world, api_as):
    client = api_as(world.staff)

    missing = problem(client.post("/api/v1/activities", json={}), 422, "validation_error")
    assert set(missing["errors"]) >= {"station_id", "title", "starts_at", "ends_at"}
    assert missing["errors"]["title"] == ["必填"]
    backwards = activity_body(world, ends_at=(utcnow() - timedelta(hours=1)).isoformat())
    assert "结束时间应晚于开始时间" in str(
        problem(client.post("/api/v1/activities", json=backwards), 422, "validation_error")
    )
    naive = activity_body(world, starts_at="2026-03-02T09:00:00")
    assert problem(client.post("/api/v1/activities", json=naive), 422, "validation_error")["errors"][
        "starts_at"
    ]
    both = activity_body(world, task_id=1)
    problem(client.post("/api/v1/activities", json=both), 422, "rate_with_task")
    problem(
        client.post("/api/v1/activities", json=activity_body(world, hourly_rate=-3)), 422, "validation_error"
    )
    problem(
        client.post("/api/v1/activities", json=activity_body(world, hourly_rate="8")), 422, "validation_error"
    )


def test_create_activity_outside_scope_is_404_and_without_role_403(world, api_as, make_person):
    problem(api_as(world.outsider).post("/api/v1/activities", json=activity_body(world)), 404, "not_found")
    problem(api_as(world.resident).post("/api/v1/activities", json=activity_body(world)), 404, "not_found")
    supervisor = make_person(community=world.community, roles=[("supervisor", world.community)])
    problem(api_as(supervisor).post("/api/v1/activities", json=activity_body(world)), 403, "forbidden")
    unknown = activity_body(world, station_id=10**6)
    problem(api_as(world.staff).post("/api/v1/activities", json=unknown), 404, "station_not_found")


def test_list_activities_is_filtered_by_scope(world, running, api_as):
    staff = api_as(world.staff).get("/api/v1/activities?running=true")
    resident = api_as(world.resident).get("/api/v1/activities")
    outsider = api_as(world.outsider).get("/api/v1/activities")

    assert [a["id"] for a in staff.json["items"]] == [running.id]
    assert staff.json["items"][0]["is_running"] is True
    assert [a["id"] for a in resident.json["items"]] == [running.id]
    assert outsider.json["items"] == [] and outsider.json["total"] == 0
    problem(api_as(world.staff).get("/api/v1/activities?per_page=1000"), 422, "validation_error")


def test_get_activity_for_its_community_and_staff_only(world, running, api_as):
    assert api_as(world.resident).get(f"/api/v1/activities/{running.id}").status_code == 200
    assert api_as(world.staff).get(f"/api/v1/activities/{running.id}").status_code == 200
    problem(api_as(world.visitor).get(f"/api/v1/activities/{running.id}"), 404, "not_found")
    problem(api_as(world.staff).get("/api/v1/activities/999999"), 404, "activity_not_found")


def test_end_and_cancel_activity(world, running, api_as):
    client = api_as(world.staff)
    later = client.post("/api/v1/activities", json=activity_body(world)).json

    assert client.post(f"/api/v1/activities/{later['id']}/cancel").json["state"] == "cancelled"
    problem(client.post(f"/api/v1/activities/{later['id']}/cancel"), 409, "activity_cancelled")
    ended = client.post(f"/api/v1/activities/{running.id}/end")
    assert ended.status_code == 200 and ended.json["is_running"] is True  # scans out during the grace period
    problem(client.post(f"/api/v1/activities/{running.id}/end"), 409, "activity_ended")
    problem(api_as(world.resident).post(f"/api/v1/activities/{running.id}/end"), 404, "not_found")


def test_activity_token_for_the_screen(world, running, api_as):
    r = api_as(world.staff).get(f"/api/v1/activities/{running.id}/token")

    assert r.status_code == 200
    assert r.json["url"] == f"http://localhost/s/{r.json['token']}"
    assert r.json["window_seconds"] == 30 and r.json["window"] > 0
    assert r.json["rotates_at"] < r.json["valid_until"]
    assert (r.json["present"], r.json["people"]) == (0, 0)
    poster = api_as(world.staff).get(f"/api/v1/activities/{running.id}/token?poster=true").json
    assert poster["window"] is None and poster["rotates_at"] is None
    problem(api_as(world.resident).get(f"/api/v1/activities/{running.id}/token"), 404, "not_found")


# --- scanning -------------------------------------------------------------------------


def test_scan_answers_a_refused_award_in_chinese_with_its_code(world, running, api_as, monkeypatch):
    from points.ledger import operations as ledger

    year = utcnow().astimezone(LOCAL_TZ).year
    ledger.set_budget(actor=None, community_id=world.community.id, kind="xingan", year=year, amount=1)
    client = api_as(world.resident)
    client.post("/api/v1/scan", json={"token": token_for(world, running)})
    later = utcnow() + timedelta(minutes=90)
    monkeypatch.setattr("points.checkin.operations.scanning.utcnow", lambda: later)

    checkin = client.post("/api/v1/scan", json={"token": token_for(world, running, now=later)}).json[
        "checkin"
    ]

    # `award_error` keeps its meaning (the refusal in Chinese); `award_error_code` is its code.
    assert checkin["award"] is None and checkin["award_error_code"] == "budget_exceeded"
    assert checkin["award_error"] == f"社区{year}年度兴安分发放预算不足（预算 1，已发放 0）"
    mine = client.get("/api/v1/me/checkins").json["items"][0]
    assert (mine["award_error"], mine["award_error_code"]) == (checkin["award_error"], "budget_exceeded")


def test_scan_checks_in_then_out_with_points(world, running, api_as, monkeypatch):
    client = api_as(world.resident)

    first = client.post("/api/v1/scan", json={"token": token_for(world, running)})
    later = utcnow() + timedelta(minutes=90)
    monkeypatch.setattr("points.checkin.operations.scanning.utcnow", lambda: later)
    second = client.post("/api/v1/scan", json={"token": token_for(world, running, now=later)})

    assert first.status_code == 200 and first.json["outcome"] == "checked_in"
    assert first.json["message"] == "签到成功" and first.json["activity"]["is_running"] is True
    assert second.json["outcome"] == "checked_out"
    checkin = second.json["checkin"]
    assert (checkin["minutes"], checkin["points"], checkin["kind"]) == (90, 15, "xingan")
    assert checkin["award"]["state"] == "posted" and checkin["award"]["amount"] == 15


def test_scan_repeat_is_a_noop(world, running, api_as, sess):
    client = api_as(world.resident)
    token = token_for(world, running)
    client.post("/api/v1/scan", json={"token": token})

    again = client.post("/api/v1/scan", json={"token": token})

    assert again.json["outcome"] == "already_in" and again.json["message"] == "您已签到，无需重复扫码"
    assert count_checkins(sess) == 1


def test_scan_with_idempotency_key_replays_the_first_answer(world, running, api_as):
    client = api_as(world.resident)
    body = {"token": token_for(world, running)}
    headers = {"Idempotency-Key": "scan-1"}

    first = client.post("/api/v1/scan", json=body, headers=headers)
    again = client.post("/api/v1/scan", json=body, headers=headers)

    assert again.headers.get("Idempotent-Replayed") == "true"
    assert again.json == first.json and again.json["outcome"] == "checked_in"
    problem(
        client.post("/api/v1/scan", json={"token": "other"}, headers=headers), 409, "idempotency_key_reused"
    )


def test_scan_expired_code_is_410_qr_expired(world, running, api_as, sess):
    old = token_for(world, running, now=utcnow() - timedelta(minutes=2))

    body = problem(api_as(world.resident).post("/api/v1/scan", json={"token": old}), 410, "qr_expired")

    assert body["detail"] == "二维码已过期，请重新扫描屏幕上的二维码"
    assert count_checkins(sess) == 0


@pytest.mark.parametrize("token", ["forged", "UwzSCfLMxBwBThhW6eq88bsLXA", "A" * 64])
def test_scan_forged_code_is_400_qr_invalid(world, running, api_as, token):
    problem(api_as(world.resident).post("/api/v1/scan", json={"token": token}), 400, "qr_invalid")


@pytest.mark.parametrize(
    ("body", "field"),
    [({}, "token"), ({"token": ""}, "token"), ({"token": 5}, "token"), ({"token": "x" * 65}, "token"),
     ({"token": "abc", "action": "sideways"}, "action"), ({"token": "abc", "extra": 1}, "extra")],
)  # fmt: skip
def test_scan_bad_body_is_422_naming_the_field(world, api_as, body, field):
    assert (
        field
        in problem(api_as(world.resident).post("/api/v1/scan", json=body), 422, "validation_error")["errors"]
    )


def test_scan_without_a_token_is_401(client):
    r = client.post("/api/v1/scan", json={"token": "abc"})

    assert r.status_code == 401 and r.mimetype == "application/problem+json"


def test_scan_rate_limit_answers_429_problem(world, running, app_with, make_person, save):
    from points.auth.operations import issue_token

    limited = app_with(RATELIMIT_ENABLED=True, CHECKIN_SCAN_RATE_LIMIT_PERSON="2 per day")
    person = make_person(community=world.community)
    token, _ = issue_token(person=person)
    code = token_for(world, running)
    save()
    client = limited.test_client()
    headers = {"Authorization": f"Bearer {token}"}

    statuses = [
        client.post("/api/v1/scan", json={"token": code}, headers=headers).status_code for _ in range(3)
    ]

    assert statuses == [200, 200, 429]
    r = client.post("/api/v1/scan", json={"token": code}, headers=headers)
    assert r.mimetype == "application/problem+json" and r.json["code"] == "rate_limited"
    assert "Retry-After" in r.headers
    # Another person behind the same address is not held back.
    other, _ = issue_token(person=make_person(community=world.community))
    save()
    assert (
        client.post(
            "/api/v1/scan", json={"token": code}, headers={"Authorization": f"Bearer {other}"}
        ).status_code
        == 200
    )


# --- staff check-in -------------------------------------------------------------------


def test_staff_check_in_by_card_and_by_person(world, running, api_as):
    client = api_as(world.staff)
    card = api_as(world.resident).get("/api/v1/me/card").json

    by_card = client.post(f"/api/v1/activities/{running.id}/checkins", json={"card": card["url"]})
    by_id = client.post(f"/api/v1/activities/{running.id}/checkins", json={"person_id": world.member.id})

    assert (
        by_card.json["outcome"] == "checked_in" and by_card.json["checkin"]["by_staff_id"] == world.staff.id
    )
    assert by_id.json["checkin"]["person_id"] == world.member.id
    listing = client.get(f"/api/v1/activities/{running.id}/checkins").json
    assert listing["total"] == 2
    assert {i["person_name"] for i in listing["items"]} == {world.resident.name, world.member.name}


def test_staff_check_in_bad_input(world, running, api_as):
    client = api_as(world.staff)
    url = f"/api/v1/activities/{running.id}/checkins"

    problem(client.post(url, json={}), 422, "validation_error")
    problem(client.post(url, json={"person_id": world.resident.id, "card": "x"}), 422, "validation_error")
    problem(client.post(url, json={"card": "garbage"}), 400, "card_invalid")
    problem(client.post(url, json={"person_id": 10**6}), 404, "person_not_found")
    problem(client.post(url, json={"person_id": world.staff.id}), 403, "self_staff_checkin")
    problem(api_as(world.outsider).post(url, json={"person_id": world.resident.id}), 404, "not_found")
    problem(api_as(world.resident).get(url), 404, "not_found")


# --- history, keys, cards -------------------------------------------------------------


def test_my_checkins_and_a_persons_checkins(world, running, api_as, make_person):
    api_as(world.resident).post("/api/v1/scan", json={"token": token_for(world, running)})

    mine = api_as(world.resident).get("/api/v1/me/checkins").json

    assert mine["total"] == 1 and mine["items"][0]["activity_title"] == "周末值班"
    assert mine["items"][0]["note"] == "在场，尚未签退"
    assert api_as(world.staff).get(f"/api/v1/people/{world.resident.id}/checkins").json["total"] == 1
    assert api_as(world.resident).get(f"/api/v1/people/{world.resident.id}/checkins").status_code == 200
    supervisor = make_person(community=world.community, roles=[("supervisor", world.community)])
    assert api_as(supervisor).get(f"/api/v1/people/{world.resident.id}/checkins").status_code == 200
    problem(api_as(world.outsider).get(f"/api/v1/people/{world.resident.id}/checkins"), 404, "not_found")
    problem(api_as(world.member).get(f"/api/v1/people/{world.resident.id}/checkins"), 404, "not_found")
    problem(api_as(world.staff).get("/api/v1/people/999999/checkins"), 404, "person_not_found")


def test_rotate_station_key_voids_old_codes(world, running, api_as):
    old = token_for(world, running)

    r = api_as(world.staff).post(f"/api/v1/stations/{world.station.id}/rotate-key")

    assert r.status_code == 200 and r.json["version"] == 2 and "secret" not in r.json
    problem(api_as(world.resident).post("/api/v1/scan", json={"token": old}), 410, "qr_revoked")
    problem(api_as(world.outsider).post(f"/api/v1/stations/{world.station.id}/rotate-key"), 404, "not_found")


def test_member_card_and_reissue(world, api_as):
    mine = api_as(world.resident).get("/api/v1/me/card").json
    assert (mine["person_id"], mine["serial"]) == (world.resident.id, 1)
    assert mine["url"] == f"http://localhost/c/{mine['token']}"

    reissued = api_as(world.staff).post(f"/api/v1/people/{world.resident.id}/card/reissue").json

    assert reissued["serial"] == 2 and reissued["token"] != mine["token"]
    problem(api_as(world.outsider).get(f"/api/v1/people/{world.resident.id}/card"), 404, "not_found")
    problem(api_as(world.member).post(f"/api/v1/people/{world.resident.id}/card/reissue"), 404, "not_found")


def test_health_answers_ok(client):
    assert client.get("/api/v1/health").json == {"status": "ok"}


def test_openapi_documents_the_checkin_endpoints(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]

    assert {"/api/v1/scan", "/api/v1/activities", "/api/v1/me/checkins"} <= set(paths)
