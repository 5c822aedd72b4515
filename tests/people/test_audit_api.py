"""The audit log: written by every change to people, roles and registrations; read within scope."""

from __future__ import annotations

from points.people import operations


def entries(api, **query):
    r = api.get("/api/v1/audit", query_string={"per_page": 200, **query})
    assert r.status_code == 200, r.json
    return r.json["items"]


def actions(api, **query):
    return [(e["action"], e["target_id"]) for e in entries(api, **query)]


def test_audit_records_people_and_role_changes(tree, staff_a, api_as):
    api = api_as(staff_a)
    created = api.post(
        "/api/v1/people", json={"phone": "15900000001", "name": "孙丽", "community_id": tree.a.id}
    ).json
    pid = created["id"]
    api.patch(f"/api/v1/people/{pid}", json={"name": "孙丽华"})
    api.post(f"/api/v1/people/{pid}/password-reset")
    api.post(f"/api/v1/people/{pid}/unlock")
    grant = api.post(f"/api/v1/people/{pid}/roles", json={"role": "grid_worker", "node_id": tree.ga1.id}).json
    api.delete(f"/api/v1/people/{pid}/roles/{grant['id']}")

    mine = [e for e in entries(api) if e["target_type"] == "person" and e["target_id"] == pid]
    assert [e["action"] for e in mine] == [
        "role.revoked",
        "role.granted",
        "person.unlocked",
        "person.password_reset",
        "person.updated",
        "person.created",
    ]
    assert all(e["actor_id"] == staff_a.id for e in mine)
    assert mine[4]["detail"] == {"name": "孙丽华"}
    assert mine[1]["detail"] == {"role": "grid_worker"}
    # The new password itself is never written down.
    assert all(created.get("initial_password", "@") not in str(e["detail"]) for e in mine)


def test_audit_records_registration_decisions(tree, staff_a, make_person, api_as):
    member = make_person(community=tree.a, is_party_member=True)
    reg = (
        api_as(member).post("/api/v1/registrations", json={"kind": "member", "community_id": tree.a.id}).json
    )
    api_as(staff_a).post(f"/api/v1/registrations/{reg['id']}/decline", json={"note": "信息不全"})
    reg2 = (
        api_as(member).post("/api/v1/registrations", json={"kind": "member", "community_id": tree.a.id}).json
    )
    api_as(staff_a).post(f"/api/v1/registrations/{reg2['id']}/confirm", json={})
    api_as(member).post(f"/api/v1/registrations/{reg2['id']}/withdraw")
    found = [
        (e["action"], e["target_id"], e["actor_id"], e["node_id"])
        for e in entries(api_as(staff_a))
        if e["target_type"] == "registration"
    ]
    assert found == [
        ("registration.withdrawn", reg2["id"], member.id, tree.a.id),
        ("registration.confirmed", reg2["id"], staff_a.id, tree.a.id),
        ("registration.requested", reg2["id"], member.id, tree.a.id),
        ("registration.declined", reg["id"], staff_a.id, tree.a.id),
        ("registration.requested", reg["id"], member.id, tree.a.id),
    ]
    declined = next(e for e in entries(api_as(staff_a)) if e["action"] == "registration.declined")
    assert declined["detail"] == {"note": "信息不全"}


def test_audit_refused_request_writes_nothing(tree, staff_a, make_person, api_as):
    target = make_person(community=tree.b)
    api = api_as(staff_a)
    before = len(entries(api))
    assert api.patch(f"/api/v1/people/{target.id}", json={"name": "不该改"}).status_code == 404
    assert (
        api.post(
            "/api/v1/people", json={"phone": "15900000002", "name": "甲", "community_id": tree.b.id}
        ).status_code
        == 404
    )
    assert len(entries(api)) == before


