"""Fixtures for ledger tests: a community with two staff members and a resident."""

from __future__ import annotations

import itertools
from types import SimpleNamespace

import pytest

from points.people import operations as people_ops
from tests.builders import award_points

_keys = itertools.count(1)


@pytest.fixture
def key():
    return lambda prefix="test": f"{prefix}:{next(_keys)}"


@pytest.fixture
def world(make_node, make_person, make_unit, actor_of):
    community = make_node("community")
    other = make_node("community")
    staff = make_person(community=community, roles=[("staff", community)])
    checker = make_person(community=community, roles=[("staff", community)])
    outsider = make_person(community=other, roles=[("staff", other)])
    resident = make_person(community=community)
    member = make_person(community=community, is_party_member=True)
    # A party member earns 红松分 once their report to the community is confirmed (双报到).
    registration = people_ops.request_registration(
        actor=actor_of(member), kind="member", community_id=community.id
    )
    people_ops.decide_registration(actor=actor_of(staff), registration_id=registration.id, confirm=True)
    unit = make_unit()
    return SimpleNamespace(
        community=community,
        other=other,
        staff=staff,
        checker=checker,
        outsider=outsider,
        resident=resident,
        member=member,
        unit=unit,
        staff_actor=actor_of(staff),
        checker_actor=actor_of(checker),
        outsider_actor=actor_of(outsider),
    )


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
    """`spend(amount, person=, memo=)`: a redemption of 兴安分 at the world's community store."""
    from points.ledger import spending

    def make(amount, *, person=None, memo=""):
        return spending.spend(
            community_id=world.community.id,
            payer_type="person",
            payer_id=(person or world.resident).id,
            kind="xingan",
            amount=amount,
            idempotency_key=key(),
            memo=memo,
        )

    return make
