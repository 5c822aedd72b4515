"""notices: an answered 公示 objection tells whoever filed it, a declined dispatch its dispatcher

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-26 00:40:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NOTICE_KINDS = (
    "dispatch_offered",
    "claim_verified",
    "claim_rejected",
    "award_approved",
    "award_rejected",
    "demand_accepted",
    "demand_declined",
    "demand_done",
    "voucher_ready",
    "registration_confirmed",
    "registration_declined",
    "account_confirmed",
    "flag_escalated",
)
NEW_KINDS = ("objection_upheld", "objection_rejected", "dispatch_declined")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _kinds(values: tuple[str, ...]) -> None:
    # Batch mode recreates the table on SQLite (its CHECK cannot be altered in place) and
    # alters the constraint in place on PostgreSQL.
    with op.batch_alter_table("notices") as batch:
        batch.drop_constraint(op.f("ck_notices_kind"), type_="check")
        batch.create_check_constraint(op.f("ck_notices_kind"), _in("kind", values))


def upgrade() -> None:
    _kinds(NOTICE_KINDS + NEW_KINDS)


def downgrade() -> None:
    op.execute(f"DELETE FROM notices WHERE kind IN ({', '.join(repr(k) for k in NEW_KINDS)})")
    _kinds(NOTICE_KINDS)
