"""Granting and revoking roles: only roles one may hand out, only within one's scope."""

from __future__ import annotations

import pytest
from sqlmodel import select

from points.db import session
from points.people.models import RoleGrant


def grant_ids(person) -> list[int]:
    return list(session().exec(select(RoleGrant.id).where(RoleGrant.person_id == person.id)).all())


def grant(api, person, role, node=None, unit=None):
    body = {"role": role}
    if node is not None:
        body["node_id"] = node.id
    if unit is not None:
        body["unit_id"] = unit.id
    return api.post(f"/api/v1/people/{person.id}/roles", json=body)


def test_grant_role_staff_grants_grid_worker_in_community(tree, staff_a, make_person, api_as, fresh):
    target = make_person(grid=tree.ga1)
    r = grant(api_as(staff_a), target, "grid_worker", tree.ga1)
    assert r.status_code == 201
    assert (r.json["role"], r.json["node_id"], r.json["node_name"]) == (
        "grid_worker",
        tree.ga1.id,
        tree.ga1.name,
    )
    row = fresh(RoleGrant, r.json["id"])
    assert row.granted_by_id == staff_a.id
    listed = api_as(staff_a).get(f"/api/v1/people/{target.id}/roles").json
    assert [g["id"] for g in listed] == [r.json["id"]]
    # The new grid worker now reads people of their grid.
    assert api_as(target).get("/api/v1/people").json["total"] >= 1


def test_grant_role_staff_grants_grid_worker_not_staff(tree, staff_a, make_person, api_as):
    target = make_person(community=tree.a)
    # A staff member who could appoint staff could approve their own requests with a second account.
    assert grant(api_as(staff_a), target, "staff", tree.a).status_code == 403
    assert grant(api_as(staff_a), target, "grid_worker", tree.ga1).status_code == 201


@pytest.mark.parametrize("role", ["supervisor", "street_admin", "admin"])
def test_grant_role_staff_cannot_grant_higher_roles(tree, staff_a, make_person, api_as, role):
    target = make_person(community=tree.a)
    r = grant(api_as(staff_a), target, role, tree.a)
    assert r.status_code == 403
    assert r.json["code"] == "forbidden"


def test_grant_role_staff_cannot_grant_unit_admin(tree, staff_a, make_person, make_unit, api_as):
    target = make_person(community=tree.a)
    assert grant(api_as(staff_a), target, "unit_admin", unit=make_unit()).status_code == 403


def test_grant_role_staff_outside_community_is_404(tree, staff_a, make_person, api_as):
    in_a = make_person(community=tree.a)
    in_b = make_person(grid=tree.gb1)
    api = api_as(staff_a)
    assert grant(api, in_a, "grid_worker", tree.gb1).status_code == 404  # node outside scope
    assert grant(api, in_a, "staff", tree.s1).status_code == 404  # above the grant, outside it too
    assert grant(api, in_b, "grid_worker", tree.gb1).status_code == 404  # person outside scope
    assert grant(api, in_b, "grid_worker", tree.ga1).status_code == 404


def test_grant_role_street_admin_cannot_grant_admin(tree, street, make_person, api_as):
    target = make_person(community=tree.a2)
    api = api_as(street)
    r = grant(api, target, "admin", tree.s1)
    assert r.status_code == 403
    assert grant(api, target, "admin").status_code == 403
    assert grant_ids(target) == []


@pytest.mark.parametrize(("role", "node"), [("staff", "a2"), ("grid_worker", "a2")])
def test_grant_role_street_admin_within_street(tree, street, make_person, api_as, role, node):
    target = make_person(community=tree.a2)
    assert grant(api_as(street), target, role, getattr(tree, node)).status_code == 201


def test_grant_role_street_admin_outside_street_is_404(tree, street, make_person, api_as):
    target = make_person(community=tree.a2)
    assert grant(api_as(street), target, "staff", tree.b).status_code == 404
    assert grant(api_as(street), target, "street_admin", tree.district).status_code == 404


def test_grant_role_admin_grants_unit_admin_and_admin(tree, make_person, make_unit, api_as):
    admin = make_person(community=tree.b, roles=[("admin", None)])
    target = make_person(community=tree.a)
    unit = make_unit()
    api = api_as(admin)
    r = grant(api, target, "unit_admin", unit=unit)
    assert r.status_code == 201
    assert (r.json["unit_id"], r.json["unit_name"], r.json["node_id"]) == (unit.id, unit.name, None)
    assert grant(api, target, "admin").status_code == 201


@pytest.mark.parametrize(
    ("role", "where"),
    [("unit_admin", "node"), ("unit_admin", None), ("staff", None), ("staff", "unit"), ("admin", "unit")],
)
def test_grant_role_scope_must_fit_role(tree, make_person, make_unit, api_as, role, where):
    admin = make_person(community=tree.b, roles=[("admin", None)])
    target = make_person(community=tree.a)
    unit = make_unit()
    r = grant(
        api_as(admin),
        target,
        role,
        node=tree.a if where == "node" else None,
        unit=unit if where == "unit" else None,
    )
    assert r.status_code == 422
    assert r.json["code"] == "invalid_scope"


