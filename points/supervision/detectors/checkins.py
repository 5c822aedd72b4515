"""Detectors over check-ins: bursts, overlapping stays, shared devices, and puppet accounts."""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import timedelta

import sqlalchemy as sa

from points.checkin.queries import checkin_times, stay_rows
from points.people.queries import account_change_rows
from points.supervision.detectors.base import (
    EVIDENCE_ROWS,
    Found,
    Window,
    day_of,
    independence_days,
    rows_of,
    setting,
)
from points.supervision.models import Detector
from points.supervision.sql import epoch

# --- 2. bursts of check-ins, and stays that overlap ------------------------------------

# People whose pairs are read per statement (bound parameters stay well under the limits).
CHUNK = 500


def _burst_candidates(w: Window, count: int, seconds: float) -> sa.Select:
    """Activities with half a burst (`count` / 2 check-ins) in one slot of `seconds`: a burst
    spans at most two slots, so one of them holds at least half of it. Counting per slot is one
    hashed grouping; only these activities' check-ins are then ordered to find the bursts."""
    s = checkin_times(since=w.start, until=w.end).subquery("stays")
    slot = sa.func.floor(epoch(s.c.checked_in_at) / max(seconds, 1))
    return (
        sa.select(s.c.activity_id)
        .group_by(s.c.activity_id, slot)
        .having(sa.func.count() >= math.ceil(count / 2))
        .distinct()
    )


def checkin_bursts(w: Window) -> list[Found]:
    """Activities where `burst_count` check-ins began within `burst_seconds`."""
    count, seconds = int(setting("burst_count")), setting("burst_seconds")
    activities = [activity_id for (activity_id,) in rows_of(_burst_candidates(w, count, seconds))]
    if not activities:
        return []
    s = stay_rows(since=w.start, until=w.end).subquery("stays")
    at = epoch(s.c.checked_in_at)
    later = sa.func.lead(at, count - 1).over(
        partition_by=s.c.activity_id, order_by=(s.c.checked_in_at, s.c.id)
    )
    ranked = (
        sa.select(
            s.c.activity_id,
            s.c.community_id,
            s.c.run_by_id,
            s.c.checked_in_at,
            at.label("t"),
            later.label("t_last"),
        )
        .where(s.c.activity_id.in_(activities))
        .subquery("ranked")
    )
    stmt = (
        sa.select(
            ranked.c.activity_id,
            ranked.c.community_id,
            ranked.c.run_by_id,
            sa.func.min(ranked.c.checked_in_at).label("first"),
            sa.func.min(ranked.c.t).label("t_first"),
            sa.func.max(ranked.c.t_last).label("t_end"),
        )
        .where(ranked.c.t_last - ranked.c.t <= seconds)
        .group_by(ranked.c.activity_id, ranked.c.community_id, ranked.c.run_by_id)
    )
    found = []
    for activity_id, community_id, run_by_id, first, t_first, t_end in rows_of(stmt):
        inside = (
            sa.select(s.c.id, s.c.person_id)
            .where(s.c.activity_id == activity_id, epoch(s.c.checked_in_at).between(t_first, t_end))
            .order_by(s.c.checked_in_at, s.c.id)
        )
        rows = rows_of(inside)
        found.append(
            Found(
                Detector.CHECKIN_BURST,
                community_id,
                f"activity:{activity_id}",
                day_of(first),
                float(len(rows)),
                {"count": len(rows), "seconds": round(t_end - t_first), "activity_id": activity_id},
                [{"type": "checkin", "id": r.id, "person_id": r.person_id} for r in rows[:EVIDENCE_ROWS]],
                subject_person_id=run_by_id,
            )
        )
    return found


def _overlap_candidates(w: Window) -> sa.Select:
    """People with a stay begun before the one before it (by check-in time) had ended: one pass
    in (person, check-in) order. Every person with an overlapping pair shows here (the stay
    after the pair's first begins no later than its second, so before the first has ended), so
    the exact pairs need only be looked for among these few people."""
    s = checkin_times(since=w.start, until=w.end).subquery("stays")
    ends = sa.func.coalesce(s.c.checked_out_at, s.c.checked_in_at)
    ended_before = sa.func.lag(ends).over(partition_by=s.c.person_id, order_by=s.c.checked_in_at)
    ordered = sa.select(s.c.person_id, s.c.checked_in_at, ended_before.label("ended_before")).subquery(
        "ordered"
    )
    return sa.select(ordered.c.person_id).where(ordered.c.ended_before > ordered.c.checked_in_at).distinct()


def _overlapping_pairs(w: Window, people: list[int]) -> sa.Select:
    """The overlapping pairs of stays (at two activities) of `people`."""
    # Two subqueries, not one shared table: each joins the check-ins by person through their index.
    one = stay_rows(since=w.start, until=w.end).subquery("one")
    two = stay_rows(since=w.start, until=w.end).subquery("two")
    ends_one = sa.func.coalesce(one.c.checked_out_at, one.c.checked_in_at)
    ends_two = sa.func.coalesce(two.c.checked_out_at, two.c.checked_in_at)
    return (
        sa.select(one.c.person_id, one.c.id, two.c.id.label("other"), two.c.community_id, two.c.checked_in_at)
        .join(
            two,
            sa.and_(
                two.c.person_id == one.c.person_id,
                two.c.id > one.c.id,
                two.c.activity_id != one.c.activity_id,
                two.c.checked_in_at < ends_one,
                one.c.checked_in_at < ends_two,
            ),
        )
        # Both sides named by person, not one: else the other side is every check-in in the
        # window, hashed whole to meet these few people's.
        .where(one.c.person_id.in_(people), two.c.person_id.in_(people))
        .order_by(one.c.person_id, one.c.id)
    )


