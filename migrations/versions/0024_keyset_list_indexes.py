"""indexes for the lists now paged by cursor (check-ins, activities, vouchers, notices,
demands) and for an account's rows in a period (statement exports by date, a person's months)

Revision ID: 0024
Revises: 0020
Create Date: 2026-11-26 04:30:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0024"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NEW = [
    ("ix_ledger_transfers_debit_time", "ledger_transfers", ["debit_account_id", "created_at", "id"]),
    ("ix_ledger_transfers_credit_time", "ledger_transfers", ["credit_account_id", "created_at", "id"]),
    ("ix_activities_starts", "activities", ["starts_at", "id"]),
    ("ix_store_vouchers_person_id", "store_vouchers", ["person_id", "id"]),
    ("ix_store_vouchers_state_id", "store_vouchers", ["state", "id"]),
    ("ix_notices_person_created", "notices", ["person_id", "created_at", "id"]),
    ("ix_demands_created", "demands", ["created_at", "id"]),
]
# Check-ins' own indexes gain the id, so a page's ties are read in index order too.
WIDENED = [
    ("ix_checkins_person_in", "person_id"),
    ("ix_checkins_activity_in", "activity_id"),
]


def upgrade() -> None:
    for name, table, columns in NEW:
        op.create_index(name, table, columns)
    for name, owner in WIDENED:
        op.drop_index(name, table_name="checkins")
        op.create_index(name, "checkins", [owner, "checked_in_at", "id"])


def downgrade() -> None:
    for name, owner in WIDENED:
        op.drop_index(name, table_name="checkins")
        op.create_index(name, "checkins", [owner, "checked_in_at"])
    for name, table, _columns in reversed(NEW):
        op.drop_index(name, table_name=table)
