"""Star ratings: bands of yearly 红松分 or the 100-point scheme, exemptions (免评), deductions
approved by a second staff member and appealed by the member."""

from __future__ import annotations

import pytest

from points.errors import DomainError
from points.evaluation import operations as ops
from points.evaluation.queries import person_rating
from points.evaluation.stars import rate
from points.evaluation.transitions import allowed_actions
from tests.conftest import settings
from tests.evaluation.conftest import deduct


@pytest.fixture
def hundred(app):
    with settings(app, EVALUATION_STAR_SCHEME="hundred"):
        yield


def test_hundred_scheme_bands(app, hundred):
    # Base 60, one point per 5 红松分 up to 40, deductions off the top.
    assert [rate("hundred", points=p).stars for p in (0, 49, 50, 100, 150, 179, 180, 500)] == [
        1,
        1,
        2,
        3,
        4,
        4,
        5,
        5,
    ]
    assert rate("hundred", points=200, deducted=5).score == 95
    assert rate("hundred", points=0, deducted=10).stars == 0


def test_bands_scheme_follows_star_bands(app):
    assert [rate("bands", points=p).stars for p in (0, 20, 50, 240)] == [0, 1, 2, 5]


def test_exempt_member_shows_as_exempt_not_a_low_score(town, give):
    give(town.m1, 3, kind="hongsong")
    ops.exempt_member(actor=town.staff_actor, person_id=town.m1.id, year=2026, reason="年逾八十，卧病在床")

    rating = person_rating(town.m1, 2026)

    assert (
        rating["exempt"] is True and rating["stars"] is None and rating["exemption"] == "年逾八十，卧病在床"
    )
    with pytest.raises(DomainError) as twice:
        ops.exempt_member(actor=town.staff_actor, person_id=town.m1.id, year=2026, reason="再次")
    assert twice.value.code == "duplicate"
    with pytest.raises(DomainError) as outsider:
        ops.exempt_member(actor=town.b_staff_actor, person_id=town.m2.id, year=2026, reason="外社区")
    assert outsider.value.code == "not_found"


def test_deduction_needs_a_second_staff_member_and_can_be_appealed(town, give, actor_of, hundred):
    give(town.m1, 100, kind="hongsong")
    deduction = deduct(town, 5, "无故缺席")
    assert person_rating(town.m1, 2026)["score"] == 80  # pending: not counted yet
    assert allowed_actions(town.staff_actor, deduction) == []
    with pytest.raises(DomainError) as own:
        ops.act_on_deduction(actor=town.staff_actor, deduction_id=deduction.id, action="approve")
    assert own.value.code == "maker_checker"

    ops.act_on_deduction(actor=town.staff2_actor, deduction_id=deduction.id, action="approve")
    assert person_rating(town.m1, 2026)["score"] == 75
    member = actor_of(town.m1)
    assert allowed_actions(member, deduction) == ["appeal"]

    ops.act_on_deduction(
        actor=member, deduction_id=deduction.id, action="appeal", text="当天在单位值班，有排班表"
    )
    assert deduction.state == "appealed"
    # Neither the requester nor the approver answers the appeal.
    assert allowed_actions(town.staff2_actor, deduction) == []
    street = town.street_actor
    assert allowed_actions(street, deduction) == ["uphold_appeal", "dismiss_appeal"]
    ops.act_on_deduction(
        actor=street, deduction_id=deduction.id, action="uphold_appeal", text="排班属实，撤销"
    )

    assert deduction.state == "withdrawn" and deduction.appeal_answer == "排班属实，撤销"
    assert person_rating(town.m1, 2026)["score"] == 80
    with pytest.raises(DomainError) as again:
        ops.act_on_deduction(actor=member, deduction_id=deduction.id, action="appeal", text="再诉")
    assert again.value.code == "not_allowed_now"


def test_deduction_refusals(town):
    with pytest.raises(DomainError) as too_much:
        deduct(town, 50, "x", "y")
    assert too_much.value.code == "invalid_points"
    with pytest.raises(DomainError) as no_evidence:
        deduct(town, 5, "x", " ")
    assert no_evidence.value.code == "text_required"
