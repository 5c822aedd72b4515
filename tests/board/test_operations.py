"""The board's operations and edge rules: slots that follow the claims that hold them, the
exact moments rules turn, who earns which kind, awards whose state is read from the ledger,
and a cancellation racing a verification."""

from __future__ import annotations

import os
import threading
import uuid
from datetime import timedelta

import pytest

from points.auth.current import actor_for
from points.board import operations, queries
from points.board.models import Claim, Task
from points.db import LOCAL_TZ, session, utcnow
from points.errors import DomainError
from points.ledger import operations as ledger_ops
from points.org.queries import get_node
from points.people import operations as people_ops
from points.people.queries import get_person
from tests.board.conftest import idem
from tests.conftest import migrated_app
from tests.races import new_community, second_waits_for_first
from tests.refusals import raises_refusal


def _task_view(api, task_id: int) -> tuple:
    shown = api.get(f"/api/v1/tasks/{task_id}").json
    return shown["claimed"], shown["open_slots"], shown["claimable"], shown["my_claim_id"]


# --- slots follow the live claims -----------------------------------------------------------------


def test_claim_task_again_after_withdrawing(board, api_as, make_task, fresh):
    task = make_task(slots=2)
    resident = api_as(board.resident)
    first = resident.post(f"/api/v1/tasks/{task.id}/claims", json={}).json
    assert _task_view(resident, task.id) == (1, 1, False, first["id"])
    withdrawn = resident.post(f"/api/v1/claims/{first['id']}/withdraw", json={"reason": "临时有事"})
    assert withdrawn.status_code == 200 and withdrawn.json["state"] == "withdrawn"
    assert _task_view(resident, task.id) == (0, 2, True, None)

    again = resident.post(f"/api/v1/tasks/{task.id}/claims", json={})
    assert again.status_code == 201, again.json
    assert again.json["id"] != first["id"] and again.json["state"] == "claimed"
    assert _task_view(resident, task.id) == (1, 1, False, again.json["id"])
    # The first claim stays on record as withdrawn.
    assert (fresh(Claim, first["id"]).state, fresh(Claim, first["id"]).reason) == ("withdrawn", "临时有事")
    mine = resident.get("/api/v1/me/claims").json["items"]
    assert sorted((c["id"], c["state"]) for c in mine) == [
        (first["id"], "withdrawn"),
        (again.json["id"], "claimed"),
    ]


@pytest.mark.parametrize("ending", ["withdraw", "no_show", "reject", "decline_dispatch"])
def test_claim_task_full_until_a_claim_ends(board, api_as, actor_of, make_started_task, ending):
    """ "Full" is computed from live claims: whatever ends the one claim frees its slot."""
    task = make_started_task(slots=1)
    staff, neighbour = actor_of(board.staff), actor_of(board.neighbour)
    if ending == "decline_dispatch":
        holder = operations.dispatch_task(actor=staff, task_id=task.id, person_id=board.neighbour.id)
    else:
        holder = operations.claim_task(actor=neighbour, task_id=task.id)
    resident = api_as(board.resident)
    refused = resident.post(f"/api/v1/tasks/{task.id}/claims", json={})
    assert refused.status_code == 409 and refused.json["code"] == "task_full"
    {
        "withdraw": lambda: operations.withdraw_claim(actor=neighbour, claim_id=holder.id),
        "no_show": lambda: operations.mark_no_show(actor=staff, claim_id=holder.id),
        "reject": lambda: operations.reject_claim(actor=staff, claim_id=holder.id, reason="不符合要求"),
        "decline_dispatch": lambda: operations.decline_dispatch(actor=neighbour, claim_id=holder.id),
    }[ending]()
    assert _task_view(resident, task.id)[:3] == (0, 1, True)
    taken = resident.post(f"/api/v1/tasks/{task.id}/claims", json={})
    assert taken.status_code == 201, taken.json
    raises_refusal(409, "task_full", operations.claim_task, actor=neighbour, task_id=task.id)


def test_dispatch_task_holds_a_slot_and_counts_against_the_person(
    board, api_as, actor_of, make_task, refused
):
    task = make_task(slots=2)
    offer = operations.dispatch_task(
        actor=actor_of(board.staff), task_id=task.id, person_id=board.resident.id
    )
    assert offer.state == "offered" and queries.live_claim_count(task.id) == 1
    # An offer is the person's live claim: they cannot claim beside it, nor be offered twice.
    claimed = api_as(board.resident).post(f"/api/v1/tasks/{task.id}/claims", json={})
    refused(claimed, 409, "already_claimed")
    twice = api_as(board.staff).post(
        f"/api/v1/tasks/{task.id}/dispatch", json={"person_id": board.resident.id}
    )
    refused(twice, 409, "already_claimed")
    assert operations.accept_dispatch(actor=actor_of(board.resident), claim_id=offer.id).state == "claimed"
    assert queries.live_claim_count(task.id) == 1


