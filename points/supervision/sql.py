"""SQL the detectors need that the two databases spell differently: seconds since the epoch, and
the local (Asia/Shanghai, UTC+8 all year) day of a timestamp."""

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
    return f"((julianday({compiler.process(element.clauses, **kw)}) - 2440587.5) * 86400.0)"


@compiles(epoch, "postgresql")
def _epoch_postgresql(element, compiler, **kw) -> str:
    # date_part, not extract: since PostgreSQL 14 extract answers numeric, several times slower
    # to compute and compare over a few hundred thousand check-ins than a double.
    return f"date_part('epoch', {compiler.process(element.clauses, **kw)})"


def local_day_number(column) -> sa.ColumnElement:
    """Whole days since 1970 in Asia/Shanghai: equal for two timestamps of one local day."""
    return sa.cast(sa.func.floor((epoch(column) + 8 * 3600) / 86400), sa.Integer)
