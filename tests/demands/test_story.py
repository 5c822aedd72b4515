"""A whole story through the HTTP API: from a resident's request to points and a rating."""

from __future__ import annotations

from datetime import timedelta

from points.db import utcnow
from tests.board.conftest import idem


def _later(hours: float) -> str:
    return (utcnow() + timedelta(hours=hours)).isoformat()


def _balances(client) -> dict:
    return client.get("/api/v1/me/balances").json


def test_story_party_member_earns_hongsong_for_a_residents_request(board, api_as, app):
    resident, staff, checker = api_as(board.resident), api_as(board.staff), api_as(board.checker)
    member, unit_admin = api_as(board.member), api_as(board.unit_admin)

    # A resident asks for help.
    asked = resident.post(
        "/api/v1/demands",
        json={"category": "助老助残", "details": "家里灯坏了，需要帮忙换灯泡", "preferred_time": "周六上午"},
    )
    assert asked.status_code == 201, asked.json
    demand_id = asked.json["id"]
    assert asked.json["state"] == "open" and asked.json["requester_id"] == board.resident.id

    # Staff see it waiting and accept it as a posted task that needs the member's unit to confirm.
    waiting = staff.get("/api/v1/demands", query_string={"state": "open"}).json
    assert [d["id"] for d in waiting["items"]] == [demand_id]
    accepted = staff.post(
        f"/api/v1/demands/{demand_id}/accept",
        json={
            "title": "帮王阿姨换灯泡",
            "starts_at": _later(-1),
            "ends_at": _later(2),
            "claim_deadline": _later(1),
            "slots": 1,
            "eligibility": "party_members",
            "reward_hongsong": 8,
            "requires_unit_confirm": True,
        },
    )
    assert accepted.status_code == 201, accepted.json
    task = accepted.json
    assert task["state"] == "posted" and task["demand_id"] == demand_id and task["category"] == "助老助残"
    assert resident.get(f"/api/v1/demands/{demand_id}").json["state"] == "accepted"

    # The party member sees it first on the board and claims it.
    listed = member.get("/api/v1/tasks").json["items"]
    assert listed[0]["id"] == task["id"] and listed[0]["claimable"] is True
    claimed = member.post(f"/api/v1/tasks/{task['id']}/claims", json={})
    assert claimed.status_code == 201, claimed.json
    claim_id = claimed.json["id"]
    assert claimed.json["kind"] == "hongsong" and claimed.json["confirming_unit_id"] == board.unit.id
    assert member.get(f"/api/v1/tasks/{task['id']}").json["open_slots"] == 0

    # Submits the work with a note.
    submitted = member.post(f"/api/v1/claims/{claim_id}/submit", json={"note": "已换好两个灯泡"})
    assert submitted.status_code == 200 and submitted.json["state"] == "submitted"

    # The community verifies; the claim waits for the unit's side (双向验单).
    queue = staff.get("/api/v1/claims/queue").json
    assert [c["id"] for c in queue["items"]] == [claim_id]
    verified = staff.post(f"/api/v1/claims/{claim_id}/verify", json={}, headers=idem())
    assert verified.status_code == 200, verified.json
    assert verified.json["state"] == "submitted" and verified.json["award"] is None
    unit_queue = unit_admin.get("/api/v1/claims/queue").json
    assert [c["id"] for c in unit_queue["items"]] == [claim_id]
    confirmed = unit_admin.post(f"/api/v1/claims/{claim_id}/verify", json={}, headers=idem())
    assert confirmed.status_code == 200, confirmed.json
    assert confirmed.json["state"] == "verified"
    award = confirmed.json["award"]
    assert award["state"] == "pending" and award["amount"] == 8 and award["kind"] == "hongsong"
    assert _balances(member)["hongsong"] == {"posted": 0, "pending_in": 8, "pending_out": 0, "available": 0}

    # The verifying staff member may not approve it; another does.
    refused = staff.post(f"/api/v1/awards/{award['transfer_id']}/approve", headers=idem())
    assert refused.status_code == 403 and refused.json["code"] == "maker_checker"
    approved = checker.post(f"/api/v1/awards/{award['transfer_id']}/approve", headers=idem())
    assert approved.status_code == 200, approved.json
    assert _balances(member)["hongsong"]["available"] == 8
    assert member.get(f"/api/v1/claims/{claim_id}").json["award"]["state"] == "posted"

    # Staff mark the task done, and the resident rates the service once.
    done = staff.post(f"/api/v1/tasks/{task['id']}/complete")
    assert done.status_code == 200 and done.json["state"] == "done"
    assert resident.get(f"/api/v1/demands/{demand_id}").json["state"] == "done"
    rated = resident.post(f"/api/v1/demands/{demand_id}/rating", json={"rating": 5, "comment": "很及时"})
    assert rated.status_code == 200 and rated.json["rating"] == 5
    again = resident.post(f"/api/v1/demands/{demand_id}/rating", json={"rating": 1})
    assert again.status_code == 409 and again.json["code"] == "already_rated"
    assert resident.get(f"/api/v1/demands/{demand_id}").json["rating"] == 5
