"""indexes for every list's filter and order: the approval queue, ledger browsing, the board,
the audit log and name search (trigram on PostgreSQL); verifications record their mode and time

Revision ID: 0015
Revises: 0010
Create Date: 2026-11-25 21:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PENDING = sa.text("status = 'pending'")


def _trigram_available(conn) -> bool:
    """pg_trgm is there, or this role may create it (without it, names keep a plain b-tree)."""
    if conn.execute(sa.text("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")).first():
        return True
    if not conn.execute(sa.text("SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'")).first():
        return False
    try:
        with conn.begin_nested():
            conn.execute(sa.text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
    except sa.exc.DBAPIError:
        return False
    return True


def upgrade() -> None:
    conn = op.get_bind()
    with op.batch_alter_table("ledger_verifications") as batch_op:
        batch_op.add_column(sa.Column("mode", sa.String(length=12), server_default="full", nullable=False))
        batch_op.add_column(sa.Column("seconds", sa.Float(), server_default="0", nullable=False))
    op.create_index(
        "ix_ledger_transfers_pending",
        "ledger_transfers",
        ["community_id", "id"],
        sqlite_where=PENDING,
        postgresql_where=PENDING,
    )
    op.create_index("ix_ledger_transfers_community", "ledger_transfers", ["community_id", "id"])
    with op.batch_alter_table("tasks") as batch_op:
        batch_op.drop_index("ix_tasks_community_state")
        batch_op.create_index("ix_tasks_community_state_start", ["community_id", "state", "starts_at", "id"])
    op.create_index("ix_audit_entries_node_entry", "audit_entries", ["node_id", "id"])
    op.create_index("ix_audit_entries_actor_entry", "audit_entries", ["actor_id", "id"])
    op.create_index("ix_audit_entries_target_entry", "audit_entries", ["target_type", "target_id", "id"])
    op.create_index("ix_audit_entries_unit_entry", "audit_entries", ["unit_id", "id"])
    if conn.dialect.name == "postgresql" and _trigram_available(conn):
        op.create_index(
            "ix_people_name_search",
            "people",
            ["name"],
            postgresql_using="gin",
            postgresql_ops={"name": "gin_trgm_ops"},
        )
    else:
        op.create_index("ix_people_name_search", "people", ["name"])


def downgrade() -> None:
    op.drop_index("ix_people_name_search", table_name="people")
    op.drop_index("ix_audit_entries_unit_entry", table_name="audit_entries")
    op.drop_index("ix_audit_entries_target_entry", table_name="audit_entries")
    op.drop_index("ix_audit_entries_actor_entry", table_name="audit_entries")
    op.drop_index("ix_audit_entries_node_entry", table_name="audit_entries")
    with op.batch_alter_table("tasks") as batch_op:
        batch_op.drop_index("ix_tasks_community_state_start")
        batch_op.create_index("ix_tasks_community_state", ["community_id", "state"])
    op.drop_index("ix_ledger_transfers_community", table_name="ledger_transfers")
    op.drop_index("ix_ledger_transfers_pending", table_name="ledger_transfers")
    with op.batch_alter_table("ledger_verifications") as batch_op:
        batch_op.drop_column("seconds")
        batch_op.drop_column("mode")
