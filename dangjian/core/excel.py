"""Spreadsheets: read a sheet into numbered rows (python-calamine); write rows under a header
with a footer naming the exporter (xlsxwriter).

The reader knows nothing of what the columns mean: an app maps headers to its fields and turns
cell values into its types, so that every bad cell can be reported with its row and column.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

import python_calamine
import xlsxwriter
from django.utils import timezone

from dangjian.core.excel_guard import (
    MAX_READ_COLUMNS,
    SheetSize,
    WorkbookRefused,
    check_workbook,
)
from dangjian.core.validation import CONTROL_RE

# Workbook options for every file we write: cells that look like formulas or links stay text
# (a name like "=HYPERLINK(...)" typed into a form must not run in the reader's Excel).
WORKBOOK_OPTIONS = {
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
}
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
MAX_READ_ROWS = 50_000


class ExcelError(ValueError):
    """A file that cannot be read as a spreadsheet, or is too large; ``message`` is Chinese."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Row:
    number: int  # as Excel shows it: the first row is 1
    values: tuple

    def get(self, index: int):
        return self.values[index] if 0 <= index < len(self.values) else ""

    @property
    def blank(self) -> bool:
        return all(is_blank(v) for v in self.values)


def is_blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


class ExcelTooLarge(ExcelError):
    """A workbook over one of the reading limits (rows, columns, unpacked size, ratio)."""


def sheet_size(
    content: bytes,
    *,
    sheet: int | str = 0,
    max_rows: int = MAX_READ_ROWS,
    max_columns: int = MAX_READ_COLUMNS,
) -> SheetSize:
    """The rows and columns the sheet spans, read from the file itself (its dimension and cell
    references) without calamine and without inflating it; raises ExcelTooLarge over a limit,
    ExcelError for anything that is no readable .xlsx. Every workbook goes through this before
    calamine opens it (see ``core.excel_guard``)."""
    if not content:
        raise ExcelError("文件为空")
    try:
        return check_workbook(content, sheet=sheet, max_rows=max_rows, max_columns=max_columns)
    except WorkbookRefused as exc:
        raise (ExcelTooLarge if exc.too_large else ExcelError)(exc.message) from exc


def read_rows(
    content: bytes,
    *,
    sheet: int | str = 0,
    max_rows: int = MAX_READ_ROWS,
    max_columns: int = MAX_READ_COLUMNS,
) -> list[Row]:
    """Every row of one sheet (blank ones included, so numbers match what Excel shows).

    Empty cells read as ``""``; numbers as int or float; date cells as ``date`` or
    ``datetime``. Raises ExcelError for anything that is not a readable workbook, and
    ExcelTooLarge (checked from the file before calamine reads it) over ``max_rows``,
    ``max_columns`` or the unpacked size and compression limits.
    """
    sheet_size(content, sheet=sheet, max_rows=max_rows, max_columns=max_columns)
    try:
        book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(content))
    except Exception as exc:  # calamine raises several types for broken files
        raise ExcelError("无法读取文件：请上传Excel文件（.xlsx）") from exc
    try:
        ws = (
            book.get_sheet_by_index(sheet)
            if isinstance(sheet, int)
            else book.get_sheet_by_name(sheet)
        )
    except Exception as exc:
        raise ExcelError("文件中没有可读取的工作表") from exc
    try:
        height = ws.height
        end = ws.end
    except Exception:  # pragma: no cover - metadata of a broken sheet
        height, end = 0, None
    if end is not None and end[0] + 1 > max_rows:
        raise ExcelTooLarge(f"文件行数超过上限（{max_rows}行），请拆分后分批导入")
    if not height:
        return []
    try:
        data = ws.to_python(skip_empty_area=False)
    except Exception as exc:
        raise ExcelError("无法读取文件内容，文件可能已损坏") from exc
    return [Row(i + 1, tuple(values)) for i, values in enumerate(data)]


# --- cell values ---------------------------------------------------------------------------

EXCEL_EPOCH = dt.date(1899, 12, 30)


