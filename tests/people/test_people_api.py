"""People: create, read, update, move, suspend, unlock, reset a password (spec §1)."""

from __future__ import annotations

from points.db import session
from points.people.models import Person

PASSWORD = "password123"


def new_person(community, grid=None, **extra):
    body = {"phone": "15812345678", "name": "李建国", "community_id": community.id, **extra}
    if grid is not None:
        body["grid_id"] = grid.id
    return body


def log_in(client, phone, password=PASSWORD):
    return client.post("/api/v1/auth/token", json={"phone": phone, "password": password})


# --- create ------------------------------------------------------------------


def test_create_person_by_staff_generates_password_shown_once(client, tree, staff_a, api_as, fresh):
    r = api_as(staff_a).post("/api/v1/people", json=new_person(tree.a, tree.ga1, is_party_member=True))
    assert r.status_code == 201
    body = r.json
    assert body["phone"] == "15812345678"  # staff manage this person: the phone in full
    assert body["community_id"] == tree.a.id
    assert body["grid_id"] == tree.ga1.id
    assert body["is_party_member"] is True
    assert len(body["initial_password"]) >= 8
    assert log_in(client, "15812345678", body["initial_password"]).status_code == 201
    stored = fresh(Person, body["id"])
    assert body["initial_password"] not in stored.password_hash
    assert stored.password_hash.startswith("$argon2")
    again = api_as(staff_a).get(f"/api/v1/people/{body['id']}")
    assert "initial_password" not in again.json


def test_create_person_with_password_returns_none(client, tree, staff_a, api_as):
    r = api_as(staff_a).post("/api/v1/people", json=new_person(tree.a, password="chosen-password"))
    assert r.status_code == 201
    assert "initial_password" not in r.json
    assert log_in(client, "15812345678", "chosen-password").status_code == 201


def test_create_person_short_password_is_422(tree, staff_a, api_as):
    r = api_as(staff_a).post("/api/v1/people", json=new_person(tree.a, password="short"))
    assert r.status_code == 422
    assert "password" in r.json["errors"]


def test_create_person_duplicate_phone_is_409(tree, staff_a, make_person, api_as):
    existing = make_person(community=tree.b)
    r = api_as(staff_a).post("/api/v1/people", json={**new_person(tree.a), "phone": existing.phone})
    assert r.status_code == 409
    assert r.mimetype == "application/problem+json"
    assert r.json["code"] == "duplicate"


def test_create_person_grid_of_other_community_is_422(tree, staff_a, api_as):
    r = api_as(staff_a).post("/api/v1/people", json=new_person(tree.a, tree.ga3))
    assert r.status_code == 422
    assert r.json["code"] == "invalid_grid"


def test_create_person_community_not_a_community_is_422(tree, staff_a, api_as):
    r = api_as(staff_a).post("/api/v1/people", json=new_person(tree.ga1))
    assert r.status_code == 422
    assert r.json["code"] == "invalid_community"


def test_create_person_outside_scope_is_404(tree, staff_a, api_as):
    r = api_as(staff_a).post("/api/v1/people", json=new_person(tree.b, tree.gb1))
    assert r.status_code == 404
    assert session().exec(Person.__table__.select().where(Person.phone == "15812345678")).first() is None


def test_create_person_by_street_admin_in_any_community_of_street(tree, make_person, api_as):
    street = make_person(community=tree.a, roles=[("street_admin", tree.s1)])
    assert api_as(street).post("/api/v1/people", json=new_person(tree.a2, tree.ga3)).status_code == 201
    r = api_as(street).post("/api/v1/people", json={**new_person(tree.b), "phone": "15812345679"})
    assert r.status_code == 404


def test_create_person_by_grid_worker_is_403(tree, make_person, api_as):
    worker = make_person(grid=tree.ga1, roles=[("grid_worker", tree.ga1)])
    assert api_as(worker).post("/api/v1/people", json=new_person(tree.a, tree.ga1)).status_code == 403


