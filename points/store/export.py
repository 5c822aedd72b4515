"""The sponsor report as a file: CSV for Excel (UTF-8 with a BOM) or an xlsx workbook."""

from __future__ import annotations

import csv
import io

from flask import Response
from openpyxl import Workbook

from points.i18n import translate
from points.labels import N_
from points.store.models import ItemKind
from points.store.report import COLUMNS

OWN_PURCHASE = N_("社区自购")
# Column titles: the msgids the catalogue translates.
TITLES = {
    "community_name": N_("社区"),
    "sponsor": N_("赞助方"),
    "kind": N_("积分类型"),
    "items": N_("商品数"),
    "given_count": N_("捐赠件数"),
    "given_value_cents": N_("申报价值（元）"),
    "on_hand": N_("现有库存"),
    "picked_up_count": N_("已领取件数"),
    "picked_up_points": N_("已兑换积分"),
    "outstanding_count": N_("待领取件数"),
    "outstanding_points": N_("待领取积分"),
}


def _cells(row: dict) -> list:
    cells = []
    for column in COLUMNS:
        value = row[column]
        if column == "given_value_cents":
            value = round(value / 100, 2)
        elif column == "kind":
            value = translate(ItemKind(value).title)
        elif column == "sponsor":
            value = value or translate(OWN_PURCHASE)
        if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
            # Excel would run a name such as "=HYPERLINK(...)" as a formula.
            value = "'" + value
        cells.append(value)
    return cells


def _header() -> list[str]:
    return [translate(TITLES[c]) for c in COLUMNS]


def report_csv(rows: list[dict], filename: str) -> Response:
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer)
    writer.writerow(_header())
    for row in rows:
        writer.writerow(_cells(row))
    return Response(
        buffer.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}.csv"'},
    )


def report_xlsx(rows: list[dict], filename: str) -> Response:
    book = Workbook()
    sheet = book.active
    sheet.title = "sponsors"
    sheet.append(_header())
    for row in rows:
        sheet.append(_cells(row))
    out = io.BytesIO()
    book.save(out)
    return Response(
        out.getvalue(),
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="{filename}.xlsx"'},
    )
