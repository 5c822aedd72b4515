"""Rankings and the party-member 台账 as files: CSV for Excel (UTF-8 with a BOM) or an xlsx
workbook with a bold, filled header row frozen in place."""

from __future__ import annotations

import csv
import io

from flask import Response
from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill

from points.i18n import translate
from points.labels import N_

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EXEMPT = N_("免评")
# Column titles: the msgids the catalogue translates.
TITLES = {
    "rank": N_("名次"),
    "name": N_("姓名"),
    "node_name": N_("网格/社区"),
    "points": N_("积分"),
    "own_points": N_("本组织积分"),
    "member_points": N_("党员服务积分"),
    "stars": N_("星级"),
    "score": N_("百分制得分"),
    "year": N_("年度"),
    "deducted": N_("扣分"),
    "exemption": N_("免评原因"),
    "unit_name": N_("工作单位"),
    "day": N_("日期"),
    "what": N_("服务内容"),
    "kind_name": N_("积分类型"),
    "hours": N_("时长（小时）"),
}
PERSON_COLUMNS = ("rank", "name", "node_name", "points", "stars", "score")
UNIT_COLUMNS = ("rank", "name", "own_points", "member_points", "points")
# 党员积分制管理台账: one line per party member for a year.
BOOK_COLUMNS = ("name", "unit_name", "node_name", "points", "stars", "score", "deducted", "exemption")


def _safe(value):
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        # Excel would run a name such as "=HYPERLINK(...)" as a formula.
        return "'" + value
    return value


def _cells(row: dict, columns: tuple[str, ...]) -> list:
    cells = []
    for column in columns:
        value = row.get(column)
        if column == "stars" and row.get("exempt"):
            value = translate(EXEMPT)
        cells.append(_safe(value))
    return cells


def table_file(rows: list[dict], columns: tuple[str, ...], filename: str, fmt: str) -> Response:
    """`rows` as a CSV or an xlsx download with translated column titles."""
    header = [translate(TITLES[c]) for c in columns]
    if fmt == "csv":
        buffer = io.StringIO()
        buffer.write("\ufeff")
        writer = csv.writer(buffer)
        writer.writerow(header)
        writer.writerows(_cells(r, columns) for r in rows)
        body, mimetype = buffer.getvalue(), "text/csv"
    else:
        book = Workbook()
        sheet = book.active
        sheet.title = filename[:31]
        sheet.append(header)
        fill = PatternFill("solid", fgColor="F3D9D9")
        for cell in sheet[1]:
            cell.font, cell.fill = Font(bold=True), fill
        for row in rows:
            sheet.append(_cells(row, columns))
        sheet.freeze_panes = "A2"
        for letter, width in zip("ABCDEFGHIJK", (8, 14, 16, 10, 10, 12, 12, 12, 12, 12, 20), strict=False):
            sheet.column_dimensions[letter].width = width
        out = io.BytesIO()
        book.save(out)
        body, mimetype = out.getvalue(), XLSX
    return Response(
        body, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{filename}.{fmt}"'}
    )


def ranking_file(result: dict, fmt: str) -> Response:
    rows = result["items"]
    columns = UNIT_COLUMNS if rows and "unit_id" in rows[0] else PERSON_COLUMNS
    return table_file(rows, columns, f"ranking-{result['kind']}-{result['label']}", fmt)
