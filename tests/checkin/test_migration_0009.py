"""Migration 0009 turns each stored "code: message" award error into a refusal (code and
parameters), and back on downgrade."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from points.migrate import downgrade, upgrade
from tests.conftest import fresh_engine

AT = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


@pytest.fixture
def engine(tmp_path):
    with fresh_engine(tmp_path, "migration0009") as engine:
        yield engine


def _insert(connection, table: str, **values) -> None:
    connection.execute(sa.table(table, *map(sa.column, values)).insert(), values)


def _seed(connection, award_errors: list[str]) -> None:
    """A community with a station, a person, an activity and one check-in per award error."""

    def insert(table: str, **values) -> None:
        _insert(connection, table, **values)

    insert("org_nodes", id=1, level="community", name="红升社区", path="/1/", created_at=AT)
    insert(
        "people",
        id=1,
        phone="13900000001",
        name="赵秀英",
        is_party_member=False,
        is_suspended=False,
        created_at=AT,
    )
    insert(
        "stations",
        id=1,
        node_id=1,
        kind="station",
        name="党群服务站",
        address="",
        is_active=True,
        created_at=AT,
    )
    insert(
        "activities",
        id=1,
        station_id=1,
        community_id=1,
        title="值班",
        starts_at=AT,
        ends_at=AT.replace(hour=4),
        state="active",
        created_by_id=1,
        created_at=AT,
        auto_posted_points=0,
    )
    for n, text in enumerate(award_errors, start=1):
        insert(
            "checkins",
            id=n,
            activity_id=1,
            person_id=1,
            checked_in_at=AT,
            checked_out_at=AT.replace(hour=2),
            unattended=False,
            closed_by_job=False,
            is_capped=False,
            award_error=text,
            updated_at=AT,
        )


def test_award_errors_become_refusals_and_back(engine):
    upgrade(engine, "0008")
    with engine.begin() as connection:
        _seed(
            connection,
            ["", "budget_exceeded: 社区2026年度兴安分发放预算不足（预算 5，已发放 5）", "odd text"],
        )

    upgrade(engine, "0009")

    with engine.connect() as connection:
        rows = connection.execute(sa.text("SELECT id, award_refusal FROM checkins ORDER BY id")).all()
        columns = {c["name"] for c in sa.inspect(connection).get_columns("checkins")}
    refusals = {row.id: row.award_refusal for row in rows}

    def decode(value):
        return json.loads(value) if isinstance(value, str) else value

    assert refusals[1] is None
    assert decode(refusals[2]) == {
        "code": "budget_exceeded",
        "message": "社区2026年度兴安分发放预算不足（预算 5，已发放 5）",
        "values": {},
    }
    assert decode(refusals[3]) == {"code": "award_refused", "message": "odd text", "values": {}}
    assert "award_error" not in columns

    downgrade(engine, "0008")

    with engine.connect() as connection:
        back = dict(connection.execute(sa.text("SELECT id, award_error FROM checkins ORDER BY id")).all())
    assert back == {
        1: "",
        2: "budget_exceeded: 社区2026年度兴安分发放预算不足（预算 5，已发放 5）",
        3: "award_refused: odd text",
    }
