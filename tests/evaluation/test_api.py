"""The evaluation API: rankings within scope, 光荣榜 with masked names, the 公示 of a period
with an objection answered and the period frozen, deductions and appeals."""

from __future__ import annotations

import pytest

from points.evaluation.models import Period
from tests.evaluation.conftest import open_quarter


@pytest.fixture
def scored(town, give):
    give(town.r1, 30)
    give(town.r2, 30)
    give(town.r3, 10)
    give(town.rb, 50)
    return town


def test_rankings_within_the_readers_scope(scored, api_as):
    staff = api_as(scored.staff)
    url = "/api/v1/evaluation/rankings?kind=xingan&period_type=quarter&key=2026-Q3"

    mine = staff.get(f"{url}&node_id={scored.a.id}")
    other = staff.get(f"{url}&node_id={scored.b.id}")
    resident = api_as(scored.r1).get(f"{url}&node_id={scored.a.id}")
    no_scope = staff.get(url)
    bad = staff.get(f"{url.replace('2026-Q3', '2026-Q9')}&node_id={scored.a.id}")

    assert mine.status_code == 200, mine.json
    assert [(r["name"], r["rank"]) for r in mine.json["items"]] == [("张三英", 1), ("李四", 1), ("王五六", 3)]
    assert other.status_code == 404 and other.json["code"] == "not_found"
    assert resident.status_code == 404
    assert no_scope.status_code == 422 and no_scope.json["code"] == "scope_required"
    assert bad.status_code == 422 and bad.json["code"] == "invalid_period"


def test_honors_mask_names(scored, api_as):
    r = api_as(scored.r3).get("/api/v1/evaluation/honors?kind=xingan&period_type=year&key=2026")

    assert r.status_code == 200
    assert [row["name"] for row in r.json["items"]] == ["张*英", "李*", "王*六"]
    assert "phone" not in str(r.json)


def test_notice_objection_answer_and_freeze_through_the_api(scored, api_as, app, fresh):
    staff = api_as(scored.staff)
    opened = staff.post(
        "/api/v1/evaluation/periods",
        json={"community_id": scored.a.id, "kind": "xingan", "period_type": "quarter", "key": "2026-Q3"},
    )
    assert opened.status_code == 201, opened.json
    period_id = opened.json["id"]
    assert opened.json["state"] == "notice" and opened.json["allowed_actions"] == []

    objection = api_as(scored.r2).post(
        f"/api/v1/evaluation/periods/{period_id}/objections",
        json={"subject_id": scored.r1.id, "text": "有误"},
    )
    assert objection.status_code == 201, objection.json
    assert objection.json["subject_name"] == "张*英" and objection.json["state"] == "open"
    outsider = api_as(scored.rb).post(
        f"/api/v1/evaluation/periods/{period_id}/objections", json={"subject_id": scored.r1.id, "text": "x"}
    )
    assert outsider.status_code == 403 and outsider.json["code"] == "not_in_community"

    answered = staff.post(
        f"/api/v1/evaluation/objections/{objection.json['id']}/answer",
        json={"decision": "reject", "answer": "记录无误"},
    )
    assert answered.status_code == 200 and answered.json["state"] == "rejected"
    early = staff.post(f"/api/v1/evaluation/periods/{period_id}/freeze")
    assert early.status_code == 409 and early.json["code"] == "notice_running"


def test_open_notice_refuses_bad_input(scored, api_as):
    staff = api_as(scored.staff)
    r = staff.post(
        "/api/v1/evaluation/periods",
        json={"community_id": scored.a.id, "kind": "gold", "period_type": "quarter", "key": "2026-Q3"},
    )
    assert r.status_code == 422 and "kind" in r.json["errors"]
    unfinished = staff.post(
        "/api/v1/evaluation/periods",
        json={"community_id": scored.a.id, "kind": "xingan", "period_type": "year", "key": "2099"},
    )
    assert unfinished.status_code == 409 and unfinished.json["code"] == "period_not_over"


def test_deduction_and_appeal_through_the_api(scored, api_as):
    staff, checker, member = api_as(scored.staff), api_as(scored.staff2), api_as(scored.m1)
    made = staff.post(
        "/api/v1/evaluation/deductions",
        json={"person_id": scored.m1.id, "year": 2026, "points": 5, "reason": "缺席", "evidence": "签到表"},
    )
    assert made.status_code == 201, made.json
    deduction_id = made.json["id"]
    assert staff.post(f"/api/v1/evaluation/deductions/{deduction_id}/approve", json={}).status_code == 403
    assert checker.post(f"/api/v1/evaluation/deductions/{deduction_id}/approve", json={}).status_code == 200

    mine = member.get("/api/v1/evaluation/me/rating?year=2026")
    assert mine.status_code == 200 and mine.json["deducted"] == 5
    assert mine.json["deductions"][0]["allowed_actions"] == ["appeal"]
    appealed = member.post(f"/api/v1/evaluation/deductions/{deduction_id}/appeal", json={"text": "有排班表"})
    assert appealed.status_code == 200 and appealed.json["state"] == "appealed"
    unknown = member.post(f"/api/v1/evaluation/deductions/{deduction_id}/explode", json={})
    assert unknown.status_code == 404


def test_freeze_through_the_api_after_the_notice(scored, api_as, app):

    period = open_quarter(scored, notice_days=1)
    assert isinstance(period, Period)
    frozen = api_as(scored.staff).post(f"/api/v1/evaluation/periods/{period.id}/freeze")
    assert frozen.status_code == 200, frozen.json
    assert frozen.json["state"] == "frozen"
    detail = api_as(scored.staff).get(f"/api/v1/evaluation/periods/{period.id}")
    assert [r["name"] for r in detail.json["rows"]] == ["张*英", "李*", "王*六"]


def test_an_upheld_objection_is_in_the_filers_notices(scored, api_as):
    staff, filer = api_as(scored.staff), api_as(scored.r2)
    period_id = staff.post(
        "/api/v1/evaluation/periods",
        json={"community_id": scored.a.id, "kind": "xingan", "period_type": "quarter", "key": "2026-Q3"},
    ).json["id"]
    objection = filer.post(
        f"/api/v1/evaluation/periods/{period_id}/objections",
        json={"subject_id": scored.r1.id, "text": "漏记一次"},
    ).json

    staff.post(
        f"/api/v1/evaluation/objections/{objection['id']}/answer",
        json={"decision": "uphold", "answer": "已补记"},
    )

    notices = filer.get("/api/v1/me/notices").json["items"]
    assert [(n["kind"], n["text"]) for n in notices] == [
        ("objection_upheld", "你对2026-Q3公示提出的异议成立：已补记")
    ]
    assert notices[0]["link"] == f"/notice/{period_id}#objection-{objection['id']}"
    assert api_as(scored.r1).get("/api/v1/me/notices").json["items"] == []
