"""The check every workbook passes before python-calamine opens it.

calamine builds a sheet as a dense grid from its first to its last referenced cell: a 1.6 KB
file whose sheet holds A1 and XFD1048576 asks for 17 billion cells and a failed Rust
allocation aborts the whole web process. So the file itself is inspected first, without
trusting it and without inflating it into memory:

- it must be an .xlsx (a zip holding ``[Content_Types].xml`` and ``xl/workbook.xml``); .xls,
  .xlsb and .ods, which calamine would also read, are refused;
- the zip's members, their declared unpacked sizes (in total) and each member's compression
  ratio are bounded;
- every member is then streamed in bounded chunks through ``zipfile`` (which stops at the
  declared size and checks the CRC, so a member lying about its size is refused), and the
  sheet to be read is scanned on the way for its ``<dimension ref>`` and the reference of
  every cell (``<c r>``, or the position implied by order when ``r`` is left out), stopping as
  soon as a row or column limit is passed.

Only then does ``core.excel`` hand the bytes to calamine.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass

MAX_READ_COLUMNS = 100  # column CV; the member template has 16 columns
MAX_READ_CELLS = 10_000_000  # rows × columns of the dense grid calamine builds (~320 MB)
MAX_UNPACKED_BYTES = 200 * 1024 * 1024  # all members of the zip, unpacked, at most
BYTES_PER_CELL = 40  # what the row and column caps allow unpacked (see unpacked_limit)
MAX_RATIO = 100  # unpacked / packed, for any member over RATIO_FLOOR unpacked
RATIO_FLOOR = 1024 * 1024
MAX_MEMBERS = 2000
MAX_META_BYTES = 4 * 1024 * 1024  # workbook.xml and its relationships, read whole
CHUNK = 1024 * 1024
MAX_RUN = 4 * 1024 * 1024  # bytes of a sheet without a tag in them

NOT_XLSX = "无法读取文件：请上传Excel文件（.xlsx）"
BROKEN = "无法读取文件内容，文件可能已损坏"


class WorkbookRefused(ValueError):
    """The file is no readable .xlsx, or passes a limit; ``message`` is Chinese and names the
    limit. ``too_large`` tells the two apart."""

    def __init__(self, message: str, *, too_large: bool = False):
        super().__init__(message)
        self.message = message
        self.too_large = too_large


@dataclass(frozen=True)
class SheetSize:
    rows: int  # the last row referenced (Excel's number), 0 for an empty sheet
    columns: int  # the last column referenced (A = 1)


def rows_message(max_rows: int) -> str:
    return f"文件行数超过上限（{max_rows}行），请拆分后分批导入"


def columns_message(max_columns: int) -> str:
    return f"文件列数超过上限（{max_columns}列），请删除多余的列后重新上传"


def _too_large(message: str) -> WorkbookRefused:
    return WorkbookRefused(message, too_large=True)


_REF_RE = re.compile(rb"\$?([A-Za-z]{1,3})\$?([0-9]{1,7})")


def _column_number(letters: bytes) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + (ch - 64)
    return n


_ATTR_RE = rb"""([^\s=/>"']+)\s*=\s*(?:"([^"]*)"|'([^']*)')"""
_ATTRS_FULL_RE = re.compile(rb"(?:\s+" + _ATTR_RE + rb")*\s*/?")
_ATTR_ONE_RE = re.compile(_ATTR_RE)


def _attributes(text: bytes) -> dict[bytes, bytes]:
    """A tag's attributes, read one after the other (so nothing inside a quoted value is taken
    for an attribute); anything else is a broken file."""
    if _ATTRS_FULL_RE.fullmatch(b" " + text) is None:
        raise WorkbookRefused(BROKEN)
    out: dict[bytes, bytes] = {}
    for m in _ATTR_ONE_RE.finditer(text):
        if m.group(1) in out:
            raise WorkbookRefused(BROKEN)  # the same attribute twice
        out[m.group(1)] = m.group(2) if m.group(2) is not None else m.group(3)
    return out


class _SheetScan:
    """Reads a sheet's XML chunk by chunk; raises as soon as a limit is passed."""

    # A tag's start, then the whole tag: attribute values may hold ">" (never "<").
    _START_RE = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(row|c|dimension)(?=[\s/>])")
    _ATTRS_RE = re.compile(rb"((?:[^>\"']|\"[^\"]*\"|'[^']*')*)>")

    def __init__(self, max_rows: int, max_columns: int, max_cells: int):
        self.max_rows, self.max_columns, self.max_cells = max_rows, max_columns, max_cells
        self.rows = self.columns = 0
        self._row = 0  # the current row (1-based), 0 before the first
        self._col = 0  # the last cell's column in the current row
        self._tail = b""

    def _check(self, row: int, col: int) -> None:
        if row > self.rows:
            self.rows = row
            if row > self.max_rows:
                raise _too_large(rows_message(self.max_rows))
        if col > self.columns:
            self.columns = col
            if col > self.max_columns:
                raise _too_large(columns_message(self.max_columns))
        if self.rows * self.columns > self.max_cells:
            raise _too_large(f"文件单元格范围超过上限（{self.max_cells}个），请拆分后分批导入")

    def _ref(self, value: bytes | None) -> tuple[int, int] | None:
        if value is None:
            return None
        m = _REF_RE.fullmatch(value.strip())
        if m is None:
            raise WorkbookRefused(BROKEN)
        return int(m.group(2)), _column_number(m.group(1))

    def feed(self, chunk: bytes) -> None:
        data = self._tail + chunk
        # Everything before the last "<" holds whole tags ("<" is never inside a tag); the
        # rest waits for the next chunk (or close()).
        cut = data.rfind(b"<")
        if cut == -1:
            cut = len(data)
        if len(data) - cut > MAX_RUN:
            raise WorkbookRefused(BROKEN)  # megabytes without a "<": no sheet has that
        body, self._tail = data[:cut], data[cut:]
        self._scan(body)

    def close(self) -> None:
        body, self._tail = self._tail, b""
        self._scan(body)

    def _scan(self, body: bytes) -> None:
        for start in self._START_RE.finditer(body):
            m = self._ATTRS_RE.match(body, start.end())
            if m is None:
                raise WorkbookRefused(BROKEN)  # a cell or row tag that does not close
            tag, attrs = start.group(1), _attributes(m.group(1))
            if tag == b"c":
                ref = self._ref(attrs.get(b"r"))
                if ref is None:
                    self._col += 1
                    ref = (max(self._row, 1), self._col)
                else:
                    self._row, self._col = max(self._row, ref[0]), ref[1]
                if not m.group(1).rstrip().endswith(b"/"):  # <c …/> has no value: not read
                    self._check(*ref)
            elif tag == b"row":
                r = attrs.get(b"r")
                if r is None:
                    self._row += 1
                elif r.strip().isdigit() and len(r.strip()) <= 7:
                    self._row = int(r)
                else:
                    raise WorkbookRefused(BROKEN)
                self._col = 0
            else:  # <dimension ref="A1:D20"> (or a single cell)
                dimension: bytes = attrs.get(b"ref") or b""
                for part in dimension.split(b":"):
                    found = self._ref(part) if part.strip() else None
                    if found is not None:
                        self._check(*found)


_QUOTED_TAG = rb"\s((?:[^>\"']|\"[^\"]*\"|'[^']*')*)>"
_SHEET_RE = re.compile(rb"<(?:[\w.-]+:)?sheet" + _QUOTED_TAG)
_REL_RE = re.compile(rb"<(?:[\w.-]+:)?Relationship" + _QUOTED_TAG)


def _sheet_paths(zf: zipfile.ZipFile, names: set[str], sheet: int | str) -> set[str]:
    """The path of the sheet calamine will read (by index or name, in the workbook's order,
    through the workbook's relationships); every part of the file when it cannot be told."""
    every = set(names)
    try:
        book = _read_small(zf, "xl/workbook.xml")
        rels = _read_small(zf, "xl/_rels/workbook.xml.rels")
    except KeyError:
        return every
    sheets = [_attributes(m.group(1)) for m in _SHEET_RE.finditer(book)]
    if isinstance(sheet, int):
        chosen = sheets[sheet] if 0 <= sheet < len(sheets) else None
    else:
        chosen = next((s for s in sheets if s.get(b"name") == sheet.encode()), None)
    if chosen is None:
        return every
    rid = next((v for k, v in chosen.items() if k == b"id" or k.endswith(b":id")), None)
    targets = [
        (a.get(b"Target") or b"").decode("utf-8", "replace")
        for a in (_attributes(m.group(1)) for m in _REL_RE.finditer(rels))
        if rid is not None and a.get(b"Id") == rid
    ]
    if len(targets) != 1 or not targets[0]:
        return every
    # calamine's rule: "/xl/…" and "xl/…" as they are, anything else under "xl/"; it then
    # takes the first part whose name matches ignoring case, so every such part is scanned.
    target = targets[0]
    if target.startswith("/xl/"):
        path = target[1:]
    elif target.startswith("xl/"):
        path = target
    else:
        path = f"xl/{target}"
    found = {n for n in names if n.lower() == path.lower()}
    return found or every


def _read_small(zf: zipfile.ZipFile, name: str) -> bytes:
    info = zf.getinfo(name)
    if info.file_size > MAX_META_BYTES:
        raise _too_large(f"文件结构异常（{name}超过{MAX_META_BYTES // 1024 // 1024}MB），无法读取")
    with zf.open(info) as fh:
        return fh.read(MAX_META_BYTES + 1)[:MAX_META_BYTES]


def unpacked_limit(max_rows: int, max_columns: int) -> int:
    """The unpacked bytes that fit the row and column caps: 40 bytes a cell (XML and text),
    at least 16 MB, at most MAX_UNPACKED_BYTES."""
    return min(MAX_UNPACKED_BYTES, max(16 * 1024 * 1024, max_rows * max_columns * BYTES_PER_CELL))


def check_workbook(
    content: bytes,
    *,
    sheet: int | str = 0,
    max_rows: int,
    max_columns: int = MAX_READ_COLUMNS,
    max_cells: int = MAX_READ_CELLS,
) -> SheetSize:
    """Check an .xlsx against the limits before anything reads it; answers the size of the
    sheet to be read. Raises WorkbookRefused."""
    if not content or not content.startswith(b"PK"):
        raise WorkbookRefused(NOT_XLSX)
    try:
        zf = zipfile.ZipFile(io.BytesIO(content))
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise WorkbookRefused(NOT_XLSX) from exc
    with zf:
        infos = zf.infolist()
        if len(infos) > MAX_MEMBERS:
            raise _too_large(f"文件结构异常（包含超过{MAX_MEMBERS}个部件），无法读取")
        names = {i.filename for i in infos}
        if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
            raise WorkbookRefused(NOT_XLSX)
        total = sum(i.file_size for i in infos)
        unpacked = unpacked_limit(max_rows, max_columns)
        if total > unpacked:
            raise _too_large(
                f"文件解压后超过上限（{unpacked // 1024 // 1024}MB），请拆分后分批导入"
            )
        for info in infos:
            if info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * max(
                info.compress_size, 1
            ):
                raise _too_large(f"文件压缩比异常（超过{MAX_RATIO}倍），无法读取")
        try:
            targets = _sheet_paths(zf, names, sheet)
            size = SheetSize(0, 0)
            for info in infos:
                scan = (
                    _SheetScan(max_rows, max_columns, max_cells)
                    if info.filename in targets
                    else None
                )
                read = 0
                with zf.open(info) as fh:  # stops at the declared size; checks the CRC
                    while chunk := fh.read(CHUNK):
                        read += len(chunk)
                        if read > info.file_size:  # pragma: no cover - zipfile stops first
                            raise _too_large("文件解压后大小与声明不符，无法读取")
                        if scan is not None:
                            scan.feed(chunk)
                if scan is not None:
                    scan.close()
                if scan is not None:
                    size = SheetSize(max(size.rows, scan.rows), max(size.columns, scan.columns))
        except WorkbookRefused:
            raise
        except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError) as exc:
            raise WorkbookRefused(BROKEN) from exc
    return size
