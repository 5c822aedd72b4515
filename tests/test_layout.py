"""How the code is written, checked: no import hidden in a function to dodge a cycle, small
modules and functions, and page text the translation catalogue can extract.

The import contracts themselves (.importlinter) run in `make test` as `lint-imports`.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "points"
SOURCES = sorted(PACKAGE.rglob("*.py"))

# A module longer than this is doing more than one job.
MODULE_LINES = 600
# A function longer than this should be cut into named steps. The ledger's one posting path
# reads best as one function (its docstring walks through the steps), so it may be longer.
FUNCTION_LINES = 60
LONG_FUNCTIONS_ALLOWED = {("points/ledger/operations.py", "_append_rows")}

# Calls whose message reaches a reader: their text must be a literal the extractor can read,
# with values passed as parameters.
MESSAGE_CALLS = {
    "DomainError": 1,
    "Conflict": 1,
    "Forbidden": 1,
    "NotFound": 1,
    "Unauthorized": 1,
    "ValidationFailed": 1,
    "InsufficientPoints": 1,
    "flash": 0,
    "_": 0,
    "gettext": 0,
    "_l": 0,
    "N_": 0,
}


def _trees():
    for path in SOURCES:
        yield path.relative_to(PACKAGE.parent).as_posix(), ast.parse(path.read_text(encoding="utf-8"))


def test_no_import_of_the_project_hides_inside_a_function():
    hidden = []
    for name, tree in _trees():
        for function in ast.walk(tree):
            if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for node in ast.walk(function):
                module = None
                if isinstance(node, ast.ImportFrom):
                    module = node.module or ""
                elif isinstance(node, ast.Import):
                    module = node.names[0].name
                if module is not None and (module == "points" or module.startswith("points.")):
                    hidden.append(f"{name}:{node.lineno} {module}")
    assert hidden == []


def test_modules_stay_small():
    long = {
        path.relative_to(PACKAGE.parent).as_posix(): lines
        for path in SOURCES
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MODULE_LINES
    }
    assert long == {}


def test_functions_stay_small():
    long = []
    for name, tree in _trees():
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                lines = node.end_lineno - node.lineno + 1
                if lines > FUNCTION_LINES and (name, node.name) not in LONG_FUNCTIONS_ALLOWED:
                    long.append(f"{name}:{node.lineno} {node.name} ({lines} lines)")
    assert long == []


def _built_text(node: ast.expr) -> bool:
    """An f-string, a %-formatted or concatenated string, or str.format: text the extractor
    cannot read as one message."""
    if isinstance(node, ast.JoinedStr):
        return True
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod | ast.Add):
        return (isinstance(node.left, ast.Constant | ast.JoinedStr) and isinstance(node.left.value, str)) or (
            isinstance(node.left, ast.JoinedStr)
        )
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "format"
        and isinstance(node.func.value, ast.Constant)
    )


def test_messages_are_literals_with_parameters():
    built = []
    for name, tree in _trees():
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            callee = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", None)
            position = MESSAGE_CALLS.get(callee)
            if position is None or len(node.args) <= position:
                continue
            if _built_text(node.args[position]):
                built.append(f"{name}:{node.lineno} {callee}(…)")
    assert built == []


@pytest.mark.parametrize(
    ("source", "found"),
    [
        ('DomainError("c", f"请填写{x}")', True),
        ('flash("%s 已保存" % name)', True),
        ('_("共 {n} 条".format(n=n))', True),
        ('DomainError("c", "请填写%(x)s", values={"x": x})', False),
        ('flash(_("已保存"))', False),
    ],
)
def test_the_message_lint_sees_built_text(source, found):
    call = ast.parse(source).body[0].value
    callee = call.func.id
    assert _built_text(call.args[MESSAGE_CALLS[callee]]) is found
