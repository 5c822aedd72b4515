"""indexes for the lists paged by cursor: my claims (by person and by unit, latest change first)
and the verification queue (submitted claims, longest waiting first)

Revision ID: 0020
Revises: 0019
Create Date: 2026-11-26 01:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SUBMITTED = sa.text("state = 'submitted'")


def upgrade() -> None:
    op.create_index("ix_claims_person_updated", "claims", ["person_id", "updated_at", "id"])
    op.create_index("ix_claims_unit_updated", "claims", ["unit_id", "updated_at", "id"])
    op.create_index(
        "ix_claims_submitted",
        "claims",
        ["submitted_at", "id"],
        sqlite_where=SUBMITTED,
        postgresql_where=SUBMITTED,
    )


def downgrade() -> None:
    op.drop_index("ix_claims_submitted", table_name="claims")
    op.drop_index("ix_claims_unit_updated", table_name="claims")
    op.drop_index("ix_claims_person_updated", table_name="claims")