# --- read --------------------------------------------------------------------


def test_get_person_masks_phone_for_readers_who_do_not_manage(tree, make_person, api_as):
    target = make_person(grid=tree.ga1)
    supervisor = make_person(community=tree.a, roles=[("supervisor", tree.a)])
    worker = make_person(grid=tree.ga1, roles=[("grid_worker", tree.ga1)])
    staff = make_person(community=tree.a, roles=[("staff", tree.a)])
    masked = target.phone[:3] + "****" + target.phone[-4:]
    assert api_as(supervisor).get(f"/api/v1/people/{target.id}").json["phone"] == masked
    assert api_as(worker).get(f"/api/v1/people/{target.id}").json["phone"] == masked
    assert api_as(staff).get(f"/api/v1/people/{target.id}").json["phone"] == target.phone
    assert api_as(target).get(f"/api/v1/people/{target.id}").json["phone"] == target.phone


def test_get_person_self_is_200_others_404(tree, make_person, api_as):
    me = make_person(community=tree.a)
    neighbour = make_person(community=tree.a)
    api = api_as(me)
    assert api.get(f"/api/v1/people/{me.id}").status_code == 200
    assert api.get(f"/api/v1/people/{neighbour.id}").status_code == 404
    assert api.get("/api/v1/people/987654321").status_code == 404


def test_list_people_is_scoped_and_masked(tree, make_person, api_as):
    in_grid = make_person(grid=tree.ga1)
    in_other_grid = make_person(grid=tree.ga2)
    elsewhere = make_person(grid=tree.gb1)
    worker = make_person(grid=tree.ga1, roles=[("grid_worker", tree.ga1)])
    r = api_as(worker).get("/api/v1/people")
    assert r.status_code == 200
    ids = {p["id"] for p in r.json["items"]}
    assert {in_grid.id, worker.id} <= ids
    assert not ids & {in_other_grid.id, elsewhere.id}
    assert all("****" in p["phone"] for p in r.json["items"] if p["id"] != worker.id)
    assert r.json["total"] == len(ids)


def test_list_people_filters_and_pages(tree, make_person, api_as):
    street = make_person(community=tree.a, roles=[("street_admin", tree.s1)])
    wanted = make_person(community=tree.a2, name="赵志刚")
    make_person(community=tree.a2)
    api = api_as(street)
    by_community = api.get("/api/v1/people", query_string={"community_id": tree.a2.id}).json
    assert by_community["total"] == 2
    by_name = api.get("/api/v1/people", query_string={"q": "志刚"}).json
    assert [p["id"] for p in by_name["items"]] == [wanted.id]
    by_phone = api.get("/api/v1/people", query_string={"q": wanted.phone[-6:]}).json
    assert [p["id"] for p in by_phone["items"]] == [wanted.id]
    first = api.get("/api/v1/people", query_string={"per_page": 1})
    paged = api.get("/api/v1/people", query_string={"per_page": 1, "cursor": first.json["next_cursor"]})
    assert (paged.json["per_page"], len(paged.json["items"]), paged.json["total"]) == (1, 1, 3)
    assert paged.json["items"][0]["id"] > first.json["items"][0]["id"]
    assert 'rel="next"' in first.headers["Link"] and 'rel="prev"' in paged.headers["Link"]
    assert api.get("/api/v1/people", query_string={"per_page": 1000}).status_code == 422


# --- update and move ---------------------------------------------------------


def test_update_person_renames_and_flags(tree, staff_a, make_person, api_as):
    target = make_person(community=tree.a)
    r = api_as(staff_a).patch(
        f"/api/v1/people/{target.id}", json={"name": " 新名字 ", "is_party_member": True}
    )
    assert r.status_code == 200
    assert r.json["name"] == "新名字"
    assert r.json["is_party_member"] is True


def test_update_person_empty_patch_changes_nothing(tree, staff_a, make_person, api_as):
    target = make_person(community=tree.a, name="原名")
    r = api_as(staff_a).patch(f"/api/v1/people/{target.id}", json={})
    assert r.status_code == 200
    assert r.json["name"] == "原名"


