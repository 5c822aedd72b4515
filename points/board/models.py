"""Persistence for the task board: tasks and the claims on them, and the names of their states."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from points.columns import OptionalTimestamp, Timestamp, choice_check, partial_index, values_in
from points.db import UTCDateTime
from points.labels import N_, Choice


class Category(Choice):
    """What a task, a demand or a resource is about; the stored value is the Chinese name."""

    ENVIRONMENT = "环境整治", N_("环境整治")
    ELDERLY_CARE = "助老助残", N_("助老助残")
    CIVILITY = "文明劝导", N_("文明劝导")
    MEDIATION = "矛盾调解", N_("矛盾调解")
    SERVICES = "便民服务", N_("便民服务")
    CULTURE = "文体活动", N_("文体活动")
    POLICY = "政策宣讲", N_("政策宣讲")
    EMERGENCY = "应急值守", N_("应急值守")
    OTHER = "其他", N_("其他")


class Eligibility(Choice):
    """Who may claim a task."""

    PARTY_MEMBERS = "party_members", N_("党员")
    RESIDENTS = "residents", N_("居民")
    UNITS = "units", N_("单位")
    ANYONE = "anyone", N_("不限")


class FillMode(Choice):
    """How a task's slots fill: at once, or by a recorded draw among the applications."""

    FIRST_COME = "first_come", N_("先到先得")
    DRAW = "draw", N_("报名后抽签")
    FEWER_RECENT = "fewer_recent", N_("报名后优先近期服务少的人")


class TaskState(Choice):
    DRAFT = "draft", N_("草稿")
    POSTED = "posted", N_("张榜中")
    CLOSED = "closed", N_("已截止")
    DONE = "done", N_("已完成")
    CANCELLED = "cancelled", N_("已取消")


class ClaimState(Choice):
    # An application to a task filled by a draw, waiting for it.
    APPLIED = "applied", N_("已报名待抽签")
    # The draw did not pick it.
    NOT_SELECTED = "not_selected", N_("未抽中")
    # Dispatched (派单), waiting for the assignee to accept.
    OFFERED = "offered", N_("待接单")
    CLAIMED = "claimed", N_("已揭榜")
    CHECKED_IN = "checked_in", N_("已签到")
    SUBMITTED = "submitted", N_("待验收")
    VERIFIED = "verified", N_("已验收")
    WITHDRAWN = "withdrawn", N_("已退出")
    DECLINED = "declined", N_("已拒绝派单")
    NO_SHOW = "no_show", N_("未到场")
    REJECTED = "rejected", N_("未通过")
    # The task was cancelled.
    RELEASED = "released", N_("任务取消")


# These hold a slot; "full" is computed from them, so a withdrawal reopens one.
SLOT_STATES = (
    ClaimState.OFFERED,
    ClaimState.CLAIMED,
    ClaimState.CHECKED_IN,
    ClaimState.SUBMITTED,
    ClaimState.VERIFIED,
)
# One live claim per person or unit per task: a slot, or an application waiting for the draw.
LIVE_CLAIM_STATES = (ClaimState.APPLIED, *SLOT_STATES)
LIVE_CLAIM = "state IN ('applied', 'offered', 'claimed', 'checked_in', 'submitted', 'verified')"
CLAIMANT_TYPES = ("person", "unit")
# Tasks everyone sees; drafts and cancelled tasks only staff of the community.
PUBLIC_TASK_STATES = (TaskState.POSTED, TaskState.CLOSED, TaskState.DONE)
# Tasks that still run: claims may be dispatched, accepted and reported.
RUNNING_TASK_STATES = (TaskState.POSTED, TaskState.CLOSED)


