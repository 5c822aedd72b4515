"""双报到: party members and units report to a community; its staff decide."""

from __future__ import annotations

import re

import pytest

from points.people import operations
from points.people.models import Registration

PASSWORD = "password123"


def register(api, community, **extra):
    return api.post("/api/v1/registrations", json={"kind": "member", "community_id": community.id, **extra})


def decide(api, registration_id, decision, note=None):
    body = {} if note is None else {"note": note}
    return api.post(f"/api/v1/registrations/{registration_id}/{decision}", json=body)


@pytest.fixture
def member(tree, make_person):
    return make_person(community=tree.a, is_party_member=True, name="党员老周")


# --- member registrations ----------------------------------------------------


def test_request_registration_then_confirm_makes_acting_party_member(tree, member, staff_a, api_as):
    mine = api_as(member)
    r = register(mine, tree.a, note="在职党员，报到")
    assert r.status_code == 201
    reg = r.json
    assert (reg["kind"], reg["status"], reg["person_id"], reg["community_id"]) == (
        "member",
        "pending",
        member.id,
        tree.a.id,
    )
    party = mine.get("/api/v1/me").json["party"]
    assert (party["registration_status"], party["acts_as_party_member"]) == ("pending", False)

    confirmed = decide(api_as(staff_a), reg["id"], "confirm")
    assert confirmed.status_code == 200
    assert confirmed.json["status"] == "confirmed"
    assert confirmed.json["decided_by_id"] == staff_a.id
    assert confirmed.json["decided_at"]

    party = mine.get("/api/v1/me").json["party"]
    assert party == {
        "is_party_member": True,
        "acts_as_party_member": True,
        "registration_id": reg["id"],
        "registration_status": "confirmed",
        "community_id": tree.a.id,
    }


def test_request_registration_to_another_community_than_home(tree, member, make_person, api_as):
    # In-service members report where they live or serve; staff there decide.
    street = make_person(community=tree.b, roles=[("street_admin", tree.s1)])
    reg = register(api_as(member), tree.a2).json
    assert decide(api_as(street), reg["id"], "confirm").json["status"] == "confirmed"


def test_request_registration_not_party_member_is_422(tree, make_person, api_as):
    resident = make_person(community=tree.a)
    r = register(api_as(resident), tree.a)
    assert r.status_code == 422
    assert r.json["code"] == "not_party_member"


def test_request_registration_to_grid_or_street_is_422(tree, member, api_as):
    api = api_as(member)
    for node in (tree.ga1, tree.s1):
        r = register(api, node)
        assert r.status_code == 422
        assert r.json["code"] == "invalid_community"


def test_request_registration_bad_body_is_422(tree, member, api_as):
    api = api_as(member)
    assert api.post("/api/v1/registrations", json={"community_id": tree.a.id}).status_code == 422
    assert register(api, tree.a, kind="family").status_code == 422
    assert register(api, tree.a, note="x" * 501).status_code == 422


def test_request_registration_second_live_is_409(tree, member, staff_a, api_as):
    api = api_as(member)
    first = register(api, tree.a).json
    r = register(api, tree.b)
    assert r.status_code == 409
    assert r.json["code"] == "already_registered"
    decide(api_as(staff_a), first["id"], "confirm")
    assert register(api, tree.a2).json["code"] == "already_registered"


def test_confirm_registration_by_staff_of_other_community_is_404(tree, member, staff_b, api_as, fresh):
    reg = register(api_as(member), tree.a).json
    r = decide(api_as(staff_b), reg["id"], "confirm")
    assert r.status_code == 404
    assert api_as(staff_b).get(f"/api/v1/registrations/{reg['id']}").status_code == 404
    assert fresh(Registration, reg["id"]).status == "pending"


def test_confirm_registration_roles_without_right(tree, member, make_person, api_as, fresh):
    reg = register(api_as(member), tree.a).json
    supervisor = make_person(community=tree.a, roles=[("supervisor", tree.a)])
    worker = make_person(grid=tree.ga1, roles=[("grid_worker", tree.ga1)])
    assert decide(api_as(supervisor), reg["id"], "confirm").status_code == 403
    # A grid worker's grant covers the grid, not the community the registration belongs to.
    assert decide(api_as(worker), reg["id"], "confirm").status_code == 404
    # The member sees their own registration: refused, not hidden.
    assert decide(api_as(member), reg["id"], "confirm").status_code == 403
    assert fresh(Registration, reg["id"]).status == "pending"


