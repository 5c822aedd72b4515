"""Persistence for evaluation periods in 公示, objections, frozen snapshots, exemptions (免评)
and deductions of the 100-point scheme."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from points.columns import OptionalTimestamp, Timestamp, choice_check, values_in
from points.db import UTCDateTime
from points.labels import N_, Choice


class PeriodType(Choice):
    MONTH = "month", N_("月度")
    QUARTER = "quarter", N_("季度")
    YEAR = "year", N_("年度")
    CUSTOM = "custom", N_("自定义")


class PeriodState(Choice):
    NOTICE = "notice", N_("公示中")
    FROZEN = "frozen", N_("已定档")


class ObjectionState(Choice):
    OPEN = "open", N_("待答复")
    UPHELD = "upheld", N_("异议成立")
    REJECTED = "rejected", N_("异议不成立")


class DeductionState(Choice):
    PENDING = "pending", N_("待复核")
    APPROVED = "approved", N_("已扣分")
    REJECTED = "rejected", N_("未通过")
    APPEALED = "appealed", N_("申诉中")
    WITHDRAWN = "withdrawn", N_("申诉成立，已撤销")
    CONFIRMED = "confirmed", N_("申诉不成立，维持扣分")


# Deductions that count against a member's score: approved, under appeal, or confirmed.
COUNTED_DEDUCTIONS = ("approved", "appealed", "confirmed")


class Period(SQLModel, table=True):
    """A community's scores of one kind for one period, published for notice, then frozen."""

    __tablename__ = "evaluation_periods"
    __audit_type__ = "evaluation_period"
    __table_args__ = (
        sa.UniqueConstraint("community_id", "kind", "starts_at", "ends_at"),
        sa.CheckConstraint(values_in("kind", ("hongsong", "xingan")), name="kind"),
        choice_check("period_type", PeriodType),
        choice_check("state", PeriodState),
        sa.CheckConstraint("ends_at > starts_at", name="span"),
        sa.CheckConstraint("(state = 'frozen') = (frozen_at IS NOT NULL)", name="frozen_when"),
    )

    id: int | None = Field(default=None, primary_key=True)
    community_id: int = Field(foreign_key="org_nodes.id", index=True)
    kind: str = Field(max_length=8)
    period_type: str = Field(max_length=8)
    label: str = Field(max_length=32)
    starts_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    ends_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    state: str = Field(default=PeriodState.NOTICE.value, max_length=8)
    notice_ends_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    opened_by_id: int | None = Field(default=None, foreign_key="people.id")
    frozen_by_id: int | None = Field(default=None, foreign_key="people.id")
    frozen_at: datetime | None = OptionalTimestamp()
    created_at: datetime = Timestamp()


class Objection(SQLModel, table=True):
    """Someone's objection to a listed score, answered on record by staff."""

    __tablename__ = "evaluation_objections"
    __audit_type__ = "evaluation_objection"
    __table_args__ = (
        choice_check("state", ObjectionState),
        sa.CheckConstraint("(state = 'open') = (answered_at IS NULL)", name="answered_when"),
    )

    id: int | None = Field(default=None, primary_key=True)
    period_id: int = Field(foreign_key="evaluation_periods.id", index=True)
    community_id: int = Field(foreign_key="org_nodes.id")
    # Whose listed score it is about.
    subject_id: int = Field(foreign_key="people.id")
    filed_by_id: int = Field(foreign_key="people.id", index=True)
    text: str = Field(max_length=1000)
    evidence: str = Field(default="", max_length=500)
    state: str = Field(default=ObjectionState.OPEN.value, max_length=8)
    answer: str = Field(default="", max_length=1000)
    answered_by_id: int | None = Field(default=None, foreign_key="people.id")
    answered_at: datetime | None = OptionalTimestamp()
    # The correction asked of the ledger when upheld (a pending award or reversal request).
    correction_transfer_id: int | None = Field(default=None, foreign_key="ledger_transfers.id")
    # Set at freezing when the correction had posted: it counts in this period's snapshot, and
    # not again in the period it was posted in.
    counted_in_period: bool = Field(default=False)
    created_at: datetime = Timestamp()


