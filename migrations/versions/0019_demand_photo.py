"""demand photo: a resident may attach one photo when asking for help

Revision ID: 0019
Revises: 0021
Create Date: 2026-11-26 00:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A plain nullable column: ALTER TABLE ADD COLUMN on both databases, no table rebuilt.
    op.add_column("demands", sa.Column("photo", sa.String(length=80), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("demands") as batch:
        batch.drop_column("photo")