def test_confirm_registration_own_as_staff_is_403(tree, make_person, api_as):
    staff_member = make_person(community=tree.a, roles=[("staff", tree.a)], is_party_member=True)
    api = api_as(staff_member)
    reg = register(api, tree.a).json
    r = decide(api, reg["id"], "confirm")
    assert r.status_code == 403
    assert r.json["code"] == "self_approval"


def test_confirm_registration_twice_is_409(tree, member, staff_a, api_as):
    reg = register(api_as(member), tree.a).json
    api = api_as(staff_a)
    assert decide(api, reg["id"], "confirm").status_code == 200
    r = decide(api, reg["id"], "confirm")
    assert r.status_code == 409
    assert r.json["code"] == "not_pending"
    assert decide(api, reg["id"], "decline", "晚了").json["code"] == "not_pending"


def test_confirm_registration_unknown_is_404(staff_a, api_as):
    r = decide(api_as(staff_a), 987654321, "confirm")
    assert r.status_code == 404
    assert r.json["code"] == "registration_not_found"


def test_decline_registration_needs_reason(tree, member, staff_a, api_as):
    reg = register(api_as(member), tree.a).json
    api = api_as(staff_a)
    for note in (None, "", "   "):
        r = decide(api, reg["id"], "decline", note)
        assert r.status_code == 422
        assert r.json["code"] == "reason_required"
        assert "note" in r.json["errors"]
    r = decide(api, reg["id"], "decline", "不在本社区居住")
    assert r.status_code == 200
    assert (r.json["status"], r.json["decision_note"]) == ("declined", "不在本社区居住")
    party = api_as(member).get("/api/v1/me").json["party"]
    assert (party["acts_as_party_member"], party["registration_id"]) == (False, None)
    # A declined registration is no longer live: the member may report again.
    assert register(api_as(member), tree.a2).status_code == 201


def test_withdraw_registration(tree, member, staff_a, api_as):
    mine = api_as(member)
    reg = register(mine, tree.a).json
    decide(api_as(staff_a), reg["id"], "confirm")
    r = mine.post(f"/api/v1/registrations/{reg['id']}/withdraw")
    assert r.status_code == 200
    assert r.json["status"] == "withdrawn"
    assert mine.get("/api/v1/me").json["party"]["acts_as_party_member"] is False
    again = mine.post(f"/api/v1/registrations/{reg['id']}/withdraw")
    assert again.status_code == 409
    assert again.json["code"] == "not_live"
    assert register(mine, tree.a).status_code == 201


def test_withdraw_registration_by_others(tree, member, staff_a, make_person, api_as, fresh):
    reg = register(api_as(member), tree.a).json
    stranger = make_person(community=tree.a)
    assert api_as(stranger).post(f"/api/v1/registrations/{reg['id']}/withdraw").status_code == 404
    # Staff see it, so they are refused rather than told it does not exist.
    assert api_as(staff_a).post(f"/api/v1/registrations/{reg['id']}/withdraw").status_code == 403
    assert fresh(Registration, reg["id"]).status == "pending"


def test_acts_as_party_member_needs_the_flag(tree, member, staff_a, actor_of):
    reg = operations.request_registration(actor=actor_of(member), kind="member", community_id=tree.a.id)
    operations.decide_registration(actor=actor_of(staff_a), registration_id=reg.id, confirm=True)
    from points.people.queries import acts_as_party_member

    assert acts_as_party_member(member) is True
    member.is_party_member = False
    assert acts_as_party_member(member) is False


# --- unit registrations ------------------------------------------------------


