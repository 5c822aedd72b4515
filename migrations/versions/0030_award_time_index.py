"""ledger: awards in effect by the time they took effect (a partial index)

Revision ID: 0030
Revises: 0029
Create Date: 2026-11-26 08:00:00

The nightly anomaly run sums each person's awards of the running month from the rows (the
earlier months come from the month totals). Without an index on the time, reading one month
meant reading the whole ledger. The index holds award rows in effect only, the rows that query
reads.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0030"
down_revision: str | None = "0029"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_AWARDS_IN_EFFECT = sa.text(
    "status IN ('posted', 'post') AND reason IN ('task_award', 'checkin_award', 'manual_award')"
)


def upgrade() -> None:
    op.create_index(
        "ix_ledger_transfers_award_time",
        "ledger_transfers",
        ["created_at"],
        postgresql_where=_AWARDS_IN_EFFECT,
        sqlite_where=_AWARDS_IN_EFFECT,
    )


def downgrade() -> None:
    op.drop_index("ix_ledger_transfers_award_time", table_name="ledger_transfers")
