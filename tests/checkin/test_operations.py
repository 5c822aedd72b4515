"""Checking in and out: durations, points, caps, repeats, staff and poster check-ins, activities."""

from __future__ import annotations

import marshmallow as ma
import pytest
import sqlalchemy as sa

from points.checkin import operations as ops
from points.checkin import queries
from points.checkin.models import CheckIn
from points.checkin.schemas import MAX_CAP, MAX_RATE, TITLE_MAX, ActivityCreateSchema
from points.errors import DomainError
from points.ledger import operations as ledger
from points.ledger.queries import balances_of_person, get_transfer
from points.web import field_limits
from tests.checkin.conftest import at


def code_of(call) -> str:
    with pytest.raises(DomainError) as caught:
        call()
    return caught.value.code


# --- check-in and check-out -----------------------------------------------------------


def test_scan_code_first_scan_checks_in(world, make_activity, scan):
    activity = make_activity()

    result = scan(world.resident, activity, now=at(5))

    assert result.outcome == "checked_in"
    assert result.message == "签到成功"
    assert (result.checkin.person_id, result.checkin.checked_in_at) == (world.resident.id, at(5))
    assert result.checkin.checked_out_at is None
    assert queries.activity_counts(activity.id) == {"present": 1, "people": 1}


def test_scan_code_then_check_out_gives_duration_and_points(world, make_activity, scan):
    activity = make_activity(hourly_rate=10)
    scan(world.resident, activity, now=at(5))

    result = scan(world.resident, activity, now=at(5 + 95, 40))

    checkin = result.checkin
    assert result.outcome == "checked_out"
    assert checkin.checked_out_at == at(100, 40)
    assert checkin.minutes == 95
    # floor(10 × 95 / 60) = 15
    assert (checkin.kind, checkin.points, checkin.is_capped) == ("xingan", 15, False)
    assert result.message == "签退成功，本次服务1小时35分钟，获得 15 兴安分（已入账）"
    row = get_transfer(checkin.award_transfer_id)
    assert (row["amount"], row["status"], row["reason"], row["proof"]) == (
        15,
        "posted",
        "checkin_award",
        "checkin",
    )
    assert (row["ref_type"], row["ref_id"], row["idempotency_key"]) == (
        "checkin",
        checkin.id,
        f"checkin:{checkin.id}:award",
    )
    assert balances_of_person(world.resident.id)["xingan"]["available"] == 15
    assert queries.activity_counts(activity.id) == {"present": 0, "people": 1}


def test_scan_code_party_member_earns_hongsong(world, make_activity, scan):
    activity = make_activity(hourly_rate=6)
    scan(world.member, activity, now=at(0))

    result = scan(world.member, activity, now=at(120))

    assert (result.checkin.kind, result.checkin.points) == ("hongsong", 12)
    assert balances_of_person(world.member.id)["hongsong"]["available"] == 12


def test_scan_code_large_award_waits_for_approval(world, make_activity, scan):
    activity = make_activity(hourly_rate=30)
    scan(world.resident, activity, now=at(0))

    result = scan(world.resident, activity, now=at(60))

    row = get_transfer(result.checkin.award_transfer_id)
    assert (row["amount"], row["status"]) == (30, "pending")
    assert "待审批" in result.message
    assert balances_of_person(world.resident.id)["xingan"]["pending_in"] == 30
    approved = ledger.approve_award(actor=world.staff_actor, transfer_id=row["id"])
    assert approved["status"] == "post"


def test_scan_code_counts_only_the_activitys_hours(world, make_activity, scan):
    activity = make_activity(hourly_rate=12)
    scan(world.resident, activity, now=at(-20))

    result = scan(world.resident, activity, now=at(250))

    # In at 08:40 (early), out at 13:10 (after the 13:00 end): 09:00–13:00 counts.
    assert result.checkin.minutes == 240
    assert result.checkin.points == 40


def test_scan_code_rounds_points_down(world, make_activity, scan):
    activity = make_activity(hourly_rate=7)
    scan(world.resident, activity, now=at(0))

    result = scan(world.resident, activity, now=at(59, 59))

    # 59 whole minutes × 7 / 60 = 6.88…
    assert (result.checkin.minutes, result.checkin.points) == (59, 6)


