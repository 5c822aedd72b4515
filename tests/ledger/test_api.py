"""The ledger API: awards, approvals, reversals, statements, browsing, idempotency."""

from __future__ import annotations

import pytest

from points.ledger import operations as ops
from tests.builders import award_points, pending_award
from tests.ledger.conftest import award_body


def idem(value: str) -> dict:
    return {"Idempotency-Key": value}


@pytest.fixture
def body(world):
    return award_body(world)


def test_create_award_then_approve_and_reverse(world, api_as, body):
    staff, checker, resident = api_as(world.staff), api_as(world.checker), api_as(world.resident)
    created = staff.post("/api/v1/awards", json=body, headers=idem("k1"))
    assert created.status_code == 201, created.json
    assert created.json["state"] == "pending" and created.json["proof"] == "discretion"
    assert created.json["credit"] == {"owner_type": "person", "owner_id": world.resident.id}
    approved = checker.post(f"/api/v1/awards/{created.json['id']}/approve", headers=idem("a1"))
    assert approved.status_code == 200 and approved.json["status"] == "post"
    assert resident.get("/api/v1/me/balances").json["xingan"]["available"] == 5
    assert resident.get("/api/v1/me").json["balances"]["xingan"]["available"] == 5
    reversed_ = checker.post(
        f"/api/v1/transfers/{created.json['id']}/reverse", json={"reason": "错发"}, headers=idem("r1")
    )
    assert reversed_.status_code == 201 and reversed_.json["reason"] == "reversal"
    assert resident.get("/api/v1/me/balances").json["xingan"]["available"] == 0


def test_idempotency_key_replays_and_refuses_other_bodies(world, api_as, body):
    staff = api_as(world.staff)
    first = staff.post("/api/v1/awards", json=body, headers=idem("same"))
    again = staff.post("/api/v1/awards", json=body, headers=idem("same"))
    assert again.status_code == 201 and again.json == first.json
    assert again.headers["Idempotent-Replayed"] == "true"
    other = staff.post("/api/v1/awards", json={**body, "amount": 6}, headers=idem("same"))
    assert other.status_code == 409 and other.json["code"] == "idempotency_key_reused"
    assert api_as(world.checker).get("/api/v1/awards/queue").json["total"] == 1


def test_idempotency_key_is_scoped_to_the_caller(world, api_as, body, make_person):
    second_staff = make_person(community=world.community, roles=[("staff", world.community)])
    api_as(world.staff).post("/api/v1/awards", json=body, headers=idem("shared"))
    r = api_as(second_staff).post("/api/v1/awards", json=body, headers=idem("shared"))
    assert r.status_code == 201
    assert api_as(world.checker).get("/api/v1/awards/queue").json["total"] == 2


def test_a_failed_request_frees_its_key(world, api_as, body):
    staff = api_as(world.staff)
    bad = staff.post("/api/v1/awards", json={**body, "person_id": world.staff.id}, headers=idem("k"))
    assert bad.status_code == 403 and bad.json["code"] == "self_award"
    assert staff.post("/api/v1/awards", json=body, headers=idem("k")).status_code == 201


def test_moving_points_needs_an_idempotency_key(world, api_as, body):
    r = api_as(world.staff).post("/api/v1/awards", json=body)
    assert r.status_code == 428 and r.json["code"] == "idempotency_key_required"


def test_idempotency_key_documented_as_not_blank(client, world, api_as, body):
    """A blank key counts as none (428), so the document does not offer one as valid."""
    spec = client.get("/api/v1/openapi.json").get_json()
    (header,) = [p for p in spec["paths"]["/api/v1/awards"]["post"]["parameters"] if p["in"] == "header"]
    assert header["required"] and header["schema"]["minLength"] == 1 and header["schema"]["pattern"] == r"\S"
    r = api_as(world.staff).post("/api/v1/awards", json=body, headers=idem("   "))
    assert r.status_code == 428 and r.json["code"] == "idempotency_key_required"


@pytest.mark.parametrize(
    "change, field",
    [
        ({"amount": "5"}, "amount"),
        ({"amount": 0}, "amount"),
        ({"amount": 2.5}, "amount"),
        ({"kind": "gold"}, "kind"),
        ({"memo": ""}, "memo"),
        ({"unit_id": 1}, "person_id"),
        ({"surprise": 1}, "surprise"),
    ],
)
def test_create_award_bad_input_is_422_with_field_errors(world, api_as, body, change, field):
    r = api_as(world.staff).post("/api/v1/awards", json={**body, **change}, headers=idem("bad"))
    assert r.status_code == 422
    assert r.content_type == "application/problem+json"
    assert field in r.json["errors"]


