"""Hand-made .xlsx files for the reading guard's tests: raw sheet XML in a zip, so a test can
write what no spreadsheet program would (a cell at XFD1048576, a lying size, a zip bomb)."""

from __future__ import annotations

import io
import types
import zipfile

CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    "{overrides}</Types>"
)
SHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def cells_xml(cells: list[str], *, dimension: str | None = None) -> str:
    """A sheet holding the text "x" in each referenced cell, rows in order."""
    by_row: dict[int, list[str]] = {}
    for ref in cells:
        row = int("".join(ch for ch in ref if ch.isdigit()))
        by_row.setdefault(row, []).append(ref)
    rows = "".join(
        f'<row r="{r}">'
        + "".join(f'<c r="{ref}" t="inlineStr"><is><t>x</t></is></c>' for ref in refs)
        + "</row>"
        for r, refs in sorted(by_row.items())
    )
    return sheet_xml(rows, dimension=dimension)


def sheet_xml(sheet_data: str, *, dimension: str | None = None) -> str:
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{MAIN}">{dim}'
        f"<sheetData>{sheet_data}</sheetData></worksheet>"
    )


def workbook(
    *sheets: str,
    names: tuple[str, ...] = (),
    extra: dict[str, bytes] | None = None,
    stored: bool = False,
    targets: tuple[str, ...] = (),
) -> bytes:
    """An .xlsx with the given sheet XMLs (sheet1.xml, sheet2.xml, ...) and ``extra`` members."""
    names = names or tuple(f"Sheet{i + 1}" for i in range(len(sheets)))
    out = io.BytesIO()
    method = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
    with zipfile.ZipFile(out, "w", method) as z:
        overrides = "".join(
            f'<Override PartName="/xl/worksheets/sheet{i + 1}.xml" ContentType="{SHEET_TYPE}"/>'
            for i in range(len(sheets))
        )
        z.writestr("[Content_Types].xml", CONTENT_TYPES.format(overrides=overrides))
        z.writestr("_rels/.rels", ROOT_RELS)
        z.writestr(
            "xl/workbook.xml",
            f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{MAIN}" xmlns:r="{REL}">'
            "<sheets>"
            + "".join(
                f'<sheet name="{name}" sheetId="{i + 1}" r:id="rId{i + 1}"/>'
                for i, name in enumerate(names)
            )
            + "</sheets></workbook>",
        )
        z.writestr(
            "xl/_rels/workbook.xml.rels",
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
            'openxmlformats.org/package/2006/relationships">'
            + "".join(
                f'<Relationship Id="rId{i + 1}" Type="{REL}/worksheet" '
                f'Target="{targets[i] if i < len(targets) else f"worksheets/sheet{i + 1}.xml"}"/>'
                for i in range(len(sheets))
            )
            + "</Relationships>",
        )
        for i, xml in enumerate(sheets):
            z.writestr(f"xl/worksheets/sheet{i + 1}.xml", xml)
        for name, data in (extra or {}).items():
            z.writestr(name, data)
    return out.getvalue()


def corner_bomb(corner: str = "XFD1048576") -> bytes:
    """Two cells, A1 and ``corner``: calamine would allocate the whole grid between them."""
    return workbook(cells_xml(["A1", corner], dimension=f"A1:{corner}"))


def calamine_forbidden(monkeypatch) -> list:
    """Make any opening of a workbook by calamine fail the test (and record it)."""
    from dangjian.core import excel

    opened: list = []

    class Refusing:
        @staticmethod
        def from_filelike(*args, **kwargs):
            opened.append(args)
            raise AssertionError("calamine opened a workbook the guard should have refused")

    monkeypatch.setattr(excel, "python_calamine", types.SimpleNamespace(CalamineWorkbook=Refusing))
    return opened
