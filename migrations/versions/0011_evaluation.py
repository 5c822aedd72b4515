"""evaluation: periods in notice, objections, frozen snapshots, exemptions, deductions, year ratings

Revision ID: 0011
Revises: 0013
Create Date: 2026-11-25 21:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op


revision: str = "0011"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "evaluation_deductions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("evidence", sa.String(length=500), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("requested_by_id", sa.Integer(), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("appeal_text", sa.String(length=1000), nullable=False),
        sa.Column("appeal_answer", sa.String(length=1000), nullable=False),
        sa.Column("appeal_answered_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "state IN ('pending', 'approved', 'rejected', 'appealed', 'withdrawn', 'confirmed')",
            name=op.f("ck_evaluation_deductions_state"),
        ),
        sa.CheckConstraint("points > 0 AND points <= 40", name=op.f("ck_evaluation_deductions_points_range")),
        sa.ForeignKeyConstraint(
            ["appeal_answered_by_id"],
            ["people.id"],
            name=op.f("fk_evaluation_deductions_appeal_answered_by_id_people"),
        ),
        sa.ForeignKeyConstraint(
            ["community_id"], ["org_nodes.id"], name=op.f("fk_evaluation_deductions_community_id_org_nodes")
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"], ["people.id"], name=op.f("fk_evaluation_deductions_decided_by_id_people")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_evaluation_deductions_person_id_people")
        ),
        sa.ForeignKeyConstraint(
            ["requested_by_id"], ["people.id"], name=op.f("fk_evaluation_deductions_requested_by_id_people")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evaluation_deductions")),
    )
    with op.batch_alter_table("evaluation_deductions", schema=None) as batch_op:
        batch_op.create_index("ix_evaluation_deductions_person_year", ["person_id", "year"], unique=False)

    op.create_table(
        "evaluation_exemptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["community_id"], ["org_nodes.id"], name=op.f("fk_evaluation_exemptions_community_id_org_nodes")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["people.id"], name=op.f("fk_evaluation_exemptions_created_by_id_people")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_evaluation_exemptions_person_id_people")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evaluation_exemptions")),
        sa.UniqueConstraint("person_id", "year", name=op.f("uq_evaluation_exemptions_person_id_year")),
    )
    op.create_table(
        "evaluation_periods",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("period_type", sa.String(length=8), nullable=False),
        sa.Column("label", sa.String(length=32), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(length=8), nullable=False),
        sa.Column("notice_ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("opened_by_id", sa.Integer(), nullable=True),
        sa.Column("frozen_by_id", sa.Integer(), nullable=True),
        sa.Column("frozen_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(state = 'frozen') = (frozen_at IS NOT NULL)", name=op.f("ck_evaluation_periods_frozen_when")
        ),
        sa.CheckConstraint("kind IN ('hongsong', 'xingan')", name=op.f("ck_evaluation_periods_kind")),
        sa.CheckConstraint(
            "period_type IN ('month', 'quarter', 'year', 'custom')",
            name=op.f("ck_evaluation_periods_period_type"),
        ),
        sa.CheckConstraint("state IN ('notice', 'frozen')", name=op.f("ck_evaluation_periods_state")),
        sa.CheckConstraint("ends_at > starts_at", name=op.f("ck_evaluation_periods_span")),
        sa.ForeignKeyConstraint(
            ["community_id"], ["org_nodes.id"], name=op.f("fk_evaluation_periods_community_id_org_nodes")
        ),
        sa.ForeignKeyConstraint(
            ["frozen_by_id"], ["people.id"], name=op.f("fk_evaluation_periods_frozen_by_id_people")
        ),
        sa.ForeignKeyConstraint(
            ["opened_by_id"], ["people.id"], name=op.f("fk_evaluation_periods_opened_by_id_people")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evaluation_periods")),
        sa.UniqueConstraint(
            "community_id",
            "kind",
            "starts_at",
            "ends_at",
            name=op.f("uq_evaluation_periods_community_id_kind_starts_at_ends_at"),
        ),
    )
    with op.batch_alter_table("evaluation_periods", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_evaluation_periods_community_id"), ["community_id"], unique=False
        )

    op.create_table(
        "evaluation_objections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("period_id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("filed_by_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.String(length=1000), nullable=False),
        sa.Column("evidence", sa.String(length=500), nullable=False),
        sa.Column("state", sa.String(length=8), nullable=False),
        sa.Column("answer", sa.String(length=1000), nullable=False),
        sa.Column("answered_by_id", sa.Integer(), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("correction_transfer_id", sa.Integer(), nullable=True),
        sa.Column("counted_in_period", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(state = 'open') = (answered_at IS NULL)", name=op.f("ck_evaluation_objections_answered_when")
        ),
        sa.CheckConstraint(
            "state IN ('open', 'upheld', 'rejected')", name=op.f("ck_evaluation_objections_state")
        ),
        sa.ForeignKeyConstraint(
            ["answered_by_id"], ["people.id"], name=op.f("fk_evaluation_objections_answered_by_id_people")
        ),
        sa.ForeignKeyConstraint(
            ["community_id"], ["org_nodes.id"], name=op.f("fk_evaluation_objections_community_id_org_nodes")
        ),
        sa.ForeignKeyConstraint(
            ["correction_transfer_id"],
            ["ledger_transfers.id"],
            name=op.f("fk_evaluation_objections_correction_transfer_id_ledger_transfers"),
        ),
        sa.ForeignKeyConstraint(
            ["filed_by_id"], ["people.id"], name=op.f("fk_evaluation_objections_filed_by_id_people")
        ),
        sa.ForeignKeyConstraint(
            ["period_id"],
            ["evaluation_periods.id"],
            name=op.f("fk_evaluation_objections_period_id_evaluation_periods"),
        ),
        sa.ForeignKeyConstraint(
            ["subject_id"], ["people.id"], name=op.f("fk_evaluation_objections_subject_id_people")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evaluation_objections")),
    )
    with op.batch_alter_table("evaluation_objections", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_evaluation_objections_filed_by_id"), ["filed_by_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_evaluation_objections_period_id"), ["period_id"], unique=False)

    op.create_table(
        "evaluation_snapshots",
        sa.Column("period_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("points", sa.BigInteger(), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("stars", sa.Integer(), nullable=True),
        sa.Column("score", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["period_id"],
            ["evaluation_periods.id"],
            name=op.f("fk_evaluation_snapshots_period_id_evaluation_periods"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_evaluation_snapshots_person_id_people")
        ),
        sa.PrimaryKeyConstraint("period_id", "person_id", name=op.f("pk_evaluation_snapshots")),
    )

    op.create_table(
        "evaluation_year_ratings",
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=True),
        sa.Column("points", sa.BigInteger(), nullable=False),
        sa.Column("stars", sa.Integer(), nullable=True),
        sa.Column("score", sa.Integer(), nullable=True),
        sa.Column("scheme", sa.String(length=8), nullable=False),
        sa.Column("settled_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["community_id"], ["org_nodes.id"], name=op.f("fk_evaluation_year_ratings_community_id_org_nodes")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_evaluation_year_ratings_person_id_people")
        ),
        sa.PrimaryKeyConstraint("person_id", "year", name=op.f("pk_evaluation_year_ratings")),
    )


def downgrade() -> None:
    op.drop_table("evaluation_year_ratings")
    op.drop_table("evaluation_snapshots")
    with op.batch_alter_table("evaluation_objections", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_evaluation_objections_period_id"))
        batch_op.drop_index(batch_op.f("ix_evaluation_objections_filed_by_id"))

    op.drop_table("evaluation_objections")
    with op.batch_alter_table("evaluation_periods", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_evaluation_periods_community_id"))

    op.drop_table("evaluation_periods")
    op.drop_table("evaluation_exemptions")
    with op.batch_alter_table("evaluation_deductions", schema=None) as batch_op:
        batch_op.drop_index("ix_evaluation_deductions_person_year")

    op.drop_table("evaluation_deductions")