def test_residents_cannot_award_or_approve(world, api_as, body, award):
    resident = api_as(world.resident)
    # A resident holds no scope over the community: not found, like anything outside scope.
    assert resident.post("/api/v1/awards", json=body, headers=idem("x")).status_code == 404
    assert resident.get("/api/v1/awards/queue").status_code == 403
    row = award(3, person=world.member, key="claim:77:award")
    assert resident.post(f"/api/v1/awards/{row['id']}/approve", headers=idem("y")).status_code == 404


def test_queue_filters(world, api_as, award):
    for amount, kind in ((1, "xingan"), (2, "hongsong"), (3, "xingan")):
        award(amount, person=world.member, kind=kind)
    checker = api_as(world.checker)
    assert checker.get("/api/v1/awards/queue").json["total"] == 3
    assert checker.get("/api/v1/awards/queue?kind=hongsong").json["total"] == 1
    assert checker.get("/api/v1/awards/queue?reason=manual_award").json["total"] == 0
    assert checker.get(f"/api/v1/awards/queue?community_id={world.other.id}").json["total"] == 0
    assert checker.get("/api/v1/awards/queue?older_than_hours=1").json["total"] == 0
    assert api_as(world.outsider).get("/api/v1/awards/queue").json["total"] == 0


def test_bulk_approve_all_or_nothing(world, api_as, award):
    ids = [award(2, requested_by=world.staff)["id"] for _ in range(3)]
    staff = api_as(world.staff)
    refused = staff.post("/api/v1/awards/bulk-approve", json={"ids": ids}, headers=idem("b1"))
    assert refused.status_code == 409 and set(refused.json["errors"]) == {str(i) for i in ids}
    done = api_as(world.checker).post("/api/v1/awards/bulk-approve", json={"ids": ids}, headers=idem("b2"))
    assert done.status_code == 200 and len(done.json) == 3
    assert api_as(world.resident).get("/api/v1/me/balances").json["xingan"]["posted"] == 6


def test_reject_needs_a_reason(world, api_as, award):
    row = award(2)
    checker = api_as(world.checker)
    assert checker.post(f"/api/v1/awards/{row['id']}/reject", json={}, headers=idem("r")).status_code == 422
    r = checker.post(f"/api/v1/awards/{row['id']}/reject", json={"reason": "未到场"}, headers=idem("r"))
    assert r.status_code == 200 and r.json["status"] == "void"
    again = checker.post(f"/api/v1/awards/{row['id']}/approve", headers=idem("r2"))
    assert again.status_code == 409 and again.json["code"] == "already_resolved"


def test_statement_json_and_csv(world, api_as, award):
    for amount in (3, 4):
        award(amount, reason="checkin_award", auto=True, memo="值班")
    resident = api_as(world.resident)
    page = resident.get("/api/v1/me/statement?kind=xingan&per_page=1").json
    assert page["total"] == 2 and page["items"][0]["balance"] == 7
    assert resident.get("/api/v1/me/statement").status_code == 422
    assert resident.get("/api/v1/me/statement?kind=xingan&from=yesterday").status_code == 422
    exported = resident.get("/api/v1/me/statement?kind=xingan&format=csv")
    text = exported.data.decode("utf-8-sig")
    assert exported.mimetype == "text/csv" and "值班" in text and len(text.strip().splitlines()) == 3


def test_statement_csv_streams_the_whole_history_in_batches(world, api_as, award, monkeypatch):
    from points.ledger import export

    monkeypatch.setattr(export, "BATCH", 2)
    monkeypatch.setattr(export, "FIRST", 1)
    for amount in range(1, 6):
        award(amount, reason="checkin_award", auto=True, memo=f"值班{amount}")

    exported = api_as(world.resident).get("/api/v1/me/statement?kind=xingan&format=csv", buffered=False)

    # A streamed body: written a batch at a time while the rows are read, never held whole.
    assert exported.is_streamed
    chunks = [chunk.decode("utf-8") for chunk in exported.response]
    # The header, the first row on its own (a download starts at once), then the rows two by two.
    assert [chunk.count("\n") for chunk in chunks[1:]] == [1, 2, 2]
    lines = "".join(chunks).lstrip("\ufeff").strip().splitlines()
    assert lines[0].startswith("id,created_at") and len(lines) == 6
    assert [line.split(",")[7] for line in lines[1:]] == ["15", "10", "6", "3", "1"]
    assert (
        api_as(world.member)
        .get("/api/v1/me/statement?kind=xingan&format=csv")
        .data.decode("utf-8-sig")
        .startswith("id,")
    )


