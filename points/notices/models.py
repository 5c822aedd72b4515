"""Persistence for notices: one row per thing a person is told."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from points.columns import OptionalTimestamp, Timestamp, choice_check, partial_index
from points.labels import N_, Choice


class NoticeKind(Choice):
    """What a notice tells; the name is the message, filled from the notice's parameters."""

    DISPATCH_OFFERED = "dispatch_offered", N_("有人给你派单：%(title)s，请确认是否接受")
    CLAIM_VERIFIED = "claim_verified", N_("你的揭榜「%(title)s」已通过验收")
    CLAIM_REJECTED = "claim_rejected", N_("你的揭榜「%(title)s」未通过验收：%(reason)s")
    AWARD_APPROVED = "award_approved", N_("积分已到账：%(amount)s 分（%(memo)s）")
    AWARD_REJECTED = "award_rejected", N_("积分申请未通过：%(memo)s（%(reason)s）")
    DEMAND_ACCEPTED = "demand_accepted", N_("你的点单「%(title)s」已受理")
    DEMAND_DECLINED = "demand_declined", N_("你的点单「%(title)s」未受理：%(reason)s")
    DEMAND_DONE = "demand_done", N_("你的点单「%(title)s」已完成，请评价服务")
    VOUCHER_READY = "voucher_ready", N_("兑换券已生成：%(item)s，请到领取点出示兑换券")
    REGISTRATION_CONFIRMED = "registration_confirmed", N_("你的双报到已确认")
    REGISTRATION_DECLINED = "registration_declined", N_("你的双报到未通过：%(reason)s")
    ACCOUNT_CONFIRMED = "account_confirmed", N_("你的账号已确认，可以参加活动获得积分了")
    FLAG_ESCALATED = "flag_escalated", N_("监督小组上报了%(community)s的一条异常提示，请核查并答复：%(note)s")
    OBJECTION_UPHELD = "objection_upheld", N_("你对%(period)s公示提出的异议成立：%(reason)s")
    OBJECTION_REJECTED = "objection_rejected", N_("你对%(period)s公示提出的异议不成立：%(reason)s")
    # `name` is filled when read from the person in `person_id`, so a closed account's name is
    # never kept in a notice.
    DISPATCH_DECLINED = (
        "dispatch_declined",
        N_("%(name)s谢绝了你派的单「%(title)s」（%(reason)s），名额已重新开放"),
    )


# What a notice says in place of a reason left out, for kinds that read badly without one.
NO_REASON = N_("未说明理由")
REASON_NEEDED = frozenset({NoticeKind.DISPATCH_DECLINED.value})


class Notice(SQLModel, table=True):
    """One thing a person is told. Written in the transaction of the event that causes it."""

    __tablename__ = "notices"
    __table_args__ = (
        choice_check("kind", NoticeKind),
        # The inbox reads a person's newest first, the unread count their unread ones.
        sa.Index("ix_notices_person_id_id", "person_id", "id"),
        sa.Index("ix_notices_person_created", "person_id", "created_at", "id"),
        partial_index("ix_notices_unread", "person_id", where="read_at IS NULL"),
        sa.Index("ix_notices_read_at", "read_at"),
        partial_index("ix_notices_undelivered", "id", where="delivered_at IS NULL"),
    )

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="people.id")
    kind: str = Field(max_length=32)
    # The message's parameters (titles, amounts, reasons), filled in the reader's language.
    params: dict = Field(default_factory=dict, sa_type=sa.JSON, nullable=False)
    # What the notice is about, so it links there: ("claim", 12), ("voucher", 3), ...
    ref_type: str = Field(default="", max_length=16)
    ref_id: int | None = Field(default=None)
    created_at: datetime = Timestamp()
    read_at: datetime | None = OptionalTimestamp()
    # Handed to the sender (SMS, WeChat) by the delivery job; NULL while waiting.
    delivered_at: datetime | None = OptionalTimestamp()
