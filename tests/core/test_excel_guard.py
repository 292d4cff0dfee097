"""core.excel reads a sheet only after checking the file itself: the sheet's dimension and cell
references against the row and column caps, the unpacked sizes and the compression ratio, and
that it is an .xlsx at all. The crafted files never reach calamine (it is replaced by one that
fails the test), except those under every limit."""

from __future__ import annotations

import io
import os
import struct
import zipfile

import pytest

from dangjian.core import excel, excel_guard
from dangjian.core.excel_guard import SheetSize
from tests.xlsx_craft import calamine_forbidden, cells_xml, corner_bomb, sheet_xml, workbook


def refused(content: bytes, **kw) -> str:
    with pytest.raises(excel.ExcelError) as info:
        excel.read_rows(content, **kw)
    return info.value.message


def test_the_corner_bomb_is_refused_before_calamine(monkeypatch):
    opened = calamine_forbidden(monkeypatch)
    content = corner_bomb()
    assert len(content) < 1700
    with pytest.raises(excel.ExcelTooLarge) as info:
        excel.read_rows(content)
    assert info.value.message == "文件行数超过上限（50000行），请拆分后分批导入"
    # The smaller variant: 25000 rows pass the row cap, its 400 columns do not.
    with pytest.raises(excel.ExcelTooLarge) as info:
        excel.read_rows(corner_bomb("OJ25000"))
    assert info.value.message == "文件列数超过上限（100列），请删除多余的列后重新上传"
    with pytest.raises(excel.ExcelTooLarge):
        excel.sheet_size(corner_bomb(), max_rows=2_000_000)
    assert opened == []


def test_rows_on_both_sides_of_the_cap(monkeypatch):
    assert excel.sheet_size(workbook(cells_xml(["A1", "B5"])), max_rows=5) == SheetSize(5, 2)
    rows = excel.read_rows(workbook(cells_xml(["A1", "B5"])), max_rows=5)
    assert [r.number for r in rows] == [1, 2, 3, 4, 5] and rows[4].values == ("", "x")
    calamine_forbidden(monkeypatch)
    assert refused(workbook(cells_xml(["A1", "B6"])), max_rows=5) == (
        "文件行数超过上限（5行），请拆分后分批导入"
    )


def test_columns_on_both_sides_of_the_cap(monkeypatch):
    content = workbook(cells_xml(["A1", "CV1"]))
    assert excel.sheet_size(content) == SheetSize(1, 100)
    assert len(excel.read_rows(content)[0].values) == 100
    opened = calamine_forbidden(monkeypatch)
    assert refused(workbook(cells_xml(["A1", "CW1"]))) == (
        "文件列数超过上限（100列），请删除多余的列后重新上传"
    )
    assert refused(workbook(cells_xml(["A1", "E1"])), max_columns=4) == (
        "文件列数超过上限（4列），请删除多余的列后重新上传"
    )
    assert opened == []


def test_the_dimension_alone_is_enough_to_refuse(monkeypatch):
    opened = calamine_forbidden(monkeypatch)
    content = workbook(cells_xml(["A1"], dimension="A1:XFD1048576"))
    assert refused(content) == "文件行数超过上限（50000行），请拆分后分批导入"
    content = workbook(cells_xml(["A1"], dimension="A1:$CW$2"))
    assert refused(content) == "文件列数超过上限（100列），请删除多余的列后重新上传"
    assert opened == []


def test_cells_without_a_reference_count_by_their_position(monkeypatch):
    opened = calamine_forbidden(monkeypatch)
    cell = '<c t="inlineStr"><is><t>x</t></is></c>'
    # The sixth row, numbered only by order.
    six_rows = sheet_xml("".join(f"<row>{cell}</row>" for _ in range(6)))
    assert excel.sheet_size(workbook(six_rows), max_rows=6) == SheetSize(6, 1)
    assert refused(workbook(six_rows), max_rows=5) == "文件行数超过上限（5行），请拆分后分批导入"
    # 101 cells in a row without references; a numbered row far down.
    wide = sheet_xml("<row>" + cell * 101 + "</row>")
    assert refused(workbook(wide)).startswith("文件列数超过上限（100列）")
    far = sheet_xml(f'<row r="70000">{cell}</row>')
    assert refused(workbook(far)).startswith("文件行数超过上限（50000行）")
    # A namespace prefix changes nothing.
    prefixed = (
        '<?xml version="1.0"?><x:worksheet xmlns:x="http://schemas.openxmlformats.org/'
        'spreadsheetml/2006/main"><x:sheetData><x:row r="1"><x:c r="XFD1"><x:v>1</x:v></x:c></x:row>'
        "</x:sheetData></x:worksheet>"
    )
    assert refused(workbook(prefixed)).startswith("文件列数超过上限（100列）")
    assert opened == []