def cell_text(value) -> str:
    """A cell as text: numbers without a spurious ``.0``, dates as ISO, stripped, without
    control characters."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return CONTROL_RE.sub("", str(value)).strip()


_DATE_FORMATS = (
    "%Y-%m-%d",
    "%Y/%m/%d",
    "%Y.%m.%d",
    "%Y%m%d",
    "%Y年%m月%d日",
    "%Y-%m-%d %H:%M:%S",
    "%Y/%m/%d %H:%M:%S",
)


def cell_date(value) -> dt.date | None:
    """A cell as a date, or None when it holds none. Raises ValueError when it holds something
    that is not a date. Accepts date cells, ``2001-07-01``, ``2001/7/1``, ``2001.07.01``,
    ``20010701``, ``2001年7月1日`` and Excel serial numbers of an unformatted date cell."""
    if is_blank(value):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, bool):
        raise ValueError("not a date")
    if isinstance(value, int | float):
        if float(value).is_integer() and 19000101 <= value <= 21001231:
            return dt.datetime.strptime(str(int(value)), "%Y%m%d").date()
        if 1 <= value < 80000:
            return EXCEL_EPOCH + dt.timedelta(days=int(value))
        raise ValueError("not a date")
    text = str(value).strip().replace(" ", "")
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt.replace(" ", "")).date()
        except ValueError:
            continue
    raise ValueError("not a date")


# --- writing -------------------------------------------------------------------------------


def footer_line(exporter: str, at: dt.datetime | None = None) -> str:
    at = timezone.localtime(at or timezone.now())
    return f"导出人：{exporter} 导出时间：{at:%Y-%m-%d %H:%M:%S}"


def write_rows(
    *,
    headers: Sequence[str],
    rows: Iterable[Sequence],
    exporter: str,
    at: dt.datetime | None = None,
    sheet_name: str = "Sheet1",
    widths: Sequence[int] | None = None,
) -> bytes:
    """An .xlsx of one sheet: a bold header, the rows, a blank row and the footer line
    "导出人：<name> 导出时间：<time>". Rows are written as they come (constant memory), so an
    export of a whole city's members need not hold the workbook in memory."""
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {**WORKBOOK_OPTIONS, "constant_memory": True})
    ws = book.add_worksheet(sheet_name[:31])
    bold = book.add_format({"bold": True, "bg_color": "#F2DCDB", "border": 1})
    date_fmt = book.add_format({"num_format": DATE_FORMAT})
    datetime_fmt = book.add_format({"num_format": DATETIME_FORMAT})
    for col, width in enumerate(widths or [max(10, len(h) * 2 + 2) for h in headers]):
        ws.set_column(col, col, width)
    ws.write_row(0, 0, list(headers), bold)
    ws.freeze_panes(1, 0)
    r = 0
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row):
            write_cell(ws, r, c, value, date_fmt, datetime_fmt)
    ws.write_string(r + 2, 0, footer_line(exporter, at))
    book.close()
    return out.getvalue()


def write_cell(ws, row: int, col: int, value, date_fmt=None, datetime_fmt=None) -> None:
    if value is None or value == "":
        ws.write_blank(row, col, None)
    elif isinstance(value, bool):
        ws.write_string(row, col, "是" if value else "否")
    elif isinstance(value, dt.datetime):
        ws.write_datetime(
            row,
            col,
            timezone.localtime(value).replace(tzinfo=None) if timezone.is_aware(value) else value,
            datetime_fmt,
        )
    elif isinstance(value, dt.date):
        ws.write_datetime(row, col, dt.datetime.combine(value, dt.time()), date_fmt)
    elif isinstance(value, int | float | Decimal):
        ws.write_number(row, col, float(value))
    else:
        ws.write_string(row, col, str(value))


def write_table(
    *,
    title: str,
    subtitle: str,
    header: Sequence[Sequence[dict]],
    rows: Iterable[Sequence],
    exporter: str,
    notes: Sequence[str] = (),
    at: dt.datetime | None = None,
    sheet_name: str = "Sheet1",
) -> bytes:
    """An .xlsx of one statistical table in the manner of the official forms: the title merged
    across the table, a subtitle line (unit, period), header rows whose cells span columns and
    rows (``{"text", "colspan", "rowspan"}``, laid out as HTML lays out ``<th>``: a cell takes
    the next column its row has free) written as merged ranges, the rows (the first column a
    label), the notes and the footer line "导出人：… 导出时间：…"."""
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, WORKBOOK_OPTIONS)
    ws = book.add_worksheet(sheet_name[:31])
    title_fmt = book.add_format({"bold": True, "font_size": 16, "align": "center"})
    head_fmt = book.add_format(
        {"bold": True, "bg_color": "#F2DCDB", "border": 1, "align": "center", "valign": "vcenter"}
    )
    head_fmt.set_text_wrap()
    cell_fmt = book.add_format({"border": 1})
    label_fmt = book.add_format({"border": 1, "bold": True})
    width = sum(int(c.get("colspan", 1)) for c in header[0]) if header else 1
    ws.set_column(0, 0, 24)
    ws.set_column(1, max(width - 1, 1), 11)
    if width > 1:
        ws.merge_range(0, 0, 0, width - 1, title, title_fmt)
    else:
        ws.write_string(0, 0, title, title_fmt)
    ws.write_string(1, 0, subtitle)
    top = 2
    taken: set[tuple[int, int]] = set()
    for i, header_row in enumerate(header):
        r, c = top + i, 0
        for cell in header_row:
            while (r, c) in taken:
                c += 1
            cs, rs = int(cell.get("colspan", 1)), int(cell.get("rowspan", 1))
            for rr in range(r, r + rs):
                for cc in range(c, c + cs):
                    taken.add((rr, cc))
            if cs > 1 or rs > 1:
                ws.merge_range(r, c, r + rs - 1, c + cs - 1, str(cell["text"]), head_fmt)
            else:
                ws.write_string(r, c, str(cell["text"]), head_fmt)
            c += cs
    r = top + len(header) - 1
    for r, row in enumerate(rows, start=top + len(header)):
        for c, value in enumerate(row):
            if value is None:
                ws.write_blank(r, c, None, cell_fmt)
            elif isinstance(value, int | float | Decimal) and not isinstance(value, bool):
                ws.write_number(r, c, float(value), cell_fmt)
            else:
                ws.write_string(r, c, str(value), label_fmt if c == 0 else cell_fmt)
    ws.freeze_panes(top + len(header), 1)
    for note in notes:
        r += 1
        ws.write_string(r + 1, 0, note)
    ws.write_string(r + 2, 0, footer_line(exporter, at))
    book.close()
    return out.getvalue()
