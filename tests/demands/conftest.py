"""Fixtures for the demands' tests: the board's world (tests/board/conftest.py), and demands."""

from __future__ import annotations

from datetime import timedelta

import pytest

from points.db import utcnow
from points.demands import operations
from tests.board.conftest import (  # noqa: F401 - fixtures shared with the board's tests
    board,
    board_state,
    make_claim,
    make_started_task,
    make_task,
    refused,
    unchanged,
)
from tests.conftest import settings


@pytest.fixture(autouse=True)
def media(app, tmp_path):
    """Photos go to a folder of the test's own."""
    with settings(app, MEDIA_FOLDER=str(tmp_path / "media")):
        yield tmp_path / "media" / "demands"


@pytest.fixture
def make_demand(board, actor_of):  # noqa: F811 - `board` is the fixture imported above
    """`make_demand(person=board.resident, **fields)`: an open demand asked through the operation."""

    def make(person=None, **fields):
        body = {"category": "助老助残", "details": "家里水管漏水，需要帮忙", **fields}
        return operations.request_help(actor=actor_of(person or board.resident), **body)

    return make


def accept_begun(actor, demand, **task):
    """`actor` accepts the demand as a one-slot task that began an hour ago and ends in two (its
    fields: `task`)."""
    now = utcnow()
    fields = {
        "title": "上门帮忙",
        "starts_at": now - timedelta(hours=1),
        "ends_at": now + timedelta(hours=2),
        "claim_deadline": now + timedelta(hours=1),
        "slots": 1,
        "eligibility": "anyone",
        "reward_xingan": 3,
        **task,
    }
    return operations.accept_demand(actor=actor, demand_id=demand.id, task=fields)
