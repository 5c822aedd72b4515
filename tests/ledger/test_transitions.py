"""The award's transition table: what `allowed_actions` offers is exactly what the operations
accept, for representative states and actors; the API's queue and the approval page show it."""

from __future__ import annotations

import pytest

from points.db import session
from points.errors import DomainError
from points.ledger import operations as ops
from points.ledger.queries import annotate, get_transfer
from points.ledger.transitions import ACTIONS, AWARD_TRANSITIONS, allowed_actions

RUN = {
    "approve": lambda actor, row: ops.approve_award(actor=actor, transfer_id=row["id"]),
    "reject": lambda actor, row: ops.reject_award(actor=actor, transfer_id=row["id"], reason="不符合"),
    "reverse": lambda actor, row: ops.reverse_transfer(actor=actor, transfer_id=row["id"], reason="错发"),
}


def accepted(actor, row, action) -> bool:
    """Whether the operation does `action`; tried in a savepoint that is rolled back."""
    savepoint = session().begin_nested()
    try:
        RUN[action](actor, row)
    except DomainError:
        return False
    finally:
        savepoint.rollback()
    return True


@pytest.fixture
def rows(world, award):
    """A row in each state an award or a reversal request can be in."""
    waiting = award(5, requested_by=world.staff)
    posted = award(6, auto=True)
    approved = award(7, requested_by=world.staff)
    ops.approve_award(actor=world.checker_actor, transfer_id=approved["id"])
    rejected = award(8, requested_by=world.staff)
    ops.reject_award(actor=world.checker_actor, transfer_id=rejected["id"], reason="未到场")
    reversed_ = award(9, auto=True)
    request = ops.reverse_transfer(actor=world.staff_actor, transfer_id=reversed_["id"], reason="错发")
    ops.approve_award(actor=world.checker_actor, transfer_id=request["id"])
    asked = award(4, auto=True)
    open_request = ops.reverse_transfer(actor=world.staff_actor, transfer_id=asked["id"], reason="错发")
    own = award(3, person=world.checker)
    spent = award(20, auto=True, key="to-spend")
    return {
        "waiting": waiting,
        "posted": posted,
        "approved (its pending row)": approved,
        "rejected": rejected,
        "reversed": reversed_,
        "reversal asked": asked,
        "reversal request": open_request,
        "to the approver": own,
        "to spend": spent,
    }


def test_the_table_names_every_action_it_offers():
    assert set(ACTIONS) <= set(AWARD_TRANSITIONS)
    assert AWARD_TRANSITIONS["approve"].sources == ("pending",)
    assert AWARD_TRANSITIONS["reverse"].sources == ("posted",)


def test_allowed_actions_are_exactly_what_the_operations_accept(world, rows, make_person, actor_of, spend):
    supervisor = make_person(community=world.community, roles=[("supervisor", world.community)])
    actors = {
        "checker": world.checker_actor,
        "requester": world.staff_actor,
        "recipient": actor_of(world.resident),
        "outsider": world.outsider_actor,
        "supervisor": actor_of(supervisor),
    }
    spend(15)  # most of "to spend" is gone: its reversal would overdraw the resident
    table = annotate([get_transfer(row["id"]) for row in rows.values()])
    offered_somewhere = set()
    for who, actor in actors.items():
        allowed = allowed_actions(actor, table)
        for name, row in zip(rows, table, strict=True):
            for action in ACTIONS:
                offered = action in allowed[row["id"]]
                offered_somewhere |= {action} if offered else set()
                if name == "to spend" and action == "reverse" and offered:
                    # The table cannot foresee a balance spent meanwhile; the ledger refuses it.
                    assert not accepted(actor, row, action)
                    continue
                assert accepted(actor, row, action) is offered, (who, name, action)
    assert offered_somewhere == set(ACTIONS)


def test_queue_api_answers_what_i_may_do(world, api_as, award):
    mine = award(5, requested_by=world.staff)
    other = award(6, requested_by=world.checker)

    items = api_as(world.staff).get("/api/v1/awards/queue").json["items"]

    assert {item["id"]: item["allowed_actions"] for item in items} == {
        mine["id"]: [],
        other["id"]: ["approve", "reject"],
    }


def test_approval_page_offers_buttons_exactly_when_allowed(world, page_as, award):
    mine = award(5, requested_by=world.staff, memo="我申请的")
    other = award(6, requested_by=world.checker, memo="别人申请的")

    html = page_as(world.staff).get("/approvals").data.decode()

    assert f"/approvals/{other['id']}/approve" in html and f"/approvals/{other['id']}/reject" in html
    assert f"/approvals/{mine['id']}/approve" not in html and f"/approvals/{mine['id']}/reject" not in html
    assert f'value="{mine["id"]}" form="bulk"' not in html
    assert "申请或核验这笔积分的人不能再审批它" in html
