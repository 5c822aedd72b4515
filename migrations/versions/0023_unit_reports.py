"""evaluation: the monthly 双报告 of each unit, as the monthly job prepared it

Revision ID: 0023
Revises: 0018
Create Date: 2026-11-26 00:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0023"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "evaluation_unit_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("people", sa.Integer(), nullable=False),
        sa.Column("hongsong", sa.BigInteger(), nullable=False),
        sa.Column("xingan", sa.BigInteger(), nullable=False),
        sa.Column("hours", sa.Float(), nullable=False),
        sa.Column("lines", sa.JSON(), nullable=False),
        sa.Column("prepared_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["units.id"], name=op.f("fk_evaluation_unit_reports_unit_id_units")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evaluation_unit_reports")),
        sa.UniqueConstraint("unit_id", "month", name=op.f("uq_evaluation_unit_reports_unit_id_month")),
    )
    with op.batch_alter_table("evaluation_unit_reports", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_evaluation_unit_reports_unit_id"), ["unit_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("evaluation_unit_reports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_evaluation_unit_reports_unit_id"))
    op.drop_table("evaluation_unit_reports")
