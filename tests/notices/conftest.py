"""Fixtures for the inbox's tests: the board's world (tests/board/conftest.py) and demands."""

from __future__ import annotations

import pytest

from points.notices.queries import notices_stmt
from tests.board.conftest import (  # noqa: F401 - fixtures shared with the board's tests
    board,
    make_claim,
    make_started_task,
    make_task,
)
from tests.demands.conftest import make_demand  # noqa: F401
from tests.store.conftest import give_points, make_item, shop  # noqa: F401


@pytest.fixture
def inbox(app):
    """`inbox(person)`: the person's notices as (kind, params, ref_type, ref_id), newest first."""
    from points.db import session

    def read(person):
        session().flush()
        rows = session().scalars(notices_stmt(person_id=person.id)).all()
        return [(n.kind, n.params, n.ref_type, n.ref_id) for n in rows]

    return read


@pytest.fixture
def tell(app):
    """`tell(person, kind="claim_verified", **params)`: a notice written through the operation."""
    from points.notices.models import NoticeKind
    from points.notices.operations import NewNotice, notify

    def write(person, kind: str = "claim_verified", now=None, ref=("claim", 1), **params):
        notify([NewNotice(person.id, NoticeKind(kind), params or {"title": "扫雪"}, *ref)], now=now)

    return write