def overlapping_stays(w: Window) -> list[Found]:
    """People in at two activities at once (a stay begun inside another of theirs)."""
    people = [person_id for (person_id,) in rows_of(_overlap_candidates(w))]
    if not people:
        return []
    grouped: dict[tuple[int, str], list] = defaultdict(list)
    for start in range(0, len(people), CHUNK):
        for row in rows_of(_overlapping_pairs(w, people[start : start + CHUNK])):
            grouped[(row.person_id, day_of(row.checked_in_at))].append(row)
    found = []
    for (person_id, day), rows in grouped.items():
        ids = sorted({r.id for r in rows} | {r.other for r in rows})
        found.append(
            Found(
                Detector.OVERLAPPING_STAYS,
                rows[0].community_id,
                f"person:{person_id}",
                day,
                float(len(rows)),
                {"count": len(rows)},
                [{"type": "checkin", "id": i} for i in ids[:EVIDENCE_ROWS]],
                subject_person_id=person_id,
            )
        )
    return found


# --- 3. many people from one device -----------------------------------------------------


def shared_devices(w: Window) -> list[Found]:
    """Devices that `device_people` or more different people checked in from (self-scans)."""
    s = stay_rows(since=w.start, until=w.end).subquery("stays")
    # Devices and people first, then people per device: two hashed groupings, where a count of
    # distinct people would sort every check-in by its device.
    pairs = (
        sa.select(s.c.device_hash, sa.func.min(s.c.community_id).label("community_id"))
        .where(s.c.device_hash.is_not(None), s.c.by_staff_id.is_(None))
        .group_by(s.c.device_hash, s.c.person_id)
        .subquery("pairs")
    )
    people = sa.func.count()
    stmt = (
        sa.select(
            pairs.c.device_hash,
            people.label("people"),
            sa.func.min(pairs.c.community_id).label("community_id"),
        )
        .group_by(pairs.c.device_hash)
        .having(people >= setting("device_people"))
    )
    found = []
    for device_hash, count, community_id in rows_of(stmt):
        rows = rows_of(
            sa.select(s.c.id, s.c.person_id, s.c.user_agent)
            .where(s.c.device_hash == device_hash, s.c.by_staff_id.is_(None))
            .order_by(s.c.id)
            .limit(EVIDENCE_ROWS)
        )
        found.append(
            Found(
                Detector.SHARED_DEVICE,
                community_id,
                f"device:{device_hash[:32]}",
                w.month,
                float(count),
                {"people": count, "user_agent": (rows[0].user_agent or "")[:120]},
                [{"type": "checkin", "id": r.id, "person_id": r.person_id} for r in rows],
            )
        )
    return found


# --- 5. puppet accounts -----------------------------------------------------------------

# Changes after which the staff member may hold the account's password.
TAKEOVERS = ("created", "password_reset", "unlocked")


def _puppet_stays(w: Window) -> sa.CTE:
    """Paid stays at a staff member's activity by people whose accounts that staff member
    created, reset or unlocked within the independence window before."""
    days = independence_days()
    s = stay_rows(since=w.start, until=w.end).subquery("stays")
    ch = account_change_rows(since=w.start - timedelta(days=days), until=w.end, changes=TAKEOVERS).subquery(
        "changes"
    )
    return (
        sa.select(s.c.id, s.c.person_id, s.c.run_by_id, s.c.community_id, ch.c.id.label("change_id"))
        .join(
            ch,
            sa.and_(
                ch.c.person_id == s.c.person_id,
                ch.c.changed_by_id == s.c.run_by_id,
                ch.c.created_at <= s.c.checked_in_at,
                epoch(s.c.checked_in_at) - epoch(ch.c.created_at) <= days * 86400,
            ),
        )
        .where(s.c.points > 0)
        .cte("puppet_stays")
    )


def puppet_accounts(w: Window) -> list[Found]:
    """Staff whose activities paid points to `puppet_people` or more people whose accounts that
    staff member created, reset or unlocked within the independence window before."""
    joined = _puppet_stays(w)
    # The staff who pass and their stays in one statement: the join is made once (a CTE read
    # twice is materialized), not again for the evidence.
    people = sa.func.count(sa.distinct(joined.c.person_id))
    flagged = (
        sa.select(
            joined.c.run_by_id,
            sa.func.min(joined.c.community_id).label("community_id"),
            people.label("people"),
        )
        .group_by(joined.c.run_by_id)
        .having(people >= setting("puppet_people"))
        .cte("flagged")
    )
    stays: dict[int, list] = defaultdict(list)
    for row in rows_of(
        sa.select(joined.c.id, joined.c.person_id, joined.c.change_id, flagged)
        .join(flagged, flagged.c.run_by_id == joined.c.run_by_id)
        .order_by(joined.c.id)
    ):
        stays[row.run_by_id].append(row)
    found = []
    for staff_id, every in stays.items():
        community_id, count, rows = every[0].community_id, every[0].people, every[:EVIDENCE_ROWS]
        changes = sorted({r.change_id for r in rows})
        evidence = [{"type": "checkin", "id": r.id, "person_id": r.person_id} for r in rows]
        evidence += [{"type": "account_change", "id": i} for i in changes]
        found.append(
            Found(
                Detector.PUPPET_ACCOUNTS,
                community_id,
                f"person:{staff_id}",
                w.month,
                float(count),
                {"people": count, "stays": len(rows)},
                evidence,
                subject_person_id=staff_id,
            )
        )
    return found