def test_dispatch_task_refused_for_suspended_or_unit_without_admin(board, actor_of, make_task, make_unit):
    task = make_task()
    staff = actor_of(board.staff)
    people_ops.update_person(actor=staff, person_id=board.neighbour.id, changes={"is_suspended": True})
    raises_refusal(
        403,
        "not_eligible",
        operations.dispatch_task,
        actor=staff,
        task_id=task.id,
        person_id=board.neighbour.id,
    )
    raises_refusal(
        422,
        "unit_without_admin",
        operations.dispatch_task,
        actor=staff,
        task_id=task.id,
        unit_id=make_unit().id,
    )
    raises_refusal(422, "assignee_required", operations.dispatch_task, actor=staff, task_id=task.id)
    assert queries.live_claim_count(task.id) == 0


# --- who may claim, and what they earn -----------------------------------------------------------


def test_claim_task_suspended_person_is_not_eligible(board, actor_of, make_task):
    task = make_task()
    resident, unit_admin = actor_of(board.resident), actor_of(board.unit_admin)
    staff = actor_of(board.staff)
    people_ops.update_person(actor=staff, person_id=board.resident.id, changes={"is_suspended": True})
    raises_refusal(403, "not_eligible", operations.claim_task, actor=resident, task_id=task.id)
    # A suspended unit admin cannot claim for the unit either (an admin over everything suspends them).
    admin = actor_for(people_ops.create_person(actor=None, phone="13900000001", name="管理员"))
    people_ops.grant_role(actor=None, person_id=admin.person_id, role="admin")
    admin = actor_of(get_person(admin.person_id))
    people_ops.update_person(actor=admin, person_id=board.unit_admin.id, changes={"is_suspended": True})
    raises_refusal(
        403, "not_eligible", operations.claim_task, actor=unit_admin, task_id=task.id, unit_id=board.unit.id
    )
    assert queries.live_claim_count(task.id) == 0


def test_claim_task_kind_follows_who_acts(board, actor_of, make_task):
    both = make_task(eligibility="anyone", reward_hongsong=10, reward_xingan=5, slots=5)
    xingan_only = make_task(eligibility="anyone", reward_hongsong=0, reward_xingan=5)
    member, resident = actor_of(board.member), actor_of(board.resident)
    assert operations.claim_task(actor=member, task_id=both.id).kind == "hongsong"
    assert operations.claim_task(actor=resident, task_id=both.id).kind == "xingan"
    unit_claim = operations.claim_task(
        actor=actor_of(board.unit_admin), task_id=both.id, unit_id=board.unit.id
    )
    assert (unit_claim.kind, unit_claim.claimant_type, unit_claim.unit_id) == (
        "hongsong",
        "unit",
        board.unit.id,
    )
    # A member earns 兴安分 where the task offers no 红松分.
    assert operations.claim_task(actor=member, task_id=xingan_only.id).kind == "xingan"


def test_claim_task_party_member_not_yet_confirmed_is_not_eligible(board, actor_of, make_task, make_person):
    """A party member acts as one only once their report to a community is confirmed (双报到)."""
    pending = make_person(community=board.community, is_party_member=True)
    people_ops.request_registration(actor=actor_of(pending), kind="member", community_id=board.community.id)
    task = make_task(eligibility="party_members")
    raises_refusal(403, "not_eligible", operations.claim_task, actor=actor_of(pending), task_id=task.id)


def test_claim_task_member_reported_to_the_community_may_claim_there(board, actor_of, make_task):
    """The member lives in another community but reported here: they belong here too."""
    assert board.member.community_id != board.community.id
    task = make_task(eligibility="party_members")
    claim = operations.claim_task(actor=actor_of(board.member), task_id=task.id)
    assert claim.state == "claimed" and claim.kind == "hongsong"


# --- the moments rules turn ------------------------------------------------------------------------


def test_claim_task_closes_exactly_at_its_deadline(board, actor_of, make_task):
    task = make_task()
    deadline = task.claim_deadline
    raises_refusal(
        409,
        "deadline_passed",
        operations.claim_task,
        actor=actor_of(board.resident),
        task_id=task.id,
        now=deadline,
    )
    claim = operations.claim_task(
        actor=actor_of(board.resident), task_id=task.id, now=deadline - timedelta(microseconds=1)
    )
    assert claim.state == "claimed"


