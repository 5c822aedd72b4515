"""Persistence for the task board: tasks, claims, demands, resources and projects."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from points.db import UTCDateTime, utcnow
from points.org.models import _in

CATEGORIES = (
    "环境整治",
    "助老助残",
    "文明劝导",
    "矛盾调解",
    "便民服务",
    "文体活动",
    "政策宣讲",
    "应急值守",
    "其他",
)
ELIGIBILITY = ("party_members", "residents", "units", "anyone")
ELIGIBILITY_NAMES = {"party_members": "党员", "residents": "居民", "units": "单位", "anyone": "不限"}
TASK_STATES = ("draft", "posted", "closed", "done", "cancelled")
TASK_STATE_NAMES = {
    "draft": "草稿",
    "posted": "张榜中",
    "closed": "已截止",
    "done": "已完成",
    "cancelled": "已取消",
}
FILL_MODES = ("first_come", "draw", "fewer_recent")
FILL_MODE_NAMES = {"first_come": "先到先得", "draw": "报名后抽签", "fewer_recent": "报名后优先近期服务少的人"}
CLAIM_STATES = (
    "applied",  # an application to a task filled by a draw, waiting for it
    "not_selected",  # the draw did not pick it
    "offered",  # dispatched (派单), waiting for the assignee to accept
    "claimed",
    "checked_in",
    "submitted",
    "verified",
    "withdrawn",
    "declined",
    "no_show",
    "rejected",
    "released",  # the task was cancelled
)
CLAIM_STATE_NAMES = {
    "applied": "已报名待抽签",
    "not_selected": "未抽中",
    "offered": "待接单",
    "claimed": "已揭榜",
    "checked_in": "已签到",
    "submitted": "待验收",
    "verified": "已验收",
    "withdrawn": "已退出",
    "declined": "已拒绝派单",
    "no_show": "未到场",
    "rejected": "未通过",
    "released": "任务取消",
}
# These hold a slot; "full" is computed from them, so a withdrawal reopens one.
SLOT_STATES = ("offered", "claimed", "checked_in", "submitted", "verified")
# One live claim per person or unit per task: a slot, or an application waiting for the draw.
LIVE_CLAIM_STATES = ("applied", *SLOT_STATES)
LIVE_CLAIM = "state IN ('applied', 'offered', 'claimed', 'checked_in', 'submitted', 'verified')"
CLAIMANT_TYPES = ("person", "unit")
DEMAND_STATES = ("open", "accepted", "done", "declined", "withdrawn")
DEMAND_STATE_NAMES = {
    "open": "待受理",
    "accepted": "已受理",
    "done": "已完成",
    "declined": "未受理",
    "withdrawn": "已撤回",
}
RESOURCE_OWNERS = ("person", "unit")


class Task(SQLModel, table=True):
    __tablename__ = "tasks"
    __table_args__ = (
        sa.CheckConstraint(_in("category", CATEGORIES), name="category"),
        sa.CheckConstraint(_in("eligibility", ELIGIBILITY), name="eligibility"),
        sa.CheckConstraint(_in("state", TASK_STATES), name="state"),
        sa.CheckConstraint(_in("fill_mode", FILL_MODES), name="fill_mode"),
        sa.CheckConstraint("slots > 0", name="slots_positive"),
        sa.CheckConstraint("reward_hongsong >= 0 AND reward_xingan >= 0", name="rewards_nonnegative"),
        sa.CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        sa.Index("ix_tasks_community_state", "community_id", "state"),
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
    drawn_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    state: str = Field(default="draft", max_length=12)
    demand_id: int | None = Field(default=None, foreign_key="demands.id", index=True)
    created_by_id: int = Field(foreign_key="people.id")
    posted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    done_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    cancelled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    cancel_reason: str = Field(default="", max_length=500)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class Claim(SQLModel, table=True):
    """揭榜: a person, or a unit through its admin, takes one slot of a task."""

    __tablename__ = "claims"
    __table_args__ = (
        sa.CheckConstraint(_in("state", CLAIM_STATES), name="state"),
        sa.CheckConstraint(_in("claimant_type", CLAIMANT_TYPES), name="claimant_type"),
        sa.CheckConstraint(
            "(claimant_type = 'person' AND unit_id IS NULL) OR (claimant_type = 'unit' AND unit_id IS NOT NULL)",
            name="claimant",
        ),
        sa.CheckConstraint("kind IN ('hongsong', 'xingan')", name="kind"),
        # One live claim per person (or unit) per task, whatever races.
        sa.Index(
            "uq_claims_live_person",
            "task_id",
            "person_id",
            unique=True,
            sqlite_where=sa.text(f"claimant_type = 'person' AND {LIVE_CLAIM}"),
            postgresql_where=sa.text(f"claimant_type = 'person' AND {LIVE_CLAIM}"),
        ),
        sa.Index(
            "uq_claims_live_unit",
            "task_id",
            "unit_id",
            unique=True,
            sqlite_where=sa.text(f"claimant_type = 'unit' AND {LIVE_CLAIM}"),
            postgresql_where=sa.text(f"claimant_type = 'unit' AND {LIVE_CLAIM}"),
        ),
        sa.Index("ix_claims_task_state", "task_id", "state"),
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
    checked_in_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    submitted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    community_verified_by_id: int | None = Field(default=None, foreign_key="people.id")
    community_verified_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    unit_verified_by_id: int | None = Field(default=None, foreign_key="people.id")
    unit_verified_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # The pending award asked of the ledger; its state is read from the ledger.
    award_transfer_id: int | None = Field(default=None, foreign_key="ledger_transfers.id")
    decided_by_id: int | None = Field(default=None, foreign_key="people.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class Demand(SQLModel, table=True):
    """居民点单: a resident asks for help; staff accept it as a task or decline it."""

    __tablename__ = "demands"
    __table_args__ = (
        sa.CheckConstraint(_in("category", CATEGORIES), name="category"),
        sa.CheckConstraint(_in("state", DEMAND_STATES), name="state"),
        sa.CheckConstraint("rating IS NULL OR (rating BETWEEN 1 AND 5)", name="rating_range"),
        sa.Index("ix_demands_community_state", "community_id", "state"),
    )

    id: int | None = Field(default=None, primary_key=True)
    community_id: int = Field(foreign_key="org_nodes.id")
    grid_id: int | None = Field(default=None, foreign_key="org_nodes.id")
    requester_id: int = Field(foreign_key="people.id", index=True)
    # A grid worker or staff member who asked on the resident's behalf.
    created_by_id: int = Field(foreign_key="people.id")
    category: str = Field(max_length=16)
    details: str = Field(max_length=1000)
    place: str = Field(default="", max_length=200)
    preferred_time: str = Field(default="", max_length=100)
    state: str = Field(default="open", max_length=12)
    decided_by_id: int | None = Field(default=None, foreign_key="people.id")
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    decline_reason: str = Field(default="", max_length=500)
    rating: int | None = Field(default=None)
    comment: str = Field(default="", max_length=500)
    rated_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class Resource(SQLModel, table=True):
    """资源清单: what a unit or a party member offers a community."""

    __tablename__ = "resources"
    __table_args__ = (
        sa.CheckConstraint(_in("category", CATEGORIES), name="category"),
        sa.CheckConstraint(_in("owner_type", RESOURCE_OWNERS), name="owner_type"),
        sa.CheckConstraint(
            "(owner_type = 'person' AND unit_id IS NULL) OR (owner_type = 'unit' AND unit_id IS NOT NULL)",
            name="owner",
        ),
        sa.CheckConstraint("capacity > 0", name="capacity_positive"),
    )

    id: int | None = Field(default=None, primary_key=True)
    community_id: int = Field(foreign_key="org_nodes.id", index=True)
    owner_type: str = Field(max_length=8)
    # The member who offers it, or the unit admin who declared it for the unit.
    person_id: int = Field(foreign_key="people.id", index=True)
    unit_id: int | None = Field(default=None, foreign_key="units.id", index=True)
    category: str = Field(max_length=16)
    description: str = Field(max_length=1000)
    capacity: int = Field(default=1)
    availability: str = Field(default="", max_length=200)
    is_active: bool = Field(default=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class Project(SQLModel, table=True):
    """项目清单: a demand matched with resources, confirmed by staff."""

    __tablename__ = "projects"

    id: int | None = Field(default=None, primary_key=True)
    community_id: int = Field(foreign_key="org_nodes.id", index=True)
    demand_id: int = Field(foreign_key="demands.id", unique=True)
    title: str = Field(max_length=100)
    confirmed_by_id: int = Field(foreign_key="people.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class ProjectResource(SQLModel, table=True):
    __tablename__ = "project_resources"

    project_id: int = Field(foreign_key="projects.id", primary_key=True)
    resource_id: int = Field(foreign_key="resources.id", primary_key=True)