def test_audit_staff_see_only_their_community(tree, staff_a, staff_b, make_person, api_as):
    in_a = make_person(community=tree.a)
    in_a2 = make_person(community=tree.a2)
    in_b = make_person(community=tree.b)
    street = make_person(community=tree.a, roles=[("street_admin", tree.s1)])
    supervisor = make_person(community=tree.b, roles=[("supervisor", tree.b)])
    admin = make_person(community=tree.b, roles=[("admin", None)])

    def created(person):
        return {tid for action, tid in actions(api_as(person), action="person.created")}

    assert {in_a.id} <= created(staff_a)
    assert not created(staff_a) & {in_a2.id, in_b.id}
    assert {in_b.id} <= created(staff_b)
    assert in_a.id not in created(staff_b)
    assert {in_a.id, in_a2.id} <= created(street)
    assert in_b.id not in created(street)
    assert {in_b.id} <= created(supervisor)
    assert in_a.id not in created(supervisor)
    assert {in_a.id, in_a2.id, in_b.id} <= created(admin)
    # Every entry a staff member of A reads lies in A.
    assert {e["node_id"] for e in entries(api_as(staff_a))} <= {tree.a.id, tree.ga1.id, tree.ga2.id}


def test_audit_resident_sees_only_own_entries(tree, staff_a, make_person, api_as, actor_of):
    me = make_person(community=tree.a, is_party_member=True)
    neighbour = make_person(community=tree.a, is_party_member=True)
    mine = operations.request_registration(actor=actor_of(me), kind="member", community_id=tree.a.id)
    theirs = operations.request_registration(actor=actor_of(neighbour), kind="member", community_id=tree.a.id)
    operations.update_person(actor=actor_of(staff_a), person_id=me.id, changes={"name": "新名"})
    seen = entries(api_as(me))
    assert ("registration.requested", mine.id) in [(e["action"], e["target_id"]) for e in seen]
    assert ("person.updated", me.id) in [(e["action"], e["target_id"]) for e in seen]
    assert theirs.id not in [e["target_id"] for e in seen if e["target_type"] == "registration"]
    assert all(
        e["actor_id"] == me.id or (e["target_type"] == "person" and e["target_id"] == me.id) for e in seen
    )


def test_audit_grid_worker_sees_only_own_entries(tree, make_person, api_as):
    worker = make_person(grid=tree.ga1, roles=[("grid_worker", tree.ga1)])
    neighbour = make_person(grid=tree.ga1)
    seen = entries(api_as(worker))
    assert neighbour.id not in [e["target_id"] for e in seen]
    assert {e["target_id"] for e in seen if e["target_type"] == "person"} == {worker.id}


def test_audit_unit_admin_sees_unit_entries(tree, staff_a, make_person, make_unit, api_as):
    unit, other = make_unit(), make_unit()
    unit_admin = make_person(community=tree.b, roles=[("unit_admin", unit)])
    other_admin = make_person(community=tree.b, roles=[("unit_admin", other)])
    reg = (
        api_as(other_admin)
        .post("/api/v1/registrations", json={"kind": "unit", "unit_id": other.id, "community_id": tree.a.id})
        .json
    )
    api_as(staff_a).post(f"/api/v1/registrations/{reg['id']}/confirm", json={})
    seen = entries(api_as(unit_admin))
    assert all(e["unit_id"] in (None, unit.id) for e in seen)
    assert ("registration.confirmed", reg["id"]) in actions(api_as(other_admin))


def test_audit_filters_by_action_and_node(tree, staff_a, make_person, api_as):
    street = make_person(community=tree.a, roles=[("street_admin", tree.s1)])
    make_person(community=tree.a2)
    api = api_as(street)
    only_a2 = entries(api, node_id=tree.a2.id)
    assert only_a2
    assert {e["node_id"] for e in only_a2} == {tree.a2.id}
    assert {e["action"] for e in entries(api, action="person.created")} == {"person.created"}
    assert entries(api, node_id=tree.b.id) == []


def test_audit_pages(tree, staff_a, make_person, api_as):
    for _ in range(3):
        make_person(community=tree.a)
    api = api_as(staff_a)
    r = api.get("/api/v1/audit", query_string={"per_page": 2}).json
    assert (len(r["items"]), r["per_page"], r["prev_cursor"]) == (2, 2, None)
    assert r["total"] >= 4 and not r["total_capped"]
    ids = [e["id"] for e in r["items"]]
    assert ids == sorted(ids, reverse=True)  # newest first
    following = api.get("/api/v1/audit", query_string={"per_page": 2, "cursor": r["next_cursor"]}).json
    assert following["items"][0]["id"] < ids[-1]
    assert api.get("/api/v1/audit", query_string={"per_page": 500}).status_code == 422
