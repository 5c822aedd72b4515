"""Persistence for the points store: items, their photos' names, stock moves, and vouchers
(a voucher is one redemption: the points taken, the goods owed until picked up)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from points.columns import OptionalTimestamp, Timestamp, choice_check, values_in
from points.db import UTCDateTime
from points.labels import N_, Choice


class VoucherState(Choice):
    ISSUED = "issued", N_("待领取")
    PICKED_UP = "picked_up", N_("已领取")
    CANCELLED = "cancelled", N_("已取消")
    EXPIRED = "expired", N_("已过期")


class LimitPeriod(Choice):
    DAY = "day", N_("每天")
    WEEK = "week", N_("每周")
    MONTH = "month", N_("每月")
    YEAR = "year", N_("每年")


class StockMoveKind(Choice):
    """Stock changes made by staff; redemptions and their refunds are the vouchers themselves."""

    DONATION_IN = "donation_in", N_("捐赠入库")
    WRITE_OFF = "write_off", N_("报损出库")
    STOCKTAKE = "stocktake_adjust", N_("盘点调整")


class ItemKind(Choice):
    XINGAN = "xingan", N_("兴安分")
    HONGSONG = "hongsong", N_("红松分")


# Vouchers that hold stock and points: those a per-person limit counts.
LIVE_STATES = (VoucherState.ISSUED.value, VoucherState.PICKED_UP.value)
# Item photos' folder under the media folder (points.photos).
PHOTOS = "store"


class Item(SQLModel, table=True):
    """Something a community's store offers for points, with its stock and sponsor."""

    __tablename__ = "store_items"
    __audit_type__ = "store_item"
    __table_args__ = (
        sa.CheckConstraint("stock >= 0", name="stock_nonnegative"),
        sa.CheckConstraint("price > 0", name="price_positive"),
        choice_check("kind", ItemKind),
        sa.CheckConstraint(
            f"(limit_count IS NULL) = (limit_period IS NULL) AND (limit_count IS NULL OR limit_count > 0)"
            f" AND (limit_period IS NULL OR {values_in('limit_period', LimitPeriod.values())})",
            name="limit",
        ),
        sa.CheckConstraint("unit_value_cents >= 0", name="value_nonnegative"),
        sa.CheckConstraint(
            "available_until IS NULL OR available_from IS NULL OR available_until > available_from",
            name="window",
        ),
        sa.CheckConstraint("sponsor_unit_id IS NULL OR sponsor_name = ''", name="one_sponsor"),
        sa.Index("ix_store_items_community_active", "community_id", "is_active"),
    )

    id: int | None = Field(default=None, primary_key=True)
    community_id: int = Field(foreign_key="org_nodes.id")
    name: str = Field(max_length=100)
    description: str = Field(default="", max_length=1000)
    # The photo's file name in the media folder's PHOTOS (content-addressed), if any.
    photo: str | None = Field(default=None, max_length=80)
    kind: str = Field(default="xingan", max_length=8)
    price: int
    stock: int = Field(default=0)
    # At most `limit_count` live vouchers per person per local `limit_period`.
    limit_count: int | None = Field(default=None)
    limit_period: str | None = Field(default=None, max_length=8)
    station_id: int | None = Field(default=None, foreign_key="stations.id")
    # A co-building unit (共建单位), or a named donor, or neither (the community's own).
    sponsor_unit_id: int | None = Field(default=None, foreign_key="units.id", index=True)
    sponsor_name: str = Field(default="", max_length=100)
    # Declared value of one piece, in fen (分 of a yuan), for the sponsor report.
    unit_value_cents: int = Field(default=0)
    available_from: datetime | None = OptionalTimestamp()
    available_until: datetime | None = OptionalTimestamp()
    is_active: bool = Field(default=True)
    created_by_id: int | None = Field(default=None, foreign_key="people.id")
    created_at: datetime = Timestamp()
    updated_at: datetime = Timestamp()


class StockMove(SQLModel, table=True):
    """A change of stock made by staff (a donation, a write-off, a stocktake), with who and when.

    Stock on hand = the sum of these moves − vouchers issued or picked up."""

    __tablename__ = "store_stock_moves"
    __table_args__ = (
        choice_check("kind", StockMoveKind),
        sa.CheckConstraint("delta <> 0", name="delta_nonzero"),
        sa.Index("ix_store_stock_moves_item", "item_id", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    item_id: int = Field(foreign_key="store_items.id")
    kind: str = Field(max_length=20)
    delta: int
    # The declared value of what came in (donations), at the item's value then.
    value_cents: int = Field(default=0, sa_type=sa.BigInteger)
    note: str = Field(default="", max_length=200)
    actor_id: int | None = Field(default=None, foreign_key="people.id")
    created_at: datetime = Timestamp()


class Voucher(SQLModel, table=True):
    """One redemption: the points taken (ledger `redemption:{id}`), one piece of the item owed
    until it is picked up; cancelled and expired vouchers were refunded and their stock returned."""

    __tablename__ = "store_vouchers"
    __table_args__ = (
        sa.UniqueConstraint("number"),
        # The page form's own key: a double tap redeems once.
        sa.UniqueConstraint("person_id", "client_key"),
        choice_check("state", VoucherState),
        sa.CheckConstraint("price > 0", name="price_positive"),
        sa.CheckConstraint("(state = 'picked_up') = (picked_up_at IS NOT NULL)", name="picked_up_when"),
        sa.CheckConstraint("(state IN ('cancelled', 'expired')) = (ended_at IS NOT NULL)", name="ended_when"),
        sa.Index("ix_store_vouchers_person", "person_id", "item_id", "issued_at"),
        sa.Index("ix_store_vouchers_state_expires", "state", "expires_at"),
        sa.Index("ix_store_vouchers_item_state", "item_id", "state"),
        # A person's vouchers and the desk's waiting ones, newest first.
        sa.Index("ix_store_vouchers_person_id", "person_id", "id"),
        sa.Index("ix_store_vouchers_state_id", "state", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    item_id: int = Field(foreign_key="store_items.id")
    community_id: int = Field(foreign_key="org_nodes.id", index=True)
    person_id: int = Field(foreign_key="people.id")
    kind: str = Field(max_length=8)
    price: int
    state: str = Field(default="issued", max_length=12)
    # What the person reads out at the desk (8 digits, random).
    number: str = Field(max_length=8)
    client_key: str | None = Field(default=None, max_length=64)
    # The ledger rows: the redemption is found by its key `redemption:{id}`; the refund
    # (cancelled or expired), and a staff correction of a picked-up voucher (a pending refund
    # someone independent approves), by their ids.
    refund_transfer_id: int | None = Field(default=None, foreign_key="ledger_transfers.id")
    correction_transfer_id: int | None = Field(default=None, foreign_key="ledger_transfers.id")
    issued_at: datetime = Field(sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    picked_up_at: datetime | None = OptionalTimestamp()
    picked_up_by_id: int | None = Field(default=None, foreign_key="people.id")
    ended_at: datetime | None = OptionalTimestamp()
    ended_by_id: int | None = Field(default=None, foreign_key="people.id")
    end_reason: str = Field(default="", max_length=200)
