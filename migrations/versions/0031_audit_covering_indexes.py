"""audit: the node, actor and unit indexes carry the entry's target (PostgreSQL)

Revision ID: 0031
Revises: 0030
Create Date: 2026-11-26 08:10:00

Whether an entry is shown to its reader depends on its target (an anomaly flag's entries are
hidden from the flag's subject). With the target in the entries of the indexes each way of
reaching an entry reads, a page's ids and its capped count come from the indexes alone instead
of a page of the log per entry. SQLite keeps its indexes as they were.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0031"
down_revision: str | None = "0030"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = [
    ("ix_audit_entries_node_entry", "node_id"),
    ("ix_audit_entries_actor_entry", "actor_id"),
    ("ix_audit_entries_unit_entry", "unit_id"),
]


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name, column in INDEXES:
        op.drop_index(name, table_name="audit_entries")
        op.create_index(
            name, "audit_entries", [column, "id"], postgresql_include=["target_type", "target_id"]
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name, column in INDEXES:
        op.drop_index(name, table_name="audit_entries")
        op.create_index(name, "audit_entries", [column, "id"])
