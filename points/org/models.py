"""Persistence for org nodes, stations and units."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from points.columns import Timestamp, choice_check, values_in
from points.labels import N_, Choice


class OrgLevel(Choice):
    CITY = "city", N_("市")
    DISTRICT = "district", N_("区/县")
    STREET = "street", N_("街道/乡镇")
    COMMUNITY = "community", N_("社区/村")
    GRID = "grid", N_("网格/小区")


# Which level may sit under which: the tree has a fixed shape.
CHILD_LEVEL = {
    OrgLevel.CITY: OrgLevel.DISTRICT,
    OrgLevel.DISTRICT: OrgLevel.STREET,
    OrgLevel.STREET: OrgLevel.COMMUNITY,
    OrgLevel.COMMUNITY: OrgLevel.GRID,
}


class StationKind(Choice):
    CENTER = "center", N_("党群服务中心")
    STATION = "station", N_("党群服务站")
    OUTPOST = "outpost", N_("驿站")


# The name other domains' models import it by.
_in = values_in


class OrgNode(SQLModel, table=True):
    __tablename__ = "org_nodes"
    __audit_type__ = "org_node"
    __table_args__ = (
        # Sibling names are unique, cities (no parent) included.
        sa.Index("uq_org_nodes_sibling_name", sa.text("coalesce(parent_id, 0)"), "name", unique=True),
        choice_check("level", OrgLevel),
    )

    id: int | None = Field(default=None, primary_key=True)
    parent_id: int | None = Field(default=None, foreign_key="org_nodes.id", index=True)
    level: str = Field(max_length=16)
    name: str = Field(max_length=100)
    # Materialised path "/1/4/9/": a grant on a node covers every path under it,
    # so a scope check is one prefix comparison, never a walk up the tree.
    path: str = Field(default="", max_length=255, index=True)
    created_at: datetime = Timestamp()


class Station(SQLModel, table=True):
    __tablename__ = "stations"
    __table_args__ = (
        sa.UniqueConstraint("node_id", "name"),
        choice_check("kind", StationKind),
    )

    id: int | None = Field(default=None, primary_key=True)
    node_id: int = Field(foreign_key="org_nodes.id", index=True)
    kind: str = Field(max_length=16)
    name: str = Field(max_length=100)
    address: str = Field(default="", max_length=200)
    is_active: bool = Field(default=True)
    created_at: datetime = Timestamp()


class Unit(SQLModel, table=True):
    __tablename__ = "units"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100, unique=True)
    party_org_name: str = Field(max_length=100)
    address: str = Field(default="", max_length=200)
    contact_phone: str = Field(default="", max_length=20)
    created_at: datetime = Timestamp()
