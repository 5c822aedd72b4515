"""`/api/v1/me`: the caller's profile, roles, party-member status and balances in one answer."""

from __future__ import annotations


def test_me_shows_roles_and_party_status(tree, make_person, api_as):
    person = make_person(community=tree.a, roles=[("staff", tree.a)], is_party_member=True)
    me = api_as(person).get("/api/v1/me").json
    assert me["id"] == person.id
    assert [(r["role"], r["node_id"], r["node_name"]) for r in me["roles"]] == [
        ("staff", tree.a.id, tree.a.name)
    ]
    assert me["party"] == {
        "is_party_member": True,
        "acts_as_party_member": False,
        "registration_id": None,
        "registration_status": None,
        "community_id": None,
    }


def test_me_shows_profile_and_balances(town, api_as):
    me = api_as(town.resident).get("/api/v1/me").json
    assert (me["name"], me["phone"], me["community_id"], me["grid_id"], me["work_unit_id"]) == (
        "赵秀英",
        town.resident.phone,
        town.community.id,
        town.grid.id,
        None,
    )
    assert me["roles"] == []
    empty = {"posted": 0, "pending_in": 0, "pending_out": 0, "available": 0}
    assert me["balances"] == {"hongsong": empty, "xingan": empty}


def test_me_shows_a_confirmed_registration(town, api_as):
    party = api_as(town.member).get("/api/v1/me").json["party"]
    assert party["acts_as_party_member"] is True
    assert (party["registration_status"], party["community_id"]) == ("confirmed", town.community.id)


def test_me_names_a_unit_admin_grant_by_its_unit(town, api_as):
    [role] = api_as(town.unit_admin).get("/api/v1/me").json["roles"]
    assert (role["role"], role["unit_id"], role["unit_name"], role["node_id"]) == (
        "unit_admin",
        town.unit.id,
        town.unit.name,
        None,
    )


def test_me_needs_a_token(client):
    r = client.get("/api/v1/me")
    assert r.status_code == 401 and r.json["code"] == "unauthorized"