def test_scan_code_second_scan_within_minutes_is_a_noop(world, make_activity, scan, sess):
    activity = make_activity()
    first = scan(world.resident, activity, now=at(0))

    again = scan(world.resident, activity, now=at(4, 59))

    assert again.outcome == "already_in"
    assert again.message == "您已签到，无需重复扫码"
    assert again.checkin.id == first.checkin.id
    assert again.checkin.checked_out_at is None
    assert sess.exec(sa.select(sa.func.count()).select_from(CheckIn)).scalar_one() == 1


def test_scan_code_after_check_out_within_minutes_is_a_noop(world, make_activity, scan, sess):
    activity = make_activity()
    scan(world.resident, activity, now=at(0))
    out = scan(world.resident, activity, now=at(30))

    again = scan(world.resident, activity, now=at(33))

    assert again.outcome == "already_out"
    assert again.checkin.id == out.checkin.id
    assert sess.exec(sa.select(sa.func.count()).select_from(CheckIn)).scalar_one() == 1


def test_scan_code_later_after_check_out_checks_in_again(world, make_activity, scan):
    activity = make_activity()
    first = scan(world.resident, activity, now=at(0))
    scan(world.resident, activity, now=at(30))

    again = scan(world.resident, activity, now=at(90))

    assert again.outcome == "checked_in"
    assert again.checkin.id != first.checkin.id


def test_scan_code_action_in_while_in_is_a_noop(world, make_activity, scan):
    activity = make_activity()
    scan(world.resident, activity, now=at(0))

    assert scan(world.resident, activity, now=at(60), action="in").outcome == "already_in"


def test_scan_code_action_out_when_not_in_is_refused(world, make_activity, scan):
    activity = make_activity()

    assert code_of(lambda: scan(world.resident, activity, now=at(0), action="out")) == "not_checked_in"


def test_scan_code_invalid_action_is_refused(world, make_activity, scan):
    activity = make_activity()

    assert code_of(lambda: scan(world.resident, activity, now=at(0), action="sideways")) == "invalid_action"


def test_scan_code_before_check_in_opens_is_refused(world, make_activity, code, actor_of):
    activity = make_activity()
    poster = code(activity, poster=True)

    error = code_of(lambda: ops.scan_code(actor=actor_of(world.resident), token=poster, now=at(-45)))

    assert error == "activity_not_started"


def test_scan_code_before_check_in_opens_says_when_it_starts(world, make_activity, code, actor_of):
    poster = code(make_activity(), poster=True)

    with pytest.raises(DomainError) as caught:
        ops.scan_code(actor=actor_of(world.resident), token=poster, now=at(-45))

    assert caught.value.message == "活动尚未开始，03月02日 09:00 开始，请到时再扫码"


def test_scan_code_after_the_end_checks_out_but_never_in(world, make_activity, scan):
    activity = make_activity()
    scan(world.resident, activity, now=at(200))

    assert code_of(lambda: scan(world.visitor, activity, now=at(245))) == "activity_ended"
    assert scan(world.resident, activity, now=at(245)).outcome == "checked_out"


def test_scan_code_without_hourly_rate_records_presence_only(world, make_activity, scan):
    activity = make_activity(hourly_rate=None)
    scan(world.resident, activity, now=at(0))

    result = scan(world.resident, activity, now=at(60))

    assert (result.checkin.minutes, result.checkin.points, result.checkin.award_transfer_id) == (
        60,
        None,
        None,
    )
    assert result.message == "签退成功，本次服务1小时0分钟"


# --- daily caps -----------------------------------------------------------------------


def test_scan_code_global_daily_cap_holds_across_activities(world, make_activity, scan, app, monkeypatch):
    monkeypatch.setitem(app.config, "CHECKIN_DAILY_CAP", 25)
    morning = make_activity(hourly_rate=10)
    afternoon = make_activity(title="下午值班", starts_at=at(300), ends_at=at(540), hourly_rate=10)
    scan(world.resident, morning, now=at(0))
    first = scan(world.resident, morning, now=at(120))
    scan(world.resident, afternoon, now=at(300))
    second = scan(world.resident, afternoon, now=at(420))

    assert (first.checkin.points, first.checkin.is_capped) == (20, False)
    assert (second.checkin.points, second.checkin.is_capped) == (5, True)
    assert "已达每日上限" in get_transfer(second.checkin.award_transfer_id)["memo"]
    assert balances_of_person(world.resident.id)["xingan"]["available"] == 25