def test_update_person_bad_fields_are_422(tree, staff_a, make_person, api_as):
    target = make_person(community=tree.a)
    api = api_as(staff_a)
    assert api.patch(f"/api/v1/people/{target.id}", json={"name": ""}).status_code == 422
    assert api.patch(f"/api/v1/people/{target.id}", json={"name": "   "}).status_code == 422
    assert api.patch(f"/api/v1/people/{target.id}", json={"phone": "13800000000"}).status_code == 422
    assert api.patch(f"/api/v1/people/{target.id}", json={"is_suspended": "perhaps"}).status_code == 422


def test_update_person_moves_within_community(tree, staff_a, make_person, api_as):
    target = make_person(grid=tree.ga1)
    r = api_as(staff_a).patch(f"/api/v1/people/{target.id}", json={"grid_id": tree.ga2.id})
    assert r.status_code == 200
    assert (r.json["community_id"], r.json["grid_id"]) == (tree.a.id, tree.ga2.id)


def test_update_person_grid_of_other_community_is_422(tree, staff_a, make_person, api_as, fresh):
    target_id = make_person(grid=tree.ga1).id
    r = api_as(staff_a).patch(f"/api/v1/people/{target_id}", json={"grid_id": tree.ga3.id})
    assert r.status_code == 422
    assert r.json["code"] == "invalid_grid"
    assert fresh(Person, target_id).grid_id == tree.ga1.id


def test_update_person_move_outside_scope_is_404_and_changes_nothing(
    tree, staff_a, make_person, api_as, fresh
):
    target_id = make_person(grid=tree.ga1).id
    r = api_as(staff_a).patch(f"/api/v1/people/{target_id}", json={"community_id": tree.b.id})
    assert r.status_code == 404
    person = fresh(Person, target_id)
    assert (person.community_id, person.grid_id) == (tree.a.id, tree.ga1.id)


def test_update_person_street_admin_moves_across_communities(tree, make_person, api_as):
    street = make_person(community=tree.a, roles=[("street_admin", tree.s1)])
    target = make_person(grid=tree.ga1)
    staff_a = make_person(community=tree.a, roles=[("staff", tree.a)])
    r = api_as(street).patch(f"/api/v1/people/{target.id}", json={"community_id": tree.a2.id})
    assert r.status_code == 200
    # The old grid does not belong to the new community: it is cleared.
    assert (r.json["community_id"], r.json["grid_id"]) == (tree.a2.id, None)
    assert api_as(staff_a).get(f"/api/v1/people/{target.id}").status_code == 404


def test_update_person_by_resident_of_self_is_403(tree, make_person, api_as):
    me = make_person(community=tree.a)
    r = api_as(me).patch(f"/api/v1/people/{me.id}", json={"name": "自己改"})
    assert r.status_code == 403


# --- suspend -----------------------------------------------------------------


def test_suspend_person_by_staff(client, tree, staff_a, make_person, api_as):
    target = make_person(community=tree.a)
    r = api_as(staff_a).patch(f"/api/v1/people/{target.id}", json={"is_suspended": True})
    assert r.status_code == 200
    assert r.json["is_suspended"] is True
    assert log_in(client, target.phone).json["code"] == "account_suspended"


def test_suspend_person_cannot_suspend_self(tree, staff_a, api_as, fresh):
    r = api_as(staff_a).patch(f"/api/v1/people/{staff_a.id}", json={"is_suspended": True})
    assert r.status_code == 422
    assert r.json["code"] == "cannot_suspend_self"
    assert fresh(Person, staff_a.id).is_suspended is False


