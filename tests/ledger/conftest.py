"""Fixtures for ledger tests: a community with two staff members and a resident."""

from __future__ import annotations

import itertools

import pytest

from tests.builders import award_points

_keys = itertools.count(1)


@pytest.fixture
def key():
    return lambda prefix="test": f"{prefix}:{next(_keys)}"


@pytest.fixture
def world(make_world, make_unit):
    """The shared world (`make_world`) and a work unit."""
    world = make_world()
    world.unit = make_unit()
    return world


def award_body(world) -> dict:
    """What staff send to ask for a discretionary award of 5 兴安分 to the world's resident."""
    return {
        "community_id": world.community.id,
        "person_id": world.resident.id,
        "kind": "xingan",
        "amount": 5,
        "memo": "扫雪除冰",
    }


@pytest.fixture
def award(world, key):
    """`award(amount, person=, unit=, kind=, reason=, auto=, requested_by=, memo=, now=, key=)`:
    an award from the world's community pool (to its resident unless told), through the ledger."""

    def make(
        amount=10,
        *,
        person=None,
        unit=None,
        kind="xingan",
        reason="task_award",
        auto=False,
        requested_by=None,
        memo="",
        now=None,
        key=None,
        community=None,
    ):
        recipient = ("unit", unit.id) if unit else ("person", (person or world.resident).id)
        return award_points(
            (community or world.community).id,
            recipient[1],
            amount,
            key or next_key(),
            recipient_type=recipient[0],
            kind=kind,
            reason=reason,
            auto_post=auto,
            requested_by_id=requested_by.id if requested_by else None,
            memo=memo,
            now=now,
        )

    next_key = key
    return make


@pytest.fixture
def spend(world, key):
    """`spend(amount, person=, memo=, now=)`: a redemption of 兴安分 at the world's community store."""
    from points.ledger import spending

    def make(amount, *, person=None, memo="", now=None):
        return spending.spend(
            community_id=world.community.id,
            payer_type="person",
            payer_id=(person or world.resident).id,
            kind="xingan",
            amount=amount,
            idempotency_key=key(),
            memo=memo,
            now=now,
        )

    return make
