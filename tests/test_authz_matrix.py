"""Role × scope matrix over representative endpoints (spec §1).

One org tree:

    city ─ district ─┬─ street S1 ─┬─ community A ─┬─ grid GA1
                     │             │               └─ grid GA2
                     │             └─ community A2 ─ grid GA3
                     └─ street S2 ─── community B ─── grid GB1

The acting people live in A (grants: grid_worker on GA1, staff on A,
supervisor on A, street_admin on S1, unit_admin on a unit, admin on the whole
tree). "in" targets lie in A (grid GA1), "out" targets in B (grid GB1).

Rule: outside one's scope a thing answers 404; inside scope, an action the role
lacks answers 403. Lists always answer 200 and are filtered: "+" means the
target is listed, "-" that it is not.
"""

from __future__ import annotations

import pytest

from points.people import operations as people_ops

ROLES = (
    "resident",
    "party_member",
    "unit_admin",
    "grid_worker",
    "staff",
    "street_admin",
    "supervisor",
    "admin",
)

# Each cell is "in/out". The global admin's scope is the whole tree, so "out"
# is in scope for them. A grid worker's grant covers only their grid, so a
# community-level thing (a registration to A, a node under A) is outside it.
EXPECTED = {
    #                        resident   party      unit_adm   grid_wkr   staff      street     superv     admin
    "list_people":           ("-/-",     "-/-",     "-/-",     "+/-",     "+/-",     "+/-",     "+/-",     "+/+"),
    "get_person":            ("404/404", "404/404", "404/404", "200/404", "200/404", "200/404", "200/404", "200/200"),
    "patch_person":          ("404/404", "404/404", "404/404", "403/404", "200/404", "200/404", "403/404", "200/200"),
    "create_person":         ("404/404", "404/404", "404/404", "403/404", "201/404", "201/404", "403/404", "201/201"),
    "grant_role":            ("404/404", "404/404", "404/404", "403/404", "201/404", "201/404", "403/404", "201/201"),
    "list_registrations":    ("-/-",     "-/-",     "-/-",     "-/-",     "+/-",     "+/-",     "+/-",     "+/+"),
    "confirm_registration":  ("404/404", "404/404", "404/404", "404/404", "200/404", "200/404", "403/404", "200/200"),
    "create_station":        ("404/404", "404/404", "404/404", "403/404", "201/404", "201/404", "403/404", "201/201"),
    "list_audit":            ("-/-",     "-/-",     "-/-",     "-/-",     "+/-",     "+/-",     "+/-",     "+/+"),
    "create_node":           ("404/404", "404/404", "404/404", "404/404", "403/404", "201/404", "403/404", "201/201"),
}  # fmt: skip


# One's own record: everyone reads it; changing it needs the managing role over
# one's own home. It is never hidden from its owner, so a refusal is a 403.
SELF_EXPECTED = {
    #                        resident   party      unit_adm   grid_wkr   staff      street     superv     admin
    "get_person":            (200,      200,       200,       200,       200,       200,       200,       200),
    # Staff edit residents, not themselves: a role holder's record is changed by whoever may appoint them.
    "patch_person":          (403,      403,       403,       403,       403,       403,       403,       200),
    # Resetting needs a role above every role the person holds: one's own is not above itself
    # (one's own password is changed with the old one, at /me/password).
    "reset_password":        (403,      403,       403,       403,       403,       403,       403,       200),
}  # fmt: skip


class World:
    """The tree, the acting people and the targets of one test."""


@pytest.fixture
def world(make_node, make_person, make_unit, actor_of):
    w = World()
    w.city = make_node("city")
    w.district = make_node("district", w.city)
    w.s1 = make_node("street", w.district)
    w.s2 = make_node("street", w.district)
    w.a = make_node("community", w.s1)
    w.a2 = make_node("community", w.s1)
    w.b = make_node("community", w.s2)
    w.ga1 = make_node("grid", w.a)
    w.ga2 = make_node("grid", w.a)
    w.ga3 = make_node("grid", w.a2)
    w.gb1 = make_node("grid", w.b)
    w.unit = make_unit()

    w.people = {
        "resident": make_person(community=w.a, grid=w.ga2),
        "party_member": make_person(community=w.a, is_party_member=True),
        "unit_admin": make_person(community=w.a, roles=[("unit_admin", w.unit)]),
        "grid_worker": make_person(community=w.a, grid=w.ga1, roles=[("grid_worker", w.ga1)]),
        "staff": make_person(community=w.a, roles=[("staff", w.a)]),
        "street_admin": make_person(community=w.a, roles=[("street_admin", w.s1)]),
        "supervisor": make_person(community=w.a, roles=[("supervisor", w.a)]),
        "admin": make_person(community=w.a, roles=[("admin", None)]),
    }
    # The party member reported to A and was confirmed: they act as a party member.
    staff_a = actor_of(w.people["staff"])
    pm = w.people["party_member"]
    reg = people_ops.request_registration(actor=actor_of(pm), kind="member", community_id=w.a.id)
    people_ops.decide_registration(actor=staff_a, registration_id=reg.id, confirm=True)

    w.target = {
        "in": make_person(community=w.a, grid=w.ga1),
        "out": make_person(community=w.b, grid=w.gb1),
    }
    member_in = make_person(community=w.a, is_party_member=True)
    member_out = make_person(community=w.b, is_party_member=True)
    w.registration = {
        "in": people_ops.request_registration(actor=actor_of(member_in), kind="member", community_id=w.a.id),
        "out": people_ops.request_registration(
            actor=actor_of(member_out), kind="member", community_id=w.b.id
        ),
    }
    w.grid = {"in": w.ga1, "out": w.gb1}
    w.community = {"in": w.a, "out": w.b}
    return w


