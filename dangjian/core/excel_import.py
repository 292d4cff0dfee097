"""The one import layer over ``core.excel``: a declared table of columns (Chinese header,
aliases, required or not, help, coded values), the matching of a file's header row to it, cell
converters answering a value or a Chinese message naming the column, the parsed sheet whose
rows keep the row number Excel shows, the row report (bad cells by row and column, the two
modes and their summary line) and the downloadable template.

An app declares its columns and what its rows mean; reading, matching, reporting and the
template are written here once (members, organizations, the governance tree, users,
committees, time-bank stations and riders).

A report is ``{"created", "total", "bad_rows", "mode", "detail", "errors": [{"row", "column",
"message"}], "ignored_columns", ...}``; every bad cell is named by its row as Excel numbers it
and its column as the file writes it.
"""

from __future__ import annotations

import io
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import xlsxwriter
from django.core.exceptions import ValidationError

from dangjian.core import excel as core_excel

IMPORT_MODES = ("all_or_nothing", "skip_bad")
MODE_LABELS = {"all_or_nothing": "全部成功才导入", "skip_bad": "跳过错误行"}
HEADER_ROOM = 10  # the header may stand in any of the first 10 rows
MODE_NOTE = (
    "导入方式：“全部成功才导入”时有任何错误都不导入；“跳过错误行”时导入正确的行并列出错误行。"
)


def check_mode(mode: str) -> None:
    if mode not in IMPORT_MODES:
        raise ValidationError(
            {"mode": ["导入方式应为all_or_nothing（全部成功才导入）或skip_bad（跳过错误行）"]}
        )


def file_error(message: str) -> ValidationError:
    return ValidationError({"file": [message]})


