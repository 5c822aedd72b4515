"""The org tree, stations and units over the API (spec §1)."""

from __future__ import annotations

import pytest
from sqlmodel import select

from points.audit.models import AuditEntry
from points.db import session
from points.org.models import OrgNode, Station


def node_body(parent, level, name="新节点"):
    return {"parent_id": parent.id if parent is not None else None, "level": level, "name": name}


def station_body(node, name="党群服务站", kind="station", **extra):
    return {"node_id": node.id, "kind": kind, "name": name, **extra}


@pytest.fixture
def admin(tree, make_person):
    return make_person(community=tree.b, roles=[("admin", None)])


# --- the tree ----------------------------------------------------------------


def test_get_tree_nested_for_any_logged_in_person(tree, make_person, api_as):
    resident = make_person(community=tree.a)
    r = api_as(resident).get("/api/v1/org/tree")
    assert r.status_code == 200
    city = next(n for n in r.json if n["id"] == tree.city.id)
    assert set(city) == {"id", "level", "name", "children"}
    district = city["children"][0]
    assert district["id"] == tree.district.id
    streets = {s["id"]: s for s in district["children"]}
    assert set(streets) == {tree.s1.id, tree.s2.id}
    communities = {c["id"]: c for c in streets[tree.s1.id]["children"]}
    assert set(communities) == {tree.a.id, tree.a2.id}
    assert [g["id"] for g in communities[tree.a.id]["children"]] == [tree.ga1.id, tree.ga2.id]
    assert communities[tree.a.id]["level"] == "community"


def test_get_tree_needs_login(client):
    r = client.get("/api/v1/org/tree")
    assert r.status_code == 401
    assert r.mimetype == "application/problem+json"


def test_get_node(tree, make_person, api_as):
    api = api_as(make_person(community=tree.a))
    r = api.get(f"/api/v1/org/nodes/{tree.ga1.id}")
    assert r.status_code == 200
    assert r.json == {"id": tree.ga1.id, "parent_id": tree.a.id, "level": "grid", "name": tree.ga1.name}
    missing = api.get("/api/v1/org/nodes/987654321")
    assert missing.status_code == 404
    assert missing.json["code"] == "node_not_found"


# --- creating nodes ----------------------------------------------------------


def test_create_node_street_admin_within_street(tree, street, api_as):
    api = api_as(street)
    r = api.post("/api/v1/org/nodes", json=node_body(tree.s1, "community", "松林社区"))
    assert r.status_code == 201
    assert (r.json["parent_id"], r.json["level"], r.json["name"]) == (tree.s1.id, "community", "松林社区")
    node = session().get(OrgNode, r.json["id"])
    assert node.path == f"{tree.s1.path}{node.id}/"
    # The new community lies in the street admin's scope at once.
    grid = api.post("/api/v1/org/nodes", json=node_body(node, "grid", "一网格"))
    assert grid.status_code == 201
    assert api.post("/api/v1/stations", json=station_body(node)).status_code == 201


def test_create_node_street_admin_outside_street_is_404(tree, street, api_as):
    api = api_as(street)
    assert api.post("/api/v1/org/nodes", json=node_body(tree.s2, "community")).status_code == 404
    assert api.post("/api/v1/org/nodes", json=node_body(tree.b, "grid")).status_code == 404
    # Above the grant is outside it too.
    assert api.post("/api/v1/org/nodes", json=node_body(tree.district, "street")).status_code == 404


@pytest.mark.parametrize(
    ("parent", "level"),
    [
        ("s1", "grid"),
        ("s1", "street"),
        ("a", "community"),
        ("a", "street"),
        ("ga1", "grid"),
        ("district", "community"),
    ],
)
def test_create_node_level_must_fit_under_parent(tree, admin, api_as, parent, level):
    r = api_as(admin).post("/api/v1/org/nodes", json=node_body(getattr(tree, parent), level))
    assert r.status_code == 422
    assert r.json["code"] == "invalid_level"


def test_create_node_city_only_by_admin_and_only_as_city(tree, admin, street, api_as):
    assert api_as(admin).post("/api/v1/org/nodes", json=node_body(None, "city", "兴安市")).status_code == 201
    r = api_as(admin).post("/api/v1/org/nodes", json=node_body(None, "district", "孤区"))
    assert r.status_code == 422
    assert r.json["code"] == "invalid_level"
    assert api_as(street).post("/api/v1/org/nodes", json=node_body(None, "city", "另一市")).status_code == 403