def _claimed_a_second_early(board, make_task, make_claim):
    """A task starting tomorrow, the board's resident's claim on it, and the second before it starts."""
    task = make_task()
    return task, make_claim(task, board.resident), task.starts_at - timedelta(seconds=1)


def test_submit_claim_opens_exactly_at_the_start(board, actor_of, make_task, make_claim):
    task, claim, early = _claimed_a_second_early(board, make_task, make_claim)
    resident = actor_of(board.resident)
    raises_refusal(
        409, "task_not_started", operations.submit_claim, actor=resident, claim_id=claim.id, now=early
    )
    assert claim.state == "claimed"
    done = operations.submit_claim(actor=resident, claim_id=claim.id, note="按时到场", now=task.starts_at)
    assert (done.state, done.submitted_at) == ("submitted", task.starts_at)


def test_mark_no_show_and_complete_task_open_at_the_start(board, actor_of, make_task, make_claim):
    task, claim, early = _claimed_a_second_early(board, make_task, make_claim)
    staff = actor_of(board.staff)
    raises_refusal(
        409, "task_not_started", operations.mark_no_show, actor=staff, claim_id=claim.id, now=early
    )
    raises_refusal(409, "task_not_started", operations.complete_task, actor=staff, task_id=task.id, now=early)
    assert operations.mark_no_show(actor=staff, claim_id=claim.id, now=task.starts_at).state == "no_show"
    assert operations.complete_task(actor=staff, task_id=task.id, now=task.starts_at).state == "done"


def test_submit_claim_after_cancellation_is_not_submittable(board, actor_of, make_started_task, make_claim):
    task = make_started_task()
    claim = make_claim(task, board.resident)
    operations.cancel_task(actor=actor_of(board.staff), task_id=task.id, reason="场地不能用")
    raises_refusal(
        409, "not_submittable", operations.submit_claim, actor=actor_of(board.resident), claim_id=claim.id
    )
    raises_refusal(
        409, "not_offered", operations.accept_dispatch, actor=actor_of(board.resident), claim_id=claim.id
    )


# --- verification and the award read from the ledger ---------------------------------------------


def test_verify_claim_unit_side_then_community_side(board, api_as, make_started_task, make_claim, fresh):
    task = make_started_task(eligibility="party_members", requires_unit_confirm=True, reward_hongsong=7)
    claim = make_claim(task, board.member, upto="submitted")
    first = api_as(board.unit_admin).post(f"/api/v1/claims/{claim.id}/verify", json={}, headers=idem())
    assert first.status_code == 200 and first.json["state"] == "submitted" and first.json["award"] is None
    second = api_as(board.staff).post(f"/api/v1/claims/{claim.id}/verify", json={}, headers=idem())
    assert second.status_code == 200 and second.json["state"] == "verified", second.json
    assert second.json["award"] == {
        "transfer_id": fresh(Claim, claim.id).award_transfer_id,
        "amount": 7,
        "kind": "hongsong",
        "state": "pending",
    }
    # Neither verifier may approve it; the checker may.
    for maker in (board.staff,):
        refusal = api_as(maker).post(
            f"/api/v1/awards/{second.json['award']['transfer_id']}/approve", headers=idem()
        )
        assert refusal.status_code == 403 and refusal.json["code"] == "maker_checker"


def test_verify_claim_by_street_admin_of_the_subtree(
    board, api_as, make_person, make_started_task, make_claim
):
    street = get_node(board.community.parent_id)
    street_admin = make_person(community=board.community, roles=[("street_admin", street)])
    task = make_started_task()
    claim = make_claim(task, board.resident, upto="submitted")
    verified = api_as(street_admin).post(f"/api/v1/claims/{claim.id}/verify", json={}, headers=idem())
    assert verified.status_code == 200 and verified.json["state"] == "verified", verified.json


def test_verify_claim_replayed_with_the_same_key_pays_once(
    board, api_as, make_started_task, make_claim, unchanged
):
    task = make_started_task(eligibility="residents")
    claim = make_claim(task, board.resident, upto="submitted")
    staff, key = api_as(board.staff), idem()
    first = staff.post(f"/api/v1/claims/{claim.id}/verify", json={}, headers=key)
    assert first.status_code == 200, first.json
    with unchanged():
        again = staff.post(f"/api/v1/claims/{claim.id}/verify", json={}, headers=key)
        assert again.status_code == 200 and again.headers["Idempotent-Replayed"] == "true"
        assert again.json == first.json


