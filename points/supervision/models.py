"""Persistence for anomaly flags: one row per detector, subject and period, with its evidence."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from points.db import UTCDateTime, utcnow
from points.labels import N_, Choice
from points.org.models import _in


class Detector(Choice):
    """Which pattern a flag is about (README: "Anomaly flags")."""

    MUTUAL_APPROVALS = "mutual_approvals", N_("互相审批")
    CHECKIN_BURST = "checkin_burst", N_("集中签到")
    OVERLAPPING_STAYS = "overlapping_stays", N_("签到时间重叠")
    SHARED_DEVICE = "shared_device", N_("一机多人签到")
    DISCRETIONARY_CLUSTER = "discretionary_cluster", N_("酌情发放集中")
    PUPPET_ACCOUNTS = "puppet_accounts", N_("代管账号得分")
    MONTHLY_JUMP = "monthly_jump", N_("月度积分突增")
    FAST_VERIFICATION = "fast_verification", N_("验收过快")


class FlagState(Choice):
    OPEN = "open", N_("待处理")
    EXPLAINED = "explained", N_("已说明")
    ESCALATED = "escalated", N_("已上报")


class Flag(SQLModel, table=True):
    """One pattern a detector found, for one subject in one period; the nightly run refreshes an
    open flag and leaves a decided one as it was decided."""

    __tablename__ = "supervision_flags"
    __audit_type__ = "anomaly_flag"
    __table_args__ = (
        sa.UniqueConstraint("detector", "subject_key", "period"),
        sa.CheckConstraint(_in("detector", Detector.values()), name="detector"),
        sa.CheckConstraint(_in("state", FlagState.values()), name="state"),
        sa.CheckConstraint("(state = 'open') = (decided_at IS NULL)", name="decided_when_not_open"),
        sa.Index("ix_supervision_flags_community_state", "community_id", "state", "id"),
        sa.Index("ix_supervision_flags_detector_state", "detector", "state", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    detector: str = Field(max_length=24)
    community_id: int = Field(foreign_key="org_nodes.id")
    # What the flag is about, unique per detector and period: "person:7", "pair:3:9",
    # "activity:12", "device:<hash>", "approver:4".
    subject_key: str = Field(max_length=100)
    # The people the flag is about; a flag is never shown to either of them.
    subject_person_id: int | None = Field(default=None, foreign_key="people.id", index=True)
    related_person_id: int | None = Field(default=None, foreign_key="people.id")
    # A local day ("2026-11-24") for events, a local month ("2026-11") for totals.
    period: str = Field(max_length=10)
    window_start: datetime = Field(sa_type=UTCDateTime)
    window_end: datetime = Field(sa_type=UTCDateTime)
    # How strong the pattern is: higher is stronger (README says per detector how it is counted).
    score: float = Field(default=0.0)
    # The figures the flag's sentence is made of (counts, shares), and the rows that make it:
    # [{"type": "transfer" | "claim" | "checkin" | "account_change", "id": 1, ...}].
    facts: dict = Field(default_factory=dict, sa_type=sa.JSON, nullable=False)
    evidence: list = Field(default_factory=list, sa_type=sa.JSON, nullable=False)
    state: str = Field(default="open", max_length=12)
    decision_note: str = Field(default="", max_length=1000)
    decided_by_id: int | None = Field(default=None, foreign_key="people.id")
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    # The last nightly run that still found the pattern.
    seen_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
