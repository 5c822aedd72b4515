"""One test per detector: the pattern built through the operations raises its flag with its
evidence; the same data without the pattern raises none."""

from __future__ import annotations

from datetime import timedelta

from tests.supervision.conftest import DAY, T0, at


def _evidence(flag, kind: str) -> set[int]:
    return {row["id"] for row in flag.evidence if row["type"] == kind}


# --- 1 ---------------------------------------------------------------------------------


def test_mutual_approvals_flags_two_staff_who_approve_awards_to_each_other(world, manual, run_day):
    rows = [manual(world.s3, world.s1, 20, world.s2, now=at(i)) for i in range(2)]
    rows += [manual(world.s3, world.s2, 20, world.s1, now=at(10 + i)) for i in range(2)]
    flags = run_day()["mutual_approvals"]
    assert len(flags) == 1
    flag = flags[0]
    assert {flag.subject_person_id, flag.related_person_id} == {world.s1.id, world.s2.id}
    assert _evidence(flag, "transfer") == {r["id"] for r in rows}
    assert flag.facts["given"] == 2 and flag.facts["returned"] == 2
    assert flag.period == "2026-11" and flag.community_id == world.a.id


def test_mutual_approvals_one_direction_is_no_flag(world, manual, run_day):
    for i in range(4):
        manual(world.s3, world.s1, 20, world.s2, now=at(i))
    assert "mutual_approvals" not in run_day()


# --- 2 ---------------------------------------------------------------------------------


def test_checkin_burst_flags_fifteen_check_ins_within_ten_seconds(world, activity, stay, run_day):
    act = activity()
    made = [stay(person, act, at(0, seconds=i * 0.5)) for i, person in enumerate(world.residents[:15])]
    flags = run_day()["checkin_burst"]
    assert len(flags) == 1
    assert flags[0].subject_key == f"activity:{act.id}" and flags[0].period == DAY
    assert _evidence(flags[0], "checkin") == {c.id for c in made}
    assert flags[0].subject_person_id == world.s1.id


def test_checkin_burst_spread_over_minutes_is_no_flag(world, activity, stay, run_day):
    act = activity()
    for i, person in enumerate(world.residents[:15]):
        stay(person, act, at(i))
    assert "checkin_burst" not in run_day()


def test_overlapping_stays_flags_a_stay_begun_inside_another(world, activity, stay, run_day):
    one, two = activity(), activity(station=world.other_station)
    first = stay(world.residents[0], one, at(0), at(60))
    second = stay(world.residents[0], two, at(30), at(50))
    flags = run_day()["overlapping_stays"]
    assert len(flags) == 1 and flags[0].subject_person_id == world.residents[0].id
    assert _evidence(flags[0], "checkin") == {first.id, second.id}


def test_overlapping_stays_one_after_the_other_is_no_flag(world, activity, stay, run_day):
    one, two = activity(), activity(station=world.other_station)
    stay(world.residents[0], one, at(0), at(60))
    stay(world.residents[0], two, at(70), at(90))
    assert "overlapping_stays" not in run_day()


# --- 3 ---------------------------------------------------------------------------------


def test_shared_device_flags_three_people_from_one_phone(world, activity, stay, run_day):
    act = activity()
    made = [stay(p, act, at(i * 3), device="d" * 64) for i, p in enumerate(world.residents[:3])]
    flags = run_day()["shared_device"]
    assert len(flags) == 1 and flags[0].facts["people"] == 3
    assert _evidence(flags[0], "checkin") == {c.id for c in made}
    assert "MicroMessenger" in flags[0].facts["user_agent"]


def test_shared_device_own_phones_are_no_flag(world, activity, stay, run_day):
    act = activity()
    for i, p in enumerate(world.residents[:3]):
        stay(p, act, at(i * 3), device=str(i) * 64)
    assert "shared_device" not in run_day()


# --- 4 ---------------------------------------------------------------------------------


def test_discretionary_cluster_flags_approver_and_requester(world, manual, give, run_day):
    give(world.residents[5], 100)
    rows = [manual(world.s3, world.residents[i], 50, world.s2, now=at(i)) for i in range(3)]
    flags = {f.subject_key: f for f in run_day()["discretionary_cluster"]}
    assert set(flags) == {f"approver:{world.s2.id}:xingan", f"requester:{world.s3.id}:xingan"}
    assert _evidence(flags[f"approver:{world.s2.id}:xingan"], "transfer") == {r["id"] for r in rows}
    assert flags[f"approver:{world.s2.id}:xingan"].facts["share"] == 60


def test_discretionary_awards_among_much_earned_points_are_no_flag(world, manual, give, run_day):
    give(world.residents[5], 1000)
    for i in range(3):
        manual(world.s3, world.residents[i], 50, world.s2, now=at(i))
    assert "discretionary_cluster" not in run_day()