# --- the columns ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """One importable column. ``kind`` tells the template its cell format and the shared
    converters what to read (text, date, int, choice, multi; an app may add its own);
    ``choices`` a ``TextChoices`` whose labels and values a cell may hold, ``value_aliases``
    other spellings of them."""

    key: str
    header: str
    required: bool = False
    aliases: tuple[str, ...] = ()
    help: str = ""
    kind: str = "text"
    choices: Any = None  # a TextChoices class
    value_aliases: Mapping = field(default_factory=dict)
    example: object = ""

    def options(self) -> list[str]:
        return [str(c.label) for c in self.choices] if self.choices else []


def normalize_header(text) -> str:
    """A header cell as matched: NFKC, no white space, no "(必填)", no leading or trailing star."""
    text = unicodedata.normalize("NFKC", core_excel.cell_text(text))
    text = re.sub(r"\s+", "", text)
    text = re.sub(r"[(（]必填[)）]", "", text)
    return text.strip("*＊")


class Table:
    """The columns of one import: their lookup by header or alias and their coded values.
    ``unknown``: what a report calls a key that is no column (default: the key itself)."""

    def __init__(self, columns: Iterable[Column], *, unknown: str | None = None):
        self.columns = tuple(columns)
        self.by_key = {c.key: c for c in self.columns}
        self.unknown = unknown
        self.index: dict[str, str] = {}
        for c in self.columns:
            for name in (c.header, *c.aliases, c.key):
                self.index[normalize_header(name)] = c.key
        self.codes = {c.key: choice_index(c) for c in self.columns if c.choices}

    def __iter__(self):
        return iter(self.columns)

    def __len__(self) -> int:
        return len(self.columns)

    def match(self, cells, mapping: Mapping | None = None) -> dict[int, str]:
        """Column index → key: through the user's mapping (file header → header) first, then
        headers and aliases; the first cell naming a key takes it."""
        user_map = {normalize_header(k): normalize_header(v) for k, v in (mapping or {}).items()}
        out: dict[int, str] = {}
        for i, cell in enumerate(cells):
            name = normalize_header(cell)
            if not name:
                continue
            key = self.index.get(user_map.get(name, name))
            if key and key not in out.values():
                out[i] = key
        return out

    def find_header(
        self,
        rows: list[core_excel.Row],
        *,
        room: int = HEADER_ROOM,
        mapping: Mapping | None = None,
        accept: Callable[[set[str]], bool] = lambda keys: len(keys) >= 2,
    ) -> tuple[core_excel.Row | None, dict[int, str]]:
        """The first of the first ``room`` rows whose matched keys ``accept`` takes (by
        default: naming two columns), with its matching."""
        for row in rows[:room]:
            found = self.match(row.values, mapping)
            if accept(set(found.values())):
                return row, found
        return None, {}

    def missing(self, keys: set[str], required_any: Iterable[tuple[str, ...]] = ()) -> list[str]:
        """The headers of the required columns ``keys`` lacks; a group of ``required_any``
        none of which is present as "甲或乙"."""
        out = [c.header for c in self.columns if c.required and c.key not in keys]
        for group in required_any:
            if not keys & set(group):
                out.append("或".join(c.header for c in self.columns if c.key in group))
        return out

    def column_name(self, key: str) -> str:
        column = self.by_key.get(key)
        return column.header if column else key if self.unknown is None else self.unknown

    def column_order(self, name: str) -> int:
        for i, c in enumerate(self.columns):
            if self.column_name(c.key) == name:
                return i
        return len(self.columns)


def choice_index(column: Column) -> dict[str, str]:
    index = {}
    for c in column.choices or ():
        index[str(c.label)] = c.value
        index[c.value] = c.value
    index.update({k: str(v) for k, v in column.value_aliases.items()})
    return index


# --- reading a file -------------------------------------------------------------------------


def load(
    content: bytes,
    *,
    max_rows: int,
    max_bytes: int | None = None,
    header_room: int = HEADER_ROOM,
    empty: str | None = None,
) -> list[core_excel.Row]:
    """The rows of the first sheet (``max_rows`` data rows and the header's room), every
    failure a 422 on ``file``: ``empty`` said for no content (when given), then "文件不能超过
    …MB" over ``max_bytes``, then what the reader says."""
    if empty is not None and not content:
        raise file_error(empty)
    if max_bytes is not None and content is not None and len(content) > max_bytes:
        raise file_error(f"文件不能超过{max_bytes // (1024 * 1024)}MB，请拆分后分批导入")
    try:
        return core_excel.read_rows(content, max_rows=max_rows + header_room)
    except core_excel.ExcelError as exc:
        raise file_error(exc.message) from exc


@dataclass
class ParsedRow:
    number: int  # as Excel shows it
    values: dict  # key -> value (raw, or as its converter read it)
    errors: dict = field(default_factory=dict)  # key -> message of a cell that did not read


@dataclass
class Sheet:
    rows: list[ParsedRow]
    headers: dict  # key -> header as the file writes it
    ignored: list[str]
    table: Table

    @property
    def columns(self) -> tuple[Column, ...]:
        return self.table.columns

    def column_name(self, key: str) -> str:
        return self.headers[key] if key in self.headers else self.table.column_name(key)

    def column_order(self, name: str) -> int:
        for i, c in enumerate(self.table.columns):
            if self.column_name(c.key) == name:
                return i
        return len(self.table.columns)


Reader = Callable[[object], tuple[object, str | None]]


def sheet_of(
    table: Table,
    rows: list[core_excel.Row],
    header: core_excel.Row,
    matched: dict[int, str],
    *,
    max_rows: int,
    readers: Mapping[str, Reader] | None = None,
) -> Sheet:
    """The non-blank rows below ``header``, each cell through its key's reader (raw when
    ``readers`` is None); 422 when there is none or more than ``max_rows``."""
    headers = {key: normalize_header(header.values[i]) for i, key in matched.items()}
    ignored = [
        normalize_header(v)
        for i, v in enumerate(header.values)
        if i not in matched and normalize_header(v)
    ]
    parsed = []
    if readers is None:
        pairs = list(matched.items())
        parsed = [
            ParsedRow(row.number, {key: row.get(i) for i, key in pairs})
            for row in rows[header.number :]
            if not row.blank
        ]
    else:
        read = [(i, key, readers[key]) for i, key in matched.items()]
        for row in rows[header.number :]:
            if row.blank:
                continue
            values, errors = {}, {}
            for i, key, reader in read:
                value, error = reader(row.get(i))
                values[key] = value
                if error:
                    errors[key] = error
            parsed.append(ParsedRow(row.number, values, errors))
    if not parsed:
        raise file_error("文件中没有数据行")
    if len(parsed) > max_rows:
        raise file_error(f"一次最多导入{max_rows}行，请拆分后分批导入")
    return Sheet(parsed, headers, ignored, table)


def parse_sheet(
    content: bytes,
    table: Table,
    *,
    hint: str,
    max_rows: int,
    max_bytes: int | None = None,
    empty: str | None = None,
    mapping: Mapping | None = None,
    required_any: Iterable[tuple[str, ...]] = (),
    missing: Callable[[set[str]], str | None] | None = None,
    readers: Mapping[str, Reader] | None = None,
) -> Sheet:
    """A file read, its header found (``hint`` names the columns a header should have) and
    checked for the required columns (``missing(keys)`` may say it otherwise), its rows
    parsed (``sheet_of``)."""
    rows = load(content, max_rows=max_rows, max_bytes=max_bytes, empty=empty)
    header, matched = table.find_header(rows, mapping=mapping)
    if header is None:
        raise file_error(f"未找到表头行：表头应包含{hint}等列名，请使用导入模板")
    keys = set(matched.values())
    if missing is not None:
        message = missing(keys)
    else:
        lacking = table.missing(keys, required_any)
        message = f"缺少必填列：{'、'.join(lacking)}" if lacking else None
    if message:
        raise file_error(message)
    return sheet_of(table, rows, header, matched, max_rows=max_rows, readers=readers)


# --- cells ----------------------------------------------------------------------------------


def text_of(value) -> str:
    return unicodedata.normalize("NFKC", core_excel.cell_text(value)).strip()


def read_date(header: str, value, *, example: str = "") -> tuple[object, str | None]:
    try:
        return core_excel.cell_date(value), None
    except ValueError:
        text = core_excel.cell_text(value)
        tail = f"，如{example}" if example else ""
        return None, f"{header}格式错误：“{text}”不是日期，应为YYYY-MM-DD{tail}"


def read_choice(table: Table, column: Column, value) -> tuple[object, str | None]:
    text = core_excel.cell_text(value)
    code = table.codes[column.key].get(unicodedata.normalize("NFKC", text).strip())
    if code is None:
        return None, f"{column.header}“{text}”无效，可填：{'、'.join(column.options())}"
    return code, None


def count_of(value, header: str) -> tuple[int, str | None]:
    """A cell as a count (blank: 0), or the message saying why it is none."""
    if core_excel.is_blank(value):
        return 0, None
    if isinstance(value, bool):
        return 0, f"{header}应为不小于0的整数"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str):
        text = text_of(value).replace(",", "")
        if not re.fullmatch(r"\d+", text):
            return 0, f"{header}应为不小于0的整数，不能是“{text}”"
        value = int(text)
    if not isinstance(value, int) or value < 0:
        return 0, f"{header}应为不小于0的整数"
    if value > 2_000_000_000:
        return 0, f"{header}过大"
    return value, None


