"""Independence: nobody makes points alone, even with accounts they control (SPEC §3).

Each test plays an attack through the API as a privileged person would, and expects the
second, independent person the spec asks for.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from points.db import utcnow
from points.ledger import operations as ops
from points.ledger.queries import balances_of_person
from points.ledger.verify import verify_ledger
from points.people import operations as people_operations
from tests.builders import pending_award
from tests.conftest import first_login

PASSWORD = "Kq7mPx4aLr"


@pytest.fixture
def street(world, make_person):
    """A street admin over the world's community (its street)."""
    from points.org.queries import get_node

    node = get_node(world.community.parent_id)
    return make_person(community=world.community, roles=[("street_admin", node)])


def _award_request(api, community_id: int, person_id: int, key: str):
    return api.post(
        "/api/v1/awards",
        json={
            "community_id": community_id,
            "person_id": person_id,
            "kind": "xingan",
            "amount": 50,
            "memo": "协助活动",
        },
        headers={"Idempotency-Key": key},
    )


def test_street_admin_cannot_approve_the_request_of_a_staff_account_they_made(
    world, street, api_as, client, save
):
    admin = api_as(street)
    made = admin.post(
        "/api/v1/people",
        json={
            "phone": "13812340001",
            "name": "傀儡",
            "password": PASSWORD,
            "community_id": world.community.id,
        },
    )
    assert made.status_code == 201, made.json
    puppet_id = made.json["id"]
    granted = admin.post(
        f"/api/v1/people/{puppet_id}/roles", json={"role": "staff", "node_id": world.community.id}
    )
    assert granted.status_code == 201, granted.json
    save()
    puppet = first_login(client, "13812340001", PASSWORD)
    asked = client.post(
        "/api/v1/awards",
        json={
            "community_id": world.community.id,
            "person_id": world.resident.id,
            "kind": "xingan",
            "amount": 50,
            "memo": "协助活动",
        },
        headers={**puppet, "Idempotency-Key": "puppet-1"},
    )
    assert asked.status_code == 201, asked.json

    approved = admin.post(f"/api/v1/awards/{asked.json['id']}/approve", headers={"Idempotency-Key": "a-1"})

    assert approved.status_code == 403 and approved.json["code"] == "not_independent"
    bulk = admin.post(
        "/api/v1/awards/bulk-approve", json={"ids": [asked.json["id"]]}, headers={"Idempotency-Key": "a-2"}
    )
    assert bulk.status_code == 409 and bulk.json["code"] == "bulk_refused"
    # Each refused id: its code in `refusals`, its message (Chinese) in `errors`.
    refusal = bulk.json["refusals"][str(asked.json["id"])]
    assert refusal["code"] == "not_independent"
    assert bulk.json["errors"][str(asked.json["id"])] == [refusal["detail"]]
    assert refusal["detail"].startswith("审批人与申请人或受益人有关联")
    assert balances_of_person(world.resident.id)["xingan"]["posted"] == 0
    # Someone independent still can.
    assert (
        api_as(world.checker)
        .post(f"/api/v1/awards/{asked.json['id']}/approve", headers={"Idempotency-Key": "c-1"})
        .status_code
        == 200
    )


def test_approver_who_appointed_the_requester_is_not_independent(world, street, make_person, actor_of):
    from points.people import operations as people_ops

    appointee = make_person(community=world.community)
    people_ops.grant_role(
        actor=actor_of(street), person_id=appointee.id, role="staff", node_id=world.community.id
    )
    row = pending_award(actor_of(appointee), world.community.id, world.resident.id, 5, "appointed-1")
    with pytest.raises(Exception) as refused:
        ops.approve_award(actor=actor_of(street), transfer_id=row["id"])
    assert refused.value.code == "not_independent"


def _made_by_the_checker(world, phone: str):
    """A resident whose account the world's checker has just created."""
    return people_operations.create_person(
        actor=world.checker_actor,
        phone=phone,
        name="新居民",
        password=PASSWORD,
        community_id=world.community.id,
    )


@pytest.mark.parametrize("change", ["created", "password_reset", "unlocked", "updated"])
def test_approver_who_changed_the_payees_account_lately_is_not_independent(
    world, make_person, actor_of, change
):
    from points.people import operations as people_ops

    if change == "created":
        payee = _made_by_the_checker(world, "13812340002")
    else:
        payee = make_person(community=world.community)
        if change == "password_reset":
            people_ops.reset_password(actor=world.checker_actor, person_id=payee.id)
        elif change == "unlocked":
            people_ops.unlock_person(actor=world.checker_actor, person_id=payee.id)
        else:
            people_ops.update_person(actor=world.checker_actor, person_id=payee.id, changes={"name": "改名"})
    row = pending_award(world.staff_actor, world.community.id, payee.id, 5, f"changed-{change}")

    with pytest.raises(Exception) as refused:
        ops.approve_award(actor=world.checker_actor, transfer_id=row["id"])

    assert refused.value.code == "not_independent"
    # The tie lasts INDEPENDENCE_DAYS (90 by default); then the approver is independent again.
    later = utcnow() + timedelta(days=91)
    ops.approve_award(actor=world.checker_actor, transfer_id=row["id"], now=later)
    assert balances_of_person(payee.id)["xingan"]["posted"] == 5


