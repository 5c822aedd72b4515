"""Persistence for demands, resources and projects, and the names of a demand's states."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from points.board.models import Category
from points.columns import OptionalTimestamp, Timestamp, choice_check, values_in
from points.labels import N_, Choice


class DemandState(Choice):
    OPEN = "open", N_("待受理")
    ACCEPTED = "accepted", N_("已受理")
    DONE = "done", N_("已完成")
    DECLINED = "declined", N_("未受理")
    WITHDRAWN = "withdrawn", N_("已撤回")


# Demand photos' folder under the media folder (points.photos).
PHOTOS = "demands"
RESOURCE_OWNERS = ("person", "unit")
# A rating (双评价) is a whole number of stars.
LOWEST_RATING, HIGHEST_RATING = 1, 5


class Demand(SQLModel, table=True):
    """居民点单: a resident asks for help; staff accept it as a task or decline it."""

    __tablename__ = "demands"
    __table_args__ = (
        choice_check("category", Category),
        choice_check("state", DemandState),
        sa.CheckConstraint(
            f"rating IS NULL OR (rating BETWEEN {LOWEST_RATING} AND {HIGHEST_RATING})", name="rating_range"
        ),
        sa.Index("ix_demands_community_state", "community_id", "state"),
        # The demands list, newest first.
        sa.Index("ix_demands_created", "created_at", "id"),
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
    # The photo's file name in the media folder's PHOTOS (content-addressed), if one was sent.
    photo: str | None = Field(default=None, max_length=80)
    state: str = Field(default="open", max_length=12)
    decided_by_id: int | None = Field(default=None, foreign_key="people.id")
    decided_at: datetime | None = OptionalTimestamp()
    decline_reason: str = Field(default="", max_length=500)
    rating: int | None = Field(default=None)
    comment: str = Field(default="", max_length=500)
    rated_at: datetime | None = OptionalTimestamp()
    created_at: datetime = Timestamp()


class Resource(SQLModel, table=True):
    """资源清单: what a unit or a party member offers a community."""

    __tablename__ = "resources"
    __table_args__ = (
        choice_check("category", Category),
        sa.CheckConstraint(values_in("owner_type", RESOURCE_OWNERS), name="owner_type"),
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
    created_at: datetime = Timestamp()


class Project(SQLModel, table=True):
    """项目清单: a demand matched with resources, confirmed by staff."""

    __tablename__ = "projects"

    id: int | None = Field(default=None, primary_key=True)
    community_id: int = Field(foreign_key="org_nodes.id", index=True)
    demand_id: int = Field(foreign_key="demands.id", unique=True)
    title: str = Field(max_length=100)
    confirmed_by_id: int = Field(foreign_key="people.id")
    created_at: datetime = Timestamp()


class ProjectResource(SQLModel, table=True):
    __tablename__ = "project_resources"

    project_id: int = Field(foreign_key="projects.id", primary_key=True)
    resource_id: int = Field(foreign_key="resources.id", primary_key=True)
