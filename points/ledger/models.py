"""Persistence for accounts, transfers, per-community chain heads, budgets and verifications."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from points.columns import Timestamp, choice_check, partial_index, values_in
from points.db import UTCDateTime
from points.labels import N_, Choice


class Kind(Choice):
    """The two kinds of points."""

    HONGSONG = "hongsong", N_("红松分")
    XINGAN = "xingan", N_("兴安分")


class Reason(Choice):
    """Why points moved."""

    TASK_AWARD = "task_award", N_("任务奖励")
    CHECKIN_AWARD = "checkin_award", N_("签到奖励")
    MANUAL_AWARD = "manual_award", N_("手动发放")
    REDEMPTION = "redemption", N_("积分兑换")
    REFUND = "refund", N_("兑换退还")
    REVERSAL = "reversal", N_("冲正")
    EXPIRY = "expiry", N_("积分过期")


class Status(Choice):
    """What one row records. pending: reserved, not spendable; post / void: resolve a pending
    row; posted: moved at once (auto-posted awards, spending, refunds, approved reversals)."""

    PENDING = "pending", N_("待审批")
    POST = "post", N_("审批通过")
    VOID = "void", N_("已驳回")
    POSTED = "posted", N_("已入账")


class TransferState(Choice):
    """Where a movement stands, read from its rows (`queries.annotate`, `queries.award_states`):
    a pending award is pending, posted or voided; a posted movement is posted or reversed."""

    PENDING = "pending", N_("待审批")
    POSTED = "posted", N_("已入账")
    VOIDED = "voided", N_("已驳回")
    REVERSED = "reversed", N_("已冲正")


class Proof(Choice):
    """What an award rests on."""

    CHECKIN = "checkin", N_("扫码签到")
    CLAIM = "claim", N_("任务核验")
    DISCRETION = "discretion", N_("工作人员酌情")


OWNER_TYPES = ("person", "unit", "pool", "store")
AWARD_REASONS = (Reason.TASK_AWARD.value, Reason.CHECKIN_AWARD.value, Reason.MANUAL_AWARD.value)
# Pending rows that someone independent must approve or reject: awards, and reversals
# (a correction is a request too).
APPROVABLE_REASONS = (*AWARD_REASONS, Reason.REVERSAL.value)
GENESIS_HASH = "0" * 64


class Account(SQLModel, table=True):
    __tablename__ = "ledger_accounts"
    __table_args__ = (
        sa.UniqueConstraint("owner_type", "owner_id", "kind"),
        choice_check("kind", Kind),
        sa.CheckConstraint(values_in("owner_type", OWNER_TYPES), name="owner_type"),
        sa.CheckConstraint("pending_in >= 0 AND pending_out >= 0", name="pending_nonnegative"),
        # People and units never overdraw: available = posted - pending_out.
        sa.CheckConstraint("allow_negative OR posted - pending_out >= 0", name="no_overdraw"),
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=8)
    owner_type: str = Field(max_length=8)
    # A person id, a unit id, or (for a pool or the store) the community node id.
    owner_id: int
    allow_negative: bool = Field(default=False)
    # Cached totals, written only by the ledger in the same transaction as the transfer.
    posted: int = Field(default=0, sa_type=sa.BigInteger)
    pending_in: int = Field(default=0, sa_type=sa.BigInteger)
    pending_out: int = Field(default=0, sa_type=sa.BigInteger)
    created_at: datetime = Timestamp()


class Transfer(SQLModel, table=True):
    """One row of the append-only ledger; never updated or deleted (triggers refuse it)."""

    __tablename__ = "ledger_transfers"
    __table_args__ = (
        sa.UniqueConstraint("community_id", "seq"),
        sa.UniqueConstraint("idempotency_key"),
        # A pending transfer is resolved (posted or voided) at most once,
        # and a transfer is reversed at most once.
        sa.UniqueConstraint("pending_id"),
        sa.UniqueConstraint("reverses_id"),
        sa.CheckConstraint("amount > 0", name="amount_positive"),
        sa.CheckConstraint("debit_account_id <> credit_account_id", name="two_accounts"),
        choice_check("kind", Kind),
        choice_check("status", Status),
        choice_check("reason", Reason),
        sa.CheckConstraint(f"proof IS NULL OR {values_in('proof', Proof.values())}", name="proof"),
        sa.CheckConstraint(
            "(status IN ('post', 'void')) = (pending_id IS NOT NULL)", name="resolution_points_at_pending"
        ),
        sa.CheckConstraint("seq > 0", name="seq_positive"),
        sa.Index("ix_ledger_transfers_debit", "debit_account_id", "id"),
        sa.Index("ix_ledger_transfers_credit", "credit_account_id", "id"),
        # An account's rows in a period (statement exports by date, a person's months).
        sa.Index("ix_ledger_transfers_debit_time", "debit_account_id", "created_at", "id"),
        sa.Index("ix_ledger_transfers_credit_time", "credit_account_id", "created_at", "id"),
        sa.Index("ix_ledger_transfers_ref", "ref_type", "ref_id"),
        # The approval queue reads pending rows only; browsing reads a community's newest.
        partial_index("ix_ledger_transfers_pending", "community_id", "id", where="status = 'pending'"),
        # Awards in effect by time: a month's awards of everyone (the nightly anomaly run).
        partial_index(
            "ix_ledger_transfers_award_time",
            "created_at",
            where="status IN ('posted', 'post') AND reason IN ('task_award', 'checkin_award', 'manual_award')",
        ),
        sa.Index("ix_ledger_transfers_community", "community_id", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    community_id: int = Field(foreign_key="org_nodes.id")
    seq: int = Field(sa_type=sa.BigInteger)
    kind: str = Field(max_length=8)
    debit_account_id: int = Field(foreign_key="ledger_accounts.id")
    credit_account_id: int = Field(foreign_key="ledger_accounts.id")
    amount: int = Field(sa_type=sa.BigInteger)
    status: str = Field(max_length=8)
    reason: str = Field(max_length=16)
    proof: str | None = Field(default=None, max_length=12)
    ref_type: str | None = Field(default=None, max_length=32)
    ref_id: int | None = Field(default=None, sa_type=sa.BigInteger)
    pending_id: int | None = Field(default=None, foreign_key="ledger_transfers.id")
    reverses_id: int | None = Field(default=None, foreign_key="ledger_transfers.id")
    memo: str = Field(default="", max_length=500)
    evidence: str = Field(default="", max_length=500)
    requested_by_id: int | None = Field(default=None, foreign_key="people.id")
    verified_by_id: int | None = Field(default=None, foreign_key="people.id")
    approved_by_id: int | None = Field(default=None, foreign_key="people.id")
    idempotency_key: str = Field(max_length=128)
    created_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)


class OpenRequest(SQLModel, table=True):
    """A pending award or reversal not yet posted or voided: the approval queue. Triggers on the
    ledger's inserts keep it (a pending request adds its row, its post or void removes it), so it
    is derived from the transfers, and verify checks that it matches them."""

    __tablename__ = "ledger_open_requests"
    __table_args__ = (sa.Index("ix_ledger_open_requests_community", "community_id", "transfer_id"),)

    transfer_id: int = Field(
        primary_key=True, foreign_key="ledger_transfers.id", sa_column_kwargs={"autoincrement": False}
    )
    community_id: int = Field(foreign_key="org_nodes.id")


class MonthTotal(SQLModel, table=True):
    """An account's awards and reversals in one local month ("2026-11"): awards posted into the
    account, reversals taken out of it. Triggers on the ledger's inserts keep it, so it is
    derived from the transfers, and verify checks that it matches them."""

    __tablename__ = "ledger_month_totals"

    account_id: int = Field(
        primary_key=True, foreign_key="ledger_accounts.id", sa_column_kwargs={"autoincrement": False}
    )
    month: str = Field(primary_key=True, max_length=7)
    awarded: int = Field(sa_type=sa.BigInteger)
    reversed: int = Field(sa_type=sa.BigInteger)


class ChainHead(SQLModel, table=True):
    """The last sequence number and hash of a community's chain; its row lock orders postings."""

    __tablename__ = "ledger_chain_heads"

    community_id: int = Field(primary_key=True, foreign_key="org_nodes.id")
    seq: int = Field(default=0, sa_type=sa.BigInteger)
    head_hash: str = Field(default=GENESIS_HASH, max_length=64)
    # Whether the community's pool has any annual budget: postings read it under the lock.
    has_budget: bool = Field(default=False)


