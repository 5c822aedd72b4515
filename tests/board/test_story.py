"""The board's whole stories through the HTTP API: claims by residents and units, dispatch,
cancellation, the jobs, and the board's order."""

from __future__ import annotations

from datetime import datetime, timedelta

from points.board import jobs  # noqa: F401 - registers the board's jobs
from points.db import utcnow
from points.scheduler import run_job
from tests.board.conftest import idem


def _later(hours: float) -> str:
    return (utcnow() + timedelta(hours=hours)).isoformat()


def _post_task(staff, board, title: str, category: str, hours: tuple, **fields):
    """Staff post a task of the board's community through the API; it starts, ends and stops
    taking claims `hours` (three numbers) from now."""
    starts, ends, deadline = hours
    return staff.post(
        "/api/v1/tasks",
        json={
            "community_id": board.community.id,
            "title": title,
            "category": category,
            "starts_at": _later(starts),
            "ends_at": _later(ends),
            "claim_deadline": _later(deadline),
            "post": True,
            **fields,
        },
    )


def _balances(client) -> dict:
    return client.get("/api/v1/me/balances").json


def test_story_resident_earns_xingan(board, api_as):
    staff, checker, neighbour = api_as(board.staff), api_as(board.checker), api_as(board.neighbour)
    posted = _post_task(
        staff,
        board,
        "小区垃圾分类劝导",
        "文明劝导",
        (-1, 3, 1),
        slots=5,
        eligibility="residents",
        reward_xingan=6,
    )
    assert posted.status_code == 201, posted.json
    claim = neighbour.post(f"/api/v1/tasks/{posted.json['id']}/claims", json={}).json
    assert claim["kind"] == "xingan" and claim["amount"] == 6 and claim["confirming_unit_id"] is None
    neighbour.post(f"/api/v1/claims/{claim['id']}/submit", json={"note": "劝导两小时"})
    verified = staff.post(f"/api/v1/claims/{claim['id']}/verify", json={}, headers=idem()).json
    assert verified["state"] == "verified" and verified["award"]["state"] == "pending"
    checker.post(f"/api/v1/awards/{verified['award']['transfer_id']}/approve", headers=idem())
    assert _balances(neighbour)["xingan"]["available"] == 6
    mine = neighbour.get("/api/v1/me/claims").json["items"]
    assert [(c["id"], c["state"], c["award"]["state"]) for c in mine] == [(claim["id"], "verified", "posted")]


def test_story_unit_claims_and_dispatch(board, api_as):
    staff, checker, unit_admin = api_as(board.staff), api_as(board.checker), api_as(board.unit_admin)
    task = _post_task(
        staff, board, "应急值守", "应急值守", (-1, 5, 2), slots=2, eligibility="units", reward_hongsong=20
    ).json
    claim = unit_admin.post(f"/api/v1/tasks/{task['id']}/claims", json={"unit_id": board.unit.id})
    assert claim.status_code == 201, claim.json
    assert claim.json["claimant_type"] == "unit" and claim.json["kind"] == "hongsong"
    # The unit admin submits for the unit; the community verifies; the unit's account is paid.
    unit_admin.post(f"/api/v1/claims/{claim.json['id']}/submit", json={"note": "派出四人"})
    verified = staff.post(f"/api/v1/claims/{claim.json['id']}/verify", json={}, headers=idem()).json
    checker.post(f"/api/v1/awards/{verified['award']['transfer_id']}/approve", headers=idem())
    assert unit_admin.get(f"/api/v1/units/{board.unit.id}/balances").json["hongsong"]["available"] == 20

    # 派单 to a named resident: the slot is held until they answer.
    offer = staff.post(f"/api/v1/tasks/{task['id']}/dispatch", json={"person_id": board.neighbour.id})
    assert offer.status_code == 403 and offer.json["code"] == "not_eligible"  # units only
    other = staff.post(
        "/api/v1/tasks",
        json={
            "community_id": board.community.id,
            "title": "送药上门",
            "category": "助老助残",
            "starts_at": _later(1),
            "ends_at": _later(2),
            "slots": 1,
            "eligibility": "residents",
            "reward_xingan": 3,
            "post": True,
        },
    ).json
    offer = staff.post(f"/api/v1/tasks/{other['id']}/dispatch", json={"person_id": board.neighbour.id})
    assert offer.status_code == 201 and offer.json["state"] == "offered"
    assert api_as(board.resident).get(f"/api/v1/tasks/{other['id']}").json["claimable"] is False
    neighbour = api_as(board.neighbour)
    declined = neighbour.post(f"/api/v1/claims/{offer.json['id']}/decline", json={"reason": "那天不在家"})
    assert declined.json["state"] == "declined"
    assert api_as(board.resident).get(f"/api/v1/tasks/{other['id']}").json["claimable"] is True
    again = staff.post(f"/api/v1/tasks/{other['id']}/dispatch", json={"person_id": board.resident.id}).json
    accepted = api_as(board.resident).post(f"/api/v1/claims/{again['id']}/accept")
    assert accepted.status_code == 200 and accepted.json["state"] == "claimed"