def test_statement_csv_batches_merge_both_sides_of_the_account(world, api_as, award, spend, monkeypatch):
    from points.ledger import export

    monkeypatch.setattr(export, "BATCH", 2)
    monkeypatch.setattr(export, "FIRST", 3)
    award(10, reason="checkin_award", auto=True)
    spend(3)
    award(5, reason="checkin_award", auto=True)
    spend(4)
    spend(1)
    award(2, reason="checkin_award", auto=True)

    text = api_as(world.resident).get("/api/v1/me/statement?kind=xingan&format=csv").data.decode("utf-8-sig")

    rows = [line.split(",") for line in text.strip().splitlines()[1:]]
    # Newest first, each row once, the running balance carried across batches and both sides.
    assert [(row[5], row[6], row[7]) for row in rows] == [
        ("in", "2", "9"),
        ("out", "-1", "7"),
        ("out", "-4", "8"),
        ("in", "5", "12"),
        ("out", "-3", "7"),
        ("in", "10", "10"),
    ]


def test_statement_csv_export_is_documented(client):
    """`format=csv` answers text/csv: the document lists it beside the JSON statement."""
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    for path in (
        "/api/v1/me/statement",
        "/api/v1/people/{person_id}/statement",
        "/api/v1/units/{unit_id}/statement",
    ):
        assert set(paths[path]["get"]["responses"]["200"]["content"]) == {"application/json", "text/csv"}


def test_statement_and_balances_of_others_are_scoped(world, api_as, make_person, make_unit, actor_of):
    resident, staff, outsider = api_as(world.resident), api_as(world.staff), api_as(world.outsider)
    assert staff.get(f"/api/v1/people/{world.resident.id}/statement?kind=xingan").status_code == 200
    assert staff.get(f"/api/v1/people/{world.resident.id}/balances").status_code == 200
    assert outsider.get(f"/api/v1/people/{world.resident.id}/balances").status_code == 404
    assert resident.get(f"/api/v1/people/{world.member.id}/balances").status_code == 404
    unit_admin = make_person(community=world.community, roles=[("unit_admin", world.unit)])
    assert api_as(unit_admin).get(f"/api/v1/units/{world.unit.id}/balances").status_code == 200
    assert staff.get(f"/api/v1/units/{world.unit.id}/balances").status_code == 404


def test_ledger_browsing_is_scoped(world, api_as, make_person, key):
    for community in (world.community, world.other):
        award_points(community.id, world.resident.id, 1, key(), reason="task_award", auto_post=False)
    supervisor = make_person(community=world.community, roles=[("supervisor", world.community)])
    assert api_as(supervisor).get("/api/v1/ledger/transfers").json["total"] == 1
    assert api_as(world.resident).get("/api/v1/ledger/transfers").status_code == 403
    listed = api_as(world.staff).get("/api/v1/ledger/transfers?kind=xingan&status=pending").json
    assert listed["total"] == 1 and listed["items"][0]["hash"]


def test_verification_endpoint(world, api_as, app):
    staff = api_as(world.staff)
    assert staff.get("/api/v1/ledger/verification").status_code == 404
    from points.scheduler import run_job

    assert run_job("verify_ledger").status == "ok"
    latest = staff.get("/api/v1/ledger/verification")
    assert latest.status_code == 200 and latest.json["ok"] is True
    assert api_as(world.resident).get("/api/v1/ledger/verification").status_code == 403


def test_discretionary_share_report(world, api_as, key, award):
    manual = pending_award(world.staff_actor, world.community.id, world.resident.id, 6, key(), memo="表彰")
    ops.approve_award(actor=world.checker_actor, transfer_id=manual["id"])
    award(4, reason="checkin_award", auto=True)
    rows = api_as(world.staff).get("/api/v1/ledger/discretionary").json
    by_approver = {r["approved_by_id"]: r for r in rows}
    assert by_approver[world.checker.id]["share"] == 1.0
    assert by_approver[None]["discretionary"] == 0


def test_set_budget_needs_street_admin(world, api_as, make_person):
    body = {"community_id": world.community.id, "kind": "xingan", "year": 2026, "amount": 1000}
    assert api_as(world.staff).put("/api/v1/ledger/budgets", json=body).status_code == 403
    street_admin = make_person(community=world.community, roles=[("street_admin", world.community)])
    r = api_as(street_admin).put("/api/v1/ledger/budgets", json=body)
    assert r.status_code == 200 and r.json["issued"] == 0


