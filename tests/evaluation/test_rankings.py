"""Rankings: one grouped statement, ranked by the database, ties sharing a rank, within scope."""

from __future__ import annotations

import pytest

from points.errors import DomainError
from points.evaluation.queries import (
    mask_name,
    period_span,
    person_ranking_stmt,
    ranking_rows,
    unit_ranking_stmt,
)
from tests.evaluation.conftest import IN_Q4


def _q3():
    return period_span("quarter", "2026-Q3")


def test_person_ranking_ties_share_a_rank_and_the_next_skips(town, give):
    give(town.r1, 30)
    give(town.r2, 30)
    give(town.r3, 10)
    give(town.rb, 99)  # another community
    start, end, _ = _q3()

    rows = ranking_rows(person_ranking_stmt(kind="xingan", start=start, end=end, node_path=town.a.path))

    assert [(r["person_id"], r["points"], r["rank"]) for r in rows] == [
        (town.r1.id, 30, 1),
        (town.r2.id, 30, 1),
        (town.r3.id, 10, 3),
    ]


def test_person_ranking_counts_only_the_period_and_the_scope(town, give):
    give(town.r1, 30)
    give(town.r2, 5, now=IN_Q4)
    give(town.r3, 10)
    start, end, _ = _q3()

    grid = ranking_rows(
        person_ranking_stmt(kind="xingan", start=start, end=end, node_path=town.tree.ga1.path)
    )
    street = ranking_rows(
        person_ranking_stmt(kind="xingan", start=start, end=end, node_path=town.tree.s1.path)
    )

    assert [r["person_id"] for r in grid] == [town.r1.id]
    assert [r["person_id"] for r in street] == [town.r1.id, town.r3.id]


def test_person_ranking_of_a_month_and_a_custom_span(town, give):
    give(town.r1, 30)
    month = period_span("month", "2026-08")
    custom = period_span("custom", "2026-08-11", "2026-08-31")

    in_month = ranking_rows(person_ranking_stmt(kind="xingan", start=month[0], end=month[1]))
    in_custom = ranking_rows(person_ranking_stmt(kind="xingan", start=custom[0], end=custom[1]))

    assert [r["points"] for r in in_month] == [30]
    assert in_custom == []


def test_unit_ranking_counts_own_claims_and_members_service(town, give, make_unit):
    give(town.m1, 20, kind="hongsong")
    give(town.m2, 5, kind="hongsong")
    give(None, 15, kind="hongsong", unit=town.unit, community=town.a)
    start, end, _ = _q3()

    rows = ranking_rows(unit_ranking_stmt(kind="hongsong", start=start, end=end, node_path=town.a.path))
    elsewhere = ranking_rows(unit_ranking_stmt(kind="hongsong", start=start, end=end, node_path=town.b.path))

    assert [(r["unit_id"], r["own_points"], r["member_points"], r["points"], r["rank"]) for r in rows] == [
        (town.unit.id, 15, 25, 40, 1)
    ]
    assert elsewhere == []


def test_period_span_refuses_nonsense():
    for period_type, key in (
        ("quarter", "2026-Q5"),
        ("month", "2026-13"),
        ("year", "abc"),
        ("custom", "x"),
        ("year", "0001"),
        ("month", "9999-12"),
    ):
        with pytest.raises(DomainError) as refused:
            period_span(period_type, key)
        assert refused.value.code == "invalid_period"


def test_mask_name_keeps_the_first_and_last_characters():
    assert mask_name("张三英") == "张*英"
    assert mask_name("李四") == "李*"
    assert mask_name("欧阳小锋") == "欧**锋"
    assert mask_name("王") == "王"
