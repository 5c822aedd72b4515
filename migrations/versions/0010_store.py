"""points store: items, staff stock moves, vouchers

Revision ID: 0010
Revises: 0008
Create Date: 2026-11-27 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op


revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "store_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("description", sa.String(length=1000), nullable=False),
        sa.Column("photo", sa.String(length=80), nullable=True),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("price", sa.Integer(), nullable=False),
        sa.Column("stock", sa.Integer(), nullable=False),
        sa.Column("limit_count", sa.Integer(), nullable=True),
        sa.Column("limit_period", sa.String(length=8), nullable=True),
        sa.Column("station_id", sa.Integer(), nullable=True),
        sa.Column("sponsor_unit_id", sa.Integer(), nullable=True),
        sa.Column("sponsor_name", sa.String(length=100), nullable=False),
        sa.Column("unit_value_cents", sa.Integer(), nullable=False),
        sa.Column("available_from", sa.DateTime(timezone=True), nullable=True),
        sa.Column("available_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(limit_count IS NULL) = (limit_period IS NULL) AND (limit_count IS NULL OR limit_count > 0) AND (limit_period IS NULL OR limit_period IN ('day', 'week', 'month', 'year'))",
            name=op.f("ck_store_items_limit"),
        ),
        sa.CheckConstraint("kind IN ('xingan', 'hongsong')", name=op.f("ck_store_items_kind")),
        sa.CheckConstraint(
            "sponsor_unit_id IS NULL OR sponsor_name = ''", name=op.f("ck_store_items_one_sponsor")
        ),
        sa.CheckConstraint(
            "available_until IS NULL OR available_from IS NULL OR available_until > available_from",
            name=op.f("ck_store_items_window"),
        ),
        sa.CheckConstraint("price > 0", name=op.f("ck_store_items_price_positive")),
        sa.CheckConstraint("stock >= 0", name=op.f("ck_store_items_stock_nonnegative")),
        sa.CheckConstraint("unit_value_cents >= 0", name=op.f("ck_store_items_value_nonnegative")),
        sa.ForeignKeyConstraint(
            ["community_id"], ["org_nodes.id"], name=op.f("fk_store_items_community_id_org_nodes")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["people.id"], name=op.f("fk_store_items_created_by_id_people")
        ),
        sa.ForeignKeyConstraint(
            ["sponsor_unit_id"], ["units.id"], name=op.f("fk_store_items_sponsor_unit_id_units")
        ),
        sa.ForeignKeyConstraint(
            ["station_id"], ["stations.id"], name=op.f("fk_store_items_station_id_stations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_store_items")),
    )
    with op.batch_alter_table("store_items", schema=None) as batch_op:
        batch_op.create_index("ix_store_items_community_active", ["community_id", "is_active"], unique=False)
        batch_op.create_index(batch_op.f("ix_store_items_sponsor_unit_id"), ["sponsor_unit_id"], unique=False)

    op.create_table(
        "store_stock_moves",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("delta", sa.Integer(), nullable=False),
        sa.Column("value_cents", sa.BigInteger(), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind IN ('donation_in', 'write_off', 'stocktake_adjust')", name=op.f("ck_store_stock_moves_kind")
        ),
        sa.CheckConstraint("delta <> 0", name=op.f("ck_store_stock_moves_delta_nonzero")),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["people.id"], name=op.f("fk_store_stock_moves_actor_id_people")
        ),
        sa.ForeignKeyConstraint(
            ["item_id"], ["store_items.id"], name=op.f("fk_store_stock_moves_item_id_store_items")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_store_stock_moves")),
    )
    with op.batch_alter_table("store_stock_moves", schema=None) as batch_op:
        batch_op.create_index("ix_store_stock_moves_item", ["item_id", "id"], unique=False)

    op.create_table(
        "store_vouchers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("price", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("number", sa.String(length=8), nullable=False),
        sa.Column("client_key", sa.String(length=64), nullable=True),
        sa.Column("refund_transfer_id", sa.Integer(), nullable=True),
        sa.Column("correction_transfer_id", sa.Integer(), nullable=True),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("picked_up_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("picked_up_by_id", sa.Integer(), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_by_id", sa.Integer(), nullable=True),
        sa.Column("end_reason", sa.String(length=200), nullable=False),
        sa.CheckConstraint(
            "(state = 'picked_up') = (picked_up_at IS NOT NULL)",
            name=op.f("ck_store_vouchers_picked_up_when"),
        ),
        sa.CheckConstraint(
            "(state IN ('cancelled', 'expired')) = (ended_at IS NOT NULL)",
            name=op.f("ck_store_vouchers_ended_when"),
        ),
        sa.CheckConstraint(
            "state IN ('issued', 'picked_up', 'cancelled', 'expired')", name=op.f("ck_store_vouchers_state")
        ),
        sa.CheckConstraint("price > 0", name=op.f("ck_store_vouchers_price_positive")),
        sa.ForeignKeyConstraint(
            ["community_id"], ["org_nodes.id"], name=op.f("fk_store_vouchers_community_id_org_nodes")
        ),
        sa.ForeignKeyConstraint(
            ["correction_transfer_id"],
            ["ledger_transfers.id"],
            name=op.f("fk_store_vouchers_correction_transfer_id_ledger_transfers"),
        ),
        sa.ForeignKeyConstraint(
            ["ended_by_id"], ["people.id"], name=op.f("fk_store_vouchers_ended_by_id_people")
        ),
        sa.ForeignKeyConstraint(
            ["item_id"], ["store_items.id"], name=op.f("fk_store_vouchers_item_id_store_items")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_store_vouchers_person_id_people")
        ),
        sa.ForeignKeyConstraint(
            ["picked_up_by_id"], ["people.id"], name=op.f("fk_store_vouchers_picked_up_by_id_people")
        ),
        sa.ForeignKeyConstraint(
            ["refund_transfer_id"],
            ["ledger_transfers.id"],
            name=op.f("fk_store_vouchers_refund_transfer_id_ledger_transfers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_store_vouchers")),
        sa.UniqueConstraint("number", name=op.f("uq_store_vouchers_number")),
        sa.UniqueConstraint("person_id", "client_key", name=op.f("uq_store_vouchers_person_id_client_key")),
    )
    with op.batch_alter_table("store_vouchers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_store_vouchers_community_id"), ["community_id"], unique=False)
        batch_op.create_index("ix_store_vouchers_item_state", ["item_id", "state"], unique=False)
        batch_op.create_index("ix_store_vouchers_person", ["person_id", "item_id", "issued_at"], unique=False)
        batch_op.create_index("ix_store_vouchers_state_expires", ["state", "expires_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("store_vouchers", schema=None) as batch_op:
        batch_op.drop_index("ix_store_vouchers_state_expires")
        batch_op.drop_index("ix_store_vouchers_person")
        batch_op.drop_index("ix_store_vouchers_item_state")
        batch_op.drop_index(batch_op.f("ix_store_vouchers_community_id"))

    op.drop_table("store_vouchers")
    with op.batch_alter_table("store_stock_moves", schema=None) as batch_op:
        batch_op.drop_index("ix_store_stock_moves_item")

    op.drop_table("store_stock_moves")
    with op.batch_alter_table("store_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_store_items_sponsor_unit_id"))
        batch_op.drop_index("ix_store_items_community_active")

    op.drop_table("store_items")
