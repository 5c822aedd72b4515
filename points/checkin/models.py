"""Persistence for QR check-in: station signing keys, activities, check-ins and member cards."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from points.columns import OptionalTimestamp, Timestamp, choice_check, partial_index, values_in
from points.db import UTCDateTime
from points.labels import N_, Choice
from points.ledger.models import Kind


class ActivityState(Choice):
    """Whether an activity takes place; when it runs is its hours (`queries.phase`)."""

    ACTIVE = "active", N_("正常")
    CANCELLED = "cancelled", N_("已取消")


class CloseRule(Choice):
    """By which rule the closing job closed a check-in nobody checked out of."""

    CREDIT_UNTIL_END = "credit_until_end", N_("计至活动结束")
    NO_CREDIT = "no_credit", N_("不计积分")


class ScanAction(Choice):
    """What a scan (or staff at the desk) may pin: in or out."""

    IN = "in", N_("签到")
    OUT = "out", N_("签退")


class StationKey(SQLModel, table=True):
    """The key a station signs its QR codes with; rotating it voids every code signed before."""

    __tablename__ = "station_keys"
    __table_args__ = (sa.CheckConstraint("version > 0", name="version_positive"),)

    station_id: int = Field(
        foreign_key="stations.id", primary_key=True, sa_column_kwargs={"autoincrement": False}
    )
    version: int = Field(default=1)
    secret: bytes = Field(sa_type=sa.LargeBinary(32))
    rotated_at: datetime = Timestamp()
    rotated_by_id: int | None = Field(default=None, foreign_key="people.id")


class Activity(SQLModel, table=True):
    """Something happening at a station in a time window that people check in to."""

    __tablename__ = "activities"
    __table_args__ = (
        choice_check("state", ActivityState),
        sa.CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        sa.CheckConstraint("hourly_rate IS NULL OR hourly_rate >= 0", name="rate_nonnegative"),
        sa.CheckConstraint("daily_cap IS NULL OR daily_cap > 0", name="cap_positive"),
        # Points for a task come from verifying its claim, never also by the hour.
        sa.CheckConstraint("task_id IS NULL OR hourly_rate IS NULL", name="task_or_rate"),
        sa.CheckConstraint("auto_posted_points >= 0", name="auto_posted_nonnegative"),
        sa.Index("ix_activities_station_ends", "station_id", "ends_at"),
        sa.Index("ix_activities_state_ends", "state", "ends_at"),
        # The activities list, latest start first.
        sa.Index("ix_activities_starts", "starts_at", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    station_id: int = Field(foreign_key="stations.id")
    # The community whose pool pays the activity's awards.
    community_id: int = Field(foreign_key="org_nodes.id", index=True)
    title: str = Field(max_length=100)
    starts_at: datetime = Field(sa_type=UTCDateTime)
    ends_at: datetime = Field(sa_type=UTCDateTime)
    task_id: int | None = Field(default=None, foreign_key="tasks.id", index=True)
    # Points per hour of presence (值班); None: presence earns nothing by the hour.
    hourly_rate: int | None = Field(default=None)
    # Most points one person earns here in one local day; None: only the global cap.
    daily_cap: int | None = Field(default=None)
    state: str = Field(default="active", max_length=12)
    created_by_id: int = Field(foreign_key="people.id")
    # An hourly rate pays without approval only once a second, independent staff member
    # confirmed it; until then every stay's award waits in the approval queue.
    rate_confirmed_by_id: int | None = Field(default=None, foreign_key="people.id")
    rate_confirmed_at: datetime | None = OptionalTimestamp()
    # Points this activity has posted without approval so far, against CHECKIN_ACTIVITY_AUTO_POST_CAP.
    auto_posted_points: int = Field(default=0)
    created_at: datetime = Timestamp()
    cancelled_at: datetime | None = OptionalTimestamp()


class CheckIn(SQLModel, table=True):
    """One stay of a person at an activity: checked in, then checked out (or closed at the end)."""

    __tablename__ = "checkins"
    __table_args__ = (
        # One open check-in per person and activity, whatever races: concurrent scans make one.
        partial_index(
            "uq_checkins_open", "activity_id", "person_id", where="checked_out_at IS NULL", unique=True
        ),
        # A person's and an activity's check-ins, newest first (the id breaks ties of a page).
        sa.Index("ix_checkins_person_in", "person_id", "checked_in_at", "id"),
        sa.Index("ix_checkins_activity_in", "activity_id", "checked_in_at", "id"),
        sa.Index("ix_checkins_device_in", "device_hash", "checked_in_at"),
        sa.CheckConstraint("checked_out_at IS NULL OR checked_out_at >= checked_in_at", name="out_after_in"),
        sa.CheckConstraint(
            f"close_rule IS NULL OR {values_in('close_rule', CloseRule.values())}", name="close_rule"
        ),
        sa.CheckConstraint(f"kind IS NULL OR {values_in('kind', Kind.values())}", name="kind"),
        sa.CheckConstraint("points IS NULL OR points >= 0", name="points_nonnegative"),
        sa.CheckConstraint("closed_by_job = (close_rule IS NOT NULL)", name="job_states_rule"),
    )

    id: int | None = Field(default=None, primary_key=True)
    activity_id: int = Field(foreign_key="activities.id")
    person_id: int = Field(foreign_key="people.id")
    checked_in_at: datetime = Field(sa_type=UTCDateTime)
    checked_out_at: datetime | None = OptionalTimestamp()
    # Scanned from a printed poster: nobody watched, so its award always needs approval.
    unattended: bool = Field(default=False)
    # The staff member who checked the person in (member card or list), and out.
    by_staff_id: int | None = Field(default=None, foreign_key="people.id")
    out_by_staff_id: int | None = Field(default=None, foreign_key="people.id")
    # The board claim this check-in marked (for an activity linked to a task).
    claim_id: int | None = Field(default=None, foreign_key="claims.id")
    # A self-scan's browser: the SHA-256 of its device cookie (or the app's device id) and its
    # user agent, so supervisors see many people checked in from one phone. Never an address
    # alone: a station's phones share its Wi-Fi.
    device_hash: str | None = Field(default=None, max_length=64)
    user_agent: str | None = Field(default=None, max_length=200)
    # Not left open at the end by the person: the scheduled job closed it by this rule.
    closed_by_job: bool = Field(default=False)
    close_rule: str | None = Field(default=None, max_length=20)
    # Filled at check-out: minutes credited within the activity's hours, the kind and
    # points earned (after the daily caps), and the ledger award asked for them.
    minutes: int | None = Field(default=None)
    kind: str | None = Field(default=None, max_length=8)
    points: int | None = Field(default=None)
    is_capped: bool = Field(default=False)
    # The ledger's transfer (its key is checkin:{id}:award); its state is read from the ledger.
    award_transfer_id: int | None = Field(default=None, foreign_key="ledger_transfers.id")
    # Why no award could be asked for: the ledger's refusal as data (`DomainError.as_refusal`:
    # code, message, values), e.g. budget_exceeded, put into words when shown (`refusal_text`).
    # The check-out stands regardless.
    award_refusal: dict | None = Field(default=None, sa_type=sa.JSON(none_as_null=True))
    updated_at: datetime = Timestamp()


class MemberCard(SQLModel, table=True):
    """A person's printed card for checking in without a phone; reissuing voids the old card."""

    __tablename__ = "member_cards"
    __table_args__ = (sa.CheckConstraint("serial > 0", name="serial_positive"),)

    person_id: int = Field(
        foreign_key="people.id", primary_key=True, sa_column_kwargs={"autoincrement": False}
    )
    serial: int = Field(default=1)
    issued_at: datetime = Timestamp()
    issued_by_id: int | None = Field(default=None, foreign_key="people.id")