def memoized(read: Reader) -> Reader:
    """``read`` once per distinct cell (a column of a few codes or names repeated down a
    100,000-row file); keyed by the value's type too, since ``True == 1 == 1.0`` and those
    cells read differently. Each row gets its own copy of a list."""
    memo: dict = {}

    def reader(value):
        key = (type(value), value)
        found = memo.get(key)
        if found is None:
            found = memo[key] = read(value)
        parsed, error = found
        return (list(parsed) if isinstance(parsed, list) else parsed), error

    return reader


# --- the report -----------------------------------------------------------------------------


class Problems:
    """The bad cells of an import, by row; ``names`` (a Sheet, or a Table for the canonical
    headers) names and orders the columns."""

    def __init__(self, names):
        self.names = names
        self.items: list[dict] = []
        self.rows: set[int] = set()

    def add(self, row: int, key: str, message: str) -> None:
        self.items.append({"row": row, "column": self.names.column_name(key), "message": message})
        self.rows.add(row)

    def __bool__(self) -> bool:
        return bool(self.items)

    def sorted(self) -> list[dict]:
        return sorted(self.items, key=lambda p: (p["row"], self.names.column_order(p["column"])))


def summary(*, total: int, done: int, bad_rows: int, mode: str) -> str:
    """The report's one line: what was written, what was skipped or why nothing was."""
    if bad_rows and mode == "all_or_nothing":
        return (
            f"共{total}行，其中{bad_rows}行有误，按“全部成功才导入”未导入任何数据，请修改后重新导入"
        )
    if bad_rows:
        return f"共{total}行，导入{done}行，跳过有误的{bad_rows}行"
    return f"共{total}行，全部导入成功"


@dataclass
class Outcome:
    created: int = 0
    updated: int = 0
    extra: dict = field(default_factory=dict)


