"""Reading a roster file (xlsx, or CSV in UTF-8 with or without a BOM, or GBK) into rows.

A file is refused before it is opened when it is too large, and an xlsx (a zip) when what it
would unpack to is too large: openpyxl would otherwise inflate a zip bomb into memory.
"""

from __future__ import annotations

import csv
import io
import unicodedata
import zipfile
from dataclasses import dataclass

import openpyxl

from points.errors import DomainError
from points.labels import N_

# The columns a roster has, by the header names people write (Chinese and English).
COLUMNS = {
    "name": ("姓名", "name"),
    "phone": ("手机号", "手机", "手机号码", "电话", "phone", "mobile"),
    "grid": ("网格", "小区", "grid"),
}
TEMPLATE_HEADER = ("姓名", "手机号", "网格")
_HEADER_SEARCH_ROWS = 10


@dataclass(frozen=True)
class RosterRow:
    """One row as typed: its line in the file and its cells (text, or numbers as they came)."""

    line: int
    name: object
    phone: object
    grid: object


def _refuse(message: str, **values) -> DomainError:
    return DomainError(
        "roster_unreadable",
        message,
        422,
        errors={"file": [message % values if values else message]},
        values=values,
    )


def _norm_header(value: object) -> str:
    return unicodedata.normalize("NFKC", str(value or "")).strip().lower().replace(" ", "")


def _find_header(rows: list[tuple]) -> tuple[int, dict[str, int]]:
    """The header row (the first of the top rows naming both 姓名 and 手机号) and the column of
    each field. A title merged across the top (花名册) is skipped by that search."""
    names = {alias.lower(): field for field, aliases in COLUMNS.items() for alias in aliases}
    for index, row in enumerate(rows[:_HEADER_SEARCH_ROWS]):
        found: dict[str, int] = {}
        for column, cell in enumerate(row):
            field = names.get(_norm_header(cell))
            if field and field not in found:
                found[field] = column
        if "name" in found and "phone" in found:
            return index, found
    raise _refuse(N_("找不到表头：第一行应包含“姓名”“手机号”（可选“网格”），请使用模板"))


def _rows_from(table: list[tuple], max_rows: int) -> list[RosterRow]:
    header, columns = _find_header(table)

    def cell(row: tuple, field: str):
        column = columns.get(field)
        return row[column] if column is not None and column < len(row) else None

    rows = []
    for offset, row in enumerate(table[header + 1 :], start=header + 2):
        if all(value is None or str(value).strip() == "" for value in row):
            continue
        rows.append(RosterRow(offset, cell(row, "name"), cell(row, "phone"), cell(row, "grid")))
        if len(rows) > max_rows:
            raise _refuse(N_("名单超过 %(count)s 行，请分批导入"), count=max_rows)
    return rows


def _check_zip(data: bytes, max_unpacked: int) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
    except zipfile.BadZipFile as exc:
        raise _refuse(N_("文件已损坏或不是 Excel 文件（.xlsx）")) from exc
    unpacked = sum(entry.file_size for entry in entries)
    if len(entries) > 1000 or unpacked > max_unpacked:
        raise _refuse(N_("文件解压后过大，拒绝读取（可能是压缩炸弹）"))


def _read_xlsx(data: bytes, max_unpacked: int) -> list[tuple]:
    _check_zip(data, max_unpacked)
    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:
        raise _refuse(N_("文件已损坏或不是 Excel 文件（.xlsx）")) from exc
    try:
        sheet = book.worksheets[0]
        return [tuple(row) for row in sheet.iter_rows(values_only=True)]
    finally:
        book.close()


def _decode(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError as exc:
        raise _refuse(N_("无法识别文件编码，请另存为 UTF-8 或 GBK 的 CSV，或使用 Excel 模板")) from exc


def _read_csv(data: bytes) -> list[tuple]:
    text = _decode(data)
    if "\x00" in text:
        raise _refuse(N_("文件已损坏或不是 CSV 文件"))
    return [tuple(row) for row in csv.reader(io.StringIO(text))]


def read_roster(
    filename: str, data: bytes, *, max_bytes: int, max_unpacked: int, max_rows: int
) -> list[RosterRow]:
    """The rows of a roster file, by its kind (.xlsx or .csv). Raises `roster_unreadable` (422)
    naming why: too large, too many rows, unpacks too large, not readable, no header."""
    if len(data) > max_bytes:
        raise _refuse(N_("文件超过 %(size)s MB"), size=max_bytes // (1024 * 1024))
    if not data:
        raise _refuse(N_("文件是空的"))
    kind = filename.lower().rsplit(".", 1)[-1] if "." in filename else ""
    if kind == "xlsx" or data.startswith(b"PK\x03\x04"):
        table = _read_xlsx(data, max_unpacked)
    elif kind in ("csv", "txt"):
        table = _read_csv(data)
    else:
        raise _refuse(N_("只能导入 .xlsx 或 .csv 文件"))
    return _rows_from(table, max_rows)


def template_xlsx() -> bytes:
    """The roster template: the header and one example row."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "花名册"
    sheet.append(TEMPLATE_HEADER)
    sheet.append(("张三", "13800138000", "一网格"))
    for column in ("A", "B", "C"):
        sheet.column_dimensions[column].width = 18
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