def test_prune_idempotency_forgets_old_keys(world, api_as, body, app):
    from datetime import timedelta

    from points.db import utcnow
    from points.scheduler import run_job

    staff = api_as(world.staff)
    assert staff.post("/api/v1/awards", json=body, headers=idem("old")).status_code == 201
    result = run_job("prune_idempotency", now=utcnow() + timedelta(hours=73))
    assert result.status == "ok" and "forgot 1" in result.detail


def test_verification_shows_only_heads_in_scope(world, api_as, key):
    from points.scheduler import run_job

    for community in (world.community, world.other):
        award_points(community.id, world.resident.id, 1, key(), reason="task_award", auto_post=False)
    assert run_job("verify_ledger").status == "ok"
    heads = api_as(world.staff).get("/api/v1/ledger/verification").json["heads"]
    assert set(heads) == {str(world.community.id)}


@pytest.fixture
def unit_world(make_node, make_person, make_unit, actor_of, award):
    """A unit reporting to community A (confirmed) with points of its own; people in every role,
    inside and outside A's street."""
    from types import SimpleNamespace

    from points.people import operations as people_ops

    street, other_street = make_node("street"), make_node("street")
    a, b = make_node("community", street), make_node("community", other_street)
    grid = make_node("grid", a)
    unit, other_unit = make_unit(), make_unit()
    unit_admin = make_person(community=a, roles=[("unit_admin", unit)])
    staff = make_person(community=a, roles=[("staff", a)])
    registration = people_ops.request_registration(
        actor=actor_of(unit_admin), kind="unit", unit_id=unit.id, community_id=a.id
    )
    people_ops.decide_registration(actor=actor_of(staff), registration_id=registration.id, confirm=True)
    award(7, unit=unit, kind="hongsong", reason="checkin_award", auto=True, community=a)
    people = {
        "unit_admin": unit_admin,
        "staff": staff,
        "street_admin": make_person(community=a, roles=[("street_admin", street)]),
        "supervisor": make_person(community=a, roles=[("supervisor", street)]),
        "community_supervisor": make_person(community=a, roles=[("supervisor", a)]),
        "admin": make_person(community=a, roles=[("admin", None)]),
        "other_unit_admin": make_person(community=a, roles=[("unit_admin", other_unit)]),
        "other_staff": make_person(community=b, roles=[("staff", b)]),
        "other_street_admin": make_person(community=b, roles=[("street_admin", other_street)]),
        "other_supervisor": make_person(community=b, roles=[("supervisor", other_street)]),
        "grid_worker": make_person(grid=grid, roles=[("grid_worker", grid)]),
        "resident": make_person(community=a),
        "party_member": make_person(community=a, is_party_member=True),
    }
    return SimpleNamespace(unit=unit, community=a, people=people)


UNIT_LEDGER_READERS = {
    "unit_admin": 200,
    "staff": 200,
    "street_admin": 200,
    "supervisor": 200,
    "community_supervisor": 200,
    "admin": 200,
    "other_unit_admin": 404,
    "other_staff": 404,
    "other_street_admin": 404,
    "other_supervisor": 404,
    "grid_worker": 404,
    "resident": 404,
    "party_member": 404,
}


@pytest.mark.parametrize(("who", "status"), UNIT_LEDGER_READERS.items())
def test_unit_balances_and_statement_per_role(unit_world, api_as, who, status):
    client = api_as(unit_world.people[who])
    unit_id = unit_world.unit.id

    balances = client.get(f"/api/v1/units/{unit_id}/balances")
    statement = client.get(f"/api/v1/units/{unit_id}/statement?kind=hongsong")

    assert balances.status_code == status, balances.json
    assert statement.status_code == status, statement.json
    if status == 200:
        assert balances.json["hongsong"]["available"] == 7
        assert [row["amount"] for row in statement.json["items"]] == [7]
    else:
        assert balances.json["code"] == statement.json["code"] == "unit_not_found"


def test_unit_ledger_of_a_pending_registration_is_not_the_community_staffs(
    make_node, make_person, make_unit, actor_of, api_as
):
    from points.people import operations as people_ops

    community = make_node("community")
    unit = make_unit()
    unit_admin = make_person(community=community, roles=[("unit_admin", unit)])
    staff = make_person(community=community, roles=[("staff", community)])
    people_ops.request_registration(
        actor=actor_of(unit_admin), kind="unit", unit_id=unit.id, community_id=community.id
    )

    assert api_as(staff).get(f"/api/v1/units/{unit.id}/balances").status_code == 404
