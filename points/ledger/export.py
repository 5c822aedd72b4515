"""Statement export as CSV for Excel users (UTF-8 with a BOM, so Chinese memos open intact).

The file is streamed: rows are read from a server-side cursor and written a batch at a time,
so an export holds one batch in memory however long the history.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

import sqlalchemy as sa
from flask import Response, stream_with_context

from points.pagination import stream

COLUMNS = ("id", "created_at", "kind", "reason", "status", "direction", "change", "balance", "amount", "memo")
BATCH = 500


def _cell(row: dict, column: str):
    value = row.get(column, "")
    if column == "created_at":
        return value.isoformat()
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        # Excel would run a memo such as "=HYPERLINK(...)" as a formula.
        return "'" + value
    return value


def csv_lines(rows, *, batch: int = BATCH) -> Iterator[str]:
    """The CSV text of `rows` (mappings), a batch of lines at a time, header first."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow(COLUMNS)
    for count, row in enumerate(rows, start=1):
        writer.writerow([_cell(row, column) for column in COLUMNS])
        if count % batch == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def statement_csv(stmt: sa.Select | None, filename: str) -> Response:
    """A streamed CSV download of the statement rows `stmt` selects (none when None)."""
    rows = stream(stmt, batch=BATCH) if stmt is not None else iter(())
    return Response(
        stream_with_context(csv_lines(rows, batch=BATCH)),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