def test_create_node_by_staff_or_supervisor_is_403(tree, staff_a, make_person, api_as):
    supervisor = make_person(community=tree.a, roles=[("supervisor", tree.s1)])
    assert api_as(staff_a).post("/api/v1/org/nodes", json=node_body(tree.a, "grid")).status_code == 403
    assert api_as(supervisor).post("/api/v1/org/nodes", json=node_body(tree.a, "grid")).status_code == 403


def test_create_node_duplicate_name_under_parent_is_409(tree, street, api_as):
    api = api_as(street)
    r = api.post("/api/v1/org/nodes", json=node_body(tree.a, "grid", tree.ga1.name))
    assert r.status_code == 409
    assert r.json["code"] == "duplicate"
    assert api.post("/api/v1/org/nodes", json=node_body(tree.a2, "grid", tree.ga1.name)).status_code == 201


@pytest.mark.parametrize(
    "body",
    [
        {"level": "grid", "name": "x"},
        {"parent_id": None, "level": "village", "name": "x"},
        {"parent_id": 1, "level": "grid", "name": ""},
        {"parent_id": 1, "level": "grid", "name": "  "},
        {"parent_id": 1, "level": "grid", "name": "x" * 101},
        {"parent_id": "one", "level": "grid", "name": "x"},
    ],
)
def test_create_node_bad_body_is_422(street, api_as, body):
    r = api_as(street).post("/api/v1/org/nodes", json=body)
    assert r.status_code == 422
    assert r.json["code"] == "validation_error"


def test_create_node_is_audited(tree, street, api_as):
    r = api_as(street).post("/api/v1/org/nodes", json=node_body(tree.s1, "community", "红松社区"))
    entry = (
        session()
        .exec(
            select(AuditEntry).where(
                AuditEntry.action == "org.node_created", AuditEntry.target_id == r.json["id"]
            )
        )
        .one()
    )
    assert entry.actor_id == street.id
    assert entry.detail == {"name": "红松社区", "level": "community"}


# --- stations ----------------------------------------------------------------


def test_create_station_by_staff_in_community_and_grid(tree, staff_a, api_as):
    api = api_as(staff_a)
    r = api.post("/api/v1/stations", json=station_body(tree.a, kind="center", address=" 松林路1号 "))
    assert r.status_code == 201
    assert r.json["node_id"] == tree.a.id
    assert (r.json["kind"], r.json["address"], r.json["is_active"]) == ("center", "松林路1号", True)
    assert api.post("/api/v1/stations", json=station_body(tree.ga1, kind="outpost")).status_code == 201


def test_create_station_outside_scope_is_404(tree, staff_a, api_as):
    assert api_as(staff_a).post("/api/v1/stations", json=station_body(tree.b)).status_code == 404
    assert api_as(staff_a).post("/api/v1/stations", json=station_body(tree.s1)).status_code == 404


def test_create_station_roles_without_right_are_403(tree, make_person, api_as):
    worker = make_person(grid=tree.ga1, roles=[("grid_worker", tree.ga1)])
    supervisor = make_person(community=tree.a, roles=[("supervisor", tree.a)])
    assert api_as(worker).post("/api/v1/stations", json=station_body(tree.ga1)).status_code == 403
    assert api_as(supervisor).post("/api/v1/stations", json=station_body(tree.a)).status_code == 403


def test_create_station_duplicate_name_at_node_is_409(tree, staff_a, api_as):
    api = api_as(staff_a)
    assert api.post("/api/v1/stations", json=station_body(tree.a)).status_code == 201
    r = api.post("/api/v1/stations", json=station_body(tree.a))
    assert r.status_code == 409
    assert r.json["code"] == "duplicate"


def test_create_station_bad_kind_is_422(tree, staff_a, api_as):
    r = api_as(staff_a).post("/api/v1/stations", json=station_body(tree.a, kind="shop"))
    assert r.status_code == 422
    assert "kind" in r.json["errors"]


def test_update_station_by_staff(tree, staff_a, api_as):
    api = api_as(staff_a)
    sid = api.post("/api/v1/stations", json=station_body(tree.a)).json["id"]
    r = api.patch(
        f"/api/v1/stations/{sid}", json={"name": "新站名", "is_active": False, "node_id": tree.ga1.id}
    )
    assert r.status_code == 200
    assert (r.json["name"], r.json["is_active"], r.json["node_id"]) == ("新站名", False, tree.ga1.id)
    assert api.get(f"/api/v1/stations/{sid}").json["name"] == "新站名"
    assert api.patch(f"/api/v1/stations/{sid}", json={}).status_code == 200