def test_request_registration_for_unit_by_unit_admin(tree, make_person, make_unit, staff_a, api_as):
    unit = make_unit()
    unit_admin = make_person(community=tree.b, roles=[("unit_admin", unit)])
    api = api_as(unit_admin)
    r = api.post(
        "/api/v1/registrations", json={"kind": "unit", "community_id": tree.a.id, "unit_id": unit.id}
    )
    assert r.status_code == 201
    assert (r.json["kind"], r.json["unit_id"], r.json["person_id"]) == ("unit", unit.id, None)
    assert decide(api_as(staff_a), r.json["id"], "confirm").json["status"] == "confirmed"
    # The same unit to the same community again is refused; to another community it is fine.
    again = api.post(
        "/api/v1/registrations", json={"kind": "unit", "community_id": tree.a.id, "unit_id": unit.id}
    )
    assert again.json["code"] == "already_registered"
    other = api.post(
        "/api/v1/registrations", json={"kind": "unit", "community_id": tree.b.id, "unit_id": unit.id}
    )
    assert other.status_code == 201
    # The unit admin sees and may withdraw the unit's registrations.
    listed = {reg["id"] for reg in api.get("/api/v1/registrations").json["items"]}
    assert listed == {r.json["id"], other.json["id"]}
    assert api.post(f"/api/v1/registrations/{other.json['id']}/withdraw").json["status"] == "withdrawn"


def test_request_registration_for_unit_by_others_is_403(tree, make_person, make_unit, api_as):
    unit, other_unit = make_unit(), make_unit()
    other_admin = make_person(community=tree.a, roles=[("unit_admin", other_unit)])
    resident = make_person(community=tree.a)
    body = {"kind": "unit", "community_id": tree.a.id, "unit_id": unit.id}
    assert api_as(other_admin).post("/api/v1/registrations", json=body).status_code == 403
    assert api_as(resident).post("/api/v1/registrations", json=body).status_code == 403


def test_request_registration_for_unit_without_unit_is_422(tree, make_person, make_unit, api_as):
    unit_admin = make_person(community=tree.a, roles=[("unit_admin", make_unit())])
    r = api_as(unit_admin).post("/api/v1/registrations", json={"kind": "unit", "community_id": tree.a.id})
    assert r.status_code == 422
    assert "unit_id" in r.json["errors"]


# --- listing -----------------------------------------------------------------


def test_list_registrations_is_scoped(tree, make_person, staff_a, staff_b, api_as, actor_of):
    in_a = make_person(community=tree.a, is_party_member=True)
    in_a2 = make_person(community=tree.a2, is_party_member=True)
    in_b = make_person(community=tree.b, is_party_member=True)
    regs = {
        p.id: operations.request_registration(
            actor=actor_of(p), kind="member", community_id=p.community_id
        ).id
        for p in (in_a, in_a2, in_b)
    }
    street = make_person(community=tree.a, roles=[("street_admin", tree.s1)])

    def listed(person, **query):
        r = api_as(person).get("/api/v1/registrations", query_string=query)
        assert r.status_code == 200
        return {reg["id"] for reg in r.json["items"]}

    assert listed(staff_a) == {regs[in_a.id]}
    assert listed(staff_b) == {regs[in_b.id]}
    assert listed(street) == {regs[in_a.id], regs[in_a2.id]}
    assert listed(street, community_id=tree.a2.id) == {regs[in_a2.id]}
    assert listed(in_a) == {regs[in_a.id]}
    assert listed(in_a2) == {regs[in_a2.id]}
    assert listed(staff_a, status="confirmed") == set()
    assert listed(staff_a, kind="unit") == set()
    assert api_as(staff_a).get("/api/v1/registrations", query_string={"status": "lost"}).status_code == 422


def test_get_registration_visible_to_subject_and_scope(tree, member, staff_a, make_person, api_as):
    reg = register(api_as(member), tree.a).json
    assert api_as(member).get(f"/api/v1/registrations/{reg['id']}").status_code == 200
    assert api_as(staff_a).get(f"/api/v1/registrations/{reg['id']}").status_code == 200
    assert api_as(make_person(community=tree.a)).get(f"/api/v1/registrations/{reg['id']}").status_code == 404


# --- the page ----------------------------------------------------------------


def page_login(client, person):
    r = client.post("/login", data={"phone": person.phone, "password": PASSWORD})
    assert r.status_code == 302


