"""Roster imports with real files made here: xlsx with a merged title, phones as numbers, leading
apostrophes, full-width digits and blank rows; CSV with and without a BOM, and in GBK; files
refused whole (zip bombs, too large, not a roster)."""

from __future__ import annotations

import io
import re
import zipfile

import openpyxl
import pytest
import sqlalchemy as sa

from points.db import session
from points.errors import DomainError
from points.onboarding import imports
from points.onboarding.models import RosterImport
from points.onboarding.roster import read_roster
from points.people.models import Person

LIMITS = {"max_bytes": 2 * 1024 * 1024, "max_unpacked": 30 * 1024 * 1024, "max_rows": 10_000}


def xlsx(rows, *, title: str | None = "红松社区居民花名册") -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    if title:
        sheet.append([title])
        sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=3)
    sheet.append(["姓名", "手机号", "网格"])
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def csv_bytes(rows, *, encoding="utf-8", bom=False) -> bytes:
    text = "\r\n".join(",".join(str(c) for c in row) for row in [["姓名", "手机号", "网格"], *rows]) + "\r\n"
    return (b"\xef\xbb\xbf" if bom else b"") + text.encode(encoding)


@pytest.fixture
def roster(homes, make_person, make_node, actor_of):
    staff = make_person(community=homes.community, roles=[("staff", homes.community)])
    elsewhere = make_node("community")
    return {
        "staff": actor_of(staff),
        "known": make_person(grid=homes.grid, name="钱阿姨"),
        "moved": make_person(grid=homes.grid, name="孙大爷"),
        "foreign": make_person(community=elsewhere, name="李四"),
    }


def preview(roster, homes, filename, data):
    upload = imports.upload_roster(
        actor=roster["staff"], community_id=homes.community.id, filename=filename, data=data
    )
    return upload, [
        (v.line, v.state, v.phone, sorted(v.problems), v.changes)
        for v in imports.classify(upload.community_id, upload.rows)
    ]


def people_count() -> int:
    return session().scalar(sa.select(sa.func.count()).select_from(Person))


def imports_count() -> int:
    return session().scalar(sa.select(sa.func.count()).select_from(RosterImport))


def test_xlsx_preview_is_exact(roster, homes):
    known, moved, foreign = roster["known"], roster["moved"], roster["foreign"]
    data = xlsx(
        [
            ["赵一", 13911110001, "一网格"],  # a phone typed as a number
            ["钱阿姨", known.phone, "一网格"],  # as registered
            ["孙大爷", "'" + moved.phone, "二网格"],  # moved grid; a leading apostrophe
            [None, None, None],  # a blank row
            ["周二", "１３９１１１１０００２", ""],  # full-width digits, no grid
            ["吴三", "1391111", "一网格"],  # not a phone
            ["郑四", "13911110005", "五网格"],  # no such grid
            ["王五", 13911110001, "一网格"],  # duplicate of line 3
            ["李四", foreign.phone, "一网格"],  # someone of another community
        ]
    )

    _upload, rows = preview(roster, homes, "名单.xlsx", data)

    assert rows == [
        (3, "new", "13911110001", [], []),
        (4, "unchanged", known.phone, [], []),
        (5, "changed", moved.phone, [], ["grid"]),
        (7, "new", "13911110002", [], []),
        (8, "refused", "1391111", ["phone"], []),
        (9, "refused", "13911110005", ["grid"], []),
        (10, "refused", "13911110001", ["phone"], []),
        (11, "refused", foreign.phone, ["phone"], []),
    ]