class Task(SQLModel, table=True):
    __tablename__ = "tasks"
    __table_args__ = (
        choice_check("category", Category),
        choice_check("eligibility", Eligibility),
        choice_check("state", TaskState),
        choice_check("fill_mode", FillMode),
        sa.CheckConstraint("slots > 0", name="slots_positive"),
        sa.CheckConstraint("reward_hongsong >= 0 AND reward_xingan >= 0", name="rewards_nonnegative"),
        sa.CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        # The board reads a community's tasks of some states in start order.
        sa.Index("ix_tasks_community_state_start", "community_id", "state", "starts_at", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    community_id: int = Field(foreign_key="org_nodes.id")
    title: str = Field(max_length=100)
    description: str = Field(default="", max_length=2000)
    category: str = Field(max_length=16)
    station_id: int | None = Field(default=None, foreign_key="stations.id", index=True)
    place: str = Field(default="", max_length=200)
    starts_at: datetime = Field(sa_type=UTCDateTime)
    ends_at: datetime = Field(sa_type=UTCDateTime)
    claim_deadline: datetime = Field(sa_type=UTCDateTime)
    slots: int
    eligibility: str = Field(max_length=16)
    reward_hongsong: int = Field(default=0)
    reward_xingan: int = Field(default=0)
    requires_checkin: bool = Field(default=False)
    requires_unit_confirm: bool = Field(default=False)
    # A check-in at the task's activity claims a free slot on the spot.
    allows_walk_in: bool = Field(default=False)
    # Oversubscribed tasks take applications until the deadline, then fill their slots by a
    # recorded draw: the seed and the applicants it ranked make the result reproducible.
    fill_mode: str = Field(default="first_come", max_length=12)
    draw_seed: str | None = Field(default=None, max_length=64)
    drawn_at: datetime | None = OptionalTimestamp()
    state: str = Field(default="draft", max_length=12)
    # The resident's demand this task answers (points.demands), when it was made from one.
    demand_id: int | None = Field(default=None, foreign_key="demands.id", index=True)
    created_by_id: int = Field(foreign_key="people.id")
    posted_at: datetime | None = OptionalTimestamp()
    closed_at: datetime | None = OptionalTimestamp()
    done_at: datetime | None = OptionalTimestamp()
    cancelled_at: datetime | None = OptionalTimestamp()
    cancel_reason: str = Field(default="", max_length=500)
    created_at: datetime = Timestamp()


class Claim(SQLModel, table=True):
    """揭榜: a person, or a unit through its admin, takes one slot of a task."""

    __tablename__ = "claims"
    __table_args__ = (
        choice_check("state", ClaimState),
        sa.CheckConstraint(values_in("claimant_type", CLAIMANT_TYPES), name="claimant_type"),
        sa.CheckConstraint(
            "(claimant_type = 'person' AND unit_id IS NULL) OR (claimant_type = 'unit' AND unit_id IS NOT NULL)",
            name="claimant",
        ),
        sa.CheckConstraint("kind IN ('hongsong', 'xingan')", name="kind"),
        # One live claim per person (or unit) per task, whatever races.
        partial_index(
            "uq_claims_live_person",
            "task_id",
            "person_id",
            where=f"claimant_type = 'person' AND {LIVE_CLAIM}",
            unique=True,
        ),
        partial_index(
            "uq_claims_live_unit",
            "task_id",
            "unit_id",
            where=f"claimant_type = 'unit' AND {LIVE_CLAIM}",
            unique=True,
        ),
        sa.Index("ix_claims_task_state", "task_id", "state"),
        # My claims (a person's, a unit's) latest change first; the verification queue.
        sa.Index("ix_claims_person_updated", "person_id", "updated_at", "id"),
        sa.Index("ix_claims_unit_updated", "unit_id", "updated_at", "id"),
        partial_index("ix_claims_submitted", "submitted_at", "id", where="state = 'submitted'"),
    )

    id: int | None = Field(default=None, primary_key=True)
    task_id: int = Field(foreign_key="tasks.id")
    claimant_type: str = Field(max_length=8)
    # The person who claims (for a unit: its admin who acted, or the assignee's contact).
    person_id: int = Field(foreign_key="people.id", index=True)
    unit_id: int | None = Field(default=None, foreign_key="units.id", index=True)
    # Which kind the claim earns, fixed by who acted when they claimed.
    kind: str = Field(max_length=8)
    # The unit that must confirm the service (双向验单), when the task asks for it.
    confirming_unit_id: int | None = Field(default=None, foreign_key="units.id", index=True)
    state: str = Field(default="claimed", max_length=12)
    is_walk_in: bool = Field(default=False)
    dispatched_by_id: int | None = Field(default=None, foreign_key="people.id")
    note: str = Field(default="", max_length=1000)
    reason: str = Field(default="", max_length=500)
    checked_in_at: datetime | None = OptionalTimestamp()
    submitted_at: datetime | None = OptionalTimestamp()
    community_verified_by_id: int | None = Field(default=None, foreign_key="people.id")
    community_verified_at: datetime | None = OptionalTimestamp()
    unit_verified_by_id: int | None = Field(default=None, foreign_key="people.id")
    unit_verified_at: datetime | None = OptionalTimestamp()
    # The pending award asked of the ledger; its state is read from the ledger.
    award_transfer_id: int | None = Field(default=None, foreign_key="ledger_transfers.id")
    decided_by_id: int | None = Field(default=None, foreign_key="people.id")
    created_at: datetime = Timestamp()
    updated_at: datetime = Timestamp()
