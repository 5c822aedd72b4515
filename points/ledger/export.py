"""Statement export as CSV for Excel users (UTF-8 with a BOM, so Chinese memos open intact)."""

from __future__ import annotations

import csv
import io

from flask import Response

COLUMNS = ("id", "created_at", "kind", "reason", "status", "direction", "change", "balance", "amount", "memo")


def _cell(row: dict, column: str):
    value = row.get(column, "")
    if column == "created_at":
        return value.isoformat()
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        # Excel would run a memo such as "=HYPERLINK(...)" as a formula.
        return "'" + value
    return value


def statement_csv(rows: list[dict], filename: str) -> Response:
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow([_cell(row, column) for column in COLUMNS])
    return Response(
        buffer.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
