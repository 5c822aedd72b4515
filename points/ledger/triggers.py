"""Database triggers that refuse UPDATE, DELETE (and on PostgreSQL TRUNCATE) of transfers.

SQLite batch migrations recreate a table and silently drop its triggers, so
every migration that touches `ledger_transfers` calls `create_triggers` again.
"""

from __future__ import annotations

from sqlalchemy.engine import Connection

MESSAGE = "ledger_transfers is append-only"
TRIGGER_NAMES = ("ledger_transfers_no_update", "ledger_transfers_no_delete")

_SQLITE = [
    f"""CREATE TRIGGER IF NOT EXISTS ledger_transfers_no_update BEFORE UPDATE ON ledger_transfers
    BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END""",
    f"""CREATE TRIGGER IF NOT EXISTS ledger_transfers_no_delete BEFORE DELETE ON ledger_transfers
    BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END""",
]

_POSTGRESQL = [
    f"""CREATE OR REPLACE FUNCTION ledger_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'P0001'; END $$""",
    "DROP TRIGGER IF EXISTS ledger_transfers_no_update ON ledger_transfers",
    "DROP TRIGGER IF EXISTS ledger_transfers_no_delete ON ledger_transfers",
    "DROP TRIGGER IF EXISTS ledger_transfers_no_truncate ON ledger_transfers",
    """CREATE TRIGGER ledger_transfers_no_update BEFORE UPDATE ON ledger_transfers
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change()""",
    """CREATE TRIGGER ledger_transfers_no_delete BEFORE DELETE ON ledger_transfers
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change()""",
    # Row triggers do not fire on TRUNCATE.
    """CREATE TRIGGER ledger_transfers_no_truncate BEFORE TRUNCATE ON ledger_transfers
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change()""",
]


def create_triggers(connection: Connection) -> None:
    for statement in _POSTGRESQL if connection.dialect.name == "postgresql" else _SQLITE:
        connection.exec_driver_sql(statement)


def drop_triggers(connection: Connection) -> None:
    if connection.dialect.name == "postgresql":
        for name in (*TRIGGER_NAMES, "ledger_transfers_no_truncate"):
            connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name} ON ledger_transfers")
        connection.exec_driver_sql("DROP FUNCTION IF EXISTS ledger_refuse_change()")
    else:
        for name in TRIGGER_NAMES:
            connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}")


def trigger_names(connection: Connection) -> set[str]:
    if connection.dialect.name == "postgresql":
        rows = connection.exec_driver_sql(
            "SELECT tgname FROM pg_trigger WHERE tgrelid = 'ledger_transfers'::regclass AND NOT tgisinternal"
        )
    else:
        rows = connection.exec_driver_sql(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'ledger_transfers'"
        )
    return {row[0] for row in rows}