def test_story_cancel_releases_claims_and_voids_pending_awards(board, api_as):
    staff, member, resident = api_as(board.staff), api_as(board.member), api_as(board.resident)
    task = _post_task(
        staff,
        board,
        "文艺汇演布场",
        "文体活动",
        (-2, 4, 1),
        slots=4,
        eligibility="anyone",
        reward_hongsong=5,
        reward_xingan=4,
    ).json
    done_claim = member.post(f"/api/v1/tasks/{task['id']}/claims", json={}).json
    open_claim = resident.post(f"/api/v1/tasks/{task['id']}/claims", json={}).json
    member.post(f"/api/v1/claims/{done_claim['id']}/submit", json={})
    staff.post(f"/api/v1/claims/{done_claim['id']}/verify", json={}, headers=idem())
    assert member.get("/api/v1/me/balances").json["hongsong"]["pending_in"] == 5

    cancelled = staff.post(
        f"/api/v1/tasks/{task['id']}/cancel", json={"reason": "天气原因取消"}, headers=idem()
    )
    assert cancelled.status_code == 200 and cancelled.json["state"] == "cancelled"
    assert member.get("/api/v1/me/balances").json["hongsong"]["pending_in"] == 0
    first = member.get(f"/api/v1/claims/{done_claim['id']}").json
    assert first["state"] == "released" and first["award"]["state"] == "voided"
    assert resident.get(f"/api/v1/claims/{open_claim['id']}").json["state"] == "released"
    # A cancelled task leaves the board.
    assert resident.get(f"/api/v1/tasks/{task['id']}").status_code == 404
    again = staff.post(f"/api/v1/tasks/{task['id']}/cancel", json={"reason": "再取消"}, headers=idem())
    assert again.status_code == 409 and again.json["code"] == "not_cancellable"


def test_jobs_close_tasks_and_mark_no_shows(board, api_as, make_task, fresh):
    from points.board.models import Claim, Task

    now = utcnow()
    task = make_task(
        starts_at=now + timedelta(hours=1),
        ends_at=now + timedelta(hours=3),
        claim_deadline=now + timedelta(minutes=30),
        requires_checkin=True,
    )
    claim = api_as(board.resident).post(f"/api/v1/tasks/{task.id}/claims", json={}).json
    assert run_job("close_tasks", now=now).status == "ok"
    assert fresh(Task, task.id).state == "posted"
    later = now + timedelta(hours=1)
    result = run_job("close_tasks", now=later)
    assert result.status == "ok" and "closed 1" in result.detail
    assert fresh(Task, task.id).state == "closed"
    assert run_job("mark_no_shows", now=later).detail.startswith("marked 0")
    after = now + timedelta(hours=4)
    assert run_job("mark_no_shows", now=after).detail.startswith("marked 1")
    assert fresh(Claim, claim["id"]).state == "no_show"
    assert run_job("mark_no_shows", now=after).status == "skipped"


def test_board_filters_and_start_order(board, api_as, make_task):
    now = utcnow()
    members_only = make_task(
        title="党员先锋岗", eligibility="party_members", starts_at=now + timedelta(days=2)
    )
    anyone = make_task(title="便民理发", category="便民服务", starts_at=now + timedelta(days=3))
    full = make_task(title="满员任务", slots=1, starts_at=now + timedelta(hours=5))
    api_as(board.neighbour).post(f"/api/v1/tasks/{full.id}/claims", json={})
    resident = api_as(board.resident)
    items = resident.get("/api/v1/tasks").json["items"]
    # Posted tasks by start time (an index's order), whether or not the reader may claim them.
    assert [t["id"] for t in items] == [full.id, members_only.id, anyone.id]
    assert {t["id"]: t["claimable"] for t in items} == {
        members_only.id: False,
        anyone.id: True,
        full.id: False,
    }
    assert [
        t["id"] for t in resident.get("/api/v1/tasks", query_string={"claimable": "true"}).json["items"]
    ] == [anyone.id]
    assert [
        t["id"] for t in resident.get("/api/v1/tasks", query_string={"category": "便民服务"}).json["items"]
    ] == [anyone.id]
    open_ids = {
        t["id"] for t in resident.get("/api/v1/tasks", query_string={"open_slots": "true"}).json["items"]
    }
    assert open_ids == {members_only.id, anyone.id}
    by_elig = resident.get("/api/v1/tasks", query_string={"eligibility": "party_members"}).json
    assert [t["id"] for t in by_elig["items"]] == [members_only.id]
    member_items = api_as(board.member).get("/api/v1/tasks").json["items"]
    assert {t["id"] for t in member_items if t["claimable"]} == {members_only.id, anyone.id}
    paged = resident.get("/api/v1/tasks", query_string={"per_page": 2}).json
    assert paged["total"] == 3 and len(paged["items"]) == 2
    assert isinstance(datetime.fromisoformat(items[0]["starts_at"]), datetime)
