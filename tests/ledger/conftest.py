"""Fixtures for ledger tests: a community with two staff members and a resident."""

from __future__ import annotations

import itertools
from types import SimpleNamespace

import pytest

from points.people import operations as people_ops

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