# --- 6 ---------------------------------------------------------------------------------


def test_monthly_jump_flags_a_month_far_above_ones_own(world, give, run_day):
    person = world.residents[0]
    for months in range(1, 5):
        give(person, 20, now=T0 - timedelta(days=31 * months))
    big = give(person, 500)
    flags = run_day()["monthly_jump"]
    assert len(flags) == 1 and flags[0].subject_person_id == person.id
    assert flags[0].facts["total"] == 500 and flags[0].facts["usual"] == 20
    assert flags[0].facts["compared_with"] == "own"
    assert big["id"] in _evidence(flags[0], "transfer")


def test_monthly_jump_usual_month_is_no_flag(world, give, run_day):
    person = world.residents[0]
    for months in range(1, 5):
        give(person, 100, now=T0 - timedelta(days=31 * months))
    give(person, 120)
    assert "monthly_jump" not in run_day()


def test_monthly_jump_without_history_compares_with_the_community(world, give, run_day):
    for person in world.residents[:12]:
        give(person, 20)
    give(world.residents[12], 600)
    flags = run_day()["monthly_jump"]
    assert [f.subject_person_id for f in flags] == [world.residents[12].id]
    assert flags[0].facts["compared_with"] == "community"


# --- the run ---------------------------------------------------------------------------


def test_rerun_refreshes_one_flag_and_leaves_a_decided_one(world, activity, stay, run_day, actor_of):
    from points.supervision.operations import decide_flag

    act = activity()
    for i, p in enumerate(world.residents[:3]):
        stay(p, act, at(i * 3), device="d" * 64)
    first = run_day()["shared_device"]
    again = run_day()["shared_device"]
    assert [f.id for f in again] == [f.id for f in first]
    decide_flag(
        actor=actor_of(world.supervisor), flag_id=first[0].id, action="explain", note="一家人共用手机"
    )
    stay(world.residents[3], act, at(20), device="d" * 64)
    after = run_day()["shared_device"]
    assert len(after) == 1 and after[0].state == "explained" and after[0].facts["people"] == 3


# --- 5 ---------------------------------------------------------------------------------


def _accounts_made_by(staff, n, actor_of, residents_from: int = 100):
    from points.people import operations as people_ops

    return [
        people_ops.create_person(
            actor=actor_of(staff),
            phone=f"1390000{residents_from + i:04d}",
            name=f"新居民{i}",
            community_id=staff.community_id,
            now=at(-3 * 24 * 60),
        )
        for i in range(n)
    ]


def test_puppet_accounts_flag_staff_whose_own_new_accounts_earn_at_their_activity(
    world, activity, stay, run_day, actor_of
):
    """The trust review's scenario: a staff member makes accounts, runs an hourly activity at
    their station and checks those accounts in and out: the awards wait for approval now, and
    the pattern is flagged."""
    puppets = _accounts_made_by(world.s1, 2, actor_of)
    act = activity(maker=world.s1)
    made = [stay(p, act, at(0), at(60)) for p in puppets]
    flags = run_day()["puppet_accounts"]
    assert len(flags) == 1 and flags[0].subject_person_id == world.s1.id
    assert flags[0].facts["people"] == 2
    assert _evidence(flags[0], "checkin") == {c.id for c in made}
    assert len(_evidence(flags[0], "account_change")) == 2


def test_accounts_made_by_someone_else_are_no_puppets(world, activity, stay, run_day, actor_of):
    others = _accounts_made_by(world.s3, 2, actor_of)
    act = activity(maker=world.s1)
    for p in others:
        stay(p, act, at(0), at(60))
    assert "puppet_accounts" not in run_day()


# --- 7 ---------------------------------------------------------------------------------


def test_fast_verification_flags_claims_verified_before_their_task_ended(world, verified_claims, run_day):
    claims = verified_claims(3, verify_at=at(90))
    flags = run_day()["fast_verification"]
    assert len(flags) == 1 and flags[0].subject_person_id == world.s2.id
    assert _evidence(flags[0], "claim") == {c.id for c in claims}
    assert flags[0].facts["early"] == 3


def test_fast_verification_many_in_one_minute_without_check_ins(world, verified_claims, run_day, app):
    app.config["SUPERVISION_THRESHOLDS"] = {"fast_early": 99}
    try:
        claims = verified_claims(5, verify_at=at(300))
        flags = run_day()["fast_verification"]
    finally:
        app.config.pop("SUPERVISION_THRESHOLDS")
    assert _evidence(flags[0], "claim") == {c.id for c in claims}
    assert flags[0].facts["per_minute"] == 5 and flags[0].facts["early"] == 0


def test_claims_verified_after_the_end_one_by_one_are_no_flag(world, verified_claims, run_day):
    verified_claims(3, verify_at=at(300))
    assert "fast_verification" not in run_day()
