"""The ledger's operations: two phases, maker–checker, reversals, budgets, bulk approval."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from points.errors import DomainError
from points.ledger import operations as ops
from points.ledger import posting, spending
from points.ledger.history import statement
from points.ledger.queries import balances_of_person, balances_of_unit, resolution_of
from points.ledger.verify import verify_ledger
from points.pagination import decode_cursor
from tests.builders import pending_award


def codes(fn):
    with pytest.raises(DomainError) as info:
        fn()
    return info.value.code


def test_request_award_is_pending_and_not_spendable(world, award):
    award(10)
    assert balances_of_person(world.resident.id)["xingan"] == {
        "posted": 0,
        "pending_in": 10,
        "pending_out": 0,
        "available": 0,
    }


def test_approve_award_posts_it(world, award):
    row = award(10)
    ops.approve_award(actor=world.checker_actor, transfer_id=row["id"])
    assert balances_of_person(world.resident.id)["xingan"]["available"] == 10


def test_approve_award_by_requester_is_refused(world, award):
    row = award(10, requested_by=world.staff)
    assert codes(lambda: ops.approve_award(actor=world.staff_actor, transfer_id=row["id"])) == "maker_checker"


def test_approve_award_to_oneself_is_refused(world, award):
    row = award(10, person=world.checker)
    assert (
        codes(lambda: ops.approve_award(actor=world.checker_actor, transfer_id=row["id"])) == "self_approval"
    )


def test_approve_award_out_of_scope_is_not_found(world, award):
    row = award(10)
    assert codes(lambda: ops.approve_award(actor=world.outsider_actor, transfer_id=row["id"])) == "not_found"


def test_approve_award_without_the_role_is_forbidden(world, award, make_person, actor_of):
    supervisor = make_person(community=world.community, roles=[("supervisor", world.community)])
    row = award(10)
    assert codes(lambda: ops.approve_award(actor=actor_of(supervisor), transfer_id=row["id"])) == "forbidden"


def test_approve_award_twice_is_refused(world, award):
    row = award(10)
    ops.approve_award(actor=world.checker_actor, transfer_id=row["id"])
    assert (
        codes(lambda: ops.approve_award(actor=world.checker_actor, transfer_id=row["id"]))
        == "already_resolved"
    )
    assert balances_of_person(world.resident.id)["xingan"]["posted"] == 10


def test_reject_award_voids_it_and_needs_a_reason(world, award):
    row = award(10)
    assert codes(lambda: ops.reject_award(actor=world.checker_actor, transfer_id=row["id"], reason=" ")) == (
        "reason_required"
    )
    ops.reject_award(actor=world.checker_actor, transfer_id=row["id"], reason="未到场")
    assert balances_of_person(world.resident.id)["xingan"]["pending_in"] == 0
    assert (
        codes(lambda: ops.approve_award(actor=world.checker_actor, transfer_id=row["id"]))
        == "already_resolved"
    )


def test_reverse_transfer_gives_points_back_once(world, award):
    row = award(10, auto=True)
    request = ops.reverse_transfer(actor=world.checker_actor, transfer_id=row["id"], reason="重复发放")
    # Reserved where the award put them until someone else approves the correction.
    assert request["status"] == "pending"
    assert balances_of_person(world.resident.id)["xingan"] == {
        "posted": 10,
        "pending_in": 0,
        "pending_out": 10,
        "available": 0,
    }
    ops.approve_award(actor=world.staff_actor, transfer_id=request["id"])
    assert balances_of_person(world.resident.id)["xingan"]["posted"] == 0
    assert codes(
        lambda: ops.reverse_transfer(actor=world.checker_actor, transfer_id=row["id"], reason="再来")
    ) == ("already_resolved")
    assert verify_ledger().ok


def test_reverse_transfer_of_an_approved_pending_award(world, award):
    row = award(10)
    ops.approve_award(actor=world.checker_actor, transfer_id=row["id"])
    request = ops.reverse_transfer(actor=world.checker_actor, transfer_id=row["id"], reason="错发")
    reversal = ops.approve_award(actor=world.staff_actor, transfer_id=request["id"])
    assert reversal["reason"] == "reversal" and reversal["reverses_id"] == resolution_of(row)["id"]
    assert balances_of_person(world.resident.id)["xingan"]["posted"] == 0


def test_reverse_transfer_alone_is_refused(world, award):
    # One staff member used to reverse a posted award alone (requested_by = approved_by).
    row = award(10, auto=True)
    request = ops.reverse_transfer(actor=world.checker_actor, transfer_id=row["id"], reason="错发")
    assert (
        codes(lambda: ops.approve_award(actor=world.checker_actor, transfer_id=request["id"]))
        == "maker_checker"
    )
    assert balances_of_person(world.resident.id)["xingan"]["posted"] == 10


def test_reverse_transfer_rejected_releases_the_points_and_may_be_asked_again(world, award):
    row = award(10, auto=True)
    first = ops.reverse_transfer(actor=world.checker_actor, transfer_id=row["id"], reason="错发")
    assert (
        codes(lambda: ops.reverse_transfer(actor=world.checker_actor, transfer_id=row["id"], reason="再来"))
        == "reversal_pending"
    )
    ops.reject_award(actor=world.staff_actor, transfer_id=first["id"], reason="发放无误")
    assert balances_of_person(world.resident.id)["xingan"]["available"] == 10
    second = ops.reverse_transfer(actor=world.checker_actor, transfer_id=row["id"], reason="确认错发")
    assert second["id"] != first["id"]
    ops.approve_award(actor=world.staff_actor, transfer_id=second["id"])
    assert balances_of_person(world.resident.id)["xingan"]["posted"] == 0
    assert verify_ledger().ok


def test_reverse_transfer_the_person_paid_may_not_approve(world, award, make_person, actor_of):
    staff_member = make_person(community=world.community, roles=[("staff", world.community)])
    row = award(10, auto=True, person=staff_member)
    request = ops.reverse_transfer(actor=world.checker_actor, transfer_id=row["id"], reason="错发")
    assert (
        codes(lambda: ops.approve_award(actor=actor_of(staff_member), transfer_id=request["id"]))
        == "self_approval"
    )


def test_reverse_transfer_of_spent_points_fails(world, award, spend):
    row = award(10, auto=True)
    spend(8)
    assert codes(
        lambda: ops.reverse_transfer(actor=world.checker_actor, transfer_id=row["id"], reason="x")
    ) == ("insufficient_points")


def test_reverse_transfer_of_a_pending_award_fails(world, award):
    row = award(10)
    assert codes(
        lambda: ops.reverse_transfer(actor=world.checker_actor, transfer_id=row["id"], reason="x")
    ) == ("not_posted")


def test_spend_reserves_nothing_pending(world, award, spend):
    award(10)
    assert codes(lambda: spend(1)) == "insufficient_points"


def test_kinds_are_kept_apart(world, award, spend):
    award(10, auto=True, kind="hongsong", person=world.member)
    assert codes(lambda: spend(1, person=world.member)) == "insufficient_points"


def test_request_award_gives_hongsong_only_to_registered_members_and_units(world, award):
    assert codes(lambda: award(5, kind="hongsong")) == "wrong_kind"
    assert codes(lambda: award(5, kind="xingan", unit=world.unit)) == "wrong_kind"
    award(5, kind="hongsong", person=world.member)
    award(5, kind="hongsong", unit=world.unit)


def test_request_award_same_key_returns_the_first(world):
    kwargs = dict(
        community_id=world.community.id,
        recipient_type="person",
        recipient_id=world.resident.id,
        kind="xingan",
        amount=5,
        reason="checkin_award",
        proof="checkin",
        idempotency_key="checkin:1:award",
    )
    first = ops.request_award(**kwargs)
    assert ops.request_award(**kwargs)["id"] == first["id"]
    assert codes(lambda: ops.request_award(**{**kwargs, "amount": 6})) == "idempotency_conflict"
    assert balances_of_person(world.resident.id)["xingan"]["pending_in"] == 5


@pytest.mark.parametrize("amount", [0, -5])
def test_request_award_needs_a_positive_amount(world, award, amount):
    assert codes(lambda: award(amount)) == "invalid_amount"


def test_unit_awards_pay_the_unit(world, award):
    row = award(20, unit=world.unit, kind="hongsong")
    ops.approve_award(actor=world.checker_actor, transfer_id=row["id"])
    assert balances_of_unit(world.unit.id)["hongsong"]["available"] == 20


def test_create_manual_award_rules(world, key):
    def manual(actor=world.staff_actor, person=world.resident, memo="帮助孤寡老人"):
        return pending_award(actor, world.community.id, person.id, 5, key(), memo=memo)

    assert codes(lambda: manual(memo="  ")) == "reason_required"
    assert codes(lambda: manual(person=world.staff)) == "self_award"
    assert codes(lambda: manual(actor=world.outsider_actor)) == "not_found"
    row = manual()
    assert row["proof"] == "discretion" and row["status"] == "pending"
    assert codes(lambda: ops.approve_award(actor=world.staff_actor, transfer_id=row["id"])) == "maker_checker"
    ops.approve_award(actor=world.checker_actor, transfer_id=row["id"])


def test_budget_limits_issuing_including_pending(world, award):
    year = datetime.now(UTC).year
    ops.set_budget(actor=None, community_id=world.community.id, kind="xingan", year=year, amount=25)
    first = award(10)
    award(10)
    assert codes(lambda: award(10)) == "budget_exceeded"
    ops.reject_award(actor=world.checker_actor, transfer_id=first["id"], reason="重复")
    award(10)
    assert codes(lambda: award(6)) == "budget_exceeded"
    award(5)


def test_set_budget_counts_what_was_issued(world, award):
    year = datetime.now(UTC).year
    award(30, auto=True)
    assert (
        codes(
            lambda: ops.set_budget(
                actor=None, community_id=world.community.id, kind="xingan", year=year, amount=20
            )
        )
        == "budget_below_issued"
    )
    budget = ops.set_budget(actor=None, community_id=world.community.id, kind="xingan", year=year, amount=40)
    assert budget.issued == 30


def test_bulk_approve_is_all_or_nothing(world, award):
    rows = [award(i + 1) for i in range(5)]
    own = award(3, person=world.checker)
    error = None
    try:
        ops.bulk_approve(actor=world.checker_actor, transfer_ids=[r["id"] for r in rows] + [own["id"]])
    except DomainError as exc:
        error = exc
    assert error is not None and error.code == "bulk_refused"
    assert list(error.errors) == [str(own["id"])]
    posted = ops.bulk_approve(actor=world.checker_actor, transfer_ids=[r["id"] for r in rows])
    assert len(posted) == 5
    assert balances_of_person(world.resident.id)["xingan"]["posted"] == 15
    assert verify_ledger().ok


def test_qualifies_for_auto_post(app):
    app.config["LEDGER_AUTO_POST_MAX"] = 20
    assert ops.qualifies_for_auto_post(proof="checkin", amount=20, unattended=False, by_staff=False)
    assert not ops.qualifies_for_auto_post(proof="checkin", amount=21, unattended=False, by_staff=False)
    assert not ops.qualifies_for_auto_post(proof="checkin", amount=5, unattended=True, by_staff=False)
    assert not ops.qualifies_for_auto_post(proof="checkin", amount=5, unattended=False, by_staff=True)
    assert not ops.qualifies_for_auto_post(proof="discretion", amount=5, unattended=False, by_staff=False)


def test_statement_running_balance_and_period(world, award, spend):
    t1 = datetime(2026, 3, 1, tzinfo=UTC)
    t2 = datetime(2026, 6, 1, tzinfo=UTC)
    award(10, auto=True, now=t1)
    award(5, auto=True, now=t2)
    pending = award(7, now=t2)
    spend(4, now=t2)
    page = statement("person", world.resident.id, "xingan")
    assert [r["balance"] for r in page["items"]] == [11, 15, 15, 10]
    assert [r["change"] for r in page["items"]] == [-4, 0, 5, 10]
    assert page["items"][1]["id"] == pending["id"]
    later = statement("person", world.resident.id, "xingan", start=datetime(2026, 5, 1, tzinfo=UTC))
    assert later["total"] == 3 and later["items"][-1]["balance"] == 15
    first = statement("person", world.resident.id, "xingan", per_page=3)
    paged = statement(
        "person", world.resident.id, "xingan", cursor=decode_cursor(first["next_cursor"]), per_page=3
    )
    assert [r["balance"] for r in paged["items"]] == [10] and paged["next_cursor"] is None
    back = statement(
        "person", world.resident.id, "xingan", cursor=decode_cursor(paged["prev_cursor"]), per_page=3
    )
    assert back["items"] == first["items"] and back["prev_cursor"] is None


def test_append_turns_a_constraint_refusal_into_a_conflict(world, award):
    # A void of a pending transfer that never reserved anything: the balance checks in the
    # database refuse it; the caller gets a clear conflict, not a driver error.
    row = award(5, auto=True)
    leg = ops.Leg(
        kind="xingan",
        debit_account_id=row["debit_account_id"],
        credit_account_id=row["credit_account_id"],
        amount=5,
        status="void",
        reason="task_award",
        idempotency_key="bogus:void",
        pending_id=row["id"],
    )
    assert codes(lambda: ops._append(world.community.id, [leg])) == "ledger_conflict"


def test_create_manual_award_only_within_the_community(world, key, make_person):
    def manual(recipient_type, recipient_id):
        return pending_award(
            world.staff_actor,
            world.community.id,
            recipient_id,
            5,
            key(),
            memo="表彰",
            recipient_type=recipient_type,
            kind="hongsong" if recipient_type == "unit" else "xingan",
        )

    elsewhere = make_person(community=world.other)
    assert codes(lambda: manual("person", elsewhere.id)) == "recipient_not_in_community"
    assert codes(lambda: manual("unit", world.unit.id)) == "recipient_not_in_community"
    assert codes(lambda: manual("person", 10**9)) == "person_not_found"
    assert manual("person", world.resident.id)["status"] == "pending"


def test_unit_admins_neither_award_nor_approve_for_their_own_unit(world, key, make_person, actor_of):
    from points.people import operations as people_ops

    registration = people_ops.request_registration(
        actor=actor_of(make_person(roles=[("unit_admin", world.unit)])),
        kind="unit",
        community_id=world.community.id,
        unit_id=world.unit.id,
    )
    people_ops.decide_registration(actor=world.staff_actor, registration_id=registration.id, confirm=True)
    people_ops.grant_role(actor=None, person_id=world.checker.id, role="unit_admin", unit_id=world.unit.id)
    checker = actor_of(world.checker)

    def manual(actor):
        return pending_award(
            actor,
            world.community.id,
            world.unit.id,
            5,
            key(),
            memo="共建",
            recipient_type="unit",
            kind="hongsong",
        )

    assert codes(lambda: manual(checker)) == "self_award"
    row = manual(world.staff_actor)
    assert codes(lambda: ops.approve_award(actor=checker, transfer_id=row["id"])) == "self_approval"


def test_approve_award_by_someone_the_requester_appointed_is_refused(world, award, make_person, actor_of):
    from points.people import operations as people_ops

    street_admin = make_person(community=world.community, roles=[("street_admin", world.community)])
    appointee = make_person(community=world.community)
    people_ops.grant_role(
        actor=actor_of(street_admin), person_id=appointee.id, role="staff", node_id=world.community.id
    )
    row = award(10, requested_by=street_admin)
    assert (
        codes(lambda: ops.approve_award(actor=actor_of(appointee), transfer_id=row["id"]))
        == "not_independent"
    )
    ops.approve_award(actor=world.checker_actor, transfer_id=row["id"])


def test_reverse_transfer_refuses_spending(world, award, spend):
    award(10, auto=True)
    spent = spend(4)
    assert (
        codes(lambda: ops.reverse_transfer(actor=world.checker_actor, transfer_id=spent["id"], reason="x"))
        == "not_reversible"
    )


def test_refund_gives_a_redemption_back_once(world, award, spend):
    award(10, auto=True)
    spent = spend(6, memo="兑换：大米")
    refund = spending.refund(actor_id=world.staff.id, transfer_id=spent["id"], memo="取消兑换")
    assert refund["reason"] == "refund" and refund["reverses_id"] == spent["id"]
    assert balances_of_person(world.resident.id)["xingan"]["available"] == 10
    assert (
        codes(lambda: spending.refund(actor_id=world.staff.id, transfer_id=spent["id"])) == "already_resolved"
    )
    assert verify_ledger().ok


def test_a_posting_after_the_head_moved_elsewhere_still_chains(world, award):
    # A single posting on PostgreSQL hashes its row for the head this process saw last; another
    # process may have moved it since (here: the remembered heads are wrong). The posting must
    # still follow the real head, so the chain stays gap-free and verifies.
    first = award(5, auto=True)
    for place in list(posting._HEADS):
        posting._HEADS[place] = (first["seq"] + 7, "f" * 64)

    second = award(6, auto=True)

    assert second["seq"] == first["seq"] + 1
    assert second["prev_hash"] == first["hash"]
    assert verify_ledger().ok