def report(
    *,
    actor,
    action: str,
    object_type: str,
    what: str,
    sheet: Sheet,
    mode: str,
    problems: Problems,
    outcome: Outcome,
    area_path: str = "",
    **answer,
) -> dict:
    """The import's row report and its one audit row (counts, mode, the bad rows); ``answer``
    adds to the report (``created_ids``, ``accounts``)."""
    from dangjian.core import audit  # the models: not when a form imports the modes

    total = len(sheet.rows)
    bad_rows = len(problems.rows)
    done = outcome.created + outcome.updated
    detail = summary(total=total, done=done, bad_rows=bad_rows, mode=mode)
    audit.record(
        actor=actor,
        action=action,
        object_type=object_type,
        object_repr=f"Excel导入{what}（{done}/{total}）",
        note=f"{detail}；导入方式：{MODE_LABELS[mode]}",
        after={
            "created": outcome.created,
            "updated": outcome.updated,
            "rows": total,
            "bad_rows": bad_rows,
            "mode": mode,
            **outcome.extra,
        },
        area_path=area_path,
    )
    return {
        "created": outcome.created,
        "updated": outcome.updated,
        "total": total,
        "bad_rows": bad_rows,
        "mode": mode,
        "detail": detail,
        "errors": problems.sorted(),
        "ignored_columns": sheet.ignored,
        **answer,
    }


# --- the template ---------------------------------------------------------------------------

_DATE_KINDS = frozenset({"date"})
_NUMBER_KINDS = frozenset({"int", "count"})
_WIDE_KINDS = frozenset({"text", "id_number", "ref", "units", "names"})


def template_bytes(
    table: Table,
    *,
    sheet_name: str,
    notes: Iterable[str] = (),
    examples: Iterable[Iterable] = (),
    example_sheet: str = "",
    dropdown_rows: int = 5000,
) -> bytes:
    """The import template: the columns (required ones red with a star, each with its help as
    a note), cell formats by kind, drop-down lists of the coded columns (their options on a
    hidden sheet), the ``examples`` (on the first sheet, or on ``example_sheet`` so that the
    template itself reads back without data), and a sheet "填写说明" of the columns and
    ``notes``."""
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {**core_excel.WORKBOOK_OPTIONS, "in_memory": True})
    ws = book.add_worksheet(sheet_name)
    guide = book.add_worksheet("填写说明")
    head = book.add_format({"bold": True, "bg_color": "#F2DCDB", "border": 1})
    head_required = book.add_format(
        {"bold": True, "bg_color": "#F2DCDB", "border": 1, "font_color": "#C00000"}
    )
    text_fmt = book.add_format({"num_format": "@"})
    date_fmt = book.add_format({"num_format": core_excel.DATE_FORMAT})
    lists = None
    for col, c in enumerate(table.columns):
        title = ("*" if c.required else "") + c.header
        ws.write_string(0, col, title, head_required if c.required else head)
        fmt = date_fmt if c.kind in _DATE_KINDS else None if c.kind in _NUMBER_KINDS else text_fmt
        ws.set_column(col, col, 22 if c.kind in _WIDE_KINDS else 14, fmt)
        if c.help:
            ws.write_comment(0, col, c.help, {"x_scale": 2})
        if c.choices and c.kind == "choice":
            lists = lists or book.add_worksheet("选项")
            at = sum(1 for k in table.columns[:col] if k.choices and k.kind == "choice")
            options = c.options()
            lists.write_string(0, at, c.header)
            for i, option in enumerate(options, start=1):
                lists.write_string(i, at, option)
            letter = xlsxwriter.utility.xl_col_to_name(at)
            ws.data_validation(
                1,
                col,
                dropdown_rows,
                col,
                {
                    "validate": "list",
                    "source": f"=选项!${letter}$2:${letter}${len(options) + 1}",
                    "error_title": c.header,
                    "error_message": f"请从下拉列表中选择{c.header}",
                },
            )
    ws.freeze_panes(1, 0)
    if lists is not None:
        lists.hide()
    target = book.add_worksheet(example_sheet) if example_sheet else ws
    if example_sheet:
        target.write_row(0, 0, [c.header for c in table.columns], head)
    for r, example in enumerate(examples, start=1):
        for col, value in enumerate(example):
            core_excel.write_cell(target, r, col, value)
    guide.set_column(0, 0, 16)
    guide.set_column(1, 1, 8)
    guide.set_column(2, 3, 60)
    for col, title in enumerate(("列名", "必填", "说明", "可填写的值")):
        guide.write_string(0, col, title, head)
    for row, c in enumerate(table.columns, start=1):
        guide.write_row(
            row, 0, [c.header, "是" if c.required else "否", c.help, "、".join(c.options())]
        )
    for i, note in enumerate(notes, start=len(table.columns) + 3):
        guide.write_string(i, 0, note)
    book.close()
    return out.getvalue()
