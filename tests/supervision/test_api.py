"""The flags API: the list within scope, a flag's evidence, a supervisor's decisions; a flag
about a staff member does not exist for that staff member."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from points.audit.models import AuditEntry
from points.signals import flag_escalated
from tests.supervision.conftest import at
from tests.supervision.test_detectors import _accounts_made_by


@pytest.fixture
def flagged(world, activity, stay, run_day, actor_of, save):
    """A shared-device flag (about nobody) and a puppet flag about staff member s1."""
    act = activity(maker=world.s1)
    for i, p in enumerate(world.residents[:3]):
        stay(p, act, at(i * 3), device="d" * 64)
    for p in _accounts_made_by(world.s1, 2, actor_of):
        stay(p, act, at(30), at(90))
    found = run_day()
    save()
    return found["shared_device"][0], found["puppet_accounts"][0]


def test_supervisor_lists_flags_of_their_scope_with_evidence(world, flagged, api_as):
    device, puppet = flagged
    r = api_as(world.supervisor).get("/api/v1/flags")
    assert r.status_code == 200, r.json
    assert {f["id"] for f in r.json["items"]} == {device.id, puppet.id}
    one = api_as(world.supervisor).get(f"/api/v1/flags/{device.id}").json
    assert one["detector"] == "shared_device" and one["summary"] == "同一台设备为 3 个人签到"
    assert one["allowed_actions"] == ["explain", "escalate"]
    assert {e["type"] for e in one["evidence"]} == {"checkin"}
    assert all(e["href"] and e["href"].startswith("/api/v1/activities/") for e in one["evidence"])
    activity = one["evidence"][0]["href"]
    assert api_as(world.supervisor).get(activity).status_code == 200
    puppet_view = api_as(world.supervisor).get(f"/api/v1/flags/{puppet.id}").json
    assert any(e["href"] is None and e["type"] == "account_change" for e in puppet_view["evidence"])


def test_flags_filter_by_detector_and_state(world, flagged, api_as):
    client = api_as(world.supervisor)
    assert [f["detector"] for f in client.get("/api/v1/flags?detector=puppet_accounts").json["items"]] == [
        "puppet_accounts"
    ]
    assert client.get("/api/v1/flags?state=explained").json["items"] == []
    bad = client.get("/api/v1/flags?detector=nonsense")
    assert bad.status_code == 422 and bad.mimetype == "application/problem+json"


def test_a_flag_about_a_staff_member_is_not_shown_to_them(world, flagged, api_as):
    device, puppet = flagged
    s1 = api_as(world.s1)
    assert {f["id"] for f in s1.get("/api/v1/flags").json["items"]} == {device.id}
    assert s1.get(f"/api/v1/flags/{puppet.id}").status_code == 404
    other_staff = api_as(world.s3)
    assert {f["id"] for f in other_staff.get("/api/v1/flags").json["items"]} == {device.id, puppet.id}
    # Staff read but do not decide.
    assert other_staff.get(f"/api/v1/flags/{puppet.id}").json["allowed_actions"] == []


def test_flags_outside_scope_and_for_residents(world, flagged, api_as):
    device, _ = flagged
    b_staff = api_as(world.b_staff)
    assert b_staff.get("/api/v1/flags").json["items"] == []
    assert b_staff.get(f"/api/v1/flags/{device.id}").status_code == 404
    assert api_as(world.residents[0]).get("/api/v1/flags").status_code == 403
    assert api_as(world.street_admin).get("/api/v1/flags").json["total"] == 2


def test_supervisor_explains_a_flag_once_and_it_is_audited(world, flagged, api_as, sess):
    device, _ = flagged
    client = api_as(world.supervisor)
    assert client.post(f"/api/v1/flags/{device.id}/explain", json={}).status_code == 422
    r = client.post(f"/api/v1/flags/{device.id}/explain", json={"note": "一家三口共用一部手机"})
    assert r.status_code == 200, r.json
    assert r.json["state"] == "explained" and r.json["decision_note"] == "一家三口共用一部手机"
    assert r.json["allowed_actions"] == []
    again = client.post(f"/api/v1/flags/{device.id}/escalate", json={"note": "再看看"})
    assert again.status_code == 409 and again.json["code"] == "flag_decided"
    entry = sess.scalars(sa.select(AuditEntry).where(AuditEntry.action == "flag.explain")).one()
    assert entry.target_type == "anomaly_flag" and entry.target_id == device.id
    assert entry.actor_id == world.supervisor.id and entry.detail["note"] == "一家三口共用一部手机"


def test_escalating_tells_the_street_admins_and_staff_cannot_decide(world, flagged, api_as, sess):
    _, puppet = flagged
    assert api_as(world.s3).post(f"/api/v1/flags/{puppet.id}/escalate", json={"note": "x"}).status_code == 403
    heard = []

    def listener(sender, **kw):
        heard.append(kw)

    with flag_escalated.connected_to(listener):
        r = api_as(world.supervisor).post(
            f"/api/v1/flags/{puppet.id}/escalate", json={"note": "请核查开户情况"}
        )
    assert r.status_code == 200 and r.json["state"] == "escalated"
    assert r.json["allowed_actions"] == ["explain"]
    assert heard[0]["flag_id"] == puppet.id and heard[0]["community_id"] == world.a.id
    assert sess.scalars(sa.select(AuditEntry).where(AuditEntry.action == "flag.escalate")).one()


def test_what_was_done_to_a_flag_is_hidden_in_the_audit_log_from_its_subject(world, flagged, api_as):
    device, puppet = flagged
    supervisor = api_as(world.supervisor)
    assert (
        supervisor.post(f"/api/v1/flags/{puppet.id}/escalate", json={"note": "请核查开户情况"}).status_code
        == 200
    )
    assert supervisor.post(f"/api/v1/flags/{device.id}/explain", json={"note": "一家人"}).status_code == 200

    def flag_entries(person, action):
        items = api_as(person).get(f"/api/v1/audit?action={action}").json["items"]
        return {e["target_id"] for e in items if e["target_type"] == "anomaly_flag"}

    assert flag_entries(world.s1, "flag.escalate") == set()
    assert flag_entries(world.s1, "flag.explain") == {device.id}
    assert flag_entries(world.s3, "flag.escalate") == {puppet.id}
    assert flag_entries(world.supervisor, "flag.escalate") == {puppet.id}


def test_street_admins_are_told_of_an_escalation_and_answer_it(world, flagged, api_as, make_person):
    _, puppet = flagged
    other_street_admin = make_person(
        community=world.b, roles=[("street_admin", world.b)], name="乙社区管理员"
    )
    admin = api_as(world.street_admin)
    assert admin.get(f"/api/v1/flags/{puppet.id}").json["allowed_actions"] == []
    r = api_as(world.supervisor).post(f"/api/v1/flags/{puppet.id}/escalate", json={"note": "请核查开户情况"})
    assert r.status_code == 200

    items = admin.get("/api/v1/me/notices").json["items"]
    told = [n for n in items if n["kind"] == "flag_escalated"]
    assert len(told) == 1 and "请核查开户情况" in told[0]["text"] and world.a.name in told[0]["text"]
    assert told[0]["link"].endswith(f"/flags/{puppet.id}")
    assert all(
        n["kind"] != "flag_escalated"
        for n in api_as(other_street_admin).get("/api/v1/me/notices").json["items"]
    )
    assert all(
        n["kind"] != "flag_escalated" for n in api_as(world.s1).get("/api/v1/me/notices").json["items"]
    )

    assert admin.get(f"/api/v1/flags/{puppet.id}").json["allowed_actions"] == ["answer"]
    assert (
        api_as(world.supervisor).post(f"/api/v1/flags/{puppet.id}/answer", json={"note": "x"}).status_code
        == 403
    )
    assert admin.post(f"/api/v1/flags/{puppet.id}/answer", json={"note": " "}).status_code == 422
    answered = admin.post(f"/api/v1/flags/{puppet.id}/answer", json={"note": "已核实，账号为本人开设"})
    assert answered.status_code == 200, answered.json
    assert (
        answered.json["state"] == "explained" and answered.json["decision_note"] == "已核实，账号为本人开设"
    )
    assert answered.json["decided_by_id"] == world.street_admin.id and answered.json["allowed_actions"] == []


def test_flags_filter_by_community_in_the_query_string(world, flagged, api_as):
    client = api_as(world.supervisor)
    r = client.get(f"/api/v1/flags?community_id={world.a.id}")
    assert r.status_code == 200, r.json
    assert len(r.json["items"]) == 2
    assert client.get(f"/api/v1/flags?community_id={world.b.id}").json["items"] == []
    assert client.get("/api/v1/flags?community_id=abc").status_code == 422