def test_the_grid_area_has_a_cap_too():
    content = workbook(cells_xml(["A1", "J5"]))
    size = excel_guard.check_workbook(content, max_rows=100, max_columns=100, max_cells=50)
    assert size == SheetSize(5, 10)
    content = workbook(cells_xml(["A1", "J6"]))
    with pytest.raises(excel_guard.WorkbookRefused) as info:
        excel_guard.check_workbook(content, max_rows=100, max_columns=100, max_cells=50)
    assert info.value.message == "文件单元格范围超过上限（50个），请拆分后分批导入"
    assert info.value.too_large is True


def test_the_sheet_read_is_the_one_checked(monkeypatch):
    # The second sheet is over the row cap, the first is not.
    content = workbook(cells_xml(["A1", "B2"]), cells_xml(["A1", "A900000"]), names=("甲", "乙"))
    assert excel.sheet_size(content, sheet=0) == SheetSize(2, 2)
    assert excel.sheet_size(content, sheet="甲") == SheetSize(2, 2)
    opened = calamine_forbidden(monkeypatch)
    assert refused(content, sheet=1).startswith("文件行数超过上限")
    assert refused(content, sheet="乙").startswith("文件行数超过上限")
    assert opened == []


def test_unpacked_size_and_compression_ratio(monkeypatch):
    opened = calamine_forbidden(monkeypatch)
    floor = excel_guard.RATIO_FLOOR
    # Exactly the floor of zeros passes whatever its ratio; one byte more does not.
    at_floor = workbook(cells_xml(["A1"]), extra={"xl/media/pad.bin": b"\0" * floor})
    assert excel.sheet_size(at_floor) == SheetSize(1, 1)
    over = workbook(cells_xml(["A1"]), extra={"xl/media/pad.bin": b"\0" * (floor + 1)})
    assert refused(over) == "文件压缩比异常（超过100倍），无法读取"
    # Incompressible bytes of the same size pass the ratio.
    noise = workbook(cells_xml(["A1"]), extra={"xl/media/pad.bin": os.urandom(floor + 1)})
    assert excel.sheet_size(noise) == SheetSize(1, 1)
    # The total unpacked size.
    monkeypatch.setattr(excel_guard, "MAX_UNPACKED_BYTES", 3 * 1024 * 1024)
    assert excel.sheet_size(noise) == SheetSize(1, 1)
    big = workbook(cells_xml(["A1"]), extra={"xl/media/pad.bin": os.urandom(3 * 1024 * 1024)})
    assert refused(big) == "文件解压后超过上限（3MB），请拆分后分批导入"
    assert opened == []


def _lie_about_size(content: bytes, name: str, declared: int) -> bytes:
    """Rewrite the central directory's unpacked size of ``name``."""
    data = bytearray(content)
    at = 0
    while (at := data.find(b"PK\x01\x02", at)) != -1:
        name_len = struct.unpack("<H", data[at + 28 : at + 30])[0]
        if data[at + 46 : at + 46 + name_len] == name.encode():
            data[at + 24 : at + 28] = struct.pack("<I", declared)
        at += 4
    return bytes(data)


def test_a_member_lying_about_its_size_is_refused(monkeypatch):
    opened = calamine_forbidden(monkeypatch)
    sheet = cells_xml(["A1"]) + " " * 5000
    content = _lie_about_size(workbook(sheet), "xl/worksheets/sheet1.xml", 100)
    with zipfile.ZipFile(io.BytesIO(content)) as z:
        assert z.getinfo("xl/worksheets/sheet1.xml").file_size == 100
    assert refused(content) == "无法读取文件内容，文件可能已损坏"
    assert opened == []


def test_only_xlsx_is_read(monkeypatch):
    opened = calamine_forbidden(monkeypatch)
    xls = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600
    assert refused(xls) == "无法读取文件：请上传Excel文件（.xlsx）"
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        z.writestr("content.xml", "<office:document-content/>")
    assert refused(out.getvalue()) == "无法读取文件：请上传Excel文件（.xlsx）"
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:  # .xlsb: a binary workbook
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/workbook.bin", b"\x83\x01\x00")
    assert refused(out.getvalue()) == "无法读取文件：请上传Excel文件（.xlsx）"
    assert refused(b"") == "文件为空"
    assert refused(b"PK\x03\x04 broken") == "无法读取文件：请上传Excel文件（.xlsx）"
    assert opened == []


