"""Column declarations the models of several domains make alike: UTC timestamps, a column held
to a choice's values, and an index over only the rows matching a condition."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlmodel import Field

from points.db import UTCDateTime, utcnow
from points.labels import Choice


def Timestamp() -> Any:
    """When the row was made (or the thing it records began): UTC, set to now on insert."""
    return Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


def OptionalTimestamp() -> Any:
    """When something happened to the row, once it has: UTC, empty until then."""
    return Field(default=None, sa_type=UTCDateTime)


def values_in(column: str, values: tuple[str, ...]) -> str:
    """SQL that holds `column` to `values`."""
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def choice_check(column: str, choice: type[Choice]) -> sa.CheckConstraint:
    """A CHECK that holds `column` to `choice`'s stored values, named after the column."""
    return sa.CheckConstraint(values_in(column, choice.values()), name=column)


def partial_index(name: str, *columns: str, where: str, unique: bool = False) -> sa.Index:
    """An index over only the rows matching `where`, on SQLite and PostgreSQL alike."""
    return sa.Index(
        name, *columns, unique=unique, sqlite_where=sa.text(where), postgresql_where=sa.text(where)
    )