def test_scan_code_activity_daily_cap_holds_across_stays(world, make_activity, scan):
    activity = make_activity(hourly_rate=10, daily_cap=15)
    scan(world.resident, activity, now=at(0))
    first = scan(world.resident, activity, now=at(60))
    scan(world.resident, activity, now=at(90))
    second = scan(world.resident, activity, now=at(150))

    assert (first.checkin.points, second.checkin.points, second.checkin.is_capped) == (10, 5, True)


def test_scan_code_daily_cap_is_per_kind(world, make_activity, scan, app, monkeypatch):
    monkeypatch.setitem(app.config, "CHECKIN_DAILY_CAP", 10)
    activity = make_activity(hourly_rate=10)
    scan(world.resident, activity, now=at(0))
    scan(world.member, activity, now=at(0))
    resident = scan(world.resident, activity, now=at(60))
    member = scan(world.member, activity, now=at(60))

    assert (resident.checkin.kind, resident.checkin.points) == ("xingan", 10)
    assert (member.checkin.kind, member.checkin.points) == ("hongsong", 10)


def test_scan_code_daily_cap_starts_again_the_next_local_day(world, make_activity, scan, app, monkeypatch):
    monkeypatch.setitem(app.config, "CHECKIN_DAILY_CAP", 10)
    today = make_activity(hourly_rate=10)
    # 16:30 UTC is 00:30 the next day in Asia/Shanghai.
    tomorrow = make_activity(
        title="次日值班", starts_at=at(15 * 60 + 30), ends_at=at(18 * 60), hourly_rate=10
    )
    scan(world.resident, today, now=at(0))
    scan(world.resident, today, now=at(60))
    scan(world.resident, tomorrow, now=at(15 * 60 + 30))
    result = scan(world.resident, tomorrow, now=at(16 * 60 + 30))

    assert result.checkin.points == 10


def test_scan_code_capped_to_nothing_asks_no_award(world, make_activity, scan, app, monkeypatch):
    monkeypatch.setitem(app.config, "CHECKIN_DAILY_CAP", 10)
    first = make_activity(hourly_rate=10)
    second = make_activity(title="第二场", hourly_rate=10)
    scan(world.resident, first, now=at(0))
    scan(world.resident, first, now=at(60))
    scan(world.resident, second, now=at(61))
    result = scan(world.resident, second, now=at(120))

    assert (result.checkin.points, result.checkin.is_capped, result.checkin.award_transfer_id) == (
        0,
        True,
        None,
    )


# --- who and how ----------------------------------------------------------------------


def test_staff_check_in_by_card_marks_the_staff_member(world, make_activity):
    activity = make_activity(hourly_rate=6)
    card = ops.card_token(ops.ensure_member_card(world.resident.id))

    result = ops.staff_check_in(actor=world.staff_actor, activity_id=activity.id, card=card, now=at(0))

    assert result.outcome == "checked_in"
    assert result.checkin.by_staff_id == world.staff.id
    assert result.message == "签到成功（工作人员代签）"


def test_staff_check_in_award_goes_to_someone_else_for_approval(world, make_activity):
    activity = make_activity(hourly_rate=6)
    ops.staff_check_in(
        actor=world.staff_actor, activity_id=activity.id, person_id=world.resident.id, now=at(0)
    )

    result = ops.staff_check_in(
        actor=world.staff_actor, activity_id=activity.id, person_id=world.resident.id, now=at(60)
    )

    row = get_transfer(result.checkin.award_transfer_id)
    # Small enough to post by itself if the person had scanned, but a staff member did it.
    assert (row["amount"], row["status"], row["requested_by_id"]) == (6, "pending", world.staff.id)
    assert (
        code_of(lambda: ledger.approve_award(actor=world.staff_actor, transfer_id=row["id"]))
        == "maker_checker"
    )
    assert ledger.approve_award(actor=world.checker_actor, transfer_id=row["id"])["status"] == "post"


def test_staff_check_in_needs_no_repeat_wait(world, make_activity):
    activity = make_activity()
    ops.staff_check_in(
        actor=world.staff_actor, activity_id=activity.id, person_id=world.resident.id, now=at(0)
    )

    result = ops.staff_check_in(
        actor=world.staff_actor, activity_id=activity.id, person_id=world.resident.id, action="out", now=at(1)
    )

    assert result.outcome == "checked_out"