def test_a_real_workbook_is_sized_and_read():
    from tests.members.helpers import xlsx

    content = xlsx([["姓名", "民族", "入党日期"], ["甲", "汉族", "2001-07-01"], [], ["乙"]])
    assert excel.sheet_size(content) == SheetSize(4, 3)
    rows = excel.read_rows(content)
    assert [r.values for r in rows] == [
        ("姓名", "民族", "入党日期"),
        ("甲", "汉族", "2001-07-01"),
        ("", "", ""),
        ("乙", "", ""),
    ]


def test_attribute_values_cannot_hide_a_reference(monkeypatch):
    opened = calamine_forbidden(monkeypatch)
    # ">" is legal inside an attribute value; " r=" inside another attribute is no attribute.
    v = "<v>1</v></c>"
    tricks = [
        f'<row r="1"><c x=">" r="XFD1048576">{v}</row>',
        f'<row r="1"><c x=" r=\'A1\'" r="XFD1048576">{v}</row>',
        f"<row r='1'><c r='XFD1048576'>{v}</row>",
        f'<row r="1"><c\n r="XFD1048576"\n>{v}</row>',
    ]
    for trick in tricks:
        with pytest.raises(excel.ExcelTooLarge):
            excel.sheet_size(workbook(sheet_xml(trick)))
    # What cannot be read as a tag, or as a reference, is refused as broken.
    for broken in (
        '<row r="1"><c r="A1\'/></row>',
        '<row r="1"><c r="&#88;FD1048576"/></row>',
        '<row r="1e6"><c/></row>',
        '<row r="1"><c r = A1 /></row>',
        '<row r="1"><c r="A1" r="XFD1"><v>1</v></c></row>',
    ):
        assert refused(workbook(sheet_xml(broken))) == "无法读取文件内容，文件可能已损坏"
    assert opened == []


def test_tags_split_across_chunks_are_read_whole(monkeypatch):
    from tests.members.helpers import xlsx

    content = xlsx([["姓名", "民族"], *[[f"甲{i}", "汉族"] for i in range(30)], ["", "", "末"]])
    whole = excel.sheet_size(content)
    assert whole == SheetSize(32, 3)
    for size in (3, 7, 64):
        monkeypatch.setattr(excel_guard, "CHUNK", size)
        assert excel.sheet_size(content) == whole
    monkeypatch.setattr(excel_guard, "CHUNK", 5)
    assert refused(corner_bomb()).startswith("文件行数超过上限")


def test_cells_without_a_value_are_not_read(monkeypatch):
    """calamine leaves a cell without a value (``<c r="…" s="1"/>``, a formatted empty cell)
    out of the grid; so does the count. The dimension still counts."""
    formatted = '<row r="1"><c r="A1"><v>1</v></c><c r="XFD1" s="1"/></row>'
    formatted += '<row r="90000"><c r="B90000" s="1"/></row>'
    assert excel.sheet_size(workbook(sheet_xml(formatted))) == SheetSize(1, 1)
    assert excel.read_rows(workbook(sheet_xml(formatted))) == [excel.Row(1, (1.0,))]
    calamine_forbidden(monkeypatch)
    valued = formatted.replace('s="1"/>', "><v>2</v></c>", 1)
    assert refused(workbook(sheet_xml(valued))).startswith("文件列数超过上限（100列）")
    dimensioned = workbook(sheet_xml(formatted, dimension="A1:XFD90000"))
    assert refused(dimensioned).startswith("文件行数超过上限（50000行）")


def test_the_sheet_is_found_as_calamine_finds_it(monkeypatch):
    """calamine puts a relative target under xl/ without resolving "..", and looks the part up
    ignoring case: the guard scans what calamine would read."""
    opened = calamine_forbidden(monkeypatch)
    bomb = cells_xml(["A1", "A900000"])
    benign = cells_xml(["A1"])
    cased = workbook(bomb, targets=("worksheets/SHEET1.xml",))
    assert refused(cased).startswith("文件行数超过上限")
    literal = workbook(
        benign,
        targets=("../xl/worksheets/evil.xml",),
        extra={"xl/../xl/worksheets/evil.xml": bomb.encode()},
    )
    assert refused(literal).startswith("文件行数超过上限")
    absolute = workbook(bomb, targets=("/xl/worksheets/sheet1.xml",))
    assert refused(absolute).startswith("文件行数超过上限")
    # A target that names no part: every part is scanned.
    missing = workbook(benign, targets=("worksheets/none.xml",), extra={"xl/x.xml": bomb})
    assert refused(missing).startswith("文件行数超过上限")
    assert opened == []
