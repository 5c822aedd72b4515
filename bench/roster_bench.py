"""Roster preview: reading and classifying a 10,000-row xlsx against a community's people.

Makes a throwaway database with one community of two grids and 5,000 people (half of the file's
phones exist, a tenth of those moved grid), writes a 10,000-row xlsx, and times reading the file
and classifying every row (what the preview page does):

    python bench/roster_bench.py                      # SQLite in a temporary folder
    python bench/roster_bench.py --postgres postgresql://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import io
import sys
import time
from collections import Counter
from pathlib import Path

import openpyxl

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.ledger_bench import migrated_app, throwaway
from points.db import session
from points.onboarding import imports
from points.onboarding.roster import read_roster
from points.org import operations as org
from points.people.models import Person

ROWS = 10_000


def roster_file(rows: int) -> bytes:
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(["姓名", "手机号", "网格"])
    for i in range(rows):
        sheet.append([f"居民{i}", 13900000000 + i, "一网格" if i % 2 else "二网格"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--postgres", help="a PostgreSQL server URL (default: SQLite)")
    args = parser.parse_args()
    with throwaway(args.postgres) as (url, _):
        engine, app = migrated_app(url)
        engine.dispose()
        with app.app_context():
            city = org.create_node(actor=None, parent_id=None, level="city", name="市")
            district = org.create_node(actor=None, parent_id=city.id, level="district", name="区")
            street = org.create_node(actor=None, parent_id=district.id, level="street", name="街道")
            community = org.create_node(actor=None, parent_id=street.id, level="community", name="社区")
            one = org.create_node(actor=None, parent_id=community.id, level="grid", name="一网格")
            two = org.create_node(actor=None, parent_id=community.id, level="grid", name="二网格")
            session().add_all(
                Person(
                    phone=str(13900000000 + i),
                    name=f"居民{i}",
                    community_id=community.id,
                    grid_id=(one.id if i % 2 else two.id) if i % 10 else (two.id if i % 2 else one.id),
                )
                for i in range(0, ROWS, 2)
            )
            session().commit()
            data = roster_file(ROWS)
            start = time.perf_counter()
            rows = read_roster("bench.xlsx", data, max_bytes=10**8, max_unpacked=10**9, max_rows=ROWS)
            read = time.perf_counter() - start
            cells = [
                [r.line, imports._text(r.name), imports._text(r.phone), imports._text(r.grid)] for r in rows
            ]
            start = time.perf_counter()
            views = imports.classify(community.id, cells)
            classified = time.perf_counter() - start
            print(
                f"{len(data) / 1024:.0f} KB xlsx, {len(rows)} rows: read {read:.2f} s, classified {classified:.2f} s"
            )
            print(dict(Counter(v.state.value if hasattr(v.state, "value") else v.state for v in views)))


if __name__ == "__main__":
    main()