_phones = iter(range(10**6))


def _new_phone() -> str:
    return f"186{next(_phones):08d}"


def list_people(api, w, where):
    r = api.get("/api/v1/people", query_string={"per_page": 100})
    return r, [p["id"] for p in r.json["items"]], w.target[where].id


def get_person(api, w, where):
    return api.get(f"/api/v1/people/{w.target[where].id}")


def patch_person(api, w, where):
    return api.patch(f"/api/v1/people/{w.target[where].id}", json={"name": "改过的名字"})


def create_person(api, w, where):
    body = {
        "phone": _new_phone(),
        "name": "新居民",
        "community_id": w.community[where].id,
        "grid_id": w.grid[where].id,
    }
    return api.post("/api/v1/people", json=body)


def grant_role(api, w, where):
    body = {"role": "grid_worker", "node_id": w.grid[where].id}
    return api.post(f"/api/v1/people/{w.target[where].id}/roles", json=body)


def list_registrations(api, w, where):
    r = api.get("/api/v1/registrations", query_string={"per_page": 100})
    return r, [reg["id"] for reg in r.json["items"]], w.registration[where].id


def confirm_registration(api, w, where):
    return api.post(f"/api/v1/registrations/{w.registration[where].id}/confirm", json={})


def create_station(api, w, where):
    body = {"node_id": w.grid[where].id, "kind": "outpost", "name": "骑手驿站"}
    return api.post("/api/v1/stations", json=body)


def list_audit(api, w, where):
    r = api.get("/api/v1/audit", query_string={"per_page": 200, "action": "person.created"})
    # The marker is the entry recording the target's creation, in A or in B.
    return r, [e["target_id"] for e in r.json["items"]], w.target[where].id


def create_node(api, w, where):
    body = {"parent_id": w.community[where].id, "level": "grid", "name": "新网格"}
    return api.post("/api/v1/org/nodes", json=body)


REQUESTS = {fn.__name__: fn for fn in (
    list_people, get_person, patch_person, create_person, grant_role,
    list_registrations, confirm_registration, create_station, list_audit, create_node,
)}  # fmt: skip

CASES = [
    pytest.param(endpoint, role, where, cells[i].split("/")[j], id=f"{endpoint}-{role}-{where}")
    for endpoint, cells in EXPECTED.items()
    for i, role in enumerate(ROLES)
    for j, where in enumerate(("in", "out"))
]


def test_matrix_covers_every_role_and_endpoint():
    assert set(EXPECTED) == set(REQUESTS)
    assert all(len(cells) == len(ROLES) for cells in EXPECTED.values())


@pytest.mark.parametrize(("endpoint", "role", "where", "expected"), CASES)
def test_endpoint_by_role_and_scope(world, api_as, endpoint, role, where, expected):
    api = api_as(world.people[role])
    result = REQUESTS[endpoint](api, world, where)
    if expected in "+-":
        response, ids, marker = result
        assert response.status_code == 200, response.json
        assert (marker in ids) is (expected == "+"), ids
        return
    response = result
    assert response.status_code == int(expected), response.json
    if response.status_code >= 400:
        assert response.mimetype == "application/problem+json"
        assert response.json["code"] == {403: "forbidden", 404: "not_found"}[response.status_code]


SELF_REQUESTS = {
    "get_person": lambda api, me: api.get(f"/api/v1/people/{me.id}"),
    "patch_person": lambda api, me: api.patch(f"/api/v1/people/{me.id}", json={"name": "我自己"}),
    "reset_password": lambda api, me: api.post(f"/api/v1/people/{me.id}/password-reset"),
}


@pytest.mark.parametrize(
    ("endpoint", "role", "expected"),
    [
        pytest.param(endpoint, role, cells[i], id=f"{endpoint}-{role}-self")
        for endpoint, cells in SELF_EXPECTED.items()
        for i, role in enumerate(ROLES)
    ],
)
def test_own_record_by_role(world, api_as, endpoint, role, expected):
    me = world.people[role]
    response = SELF_REQUESTS[endpoint](api_as(me), me)
    assert response.status_code == expected, response.json