class Snapshot(SQLModel, table=True):
    """A person's score, rank and stars as frozen with their period; never changed after."""

    __tablename__ = "evaluation_snapshots"

    period_id: int = Field(primary_key=True, foreign_key="evaluation_periods.id")
    person_id: int = Field(primary_key=True, foreign_key="people.id")
    points: int = Field(sa_type=sa.BigInteger)
    rank: int
    # None: exempt from rating (免评).
    stars: int | None = Field(default=None)
    score: int | None = Field(default=None)


class Exemption(SQLModel, table=True):
    """A member exempt from the year's rating (elderly or ill), shown as 免评."""

    __tablename__ = "evaluation_exemptions"
    __audit_type__ = "evaluation_exemption"
    __table_args__ = (sa.UniqueConstraint("person_id", "year"),)

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="people.id")
    community_id: int = Field(foreign_key="org_nodes.id")
    year: int
    reason: str = Field(max_length=500)
    created_by_id: int | None = Field(default=None, foreign_key="people.id")
    created_at: datetime = Timestamp()


class Deduction(SQLModel, table=True):
    """A deduction from a member's 100-point score: evidence, a second approver, an appeal."""

    __tablename__ = "evaluation_deductions"
    __audit_type__ = "evaluation_deduction"
    __table_args__ = (
        choice_check("state", DeductionState),
        sa.CheckConstraint("points > 0 AND points <= 40", name="points_range"),
        sa.Index("ix_evaluation_deductions_person_year", "person_id", "year"),
    )

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="people.id")
    community_id: int = Field(foreign_key="org_nodes.id")
    year: int
    points: int
    reason: str = Field(max_length=500)
    evidence: str = Field(max_length=500)
    state: str = Field(default=DeductionState.PENDING.value, max_length=10)
    requested_by_id: int = Field(foreign_key="people.id")
    decided_by_id: int | None = Field(default=None, foreign_key="people.id")
    appeal_text: str = Field(default="", max_length=1000)
    appeal_answer: str = Field(default="", max_length=1000)
    appeal_answered_by_id: int | None = Field(default=None, foreign_key="people.id")
    created_at: datetime = Timestamp()
    updated_at: datetime = Timestamp()


class YearRating(SQLModel, table=True):
    """A party member's rating for a year as the annual settlement computed it."""

    __tablename__ = "evaluation_year_ratings"

    person_id: int = Field(primary_key=True, foreign_key="people.id")
    year: int = Field(primary_key=True)
    community_id: int | None = Field(default=None, foreign_key="org_nodes.id")
    points: int = Field(sa_type=sa.BigInteger)
    # None: exempt from rating (免评).
    stars: int | None = Field(default=None)
    score: int | None = Field(default=None)
    scheme: str = Field(max_length=8)
    settled_at: datetime = Field(sa_type=UTCDateTime, nullable=False)


class UnitReport(SQLModel, table=True):
    """双报告: a unit's monthly report of its people's service, as the monthly job prepared it
    (its lines kept as they were then, so a download reads the same every time)."""

    __tablename__ = "evaluation_unit_reports"
    __table_args__ = (sa.UniqueConstraint("unit_id", "month"),)

    id: int | None = Field(default=None, primary_key=True)
    unit_id: int = Field(foreign_key="units.id", index=True)
    month: str = Field(max_length=7)
    people: int = Field(default=0)
    hongsong: int = Field(default=0, sa_type=sa.BigInteger)
    xingan: int = Field(default=0, sa_type=sa.BigInteger)
    hours: float = Field(default=0)
    # The lines: transfer_id, created_at (ISO, UTC), person_id, name, kind, reason, memo,
    # title and hours of the service, points.
    lines: list = Field(default_factory=list, sa_type=sa.JSON)
    prepared_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
