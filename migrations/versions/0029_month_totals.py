"""ledger: each account's awards and reversals per local month, kept by triggers on the
ledger's inserts

Revision ID: 0029
Revises: 0028
Create Date: 2026-11-26 07:10:00

A person's page charts what they earned in each of the last twelve months. Summed from the rows,
that reads every award of the year: for someone with thousands, most of the page's time. This
table holds the sums per account and month (Asia/Shanghai, the service's one local time zone):
awards posted into the account, reversals taken out of it. Triggers keep it, so every writer
keeps it alike; it is derived from the rows, and `verify` checks that it matches them.

On PostgreSQL one trigger per statement adds a whole batch (a bulk approval) in one upsert; on
SQLite a trigger per row does it. The totals' rows are locked after the account's balance row,
which every posting to the account locks first, so they add no new lock order.

SQLite drops a table's triggers when a migration recreates the table: a later migration that
alters `ledger_transfers` there must create these again.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0029"
down_revision: str | None = "0028"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_AWARDS = "('task_award', 'checkin_award', 'manual_award')"
_EFFECTIVE = "('posted', 'post')"
_UPSERT_TAIL = """ON CONFLICT (account_id, month) DO UPDATE
    SET awarded = ledger_month_totals.awarded + excluded.awarded,
        reversed = ledger_month_totals.reversed + excluded.reversed"""

_SQLITE_MONTH = "strftime('%Y-%m', NEW.created_at, '+8 hours')"
_SQLITE = [
    f"""CREATE TRIGGER ledger_transfers_month_award AFTER INSERT ON ledger_transfers
    WHEN NEW.status IN {_EFFECTIVE} AND NEW.reason IN {_AWARDS} BEGIN
    INSERT INTO ledger_month_totals (account_id, month, awarded, reversed)
    VALUES (NEW.credit_account_id, {_SQLITE_MONTH}, NEW.amount, 0) {_UPSERT_TAIL}; END""",
    f"""CREATE TRIGGER ledger_transfers_month_reversal AFTER INSERT ON ledger_transfers
    WHEN NEW.status IN {_EFFECTIVE} AND NEW.reason = 'reversal' BEGIN
    INSERT INTO ledger_month_totals (account_id, month, awarded, reversed)
    VALUES (NEW.debit_account_id, {_SQLITE_MONTH}, 0, NEW.amount) {_UPSERT_TAIL}; END""",
]

# An award counts for the account it credited, a reversal against the account it debited.
_PG_SUMS = """SELECT CASE WHEN n.reason = 'reversal' THEN n.debit_account_id ELSE n.credit_account_id END,
        to_char(n.created_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM'),
        sum(CASE WHEN n.reason = 'reversal' THEN 0 ELSE n.amount END),
        sum(CASE WHEN n.reason = 'reversal' THEN n.amount ELSE 0 END)
    FROM {source} n
    WHERE n.status IN ('posted', 'post') AND n.reason IN ('task_award', 'checkin_award', 'manual_award', 'reversal')
    GROUP BY 1, 2 ORDER BY 1, 2"""
_POSTGRESQL = [
    f"""CREATE FUNCTION ledger_count_months() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO ledger_month_totals (account_id, month, awarded, reversed)
        {_PG_SUMS.format(source="new_rows")}
        {_UPSERT_TAIL};
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER ledger_transfers_month_totals AFTER INSERT ON ledger_transfers
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION ledger_count_months()""",
]
_SQLITE_BACKFILL = f"""INSERT INTO ledger_month_totals (account_id, month, awarded, reversed)
    SELECT CASE WHEN reason = 'reversal' THEN debit_account_id ELSE credit_account_id END,
        strftime('%Y-%m', created_at, '+8 hours'),
        sum(CASE WHEN reason = 'reversal' THEN 0 ELSE amount END),
        sum(CASE WHEN reason = 'reversal' THEN amount ELSE 0 END)
    FROM ledger_transfers
    WHERE status IN {_EFFECTIVE} AND reason IN ('task_award', 'checkin_award', 'manual_award', 'reversal')
    GROUP BY 1, 2"""


def upgrade() -> None:
    op.create_table(
        "ledger_month_totals",
        sa.Column("account_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("awarded", sa.BigInteger(), nullable=False),
        sa.Column("reversed", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["ledger_accounts.id"]),
        sa.PrimaryKeyConstraint("account_id", "month"),
    )
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        bind.exec_driver_sql(
            "INSERT INTO ledger_month_totals (account_id, month, awarded, reversed) "
            + _PG_SUMS.format(source="ledger_transfers")
        )
        statements = _POSTGRESQL
    else:
        bind.exec_driver_sql(_SQLITE_BACKFILL)
        statements = _SQLITE
    for statement in statements:
        bind.exec_driver_sql(statement)


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        bind.exec_driver_sql("DROP TRIGGER IF EXISTS ledger_transfers_month_totals ON ledger_transfers")
        bind.exec_driver_sql("DROP FUNCTION IF EXISTS ledger_count_months()")
    else:
        bind.exec_driver_sql("DROP TRIGGER IF EXISTS ledger_transfers_month_award")
        bind.exec_driver_sql("DROP TRIGGER IF EXISTS ledger_transfers_month_reversal")
    op.drop_table("ledger_month_totals")