def test_a_header_of_merged_cells_over_two_rows(roster, homes):
    # Each header cell spans two rows (as many hand-made rosters have): the second row reads as
    # empty and is skipped like a blank row.
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["红松社区居民花名册"])
    sheet.merge_cells("A1:C1")
    sheet.append(["姓名", "手机号", "网格"])
    sheet.append([None, None, None])
    for column in "ABC":
        sheet.merge_cells(f"{column}2:{column}3")
    sheet.append(["赵一", 13911110001, "一网格"])
    sheet.append(["钱阿姨", roster["known"].phone, "一网格"])
    out = io.BytesIO()
    book.save(out)

    _upload, rows = preview(roster, homes, "名单.xlsx", out.getvalue())

    assert rows == [
        (4, "new", "13911110001", [], []),
        (5, "unchanged", roster["known"].phone, [], []),
    ]


def test_confirm_with_refused_rows_writes_nothing(roster, homes):
    before = people_count()
    upload, _rows = preview(
        roster, homes, "名单.xlsx", xlsx([["赵一", "13911110001", "一网格"], ["吴三", "1391111", ""]])
    )

    with pytest.raises(DomainError) as refused:
        imports.confirm_roster(actor=roster["staff"], import_id=upload.id)

    assert refused.value.code == "roster_refused"
    assert people_count() == before


def test_confirm_writes_everything_then_reimport_is_a_no_op(roster, homes):
    moved = roster["moved"]
    data = xlsx(
        [["赵一", 13911110001, "一网格"], ["周二", "13911110002", None], ["孙大爷", moved.phone, "二网格"]]
    )
    before = people_count()
    upload, _rows = preview(roster, homes, "名单.xlsx", data)

    assert imports.confirm_roster(actor=roster["staff"], import_id=upload.id) == {
        "new": 2,
        "unchanged": 0,
        "changed": 1,
    }
    assert people_count() == before + 2
    assert moved.grid_id == homes.other_grid.id
    added = session().scalars(sa.select(Person).where(Person.phone == "13911110001")).one()
    assert (added.name, added.community_id, added.grid_id, added.password_hash) == (
        "赵一",
        homes.community.id,
        homes.grid.id,
        None,
    )

    again, rows = preview(roster, homes, "名单.xlsx", data)
    assert {state for _line, state, *_ in rows} == {"unchanged"}
    assert imports.confirm_roster(actor=roster["staff"], import_id=again.id) == {
        "new": 0,
        "unchanged": 3,
        "changed": 0,
    }
    assert people_count() == before + 2


def test_confirm_twice_is_refused(roster, homes):
    upload, _ = preview(roster, homes, "a.xlsx", xlsx([["赵一", "13911110001", ""]]))
    imports.confirm_roster(actor=roster["staff"], import_id=upload.id)

    with pytest.raises(DomainError) as refused:
        imports.confirm_roster(actor=roster["staff"], import_id=upload.id)

    assert refused.value.code == "already_confirmed"


@pytest.mark.parametrize(
    ("encoding", "bom"), [("utf-8", False), ("utf-8", True), ("gbk", False)], ids=["utf8", "utf8-bom", "gbk"]
)
def test_csv_in_every_encoding(roster, homes, encoding, bom):
    data = csv_bytes(
        [["赵一", "13911110001", "一网格"], ["", "", ""], ["钱阿姨", roster["known"].phone, "一网格"]],
        encoding=encoding,
        bom=bom,
    )

    _upload, rows = preview(roster, homes, "名单.csv", data)

    assert [(line, state) for line, state, *_ in rows] == [(2, "new"), (4, "unchanged")]


def test_upload_needs_people_manage_over_the_community(roster, homes, make_person, actor_of):
    resident = actor_of(make_person(grid=homes.grid))

    with pytest.raises(DomainError) as refused:
        imports.upload_roster(
            actor=resident, community_id=homes.community.id, filename="a.csv", data=csv_bytes([])
        )

    assert refused.value.status in (403, 404)


def zip_bomb() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (40 * 1024 * 1024))
    return out.getvalue()


