"""Only points/ledger writes transfers and balances: no other module may even name their tables."""

from __future__ import annotations

import ast
from pathlib import Path

import points

PACKAGE = Path(points.__file__).resolve().parent
LEDGER = PACKAGE / "ledger"
PROTECTED_MODELS = {"Transfer", "Account", "ChainHead", "Budget"}
PROTECTED_TABLES = ("ledger_transfers", "ledger_accounts", "ledger_chain_heads", "ledger_budgets")


def _outside_ledger():
    for path in sorted(PACKAGE.rglob("*.py")):
        if LEDGER not in path.parents:
            yield path, ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def test_no_module_outside_the_ledger_imports_its_tables():
    offenders = []
    for path, tree in _outside_ledger():
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("points.ledger.models"):
                names = {alias.name for alias in node.names} & PROTECTED_MODELS
                if names:
                    offenders.append(f"{path.relative_to(PACKAGE)} imports {sorted(names)}")
    assert offenders == []


def _foreign_keys(tree) -> set[int]:
    """Constants naming a foreign key target (`foreign_key="ledger_transfers.id"`): a reference
    to a transfer is a read, and lets the database keep it pointing at a real row."""
    return {
        id(node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.keyword)
        and node.arg == "foreign_key"
        and isinstance(node.value, ast.Constant)
    }


def test_no_module_outside_the_ledger_writes_its_tables_in_sql():
    offenders = []
    for path, tree in _outside_ledger():
        references = _foreign_keys(tree)
        for node in ast.walk(tree):
            if id(node) in references:
                continue
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                hits = [t for t in PROTECTED_TABLES if t in node.value]
                if hits:
                    offenders.append(f"{path.relative_to(PACKAGE)} mentions {hits}")
    assert offenders == []


def test_the_check_sees_the_whole_package():
    files = [path for path, _ in _outside_ledger()]
    assert any(path.name == "operations.py" for path in files)
    assert len(files) > 10