def test_staff_check_out_of_a_self_scan_needs_approval(world, make_activity, scan):
    activity = make_activity(hourly_rate=6)
    scan(world.resident, activity, now=at(0))

    result = ops.staff_check_in(
        actor=world.staff_actor, activity_id=activity.id, person_id=world.resident.id, now=at(60)
    )

    assert result.checkin.out_by_staff_id == world.staff.id
    assert get_transfer(result.checkin.award_transfer_id)["status"] == "pending"


def test_staff_check_in_of_oneself_is_refused(world, make_activity):
    activity = make_activity()

    error = code_of(
        lambda: ops.staff_check_in(actor=world.staff_actor, activity_id=activity.id, person_id=world.staff.id)
    )

    assert error == "self_staff_checkin"


def test_staff_check_in_outside_scope_is_not_found(world, make_activity):
    from points.errors import NotFound

    activity = make_activity()
    with pytest.raises(NotFound):
        ops.staff_check_in(actor=world.outsider_actor, activity_id=activity.id, person_id=world.resident.id)


def test_staff_check_in_of_a_suspended_person_is_refused(world, make_activity, actor_of):
    from points.people import operations as people_ops

    activity = make_activity()
    people_ops.update_person(
        actor=world.staff_actor, person_id=world.resident.id, changes={"is_suspended": True}
    )

    error = code_of(
        lambda: ops.staff_check_in(
            actor=world.checker_actor, activity_id=activity.id, person_id=world.resident.id, now=at(0)
        )
    )

    assert error == "person_suspended"


def test_staff_check_in_with_a_revoked_card_is_refused(world, make_activity):
    activity = make_activity()
    old = ops.card_token(ops.ensure_member_card(world.resident.id))
    ops.reissue_member_card(actor=world.staff_actor, person_id=world.resident.id)

    error = code_of(
        lambda: ops.staff_check_in(actor=world.staff_actor, activity_id=activity.id, card=old, now=at(0))
    )

    assert error == "card_revoked"


def test_poster_check_in_is_unattended_and_always_needs_approval(world, make_activity, scan):
    activity = make_activity(hourly_rate=6)
    first = scan(world.resident, activity, now=at(0), poster=True)

    result = scan(world.resident, activity, now=at(60), poster=True)

    assert first.checkin.unattended is True
    row = get_transfer(result.checkin.award_transfer_id)
    assert (row["amount"], row["status"], row["requested_by_id"]) == (6, "pending", None)
    assert "无人值守" in row["memo"]


def test_check_in_or_out_refuses_a_rotated_key_version(world, make_activity, actor_of):
    activity = make_activity()
    version = ops.ensure_station_key(world.station.id).version
    ops.rotate_station_key(actor=world.staff_actor, station_id=world.station.id)

    error = code_of(
        lambda: ops.check_in_or_out(
            actor=actor_of(world.resident), activity_id=activity.id, key_version=version, now=at(0)
        )
    )

    assert error == "qr_revoked"


def test_check_out_when_the_budget_is_spent_still_checks_out(world, make_activity, scan):
    activity = make_activity(hourly_rate=10)
    ledger.set_budget(actor=None, community_id=world.community.id, kind="xingan", year=2026, amount=5)
    scan(world.resident, activity, now=at(0))

    result = scan(world.resident, activity, now=at(60))

    assert result.outcome == "checked_out"
    assert result.checkin.award_transfer_id is None
    # Kept as a refusal (code and parameters), put into words when shown.
    assert result.checkin.award_refusal["code"] == "budget_exceeded"
    assert result.checkin.award_refusal["values"]["amount"] == 5
    assert "积分未能发放：社区2026年度兴安分发放预算不足（预算 5，已发放 0）" in result.message
    assert balances_of_person(world.resident.id)["xingan"]["pending_in"] == 0


# --- activities -----------------------------------------------------------------------