def test_grant_role_unknown_role_is_422(tree, staff_a, make_person, api_as):
    target = make_person(community=tree.a)
    r = grant(api_as(staff_a), target, "superuser", tree.a)
    assert r.status_code == 422
    assert r.json["code"] == "validation_error"
    assert "role" in r.json["errors"]


def test_grant_role_twice_is_409(tree, staff_a, make_person, api_as):
    target = make_person(grid=tree.ga1)
    api = api_as(staff_a)
    assert grant(api, target, "grid_worker", tree.ga1).status_code == 201
    r = grant(api, target, "grid_worker", tree.ga1)
    assert r.status_code == 409
    assert r.json["code"] == "duplicate"


@pytest.mark.parametrize("role", ["admin", "unit_admin"])
def test_grant_role_twice_without_node_is_409(tree, make_person, make_unit, api_as, role):
    admin = make_person(community=tree.b, roles=[("admin", None)])
    target = make_person(community=tree.a)
    unit = make_unit() if role == "unit_admin" else None
    api = api_as(admin)
    assert grant(api, target, role, unit=unit).status_code == 201
    assert grant(api, target, role, unit=unit).json["code"] == "duplicate"
    assert len(grant_ids(target)) == 1


def test_grant_role_by_grid_worker_or_supervisor_is_403(tree, make_person, api_as):
    target = make_person(grid=tree.ga1)
    worker = make_person(grid=tree.ga1, roles=[("grid_worker", tree.ga1)])
    supervisor = make_person(community=tree.a, roles=[("supervisor", tree.a)])
    assert grant(api_as(worker), target, "grid_worker", tree.ga1).status_code == 403
    assert grant(api_as(supervisor), target, "grid_worker", tree.ga1).status_code == 403


def test_revoke_role_by_staff(tree, staff_a, make_person, api_as):
    target = make_person(grid=tree.ga1, roles=[("grid_worker", tree.ga1)])
    grant_id = grant_ids(target)[0]
    api = api_as(staff_a)
    r = api.delete(f"/api/v1/people/{target.id}/roles/{grant_id}")
    assert r.status_code == 204
    assert api.get(f"/api/v1/people/{target.id}/roles").json == []
    assert api.delete(f"/api/v1/people/{target.id}/roles/{grant_id}").status_code == 404


def test_revoke_role_higher_than_own_is_403(tree, staff_a, make_person, api_as, fresh):
    # The street admin lives in A: staff see them and their grants, so the refusal is a 403.
    street = make_person(community=tree.a, roles=[("street_admin", tree.s1)])
    grant_id = grant_ids(street)[0]
    r = api_as(staff_a).delete(f"/api/v1/people/{street.id}/roles/{grant_id}")
    assert r.status_code == 403
    assert fresh(RoleGrant, grant_id) is not None


def test_revoke_role_outside_scope_is_404(tree, staff_a, make_person, api_as):
    target = make_person(grid=tree.gb1, roles=[("grid_worker", tree.gb1)])
    grant_id = grant_ids(target)[0]
    assert api_as(staff_a).delete(f"/api/v1/people/{target.id}/roles/{grant_id}").status_code == 404


def test_revoke_role_of_another_person_is_404(tree, staff_a, make_person, api_as):
    holder = make_person(grid=tree.ga1, roles=[("grid_worker", tree.ga1)])
    other = make_person(community=tree.a)
    grant_id = grant_ids(holder)[0]
    r = api_as(staff_a).delete(f"/api/v1/people/{other.id}/roles/{grant_id}")
    assert r.status_code == 404
    assert r.json["code"] == "grant_not_found"


def test_revoke_role_own_admin_is_refused(tree, make_person, api_as):
    admin = make_person(community=tree.a, roles=[("admin", None)])
    grant_id = grant_ids(admin)[0]
    r = api_as(admin).delete(f"/api/v1/people/{admin.id}/roles/{grant_id}")
    assert r.status_code == 422
    assert r.json["code"] == "cannot_revoke_own_admin"


def test_revoke_role_ends_its_rights(tree, staff_a, make_person, api_as):
    worker = make_person(grid=tree.ga1, roles=[("grid_worker", tree.ga1)])
    neighbour = make_person(grid=tree.ga1)
    grant_id = grant_ids(worker)[0]
    worker_api = api_as(worker)
    assert worker_api.get(f"/api/v1/people/{neighbour.id}").status_code == 200
    assert api_as(staff_a).delete(f"/api/v1/people/{worker.id}/roles/{grant_id}").status_code == 204
    assert worker_api.get(f"/api/v1/people/{neighbour.id}").status_code == 404