def test_suspend_person_holding_higher_role_is_403(tree, staff_a, make_person, api_as):
    street = make_person(community=tree.a, roles=[("street_admin", tree.s1)])
    admin = make_person(community=tree.a, roles=[("admin", None)])
    api = api_as(staff_a)
    for target in (street, admin):
        r = api.patch(f"/api/v1/people/{target.id}", json={"is_suspended": True})
        assert r.status_code == 403, target
    assert (
        api_as(street).patch(f"/api/v1/people/{staff_a.id}", json={"is_suspended": True}).status_code == 200
    )


def test_suspend_person_outside_scope_is_404(tree, staff_a, make_person, api_as):
    target = make_person(community=tree.b)
    assert (
        api_as(staff_a).patch(f"/api/v1/people/{target.id}", json={"is_suspended": True}).status_code == 404
    )


# --- password reset ----------------------------------------------------------


def test_reset_password_returns_working_one_time_password(client, tree, staff_a, make_person, api_as):
    target = make_person(community=tree.a)
    phone = target.phone
    r = api_as(staff_a).post(f"/api/v1/people/{target.id}/password-reset")
    assert r.status_code == 200
    new_password = r.json["initial_password"]
    assert len(new_password) >= 8
    assert r.json["phone"] == phone
    assert log_in(client, phone).status_code == 401
    assert log_in(client, phone, new_password).status_code == 201


def test_reset_password_twice_gives_different_passwords(tree, staff_a, make_person, api_as):
    target = make_person(community=tree.a)
    api = api_as(staff_a)
    first = api.post(f"/api/v1/people/{target.id}/password-reset").json["initial_password"]
    second = api.post(f"/api/v1/people/{target.id}/password-reset").json["initial_password"]
    assert first != second


def test_reset_password_clears_lock(app, client, tree, staff_a, make_person, api_as):
    target = make_person(community=tree.a)
    phone = target.phone
    api = api_as(staff_a)
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        log_in(client, phone, "wrong-password")
    assert log_in(client, phone).status_code == 423
    new_password = api.post(f"/api/v1/people/{target.id}/password-reset").json["initial_password"]
    assert log_in(client, phone, new_password).status_code == 201


def test_reset_password_scope_and_role(tree, make_person, api_as):
    target = make_person(grid=tree.ga1)
    worker = make_person(grid=tree.ga1, roles=[("grid_worker", tree.ga1)])
    staff_b = make_person(community=tree.b, roles=[("staff", tree.b)])
    assert api_as(worker).post(f"/api/v1/people/{target.id}/password-reset").status_code == 403
    assert api_as(staff_b).post(f"/api/v1/people/{target.id}/password-reset").status_code == 404
    assert api_as(target).post(f"/api/v1/people/{target.id}/password-reset").status_code == 403


def test_reset_password_of_higher_role_is_403(tree, staff_a, make_person, api_as):
    # Staff could otherwise take over an admin who lives in their community.
    admin = make_person(community=tree.a, roles=[("admin", None)])
    street = make_person(community=tree.a, roles=[("street_admin", tree.s1)])
    supervisor = make_person(community=tree.a, roles=[("supervisor", tree.a)])
    peer = make_person(community=tree.a, roles=[("staff", tree.a)])
    api = api_as(staff_a)
    # A peer counts too: resetting a fellow staff member's password would give one person two
    # staff accounts, enough to approve their own requests.
    for target in (admin, street, supervisor, peer):
        assert api.post(f"/api/v1/people/{target.id}/password-reset").status_code == 403
    assert api_as(street).post(f"/api/v1/people/{peer.id}/password-reset").status_code == 200
    assert api_as(admin).post(f"/api/v1/people/{street.id}/password-reset").status_code == 200


def test_reset_password_of_unit_admin_needs_global_admin(tree, staff_a, make_person, make_unit, api_as):
    unit = make_unit()
    unit_admin = make_person(community=tree.a, roles=[("unit_admin", unit)])
    admin = make_person(community=tree.b, roles=[("admin", None)])
    assert api_as(staff_a).post(f"/api/v1/people/{unit_admin.id}/password-reset").status_code == 403
    assert api_as(admin).post(f"/api/v1/people/{unit_admin.id}/password-reset").status_code == 200