def test_verify_claim_without_reward_asks_no_award(board, api_as, make_started_task, make_claim, board_state):
    task = make_started_task(eligibility="residents", reward_hongsong=0, reward_xingan=0)
    claim = make_claim(task, board.resident, upto="submitted")
    transfers = len(board_state()["ledger_transfers"])
    verified = api_as(board.staff).post(f"/api/v1/claims/{claim.id}/verify", json={}, headers=idem()).json
    assert verified["state"] == "verified" and verified["award"] is None
    assert len(board_state()["ledger_transfers"]) == transfers


def test_verify_claim_over_the_budget_changes_nothing(
    board, api_as, make_started_task, make_claim, unchanged, refused, fresh
):
    year = utcnow().astimezone(LOCAL_TZ).year
    ledger_ops.set_budget(actor=None, community_id=board.community.id, kind="xingan", year=year, amount=3)
    task = make_started_task(eligibility="residents", reward_xingan=5)
    claim = make_claim(task, board.resident, upto="submitted")
    with unchanged():
        response = api_as(board.staff).post(f"/api/v1/claims/{claim.id}/verify", json={}, headers=idem())
        refused(response, 409, "budget_exceeded")
    assert fresh(Claim, claim.id).state == "submitted"


def test_verify_claim_award_voided_after_rejection_in_the_ledger(
    board, api_as, make_started_task, make_claim
):
    task = make_started_task(eligibility="residents", reward_xingan=6)
    claim = make_claim(task, board.resident, upto="verified")
    resident, checker = api_as(board.resident), api_as(board.checker)
    award = resident.get(f"/api/v1/claims/{claim.id}").json["award"]
    assert award["state"] == "pending"
    rejected = checker.post(
        f"/api/v1/awards/{award['transfer_id']}/reject", json={"reason": "照片对不上"}, headers=idem()
    )
    assert rejected.status_code == 200, rejected.json
    shown = resident.get(f"/api/v1/claims/{claim.id}").json
    assert shown["state"] == "verified"
    assert shown["award"] == {**award, "state": "voided"}
    assert [c["award"]["state"] for c in resident.get("/api/v1/me/claims").json["items"]] == ["voided"]
    assert resident.get("/api/v1/me/balances").json["xingan"]["pending_in"] == 0


def test_verify_claim_award_reversed_after_reversal_in_the_ledger(
    board, api_as, make_started_task, make_claim
):
    task = make_started_task(eligibility="residents", reward_xingan=6)
    claim = make_claim(task, board.resident, upto="verified")
    resident, checker = api_as(board.resident), api_as(board.checker)
    transfer_id = resident.get(f"/api/v1/claims/{claim.id}").json["award"]["transfer_id"]
    assert checker.post(f"/api/v1/awards/{transfer_id}/approve", headers=idem()).status_code == 200
    assert resident.get(f"/api/v1/claims/{claim.id}").json["award"]["state"] == "posted"
    assert resident.get("/api/v1/me/balances").json["xingan"]["available"] == 6
    reversed_ = checker.post(
        f"/api/v1/transfers/{transfer_id}/reverse", json={"reason": "重复登记"}, headers=idem()
    )
    assert reversed_.status_code == 201, reversed_.json
    # A correction is a request too: someone else approves it.
    approved = api_as(board.staff).post(f"/api/v1/awards/{reversed_.json['id']}/approve", headers=idem())
    assert approved.status_code == 200, approved.json
    shown = resident.get(f"/api/v1/claims/{claim.id}").json
    assert (shown["state"], shown["award"]["state"], shown["award"]["amount"]) == ("verified", "reversed", 6)
    assert resident.get("/api/v1/me/balances").json["xingan"]["available"] == 0


def test_cancel_task_keeps_an_approved_award(board, api_as, make_started_task, make_claim):
    """Cancelling voids only awards still pending; points already approved stay."""
    task = make_started_task(eligibility="residents", reward_xingan=4)
    paid = make_claim(task, board.resident, upto="verified")
    waiting = make_claim(task, board.neighbour, upto="verified")
    checker, staff = api_as(board.checker), api_as(board.staff)
    paid_award = checker.get(f"/api/v1/claims/{paid.id}").json["award"]["transfer_id"]
    assert checker.post(f"/api/v1/awards/{paid_award}/approve", headers=idem()).status_code == 200
    cancelled = staff.post(f"/api/v1/tasks/{task.id}/cancel", json={"reason": "活动取消"}, headers=idem())
    assert cancelled.status_code == 200, cancelled.json
    paid_shown, waiting_shown = (staff.get(f"/api/v1/claims/{c.id}").json for c in (paid, waiting))
    assert (paid_shown["state"], paid_shown["award"]["state"]) == ("verified", "posted")
    assert (waiting_shown["state"], waiting_shown["award"]["state"]) == ("released", "voided")
    assert api_as(board.resident).get("/api/v1/me/balances").json["xingan"]["available"] == 4
    assert api_as(board.neighbour).get("/api/v1/me/balances").json["xingan"]["pending_in"] == 0