def test_registrations_page_lists_pending_and_confirms_via_form(
    client, tree, member, staff_a, save, actor_of, fresh
):
    reg = operations.request_registration(actor=actor_of(member), kind="member", community_id=tree.a.id)
    reg_id, phone = reg.id, member.phone
    save()
    page_login(client, staff_a)
    html = client.get("/registrations").get_data(as_text=True)
    assert "党员老周" in html
    assert phone not in html  # masked
    assert phone[:3] + "****" + phone[-4:] in html
    action = f"/registrations/{reg_id}/confirm"
    assert f'action="{action}"' in html

    r = client.post(action)
    assert r.status_code == 302
    assert r.headers["Location"] == "/registrations"
    assert "已确认报到" in client.get("/registrations").get_data(as_text=True)
    assert fresh(Registration, reg_id).status == "confirmed"
    assert "党员老周" in client.get("/registrations?status=confirmed").get_data(as_text=True)


def test_registrations_page_decline_without_reason_flashes_error(
    client, tree, member, staff_a, save, actor_of, fresh
):
    reg_id = operations.request_registration(actor=actor_of(member), kind="member", community_id=tree.a.id).id
    save()
    page_login(client, staff_a)
    client.post(f"/registrations/{reg_id}/decline", data={"note": ""})
    assert "拒绝时请填写原因" in client.get("/registrations").get_data(as_text=True)
    assert fresh(Registration, reg_id).status == "pending"
    client.post(f"/registrations/{reg_id}/decline", data={"note": "已迁出"})
    assert fresh(Registration, reg_id).status == "declined"


def test_registrations_page_other_community_cannot_see_or_decide(
    client, tree, member, staff_b, save, actor_of, fresh
):
    reg_id = operations.request_registration(actor=actor_of(member), kind="member", community_id=tree.a.id).id
    save()
    page_login(client, staff_b)
    assert "党员老周" not in client.get("/registrations").get_data(as_text=True)
    client.post(f"/registrations/{reg_id}/confirm")
    assert fresh(Registration, reg_id).status == "pending"


def test_registrations_page_member_sees_own_without_buttons(client, tree, member, save, actor_of):
    reg_id = operations.request_registration(actor=actor_of(member), kind="member", community_id=tree.a.id).id
    save()
    page_login(client, member)
    html = client.get("/registrations").get_data(as_text=True)
    assert "待确认" in html
    assert f"/registrations/{reg_id}/confirm" not in html


def test_registrations_page_form_carries_csrf_token(app_with, tree, member, staff_a, save, actor_of, fresh):
    reg_id = operations.request_registration(actor=actor_of(member), kind="member", community_id=tree.a.id).id
    save()
    client = app_with(WTF_CSRF_ENABLED=True).test_client()
    login_page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', login_page).group(1)
    client.post("/login", data={"phone": staff_a.phone, "password": PASSWORD, "csrf_token": token})
    html = client.get("/registrations").get_data(as_text=True)
    form = re.search(
        rf'action="(/registrations/{reg_id}/confirm)"[^>]*>\s*<input type="hidden" name="csrf_token" value="([^"]+)"',
        html,
    )
    assert form, html
    assert client.post(form.group(1)).status_code == 400  # no token: refused
    assert fresh(Registration, reg_id).status == "pending"
    assert client.post(form.group(1), data={"csrf_token": form.group(2)}).status_code == 302
    assert fresh(Registration, reg_id).status == "confirmed"


def test_decide_registration_of_ones_own_unit_is_refused(make_node, make_person, make_unit, api_as):
    community = make_node("community")
    unit = make_unit()
    both = make_person(community=community, roles=[("staff", community), ("unit_admin", unit)])
    created = api_as(both).post(
        "/api/v1/registrations", json={"kind": "unit", "unit_id": unit.id, "community_id": community.id}
    )
    assert created.status_code == 201, created.json
    refused = api_as(both).post(f"/api/v1/registrations/{created.json['id']}/confirm", json={})
    assert refused.status_code == 403 and refused.json["code"] == "self_approval"
    other_staff = make_person(community=community, roles=[("staff", community)])
    confirmed = api_as(other_staff).post(f"/api/v1/registrations/{created.json['id']}/confirm", json={})
    assert confirmed.status_code == 200 and confirmed.json["status"] == "confirmed"


