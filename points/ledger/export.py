"""Statement export as CSV for Excel users (UTF-8 with a BOM, so Chinese memos open intact).

The file is streamed: rows are read from a server-side cursor and written a batch at a time,
so an export holds one batch in memory however long the history.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from flask import Response, current_app

from points.ledger.history import export_rows

COLUMNS = ("id", "created_at", "kind", "reason", "status", "direction", "change", "balance", "amount", "memo")
BATCH = 500
# The first chunk is small, so a download starts as soon as a few rows are read, however long
# the history; the rest follow a batch at a time.
FIRST = 50


def _cell(row: dict, column: str):
    value = row.get(column, "")
    if column == "created_at":
        return value.isoformat()
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        # Excel would run a memo such as "=HYPERLINK(...)" as a formula.
        return "'" + value
    return value


def header() -> str:
    """The file's first line, after the BOM that tells Excel it is UTF-8."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    csv.writer(buffer).writerow(COLUMNS)
    return buffer.getvalue()


def csv_lines(rows, *, batch: int = BATCH, first: int = FIRST) -> Iterator[str]:
    """The CSV lines of `rows` (mappings): the first `first` lines, then a batch at a time."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for count, row in enumerate(rows, start=1):
        writer.writerow([_cell(row, column) for column in COLUMNS])
        if count == first or (count > first and (count - first) % batch == 0):
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue()


def statement_csv(account_id: int | None, period: dict, filename: str) -> Response:
    """A streamed CSV download of the account's statement in `period` (`start`, `end`; no rows
    when the account does not exist yet).

    The rows are read once the response is sent, after the request's own session has
    committed and closed: the body reads them in an application context of its own, on a
    session of its own, which it closes when done (or when the client goes away). The header
    goes first, before any of that is opened."""
    app = current_app._get_current_object()
    batch, first = BATCH, FIRST

    def body() -> Iterator[str]:
        yield header()
        if account_id is None:
            return
        with app.app_context():
            yield from csv_lines(
                export_rows(account_id, **period, batch=batch, first=first), batch=batch, first=first
            )

    return Response(
        body(), mimetype="text/csv", headers={"Content-Disposition": f'attachment; filename="{filename}"'}
    )