def test_reject_claim_by_the_confirming_unit(board, api_as, make_started_task, make_claim, fresh):
    task = make_started_task(eligibility="party_members", requires_unit_confirm=True)
    claim = make_claim(task, board.member, upto="submitted")
    response = api_as(board.unit_admin).post(
        f"/api/v1/claims/{claim.id}/reject", json={"reason": "当天在单位值班"}
    )
    assert response.status_code == 200 and response.json["state"] == "rejected", response.json
    assert (fresh(Claim, claim.id).reason, fresh(Claim, claim.id).decided_by_id) == (
        "当天在单位值班",
        board.unit_admin.id,
    )


# --- a cancellation racing a verification (real connections, committed) --------------------------


@pytest.fixture(scope="module")
def live_app(tmp_path_factory):
    with migrated_app(tmp_path_factory, "board-race") as app:
        yield app


def _submitted_claim(app) -> dict:
    """A community with two staff, a resident whose claim on a started task is submitted."""

    with app.app_context():
        community = new_community()
        base = uuid.uuid4().int % 10**7
        people = {}
        for i, role in enumerate(("staff", "checker", "resident")):
            person = people_ops.create_person(
                actor=None,
                phone=f"15{i}{base:08d}",
                name=role,
                community_id=community.id,
            )
            if role != "resident":
                people_ops.grant_role(actor=None, person_id=person.id, role="staff", node_id=community.id)
            people[role] = person.id
        now = utcnow()
        task = operations.create_task(
            actor=actor_for(get_person(people["staff"])),
            community_id=community.id,
            title="赛跑",
            category="便民服务",
            starts_at=now - timedelta(hours=1),
            ends_at=now + timedelta(hours=2),
            claim_deadline=now + timedelta(hours=1),
            slots=1,
            eligibility="residents",
            reward_xingan=5,
            post=True,
        )
        resident = actor_for(get_person(people["resident"]))
        claim = operations.claim_task(actor=resident, task_id=task.id)
        operations.submit_claim(actor=resident, claim_id=claim.id, note="做完了")
        session().commit()
        return {**people, "task": task.id, "claim": claim.id}


@pytest.mark.postgres
@pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL"), reason="needs TEST_DATABASE_URL (PostgreSQL)")
def test_cancel_task_racing_a_verification_leaves_no_pending_award(live_app):
    """The verification holds the claim and asks for the award; the cancellation, started before
    it commits, must not release the claim and leave that award waiting for approval."""
    world = _submitted_claim(live_app)
    asked, release = threading.Event(), threading.Event()
    outcomes: dict[str, str] = {}

    def verify():
        with live_app.app_context():
            try:
                operations.verify_claim(actor=actor_for(get_person(world["staff"])), claim_id=world["claim"])
                asked.set()
                assert release.wait(10), "never released"
                session().commit()
                outcomes["verify"] = "ok"
            except DomainError as exc:
                session().rollback()
                outcomes["verify"] = exc.code
                asked.set()

    def cancel():
        with live_app.app_context():
            try:
                operations.cancel_task(
                    actor=actor_for(get_person(world["checker"])), task_id=world["task"], reason="临时取消"
                )
                session().commit()
                outcomes["cancel"] = "ok"
            except DomainError as exc:
                session().rollback()
                outcomes["cancel"] = exc.code

    second_waits_for_first(
        live_app,
        threading.Thread(target=verify),
        threading.Thread(target=cancel),
        asked,
        release,
        "the cancellation never waited for the verification",
    )

    from points.ledger.queries import award_states

    with live_app.app_context():
        claim = session().get(Claim, world["claim"])
        states = (session().get(Task, world["task"]).state, claim.state)
        award = award_states([claim.award_transfer_id]).get(claim.award_transfer_id)
    assert outcomes == {"verify": "ok", "cancel": "ok"}, outcomes
    assert states == ("cancelled", "released")
    assert award is not None and award["state"] == "voided", award
