"""A community with one person of each kind: a resident, a reported party member, a unit's
admin, a grid worker, staff, a street admin, a supervisor and an admin."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from points.org.queries import get_node
from points.people import operations as people_ops


@pytest.fixture
def town(make_node, make_person, make_unit, actor_of, save):
    community = make_node("community")
    street = community.parent_id
    grid = make_node("grid", community)
    unit = make_unit()
    staff = make_person(community=community, roles=[("staff", community)], name="张丽华")
    member = make_person(community=community, is_party_member=True, name="刘洪涛")
    registration = people_ops.request_registration(
        actor=actor_of(member), kind="member", community_id=community.id
    )
    people_ops.decide_registration(actor=actor_of(staff), registration_id=registration.id, confirm=True)
    people = SimpleNamespace(
        community=community,
        grid=grid,
        unit=unit,
        staff=staff,
        member=member,
        resident=make_person(grid=grid, name="赵秀英"),
        unit_admin=make_person(community=community, roles=[("unit_admin", unit)]),
        grid_worker=make_person(grid=grid, roles=[("grid_worker", grid)]),
        street_admin=make_person(community=community, roles=[("street_admin", get_node(street))]),
        supervisor=make_person(community=community, roles=[("supervisor", community)]),
        admin=make_person(community=community, roles=[("admin", None)]),
    )
    save()
    return people
