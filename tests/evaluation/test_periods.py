"""公示 of a period: objections and their states, freezing, and a frozen snapshot that later
corrections never change."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from points.audit.models import AuditEntry
from points.errors import DomainError
from points.evaluation import operations as ops
from points.evaluation.queries import period_rows, period_span, snapshot_rows
from points.evaluation.transitions import allowed_actions
from points.ledger import operations as ledger
from points.ledger.queries import earnings_stmt
from tests.evaluation.conftest import AFTER_Q3, IN_Q4, open_quarter

NOTICE_OVER = AFTER_Q3 + timedelta(days=8)


def _refused(code, call, *args, **kw):
    with pytest.raises(DomainError) as refused:
        call(*args, **kw)
    assert refused.value.code == code


def test_open_notice_refuses_an_unfinished_period_and_a_second_notice(town):
    _refused(
        "period_not_over",
        ops.open_notice,
        actor=town.staff_actor,
        community_id=town.a.id,
        kind="xingan",
        period_type="quarter",
        key="2026-Q4",
        now=AFTER_Q3,
    )
    open_quarter(town)
    _refused("duplicate", open_quarter, town)
    _refused("not_found", open_quarter, town, actor=town.b_staff_actor)


def _objected(town, give, by, about, text: str):
    """R1 was given 30 points in Q3, the quarter's notice is open, and `by` objects to `about`'s
    line: (period, objection)."""
    give(town.r1, 30)
    period = open_quarter(town)
    return period, ops.file_objection(
        actor=by, period_id=period.id, subject_id=about.id, text=text, now=AFTER_Q3
    )


def test_objection_states_open_then_upheld_or_rejected_once(town, give, actor_of):
    _, objection = _objected(town, give, actor_of(town.r2), town.r1, "他那天不在")
    assert objection.state == "open"
    assert allowed_actions(town.staff_actor, objection) == ["uphold", "reject"]
    assert allowed_actions(actor_of(town.r2), objection) == []
    _refused(
        "text_required",
        ops.answer_objection,
        actor=town.staff_actor,
        objection_id=objection.id,
        decision="reject",
        answer=" ",
    )

    ops.answer_objection(
        actor=town.staff_actor,
        objection_id=objection.id,
        decision="reject",
        answer="签到记录在案",
        now=AFTER_Q3,
    )

    assert objection.state == "rejected" and objection.answer == "签到记录在案"
    assert allowed_actions(town.staff_actor, objection) == []
    _refused(
        "already_answered",
        ops.answer_objection,
        actor=town.staff2_actor,
        objection_id=objection.id,
        decision="uphold",
        answer="改判",
    )


def test_objections_only_from_the_community_during_notice(town, give, actor_of):
    give(town.r1, 30)
    period = open_quarter(town)
    # Another community's resident during the notice; one of the community after it.
    for code, person, now in (
        ("not_in_community", town.rb, AFTER_Q3),
        ("not_in_notice", town.r2, NOTICE_OVER),
    ):
        _refused(
            code,
            ops.file_objection,
            actor=actor_of(person),
            period_id=period.id,
            subject_id=town.r1.id,
            text="异议",
            now=now,
        )


def test_freeze_waits_for_the_notice_and_every_answer(town, give, actor_of):
    period, objection = _objected(town, give, actor_of(town.r2), town.r1, "分数不对")
    _refused("notice_running", ops.freeze_period, actor=town.staff_actor, period_id=period.id, now=AFTER_Q3)
    _refused(
        "objections_open", ops.freeze_period, actor=town.staff_actor, period_id=period.id, now=NOTICE_OVER
    )
    assert allowed_actions(town.staff_actor, period, now=NOTICE_OVER) == []

    ops.answer_objection(actor=town.staff_actor, objection_id=objection.id, decision="reject", answer="属实")
    assert allowed_actions(town.staff_actor, period, now=NOTICE_OVER) == ["freeze"]
    ops.freeze_period(actor=town.staff_actor, period_id=period.id, now=NOTICE_OVER)

    assert period.state == "frozen"
    _refused(
        "already_frozen", ops.freeze_period, actor=town.staff_actor, period_id=period.id, now=NOTICE_OVER
    )


def test_upheld_objection_asks_the_ledger_for_a_correction_a_second_person_approves(
    town, give, actor_of, sess
):
    period, objection = _objected(town, give, actor_of(town.r3), town.r3, "漏记了我 8 分")
    ops.answer_objection(
        actor=town.staff_actor,
        objection_id=objection.id,
        decision="uphold",
        answer="补记 8 分",
        award_amount=8,
        now=AFTER_Q3,
    )
    assert objection.state == "upheld" and objection.correction_transfer_id
    # The staff member who answered asked for it: someone else approves.
    with pytest.raises(DomainError):
        ledger.approve_award(
            actor=town.staff_actor, transfer_id=objection.correction_transfer_id, now=AFTER_Q3
        )
    ledger.approve_award(actor=town.staff2_actor, transfer_id=objection.correction_transfer_id, now=AFTER_Q3)

    listed = {r["person_id"]: r["points"] for r in period_rows(period)}
    assert listed == {town.r1.id: 30, town.r3.id: 8}

    ops.freeze_period(actor=town.staff_actor, period_id=period.id, now=NOTICE_OVER)
    frozen = {r["person_id"]: r["points"] for r in snapshot_rows(period.id)}
    assert frozen == {town.r1.id: 30, town.r3.id: 8}
    # Counted in the frozen quarter, so not again in the quarter it posted in.
    q4 = open_quarter(town, "2026-Q4", IN_Q4 + timedelta(days=90))
    assert period_rows(q4) == []
    actions = sess.execute(
        sa.select(AuditEntry.action).where(AuditEntry.action.like("evaluation.%"))
    ).scalars()
    assert {
        "evaluation.notice_opened",
        "evaluation.objection_filed",
        "evaluation.objection_answered",
        "evaluation.period_frozen",
    } <= set(actions)


def test_a_reversal_after_freezing_changes_the_next_period_not_the_frozen_one(town, give, sess):
    award = give(town.r1, 30)
    give(town.r2, 20)
    period = open_quarter(town)
    ops.freeze_period(actor=town.staff_actor, period_id=period.id, now=NOTICE_OVER)
    before = snapshot_rows(period.id)

    request = ledger.reverse_transfer(
        actor=town.staff_actor, transfer_id=award["id"], reason="重复发放", now=IN_Q4
    )
    ledger.approve_award(actor=town.staff2_actor, transfer_id=request["id"], now=IN_Q4)

    assert snapshot_rows(period.id) == before
    assert [(r["person_id"], r["points"], r["rank"]) for r in before] == [
        (town.r1.id, 30, 1),
        (town.r2.id, 20, 2),
    ]
    assert period_rows(period) == before
    start, end, _ = period_span("quarter", "2026-Q4")
    earned = earnings_stmt(kind="xingan", owner_type="person", start=start, end=end)
    assert dict(sess.execute(earned).all()) == {town.r1.id: -30}
