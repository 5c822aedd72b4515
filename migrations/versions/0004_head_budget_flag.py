"""the chain head says whether the community has a budget, read under the posting lock

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 04:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("ledger_chain_heads") as batch_op:
        batch_op.add_column(sa.Column("has_budget", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.execute(
        "UPDATE ledger_chain_heads SET has_budget = TRUE"
        " WHERE community_id IN (SELECT community_id FROM ledger_budgets)"
    )


def downgrade() -> None:
    with op.batch_alter_table("ledger_chain_heads") as batch_op:
        batch_op.drop_column("has_budget")
