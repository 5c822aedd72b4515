"""Persistence for onboarding: consents given, and phone verification codes."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from points.db import UTCDateTime, utcnow


class Consent(SQLModel, table=True):
    """A person agreed to a version of the privacy notice (every agreement is kept)."""

    __tablename__ = "consents"

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="people.id", index=True)
    version: str = Field(max_length=20)
    given_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


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
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
