"""independence: staff changes to accounts, confirmed activity rates, auto-post totals

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25 18:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CHANGES = "change IN ('created', 'updated', 'password_reset', 'unlocked', 'role_granted', 'role_revoked')"


def upgrade() -> None:
    op.create_table(
        "account_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("changed_by_id", sa.Integer(), nullable=False),
        sa.Column("change", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(CHANGES, name=op.f("ck_account_changes_change")),
        sa.ForeignKeyConstraint(
            ["changed_by_id"], ["people.id"], name=op.f("fk_account_changes_changed_by_id_people")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_account_changes_person_id_people")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_changes")),
    )
    op.create_index("ix_account_changes_by_at", "account_changes", ["changed_by_id", "created_at"])
    op.create_index("ix_account_changes_person_at", "account_changes", ["person_id", "created_at"])
    with op.batch_alter_table("activities") as batch:
        batch.add_column(sa.Column("rate_confirmed_by_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("rate_confirmed_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("auto_posted_points", sa.Integer(), server_default="0", nullable=False))
        batch.create_foreign_key(
            op.f("fk_activities_rate_confirmed_by_id_people"), "people", ["rate_confirmed_by_id"], ["id"]
        )
        batch.create_check_constraint(
            op.f("ck_activities_auto_posted_nonnegative"), "auto_posted_points >= 0"
        )
    # Activities made before this rule were approved by nobody: they keep paying as before
    # only if someone confirms them, like new ones.


def downgrade() -> None:
    with op.batch_alter_table("activities") as batch:
        batch.drop_constraint(op.f("ck_activities_auto_posted_nonnegative"), type_="check")
        batch.drop_constraint(op.f("fk_activities_rate_confirmed_by_id_people"), type_="foreignkey")
        batch.drop_column("auto_posted_points")
        batch.drop_column("rate_confirmed_at")
        batch.drop_column("rate_confirmed_by_id")
    op.drop_index("ix_account_changes_person_at", table_name="account_changes")
    op.drop_index("ix_account_changes_by_at", table_name="account_changes")
    op.drop_table("account_changes")
