"""check-in award refusals kept as a code with its parameters, put into words when shown

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-26 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The table as this revision knows it: frozen here, never read from the application's models.
checkins = sa.table(
    "checkins",
    sa.column("id", sa.Integer()),
    sa.column("award_error", sa.String(length=200)),
    sa.column("award_refusal", sa.JSON(none_as_null=True)),
)


def upgrade() -> None:
    op.add_column("checkins", sa.Column("award_refusal", sa.JSON(), nullable=True))
    conn = op.get_bind()
    refused = conn.execute(
        sa.select(checkins.c.id, checkins.c.award_error).where(checkins.c.award_error != "")
    ).all()
    for checkin_id, text in refused:
        # The old text read "code: message", the message already filled in (and in Chinese).
        code, separator, message = text.partition(": ")
        if not separator:
            code, message = "award_refused", text
        refusal = {"code": code, "message": message, "values": {}}
        conn.execute(checkins.update().where(checkins.c.id == checkin_id).values(award_refusal=refusal))
    op.drop_column("checkins", "award_error")


def downgrade() -> None:
    op.add_column(
        "checkins",
        sa.Column("award_error", sa.String(length=200), nullable=False, server_default=""),
    )
    conn = op.get_bind()
    refused = conn.execute(
        sa.select(checkins.c.id, checkins.c.award_refusal).where(checkins.c.award_refusal.is_not(None))
    ).all()
    for checkin_id, refusal in refused:
        if not refusal:
            continue
        message = refusal.get("message", "")
        values = refusal.get("values") or {}
        text = f"{refusal.get('code', '')}: {message % values if values else message}"[:200]
        conn.execute(checkins.update().where(checkins.c.id == checkin_id).values(award_error=text))
    op.drop_column("checkins", "award_refusal")
