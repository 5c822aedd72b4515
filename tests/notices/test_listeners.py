"""Each event that concerns a person writes their notice in the event's own transaction."""

from __future__ import annotations

from itertools import count

import pytest
import sqlalchemy as sa

from points.board import operations as board_ops
from points.db import session
from points.demands import operations as demand_ops
from points.errors import DomainError
from points.ledger import operations as ledger
from points.people import operations as people_ops
from points.store import operations as store_ops
from tests.builders import pending_award
from tests.demands.conftest import accept_begun

_keys = count(1)


def kinds(rows):
    return [row[0] for row in rows]


def test_dispatch_task_tells_the_assignee(board, make_task, actor_of, inbox):
    task = make_task(title="扫雪")

    claim = board_ops.dispatch_task(actor=actor_of(board.staff), task_id=task.id, person_id=board.resident.id)

    assert inbox(board.resident) == [("dispatch_offered", {"title": "扫雪"}, "claim", claim.id)]


def test_verify_claim_tells_the_claimant_once_every_side_confirmed(
    board, make_started_task, make_claim, inbox
):
    claim = make_claim(make_started_task(title="读报"), board.resident, upto="verified")

    assert inbox(board.resident) == [("claim_verified", {"title": "读报", "reason": ""}, "claim", claim.id)]


def test_reject_claim_tells_the_reason(board, make_started_task, make_claim, actor_of, inbox):
    claim = make_claim(make_started_task(title="读报"), board.resident, upto="submitted")

    board_ops.reject_claim(actor=actor_of(board.staff), claim_id=claim.id, reason="没有照片")

    assert inbox(board.resident) == [
        ("claim_rejected", {"title": "读报", "reason": "没有照片"}, "claim", claim.id)
    ]


def _manual_award(board, actor_of, amount=5):
    return pending_award(
        actor_of(board.staff),
        board.community.id,
        board.resident.id,
        amount,
        f"notice-test:{next(_keys)}",
        memo="帮助邻居",
    )


def test_approve_award_tells_the_recipient(board, actor_of, inbox):
    pending = _manual_award(board, actor_of)

    ledger.approve_award(actor=actor_of(board.checker), transfer_id=pending["id"])

    assert inbox(board.resident) == [
        ("award_approved", {"amount": 5, "memo": "帮助邻居", "reason": ""}, "transfer", pending["id"])
    ]


def test_reject_award_tells_the_reason(board, actor_of, inbox):
    pending = _manual_award(board, actor_of)

    ledger.reject_award(actor=actor_of(board.checker), transfer_id=pending["id"], reason="重复申请")

    assert kinds(inbox(board.resident)) == ["award_rejected"]
    assert inbox(board.resident)[0][1]["reason"] == "重复申请"


def test_bulk_approve_tells_every_recipient_in_one_go(board, actor_of, inbox):
    first, second = _manual_award(board, actor_of, 3), _manual_award(board, actor_of, 4)

    ledger.bulk_approve(actor=actor_of(board.checker), transfer_ids=[first["id"], second["id"]])

    assert sorted(row[1]["amount"] for row in inbox(board.resident)) == [3, 4]


def test_demand_moves_tell_the_requester(board, make_demand, actor_of, inbox):
    declined = make_demand(details="楼道灯坏了")
    demand_ops.decline_demand(actor=actor_of(board.staff), demand_id=declined.id, reason="已报物业")

    assert inbox(board.resident) == [
        ("demand_declined", {"title": "楼道灯坏了", "reason": "已报物业"}, "demand", declined.id)
    ]


def test_accept_demand_and_its_task_done_tell_the_requester(board, make_demand, actor_of, inbox):
    demand = make_demand(details="帮忙买菜")
    task = accept_begun(
        actor_of(board.staff),
        demand,
        title="帮王阿姨买菜",
        description="周末",
        place="三号楼",
        reward_hongsong=0,
        reward_xingan=5,
    )
    board_ops.complete_task(actor=actor_of(board.staff), task_id=task.id)

    assert kinds(inbox(board.resident)) == ["demand_done", "demand_accepted"]


def test_decide_registration_tells_the_member(board, make_person, actor_of, inbox):
    member = make_person(community=board.other, is_party_member=True)
    reg = people_ops.request_registration(
        actor=actor_of(member), kind="member", community_id=board.community.id
    )

    people_ops.decide_registration(actor=actor_of(board.staff), registration_id=reg.id, confirm=True)

    assert inbox(member) == [("registration_confirmed", {"reason": ""}, "registration", reg.id)]


def test_a_refused_event_writes_no_notice(board, make_task, make_claim, actor_of, inbox):
    claim = make_claim(make_task(), board.resident, upto="claimed")

    with pytest.raises(DomainError):
        board_ops.reject_claim(actor=actor_of(board.resident), claim_id=claim.id, reason="x")

    assert inbox(board.resident) == []


def test_redeem_item_tells_the_voucher_is_ready(shop, make_item, inbox):
    voucher = store_ops.redeem_item(actor=shop.actor, item_id=make_item(name="大米 5kg").id)

    assert inbox(shop.resident) == [("voucher_ready", {"item": "大米 5kg"}, "voucher", voucher.id)]


def test_decline_dispatch_tells_the_dispatcher_who_and_why(board, make_task, actor_of, inbox):
    task = make_task(title="扫雪")
    claim = board_ops.dispatch_task(actor=actor_of(board.staff), task_id=task.id, person_id=board.resident.id)

    board_ops.decline_dispatch(actor=actor_of(board.resident), claim_id=claim.id, reason="这周不在家")

    assert inbox(board.staff) == [
        (
            "dispatch_declined",
            {"title": "扫雪", "reason": "这周不在家", "person_id": board.resident.id},
            "dispatch",
            claim.id,
        )
    ]
    # The offer's own notice needs no more attention.
    assert kinds(inbox(board.resident)) == ["dispatch_offered"]


def test_accept_dispatch_tells_the_dispatcher_nothing(board, make_task, actor_of, inbox):
    claim = board_ops.dispatch_task(
        actor=actor_of(board.staff), task_id=make_task().id, person_id=board.resident.id
    )

    board_ops.accept_dispatch(actor=actor_of(board.resident), claim_id=claim.id)

    assert inbox(board.staff) == []


def test_a_declined_dispatch_names_a_closed_account_as_closed(board, make_task, actor_of, app):
    from points.notices.models import Notice
    from points.notices.operations import message_of
    from points.people.operations import close_account

    claim = board_ops.dispatch_task(
        actor=actor_of(board.staff), task_id=make_task(title="扫雪").id, person_id=board.resident.id
    )
    board_ops.decline_dispatch(actor=actor_of(board.resident), claim_id=claim.id)
    notice = session().scalars(sa.select(Notice).where(Notice.person_id == board.staff.id)).one()
    assert message_of(notice) == "王阿姨谢绝了你派的单「扫雪」（未说明理由），名额已重新开放"

    close_account(actor=actor_of(board.resident), password="password123")

    assert message_of(notice) == "已注销用户谢绝了你派的单「扫雪」（未说明理由），名额已重新开放"
    assert "王阿姨" not in str(notice.params)
