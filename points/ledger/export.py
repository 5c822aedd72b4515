"""Statement export as CSV for Excel users (UTF-8 with a BOM, so Chinese memos open intact)."""

from __future__ import annotations

import csv
import io

from flask import Response

COLUMNS = ("id", "created_at", "kind", "reason", "status", "direction", "change", "balance", "amount", "memo")


def statement_csv(rows: list[dict], filename: str) -> Response:
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow(
            [row["created_at"].isoformat() if c == "created_at" else row.get(c, "") for c in COLUMNS]
        )
    return Response(
        buffer.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
