"""people: a community's people in id order, with what a search reads (PostgreSQL: in the index)

Revision ID: 0028
Revises: 0026
Create Date: 2026-11-26 07:00:00

A staff search for a one-character surname (`赵`) has no trigram to use; it reads the people of
the reader's communities. Through the old index on `community_id` it visited a page of the
table per person; this index keeps them in id order and, on PostgreSQL, carries the name, the
phone and the grid, so a search reads the index alone and a page stops at its last match.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0028"
down_revision: str | None = "0026"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_people_community",
        "people",
        ["community_id", "id"],
        postgresql_include=["grid_id", "name", "phone"],
    )
    op.drop_index("ix_people_community_id", table_name="people")


def downgrade() -> None:
    op.create_index("ix_people_community_id", "people", ["community_id"])
    op.drop_index("ix_people_community", table_name="people")
