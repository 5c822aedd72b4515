"""SQL the detectors need that the two databases spell differently: seconds since the epoch, the
local (Asia/Shanghai, UTC+8 all year) day of a timestamp, and a grouping key read in table order."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement


class epoch(FunctionElement):
    """Seconds since 1970 of a stored UTC timestamp, as a float."""

    type = sa.Float()
    inherit_cache = True
    name = "epoch"


@compiles(epoch, "sqlite")
def _epoch_sqlite(element, compiler, **kw) -> str:
    # Rounded to the millisecond, SQLite's precision for times: the Julian day as a double is
    # off by up to about 50 µs once turned into seconds, so two check-ins exactly ten seconds
    # apart could be 10.00004 s apart here and not in PostgreSQL (fewer bursts found).
    return f"round((julianday({compiler.process(element.clauses, **kw)}) - 2440587.5) * 86400.0, 3)"


@compiles(epoch, "postgresql")
def _epoch_postgresql(element, compiler, **kw) -> str:
    # date_part, not extract: since PostgreSQL 14 extract answers numeric, several times slower
    # to compute and compare over a few hundred thousand check-ins than a double.
    return f"date_part('epoch', {compiler.process(element.clauses, **kw)})"


class table_order(FunctionElement):
    """A column to group a window's transfers by, with the rows read in the table's order. SQLite
    otherwise reads them in the order of an index on that column (the credited account's, the
    community's), one random read per row: two to three times slower over a million transfers
    than reading them in order and grouping in a temporary B-tree. Spelt `+column` there, the
    unary plus that keeps an index from being used; PostgreSQL hashes the groups either way."""

    inherit_cache = True
    name = "table_order"

    def __init__(self, column):
        super().__init__(column)
        self.type = column.type


@compiles(table_order, "sqlite")
def _table_order_sqlite(element, compiler, **kw) -> str:
    return f"+{compiler.process(element.clauses, **kw)}"


@compiles(table_order, "postgresql")
def _table_order_postgresql(element, compiler, **kw) -> str:
    return compiler.process(element.clauses, **kw)


def local_day_number(column) -> sa.ColumnElement:
    """Whole days since 1970 in Asia/Shanghai: equal for two timestamps of one local day."""
    return sa.cast(sa.func.floor((epoch(column) + 8 * 3600) / 86400), sa.Integer)
