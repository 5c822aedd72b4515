"""Persistence for logins: page sessions, API bearer tokens and failed-login throttles."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from points.columns import OptionalTimestamp, Timestamp
from points.db import UTCDateTime


class ApiToken(SQLModel, table=True):
    __tablename__ = "api_tokens"

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="people.id", index=True)
    # SHA-256 of a long random token: checking it costs a hash, not argon2,
    # so every API request can afford it.
    token_hash: str = Field(max_length=64, unique=True)
    label: str = Field(default="", max_length=100)
    # A token is issued by a password login: its age is how long ago the password was typed.
    created_at: datetime = Timestamp()
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    revoked_at: datetime | None = OptionalTimestamp()


class LoginSession(SQLModel, table=True):
    """One page login. The signed cookie holds only this row's id and a random secret, whose
    SHA-256 is kept here: the server can end the login (log out, new password, suspension)."""

    __tablename__ = "login_sessions"
    __table_args__ = (
        # Which devices an account has logged in from (they are spared the per-account limit).
        sa.Index("ix_login_sessions_person_device", "person_id", "device_hash"),
        sa.Index("ix_login_sessions_expires_at", "expires_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="people.id")
    secret_hash: str = Field(max_length=64)
    # SHA-256 of the device cookie the login came from, if the browser had one.
    device_hash: str | None = Field(default=None, max_length=64)
    created_at: datetime = Timestamp()
    last_seen_at: datetime = Timestamp()
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    revoked_at: datetime | None = OptionalTimestamp()
    # When the password was last typed in this session (login, or confirming it again).
    password_confirmed_at: datetime = Timestamp()
    address: str = Field(default="", max_length=64)
    user_agent: str = Field(default="", max_length=200)
