"""Persistence for onboarding: consents given, and phone verification codes."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from points.columns import OptionalTimestamp, Timestamp
from points.db import UTCDateTime


class Consent(SQLModel, table=True):
    """A person agreed to a version of the privacy notice (every agreement is kept)."""

    __tablename__ = "consents"

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="people.id", index=True)
    version: str = Field(max_length=20)
    given_at: datetime = Timestamp()


class VerificationCode(SQLModel, table=True):
    """A code sent to a phone to show the registrant holds it; only its hash is kept."""

    __tablename__ = "verification_codes"
    __table_args__ = (
        sa.CheckConstraint("attempts >= 0", name="attempts_nonnegative"),
        sa.Index("ix_verification_codes_phone_id", "phone", "id"),
        sa.Index("ix_verification_codes_expires_at", "expires_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    phone: str = Field(max_length=20)
    code_hash: str = Field(max_length=64)
    attempts: int = Field(default=0)
    created_at: datetime = Timestamp()
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    used_at: datetime | None = OptionalTimestamp()


class RosterImport(SQLModel, table=True):
    """A roster file uploaded for a community: its rows as read, kept until staff confirm."""

    __tablename__ = "roster_imports"
    __table_args__ = (sa.Index("ix_roster_imports_community_id", "community_id"),)

    id: int | None = Field(default=None, primary_key=True)
    community_id: int = Field(foreign_key="org_nodes.id")
    uploaded_by_id: int = Field(foreign_key="people.id")
    filename: str = Field(max_length=200)
    sha256: str = Field(max_length=64)
    # [[line, name, phone, grid], ...] as read from the file (cells as text).
    rows: list = Field(default_factory=list, sa_type=sa.JSON, nullable=False)
    created_at: datetime = Timestamp()
    confirmed_at: datetime | None = OptionalTimestamp()
    # What confirming wrote: {"new": n, "changed": n, "unchanged": n}.
    outcome: dict | None = Field(default=None, sa_type=sa.JSON)
