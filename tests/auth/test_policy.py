"""The one authorisation rule, role plus scope, on plain actors (no database)."""

from __future__ import annotations

import pytest

from points.access import Actor, Grant
from points.errors import Forbidden, NotFound

STREET = "/1/2/3/"
COMMUNITY = "/1/2/3/4/"
GRID = "/1/2/3/4/5/"
OTHER_COMMUNITY = "/1/2/3/44/"
LOOKALIKE = "/1/2/34/"  # shares a string prefix with the street, not a path prefix


def actor(*grants: Grant) -> Actor:
    return Actor(person_id=1, name="测试", grants=list(grants))


def test_roles_over_subtree_only():
    staff = actor(Grant("staff", COMMUNITY))
    assert staff.roles_over(COMMUNITY) == {"staff"}
    assert staff.roles_over(GRID) == {"staff"}
    assert staff.roles_over(STREET) == set()
    assert staff.roles_over(OTHER_COMMUNITY) == set()
    assert staff.roles_over(None) == set()


def test_roles_over_compares_whole_path_segments():
    assert actor(Grant("street_admin", "/1/2/3/")).roles_over(LOOKALIKE) == set()
    assert actor(Grant("staff", "/1/")).roles_over("/12/") == set()


def test_roles_over_global_admin_everywhere():
    admin = actor(Grant("admin", None))
    assert admin.is_global_admin
    assert admin.roles_over(GRID) == {"admin"}
    assert admin.roles_over(None) == {"admin"}
    assert admin.roles_over_unit(7) == {"admin"}


def test_roles_over_node_admin_only_in_subtree():
    admin = actor(Grant("admin", STREET))
    assert not admin.is_global_admin
    assert admin.roles_over(GRID) == {"admin"}
    assert admin.roles_over(LOOKALIKE) == set()
    assert admin.roles_over_unit(7) == set()


def test_require_outside_scope_is_404_inside_without_role_403():
    supervisor = actor(Grant("supervisor", COMMUNITY))
    supervisor.require("people.read", GRID)
    with pytest.raises(Forbidden):
        supervisor.require("people.manage", GRID)
    with pytest.raises(NotFound):
        supervisor.require("people.manage", OTHER_COMMUNITY)
    with pytest.raises(NotFound):
        actor().require("people.read", COMMUNITY)


def test_require_unit_for_unit_admin_of_that_unit():
    unit_admin = actor(Grant("unit_admin", None, unit_id=7))
    unit_admin.require_unit(7)
    with pytest.raises(NotFound):
        unit_admin.require_unit(8)
    assert unit_admin.roles_over(COMMUNITY) == set()


def test_scope_paths_by_action():
    both = actor(Grant("grid_worker", GRID), Grant("supervisor", STREET))
    assert both.scope_paths("people.read") == [GRID, STREET]
    assert both.scope_paths("people.manage") == []
    assert actor(Grant("admin", None)).scope_paths("people.manage") is None
    assert actor(Grant("unit_admin", None, unit_id=3)).scope_paths("people.read") == []


@pytest.mark.parametrize(
    ("held", "role", "expected"),
    [
        # Nobody hands out their own role: one person could then approve their own requests.
        ("staff", "staff", False),
        ("staff", "grid_worker", True),
        ("staff", "supervisor", False),
        ("staff", "street_admin", False),
        ("staff", "admin", False),
        ("street_admin", "street_admin", False),
        ("street_admin", "staff", True),
        ("street_admin", "supervisor", False),
        ("street_admin", "admin", False),
        ("street_admin", "unit_admin", False),
        ("grid_worker", "grid_worker", False),
        ("supervisor", "staff", False),
        ("admin", "admin", True),
    ],
)
def test_can_grant_by_role(held, role, expected):
    granter = actor(Grant(held, STREET if held != "staff" else COMMUNITY))
    assert granter.can_grant(role, GRID) is expected


def test_can_grant_only_within_scope():
    staff = actor(Grant("staff", COMMUNITY))
    assert staff.can_grant("grid_worker", GRID)
    assert not staff.can_grant("grid_worker", OTHER_COMMUNITY)
    assert not staff.can_grant("staff", STREET)
    assert not staff.can_grant("admin", None)
    assert actor(Grant("admin", None)).can_grant("admin", None)
