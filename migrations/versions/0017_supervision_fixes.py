"""supervision fixes: street admins are told in their inbox when a flag is escalated

Revision ID: 0017
Revises: 0011
Create Date: 2026-11-25 22:40:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0017"
down_revision: str | None = "0011"
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
)
NEW_KINDS = ("flag_escalated",)


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _kinds(values: tuple[str, ...]) -> None:
    with op.batch_alter_table("notices") as batch:
        batch.drop_constraint(op.f("ck_notices_kind"), type_="check")
        batch.create_check_constraint(op.f("ck_notices_kind"), _in("kind", values))


def upgrade() -> None:
    _kinds(NOTICE_KINDS + NEW_KINDS)


def downgrade() -> None:
    op.execute(f"DELETE FROM notices WHERE kind IN ({', '.join(repr(k) for k in NEW_KINDS)})")
    _kinds(NOTICE_KINDS)
