"""The ledger's append-only triggers, as migration 0002 creates them, for tests that tamper.

The statements live in that migration alone (migrations never import application code), so
this loads them from there."""

from __future__ import annotations

import importlib.util
from pathlib import Path

_path = Path(__file__).resolve().parents[2] / "migrations" / "versions" / "0002_ledger.py"
_spec = importlib.util.spec_from_file_location("ledger_migration_0002", _path)
_migration = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_migration)

TRIGGER_NAMES = _migration.TRIGGER_NAMES
create_triggers = _migration.create_triggers
drop_triggers = _migration.drop_triggers


def trigger_names(connection) -> set[str]:
    if connection.dialect.name == "postgresql":
        rows = connection.exec_driver_sql(
            "SELECT tgname FROM pg_trigger WHERE tgrelid = 'ledger_transfers'::regclass AND NOT tgisinternal"
        )
    else:
        rows = connection.exec_driver_sql(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'ledger_transfers'"
        )
    return {row[0] for row in rows}
