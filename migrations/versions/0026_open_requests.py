"""ledger: the open requests (pending awards and reversals not yet posted or voided), kept by
triggers on the ledger's inserts

Revision ID: 0026
Revises: 0025
Create Date: 2026-11-26 07:00:00

A pending row stays pending in the append-only ledger after it is resolved: its post or void is
a row of its own. The approval queue used to walk a community's pending rows and probe each for
a resolution, so it read the whole history of requests to show the few still open. This table
holds just the open ones. Triggers keep it, so every writer (the application's postings, bulk
approvals and PostgreSQL's posting functions) keeps it alike; it is derived from the rows, and
`verify` checks that it matches them.

SQLite drops a table's triggers when a migration recreates the table: a later migration that
alters `ledger_transfers` there must create these again.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0026"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Awards and reversals: the pending rows someone independent must approve or reject.
_OPENS = (
    "NEW.status = 'pending' AND NEW.reason IN ('task_award', 'checkin_award', 'manual_award', 'reversal')"
)
_CLOSES = "NEW.pending_id IS NOT NULL"
_INSERT = "INSERT INTO ledger_open_requests (transfer_id, community_id) VALUES (NEW.id, NEW.community_id)"
_DELETE = "DELETE FROM ledger_open_requests WHERE transfer_id = NEW.pending_id"

_SQLITE = [
    f"""CREATE TRIGGER ledger_transfers_open_request AFTER INSERT ON ledger_transfers
    WHEN {_OPENS} BEGIN {_INSERT}; END""",
    f"""CREATE TRIGGER ledger_transfers_close_request AFTER INSERT ON ledger_transfers
    WHEN {_CLOSES} BEGIN {_DELETE}; END""",
]
_POSTGRESQL = [
    f"""CREATE FUNCTION ledger_open_request() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN {_INSERT}; RETURN NULL; END $$""",
    f"""CREATE FUNCTION ledger_close_request() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN {_DELETE}; RETURN NULL; END $$""",
    f"""CREATE TRIGGER ledger_transfers_open_request AFTER INSERT ON ledger_transfers
    FOR EACH ROW WHEN ({_OPENS}) EXECUTE FUNCTION ledger_open_request()""",
    f"""CREATE TRIGGER ledger_transfers_close_request AFTER INSERT ON ledger_transfers
    FOR EACH ROW WHEN ({_CLOSES}) EXECUTE FUNCTION ledger_close_request()""",
]
_BACKFILL = """INSERT INTO ledger_open_requests (transfer_id, community_id)
    SELECT t.id, t.community_id FROM ledger_transfers t
    WHERE t.status = 'pending' AND t.reason IN ('task_award', 'checkin_award', 'manual_award', 'reversal')
      AND NOT EXISTS (SELECT 1 FROM ledger_transfers r WHERE r.pending_id = t.id)"""


def upgrade() -> None:
    op.create_table(
        "ledger_open_requests",
        sa.Column("transfer_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["transfer_id"], ["ledger_transfers.id"]),
        sa.ForeignKeyConstraint(["community_id"], ["org_nodes.id"]),
        sa.PrimaryKeyConstraint("transfer_id"),
    )
    op.create_index(
        "ix_ledger_open_requests_community", "ledger_open_requests", ["community_id", "transfer_id"]
    )
    bind = op.get_bind()
    for statement in _POSTGRESQL if bind.dialect.name == "postgresql" else _SQLITE:
        bind.exec_driver_sql(statement)
    bind.exec_driver_sql(_BACKFILL)


def downgrade() -> None:
    bind = op.get_bind()
    postgresql = bind.dialect.name == "postgresql"
    for name in ("ledger_transfers_open_request", "ledger_transfers_close_request"):
        bind.exec_driver_sql(
            f"DROP TRIGGER IF EXISTS {name}" + (" ON ledger_transfers" if postgresql else "")
        )
    if postgresql:
        bind.exec_driver_sql("DROP FUNCTION IF EXISTS ledger_open_request()")
        bind.exec_driver_sql("DROP FUNCTION IF EXISTS ledger_close_request()")
    op.drop_index("ix_ledger_open_requests_community", table_name="ledger_open_requests")
    op.drop_table("ledger_open_requests")