def test_registrations_page_offers_no_decision_on_ones_own_or_ones_units(
    make_node, make_person, make_unit, actor_of, page_as, save
):
    community = make_node("community")
    unit = make_unit()
    staff_member = make_person(community=community, roles=[("staff", community)], is_party_member=True)
    both = make_person(community=community, roles=[("staff", community), ("unit_admin", unit)])
    own = operations.request_registration(
        actor=actor_of(staff_member), kind="member", community_id=community.id
    ).id
    units = operations.request_registration(
        actor=actor_of(both), kind="unit", unit_id=unit.id, community_id=community.id
    ).id
    save()
    html = page_as(staff_member).get("/registrations").get_data(as_text=True)
    assert f"/registrations/{own}/confirm" not in html and f"/registrations/{own}/withdraw" in html
    assert f"/registrations/{units}/confirm" in html  # a colleague's unit: theirs to decide
    assert "不能确认自己或本单位的报到" in html
    html = page_as(both).get("/registrations").get_data(as_text=True)
    assert f"/registrations/{units}/confirm" not in html and f"/registrations/{units}/decline" not in html
    assert f"/registrations/{units}/withdraw" in html and f"/registrations/{own}/confirm" in html
    assert "不能确认自己或本单位的报到" in html


def test_registrations_page_buttons_are_the_allowed_actions(
    tree, member, staff_a, make_person, actor_of, page_as, save
):
    from points.people.queries import allowed_actions, get_registration

    reg_id = operations.request_registration(actor=actor_of(member), kind="member", community_id=tree.a.id).id
    supervisor = make_person(community=tree.a, roles=[("supervisor", tree.a)])
    save()
    for reader in (member, staff_a, supervisor):
        html = page_as(reader).get("/registrations").get_data(as_text=True)
        allowed = allowed_actions(actor_of(reader), get_registration(reg_id))
        for action in ("confirm", "decline", "withdraw"):
            assert (f"/registrations/{reg_id}/{action}" in html) == (action in allowed), (reader.name, action)
    assert "没有权限执行此操作" in page_as(supervisor).get("/registrations").get_data(as_text=True)


def test_registrations_page_member_withdraws(client, tree, member, save, actor_of, fresh):
    reg_id = operations.request_registration(actor=actor_of(member), kind="member", community_id=tree.a.id).id
    save()
    page_login(client, member)
    r = client.post(f"/registrations/{reg_id}/withdraw", follow_redirects=True)
    assert "已撤回报到" in r.get_data(as_text=True)
    assert fresh(Registration, reg_id).status == "withdrawn"
    again = client.post(f"/registrations/{reg_id}/withdraw", follow_redirects=True)
    assert "该报到已结束" in again.get_data(as_text=True)


def test_registrations_page_is_for_members_units_and_staff(tree, make_person, page_as, save):
    resident = make_person(community=tree.a)
    save()
    assert page_as(resident).get("/registrations").status_code == 403


def test_registrations_page_ignores_an_unknown_status(client, tree, member, staff_a, save, actor_of):
    operations.request_registration(actor=actor_of(member), kind="member", community_id=tree.a.id)
    save()
    page_login(client, staff_a)
    html = client.get("/registrations?status=lost").get_data(as_text=True)
    assert "党员老周" in html  # the pending tab


def test_api_registrations_carry_allowed_actions(tree, member, staff_a, api_as):
    created = register(api_as(member), tree.a).json
    assert created["allowed_actions"] == ["withdraw"]
    assert api_as(staff_a).get(f"/api/v1/registrations/{created['id']}").json["allowed_actions"] == [
        "confirm",
        "decline",
    ]
    listed = api_as(staff_a).get("/api/v1/registrations").json["items"]
    assert [r["allowed_actions"] for r in listed] == [["confirm", "decline"]]
    confirmed = decide(api_as(staff_a), created["id"], "confirm").json
    assert confirmed["allowed_actions"] == []
    assert api_as(member).get(f"/api/v1/registrations/{created['id']}").json["allowed_actions"] == [
        "withdraw"
    ]