def test_update_station_move_outside_scope_is_404(tree, staff_a, api_as, make_person):
    api = api_as(staff_a)
    sid = api.post("/api/v1/stations", json=station_body(tree.a)).json["id"]
    r = api.patch(f"/api/v1/stations/{sid}", json={"node_id": tree.b.id})
    assert r.status_code == 404
    session().expire_all()
    assert session().get(Station, sid).node_id == tree.a.id


def test_update_station_scope_and_role(tree, staff_a, make_person, api_as):
    sid = api_as(staff_a).post("/api/v1/stations", json=station_body(tree.ga1)).json["id"]
    staff_b = make_person(community=tree.b, roles=[("staff", tree.b)])
    worker = make_person(grid=tree.ga1, roles=[("grid_worker", tree.ga1)])
    street = make_person(community=tree.a2, roles=[("street_admin", tree.s1)])
    assert api_as(staff_b).patch(f"/api/v1/stations/{sid}", json={"name": "改"}).status_code == 404
    assert api_as(worker).patch(f"/api/v1/stations/{sid}", json={"name": "改"}).status_code == 403
    assert api_as(street).patch(f"/api/v1/stations/{sid}", json={"node_id": tree.a2.id}).status_code == 200


def test_update_station_duplicate_name_is_409(tree, staff_a, api_as):
    api = api_as(staff_a)
    api.post("/api/v1/stations", json=station_body(tree.a, name="甲站"))
    sid = api.post("/api/v1/stations", json=station_body(tree.a, name="乙站")).json["id"]
    assert api.patch(f"/api/v1/stations/{sid}", json={"name": "甲站"}).status_code == 409


def test_update_station_unknown_is_404(staff_a, api_as):
    r = api_as(staff_a).patch("/api/v1/stations/987654321", json={"name": "x"})
    assert r.status_code == 404
    assert r.json["code"] == "station_not_found"


def test_list_stations_by_subtree(tree, staff_a, admin, make_person, api_as):
    in_a = api_as(staff_a).post("/api/v1/stations", json=station_body(tree.ga1)).json["id"]
    in_b = api_as(admin).post("/api/v1/stations", json=station_body(tree.b)).json["id"]
    api = api_as(make_person(community=tree.a))
    everything = {s["id"] for s in api.get("/api/v1/stations").json}
    assert {in_a, in_b} <= everything
    assert {s["id"] for s in api.get("/api/v1/stations", query_string={"node_id": tree.s1.id}).json} == {in_a}
    assert api.get("/api/v1/stations", query_string={"node_id": 987654321}).status_code == 404


# --- units -------------------------------------------------------------------


def test_create_unit_by_street_admin_and_admin(tree, street, admin, api_as):
    body = {"name": "兴安供电公司", "party_org_name": "供电公司党委", "contact_phone": "04821234567"}
    r = api_as(street).post("/api/v1/units", json=body)
    assert r.status_code == 201
    assert (r.json["name"], r.json["party_org_name"]) == ("兴安供电公司", "供电公司党委")
    assert "contact_phone" not in r.json
    assert api_as(admin).post("/api/v1/units", json={**body, "name": "兴安水务"}).status_code == 201
    entry = session().exec(select(AuditEntry).where(AuditEntry.action == "unit.created")).first()
    assert entry is not None


def test_create_unit_by_others_is_403(tree, staff_a, make_person, make_unit, api_as):
    unit_admin = make_person(community=tree.a, roles=[("unit_admin", make_unit())])
    resident = make_person(community=tree.a)
    body = {"name": "某单位", "party_org_name": "某党支部"}
    for person in (staff_a, unit_admin, resident):
        assert api_as(person).post("/api/v1/units", json=body).status_code == 403


def test_create_unit_duplicate_and_invalid(street, make_unit, api_as):
    existing = make_unit()
    api = api_as(street)
    r = api.post("/api/v1/units", json={"name": existing.name, "party_org_name": "党支部"})
    assert r.status_code == 409
    assert r.json["code"] == "duplicate"
    missing = api.post("/api/v1/units", json={"name": "无党组织"})
    assert missing.status_code == 422
    assert "party_org_name" in missing.json["errors"]


def test_list_units_for_any_logged_in_person(tree, make_person, make_unit, api_as):
    first, second = make_unit(), make_unit()
    api = api_as(make_person(community=tree.a))
    listed = api.get("/api/v1/units").json
    assert [u["id"] for u in listed if u["id"] in (first.id, second.id)] == [first.id, second.id]
    assert all("contact_phone" not in u for u in listed)
    assert api.get(f"/api/v1/units/{first.id}").json["name"] == first.name
    assert api.get("/api/v1/units/987654321").json["code"] == "unit_not_found"


def test_list_units_needs_login(client):
    assert client.get("/api/v1/units").status_code == 401