def test_the_requester_who_made_the_approvers_account_ties_them_too(world, make_person, actor_of):
    # The other direction: the requester made the approver's account and knows its password.
    from points.people import operations as people_ops

    street_admin = make_person(community=world.community, roles=[("street_admin", world.community)])
    approver = people_ops.create_person(
        actor=actor_of(street_admin),
        phone="13812340003",
        name="同伙",
        password=PASSWORD,
        community_id=world.community.id,
    )
    people_ops.grant_role(actor=None, person_id=approver.id, role="staff", node_id=world.community.id)
    row = pending_award(actor_of(street_admin), world.community.id, world.resident.id, 5, "made-approver")
    with pytest.raises(Exception) as refused:
        ops.approve_award(actor=actor_of(approver), transfer_id=row["id"])
    assert refused.value.code == "not_independent"


def test_reversal_over_the_api_needs_a_second_person(world, award, api_as):
    row = award(10, auto=True)
    staff = api_as(world.staff)

    asked = staff.post(
        f"/api/v1/transfers/{row['id']}/reverse",
        json={"reason": "重复发放"},
        headers={"Idempotency-Key": "r-1"},
    )
    assert asked.status_code == 201 and asked.json["status"] == "pending" and asked.json["state"] == "pending"
    assert balances_of_person(world.resident.id)["xingan"] == {
        "posted": 10,
        "pending_in": 0,
        "pending_out": 10,
        "available": 0,
    }
    alone = staff.post(f"/api/v1/awards/{asked.json['id']}/approve", headers={"Idempotency-Key": "r-2"})
    assert alone.status_code == 403 and alone.json["code"] == "maker_checker"
    queue = api_as(world.checker).get("/api/v1/awards/queue").json["items"]
    assert [item["id"] for item in queue] == [asked.json["id"]]

    done = api_as(world.checker).post(
        f"/api/v1/awards/{asked.json['id']}/approve", headers={"Idempotency-Key": "r-3"}
    )

    assert done.status_code == 200 and done.json["reverses_id"] == row["id"]
    assert balances_of_person(world.resident.id)["xingan"]["posted"] == 0
    assert verify_ledger().ok


def test_approvals_page_shows_no_button_the_operation_would_refuse(world, page_as, save):

    payee = _made_by_the_checker(world, "13812340004")
    tied = pending_award(world.staff_actor, world.community.id, payee.id, 5, "page-tied")
    free = pending_award(world.staff_actor, world.community.id, world.resident.id, 5, "page-free")
    save()

    html = page_as(world.checker).get("/approvals").data.decode()

    assert f"/approvals/{free['id']}/approve" in html
    assert f"/approvals/{tied['id']}/approve" not in html
    assert "近期创建、修改、重置、解锁过对方账号" in html


def test_self_grants_are_refused_even_for_an_admin(world, make_person, api_as):
    admin = make_person(community=world.community, roles=[("admin", None)])
    r = api_as(admin).post(
        f"/api/v1/people/{admin.id}/roles", json={"role": "staff", "node_id": world.community.id}
    )
    assert r.status_code == 403 and r.json["code"] == "self_grant"


def test_street_admin_cannot_grant_supervisor_or_roles_to_themselves(world, street, api_as):
    from points.org.queries import get_node

    node = get_node(world.community.parent_id)
    api = api_as(street)
    own = api.post(f"/api/v1/people/{street.id}/roles", json={"role": "staff", "node_id": world.community.id})
    assert own.status_code == 403 and own.json["code"] == "self_grant"
    supervisor = api.post(
        f"/api/v1/people/{world.resident.id}/roles", json={"role": "supervisor", "node_id": node.id}
    )
    assert supervisor.status_code == 403


def test_staff_cannot_edit_a_colleague(world, api_as):
    r = api_as(world.staff).patch(
        f"/api/v1/people/{world.checker.id}", json={"name": "改名", "is_party_member": True}
    )
    assert r.status_code == 403
    resident = api_as(world.staff).patch(f"/api/v1/people/{world.resident.id}", json={"name": "王秀兰"})
    assert resident.status_code == 200