class Budget(SQLModel, table=True):
    """A community pool's annual issuing budget of one kind; `issued` counts pending awards too."""

    __tablename__ = "ledger_budgets"
    __table_args__ = (
        sa.CheckConstraint("amount >= 0", name="amount_nonnegative"),
        sa.CheckConstraint("issued <= amount", name="within_budget"),
        choice_check("kind", Kind),
    )

    community_id: int = Field(primary_key=True, foreign_key="org_nodes.id")
    kind: str = Field(primary_key=True, max_length=8)
    year: int = Field(primary_key=True)
    amount: int = Field(sa_type=sa.BigInteger)
    issued: int = Field(default=0, sa_type=sa.BigInteger)


class IdempotencyRecord(SQLModel, table=True):
    """A request that moved points, keyed by (caller, Idempotency-Key), with its response."""

    __tablename__ = "idempotency_records"
    __table_args__ = (sa.UniqueConstraint("person_id", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="people.id")
    key: str = Field(max_length=128)
    fingerprint: str = Field(max_length=64)
    status_code: int = Field(default=0)
    response_body: str = Field(default="", sa_type=sa.Text)
    created_at: datetime = Timestamp()


class Verification(SQLModel, table=True):
    """The result of one ledger verification, for supervisors to see."""

    __tablename__ = "ledger_verifications"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Timestamp()
    ok: bool
    transfers: int = Field(default=0)
    accounts: int = Field(default=0)
    communities: int = Field(default=0)
    heads: dict = Field(default_factory=dict, sa_type=sa.JSON, nullable=False)
    problem: str = Field(default="", sa_type=sa.Text)
    # "full" walks every chain from its start; "incremental" the rows appended since the heads of
    # the last good verification.
    mode: str = Field(default="full", max_length=12, sa_column_kwargs={"server_default": "full"})
    seconds: float = Field(default=0.0, sa_column_kwargs={"server_default": "0"})
