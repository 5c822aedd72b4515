"""The detectors: each one SQL statement over a window of other domains' rows (read through
their queries), answering what it found with a score and the rows that make it.

Events (bursts, overlapping stays, fast verifications) belong to the local day they happened
on; patterns in totals (pairs, devices, clusters, puppets, monthly jumps) to the local month of
the run. A flag is unique per detector, subject and that period, so a nightly run that finds
the same thing again refreshes one flag rather than adding another.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from flask import current_app

from points.db import LOCAL_TZ, session

# Thresholds, each overridable in SUPERVISION_THRESHOLDS (README: "Anomaly flags").
DEFAULTS: dict[str, float] = {
    # 1: each has given the other at least this many awards or verifications, and for one of
    # them that is at least this share of all they gave.
    "mutual_min_each": 2,
    "mutual_share": 0.3,
    # 2: this many check-ins at one activity within this many seconds.
    "burst_count": 15,
    "burst_seconds": 10,
    # 3: this many different people checked in from one device.
    "device_people": 3,
    # 4: discretionary points under one approver or requester: this share of the community's
    # award points of the kind, at least this many awards and points.
    "discretionary_share": 0.3,
    "discretionary_min_awards": 3,
    "discretionary_min_points": 100,
    # 5: this many people whose accounts the activity's maker created, reset or unlocked
    # earned points at that person's activities.
    "puppet_people": 2,
    # 6: robust z-score of a month's total at least this, for totals of at least this many
    # points; own history needs this many earlier months (of `jump_history_months`), else the
    # community's month, which needs this many earners.
    "jump_z": 5.0,
    "jump_min_points": 100,
    "jump_history_months": 6,
    "jump_min_history": 3,
    "jump_min_community": 10,
    # 7: claims verified before their task ended, or verified within one minute without a
    # check-in, by one verifier in one day.
    "fast_early": 3,
    "fast_per_minute": 5,
}
EVIDENCE_ROWS = 50


def setting(name: str) -> float:
    return current_app.config.get("SUPERVISION_THRESHOLDS", {}).get(name, DEFAULTS[name])


@dataclass(frozen=True)
class Window:
    """What one run looks at: [start, end), the run's local day and month, and from when the
    monthly jump reads history."""

    start: datetime
    end: datetime
    day: str
    month: str
    month_start: datetime
    history_start: datetime
    # (month, its start in UTC), newest first, from the run's month back to `history_start`.
    months: tuple[tuple[str, datetime], ...] = ()

    @classmethod
    def ending_on(cls, day: str, *, days: int, history_months: int) -> Window:
        """The window of `days` days ending with the local day `day` ('2026-11-24')."""
        local = datetime.strptime(day, "%Y-%m-%d").replace(tzinfo=LOCAL_TZ)
        end = (local + timedelta(days=1)).astimezone(UTC)
        month_start = local.replace(day=1)
        first = month_start
        months = [(first.strftime("%Y-%m"), first.astimezone(UTC))]
        for _ in range(history_months):
            first = (first - timedelta(days=1)).replace(day=1)
            months.append((first.strftime("%Y-%m"), first.astimezone(UTC)))
        return cls(
            start=end - timedelta(days=days),
            end=end,
            day=day,
            month=local.strftime("%Y-%m"),
            month_start=month_start.astimezone(UTC),
            history_start=first.astimezone(UTC),
            months=tuple(months),
        )


@dataclass
class Found:
    detector: str
    community_id: int
    subject_key: str
    period: str
    score: float
    facts: dict
    evidence: list[dict] = field(default_factory=list)
    subject_person_id: int | None = None
    related_person_id: int | None = None


def rows_of(stmt) -> list:
    return list(session().connection().execute(stmt))


def day_of(moment: datetime) -> str:
    return moment.astimezone(LOCAL_TZ).strftime("%Y-%m-%d")


def independence_days() -> int:
    """How long a staff change to an account ties the two people (INDEPENDENCE_DAYS)."""
    return current_app.config["INDEPENDENCE_DAYS"]