def test_create_activity_validates_its_fields(world, make_activity):
    assert code_of(lambda: make_activity(title="  ")) == "title_required"
    assert code_of(lambda: make_activity(ends_at=at(0))) == "invalid_activity"
    assert code_of(lambda: make_activity(ends_at=at(8 * 24 * 60))) == "invalid_activity"
    assert code_of(lambda: make_activity(starts_at=at(-600), ends_at=at(-300))) == "invalid_activity"


def _activity_body(world, **fields) -> dict:
    body = {
        "station_id": world.station.id,
        "title": "党群服务站值班",
        "starts_at": at(0).isoformat(),
        "ends_at": at(240).isoformat(),
        "hourly_rate": 10,
    }
    return {**body, **fields}


@pytest.mark.parametrize(
    ("field", "limit", "too_much", "attribute"),
    [
        ("title", TITLE_MAX, "活" * (TITLE_MAX + 1), "maxlength"),
        ("hourly_rate", MAX_RATE, MAX_RATE + 1, "max"),
        ("daily_cap", MAX_CAP, MAX_CAP + 1, "max"),
    ],
)
def test_activity_fields_are_limited_once_by_the_schema(world, field, limit, too_much, attribute):
    # The API and the station page load activities through this schema; the page's inputs take
    # their limits from it, and its messages spell them out, so they cannot drift apart.
    with pytest.raises(ma.ValidationError) as caught:
        ActivityCreateSchema().load(_activity_body(world, **{field: too_much}))

    assert str(limit) in caught.value.messages[field][0]
    assert field_limits(ActivityCreateSchema(), field)[attribute] == limit


@pytest.mark.parametrize(("field", "value"), [("hourly_rate", -1), ("daily_cap", 0), ("title", "  ")])
def test_activity_schema_refuses_what_is_out_of_range(world, field, value):
    with pytest.raises(ma.ValidationError) as caught:
        ActivityCreateSchema().load(_activity_body(world, **{field: value}))

    assert list(caught.value.messages) == [field]


def test_create_activity_needs_stations_manage(world, make_activity, make_person, actor_of):
    from points.errors import Forbidden, NotFound

    supervisor = make_person(community=world.community, roles=[("supervisor", world.community)])
    with pytest.raises(NotFound):
        make_activity(actor=world.outsider_actor)
    with pytest.raises(NotFound):
        make_activity(actor=actor_of(world.resident))
    with pytest.raises(Forbidden):
        make_activity(actor=actor_of(supervisor))


def test_create_activity_at_a_street_station_names_the_paying_community(
    world, make_activity, make_person, actor_of
):
    from points.org import operations as org_ops
    from points.org.queries import get_node

    street = get_node(world.community.parent_id)
    station = org_ops.create_station(actor=None, node_id=street.id, kind="center", name="街道党群服务中心")
    admin = actor_of(make_person(community=world.community, roles=[("street_admin", street)]))

    assert code_of(lambda: make_activity(station=station, actor=admin)) == "community_required"
    assert (
        code_of(lambda: make_activity(station=station, actor=admin, community_id=world.other.id))
        == "invalid_community"
    )
    assert (
        make_activity(station=station, actor=admin, community_id=world.community.id).community_id
        == world.community.id
    )


def test_create_activity_for_a_task_takes_no_hourly_rate(world, make_activity):
    assert code_of(lambda: make_activity(task_id=1, hourly_rate=5)) == "rate_with_task"
    assert code_of(lambda: make_activity(task_id=10**6, hourly_rate=None)) == "invalid_task"


def test_end_activity_ends_it_now(world, make_activity):
    activity = make_activity()

    ended = ops.end_activity(actor=world.staff_actor, activity_id=activity.id, now=at(90))

    assert ended.ends_at == at(90)
    assert (
        code_of(lambda: ops.end_activity(actor=world.staff_actor, activity_id=activity.id, now=at(91)))
        == "activity_ended"
    )


def test_end_activity_before_it_starts_is_refused(world, make_activity):
    activity = make_activity()

    assert (
        code_of(lambda: ops.end_activity(actor=world.staff_actor, activity_id=activity.id, now=at(-5)))
        == "activity_not_started"
    )


def test_cancel_activity_with_check_ins_is_refused(world, make_activity, scan):
    activity = make_activity()
    scan(world.resident, activity, now=at(0))

    assert (
        code_of(lambda: ops.cancel_activity(actor=world.staff_actor, activity_id=activity.id, now=at(1)))
        == "has_checkins"
    )
