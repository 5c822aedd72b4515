"""Persistence for audit entries."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from points.columns import Timestamp
from points.db import UTCDateTime, utcnow

_TARGET = ["target_type", "target_id"]


class AuditEntry(SQLModel, table=True):
    __tablename__ = "audit_entries"
    # Each way a reader reaches an entry (its node, who did it, to whom, the unit), newest first.
    # On PostgreSQL the entries also carry the target, which decides whether an entry is hidden
    # from its reader: a page's ids and its capped count are then read from the indexes alone.
    __table_args__ = (
        sa.Index("ix_audit_entries_node_entry", "node_id", "id", postgresql_include=_TARGET),
        sa.Index("ix_audit_entries_actor_entry", "actor_id", "id", postgresql_include=_TARGET),
        sa.Index("ix_audit_entries_target_entry", "target_type", "target_id", "id"),
        sa.Index("ix_audit_entries_unit_entry", "unit_id", "id", postgresql_include=_TARGET),
    )

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False, index=True)
    actor_id: int | None = Field(default=None, foreign_key="people.id", index=True)
    action: str = Field(max_length=64, index=True)
    target_type: str = Field(max_length=32)
    target_id: int | None = Field(default=None)
    # The org node the entry belongs to, so it is read within staff scope.
    node_id: int | None = Field(default=None, foreign_key="org_nodes.id", index=True)
    unit_id: int | None = Field(default=None, foreign_key="units.id")
    detail: dict = Field(default_factory=dict, sa_type=sa.JSON, nullable=False)
    address: str = Field(default="", max_length=64)


class ProxyAct(SQLModel, table=True):
    """Something done by a family member for a relative (代办): the audit entry's target, the
    relative (the entry's actor) and the family member, so pages can say 由 X 代办."""

    __tablename__ = "proxy_acts"
    __table_args__ = (sa.Index("ix_proxy_acts_target", "target_type", "target_id"),)

    id: int | None = Field(default=None, primary_key=True)
    action: str = Field(max_length=64)
    target_type: str = Field(max_length=32)
    target_id: int | None = Field(default=None)
    person_id: int = Field(foreign_key="people.id")
    proxy_id: int = Field(foreign_key="people.id", index=True)
    at: datetime = Timestamp()