@pytest.mark.parametrize(
    ("filename", "data", "message"),
    [
        ("bomb.xlsx", zip_bomb(), "解压后过大"),
        ("big.csv", b"a" * (2 * 1024 * 1024 + 1), "文件超过 2 MB"),
        ("broken.xlsx", b"PK\x03\x04 not really a zip", "不是 Excel 文件"),
        ("photo.png", b"\x89PNG....", "只能导入"),
        ("noheader.csv", "甲,乙\r\n1,2\r\n".encode(), "找不到表头"),
        ("empty.csv", b"", "文件是空的"),
    ],
    ids=["zip-bomb", "too-large", "not-a-zip", "wrong-kind", "no-header", "empty"],
)
def test_unreadable_files_are_refused_whole(filename, data, message):
    with pytest.raises(DomainError) as refused:
        read_roster(filename, data, **LIMITS)

    assert refused.value.code == "roster_unreadable" and message in refused.value.message


def test_too_many_rows_are_refused():
    with pytest.raises(DomainError) as refused:
        read_roster("many.csv", csv_bytes([["甲", "13911110001", ""]] * 11), **{**LIMITS, "max_rows": 10})

    assert "超过 10 行" in refused.value.message


def test_import_pages_preview_confirm_and_template(roster, homes, page_as, make_person):
    staff = make_person(community=homes.community, roles=[("staff", homes.community)])
    browser = page_as(staff)
    assert "下载模板" in browser.get("/people/import").get_data(as_text=True)
    template = browser.get("/people/import/template.xlsx")
    assert template.status_code == 200
    assert openpyxl.load_workbook(io.BytesIO(template.data)).active["B1"].value == "手机号"

    sent = browser.post(
        "/people/import",
        data={
            "community_id": str(homes.community.id),
            "file": (io.BytesIO(xlsx([["赵一", 13911110001, "一网格"], ["吴三", "123", ""]])), "a.xlsx"),
        },
        content_type="multipart/form-data",
    )
    assert sent.status_code == 302
    page = browser.get(sent.headers["Location"]).get_data(as_text=True)
    assert "请输入有效的中国大陆手机号" in page and "确认导入" not in page and "有 1 行不能导入" in page

    good = browser.post(
        "/people/import",
        data={
            "community_id": str(homes.community.id),
            "file": (io.BytesIO(xlsx([["赵一", 13911110001, "一网格"]])), "b.xlsx"),
        },
        content_type="multipart/form-data",
    )
    preview_url = good.headers["Location"]
    assert "确认导入（新增 1，更新 0）" in browser.get(preview_url).get_data(as_text=True)
    import_id = re.search(r"/people/import/(\d+)", preview_url).group(1)
    done = browser.post(f"/people/import/{import_id}/confirm", follow_redirects=True)
    assert "已导入：新增 1 人" in done.get_data(as_text=True)


def test_import_page_refuses_a_bomb_with_a_clear_error(roster, homes, page_as, make_person):
    staff = make_person(community=homes.community, roles=[("staff", homes.community)])
    before = people_count()

    page = page_as(staff).post(
        "/people/import",
        data={"community_id": str(homes.community.id), "file": (io.BytesIO(zip_bomb()), "bomb.xlsx")},
        content_type="multipart/form-data",
    )

    assert page.status_code == 422 and "解压后过大" in page.get_data(as_text=True)
    assert people_count() == before and imports_count() == 0


def test_import_page_is_for_staff(page_as, make_person):
    assert page_as(make_person()).get("/people/import").status_code == 403


def test_a_50_mb_upload_is_refused_before_it_is_read(roster, homes, page_as, make_person):
    staff = make_person(community=homes.community, roles=[("staff", homes.community)])
    before = people_count()

    page = page_as(staff).post(
        "/people/import",
        data={
            "community_id": str(homes.community.id),
            "file": (io.BytesIO(b"0" * (50 * 1024 * 1024)), "big.csv"),
        },
        content_type="multipart/form-data",
    )

    assert page.status_code == 413 and "请求内容过大" in page.get_data(as_text=True)
    assert people_count() == before and imports_count() == 0
