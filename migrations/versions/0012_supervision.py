"""supervision: anomaly flags; the device and user agent of a self-scan

Revision ID: 0012
Revises: 0015
Create Date: 2026-11-25 21:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op


revision: str = "0012"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "supervision_flags",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("detector", sa.String(length=24), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("subject_key", sa.String(length=100), nullable=False),
        sa.Column("subject_person_id", sa.Integer(), nullable=True),
        sa.Column("related_person_id", sa.Integer(), nullable=True),
        sa.Column("period", sa.String(length=10), nullable=False),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("window_end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("facts", sa.JSON(), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("decision_note", sa.String(length=1000), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "detector IN ('mutual_approvals', 'checkin_burst', 'overlapping_stays', 'shared_device', "
            "'discretionary_cluster', 'puppet_accounts', 'monthly_jump', 'fast_verification')",
            name=op.f("ck_supervision_flags_detector"),
        ),
        sa.CheckConstraint(
            "state IN ('open', 'explained', 'escalated')", name=op.f("ck_supervision_flags_state")
        ),
        sa.CheckConstraint(
            "(state = 'open') = (decided_at IS NULL)", name=op.f("ck_supervision_flags_decided_when_not_open")
        ),
        sa.ForeignKeyConstraint(
            ["community_id"], ["org_nodes.id"], name=op.f("fk_supervision_flags_community_id_org_nodes")
        ),
        sa.ForeignKeyConstraint(
            ["subject_person_id"], ["people.id"], name=op.f("fk_supervision_flags_subject_person_id_people")
        ),
        sa.ForeignKeyConstraint(
            ["related_person_id"], ["people.id"], name=op.f("fk_supervision_flags_related_person_id_people")
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"], ["people.id"], name=op.f("fk_supervision_flags_decided_by_id_people")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supervision_flags")),
        sa.UniqueConstraint(
            "detector", "subject_key", "period", name=op.f("uq_supervision_flags_detector_subject_key_period")
        ),
    )
    with op.batch_alter_table("supervision_flags", schema=None) as batch_op:
        batch_op.create_index(
            "ix_supervision_flags_community_state", ["community_id", "state", "id"], unique=False
        )
        batch_op.create_index(
            "ix_supervision_flags_detector_state", ["detector", "state", "id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_supervision_flags_subject_person_id"), ["subject_person_id"], unique=False
        )
    op.add_column("checkins", sa.Column("device_hash", sa.String(length=64), nullable=True))
    op.add_column("checkins", sa.Column("user_agent", sa.String(length=200), nullable=True))
    op.create_index("ix_checkins_device_in", "checkins", ["device_hash", "checked_in_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_checkins_device_in", table_name="checkins")
    # Plain ALTER TABLE on both databases: a batch copy of the check-ins would lose their partial
    # unique index's condition on SQLite.
    op.execute("ALTER TABLE checkins DROP COLUMN user_agent")
    op.execute("ALTER TABLE checkins DROP COLUMN device_hash")
    with op.batch_alter_table("supervision_flags", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_supervision_flags_subject_person_id"))
        batch_op.drop_index("ix_supervision_flags_detector_state")
        batch_op.drop_index("ix_supervision_flags_community_state")
    op.drop_table("supervision_flags")
