"""The organization spreadsheet: the import's columns, how each cell is read, and the template.

Reading goes through ``dangjian.core.excel`` (the one reader, behind its guard). Each cell is
turned into a value or a Chinese message naming the column, so the import report can name
every bad row and column; what the values mean is checked by the services
(``services.org_create`` and ``organizations.shapes``), as for an organization typed in.
"""

from __future__ import annotations

import io
import re
import unicodedata
from dataclasses import dataclass

import xlsxwriter
from django.core.exceptions import ValidationError

from dangjian.core import excel as core_excel
from dangjian.organizations.models import OrgDomain, OrgForm, OrgKind

MAX_IMPORT_BYTES = 10 * 1024 * 1024
MAX_IMPORT_ROWS = 5_000
HEADER_ROOM = 10  # the header may stand in any of the first 10 rows
_SPLIT = re.compile(r"[、,，;；\n]+")


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    kind: str  # text, choice, date, int, units, names
    required: bool = False
    help: str = ""
    choices: type | None = None
    aliases: tuple[str, ...] = ()

    def options(self) -> list[str]:
        return [str(c.label) for c in self.choices] if self.choices else []


COLUMNS: tuple[Column, ...] = (
    Column(
        "name",
        "组织名称",
        "text",
        True,
        "必填，如“中共龙桥社区第三网格支部委员会”",
        aliases=("名称",),
    ),
    Column(
        "parent",
        "上级党组织",
        "text",
        False,
        "上级党组织的名称或组织代码：系统中已有的，或本表中排在前面的行；顶层组织不填",
        aliases=("上级组织",),
    ),
    Column("kind", "组织类别", "choice", True, "必填", OrgKind, ("类别",)),
    Column("form", "组建形式", "choice", False, "不填为常设", OrgForm, ("形式",)),
    Column("domain", "所属领域", "choice", True, "必填", OrgDomain, ("领域",)),
    Column(
        "area",
        "所在区域",
        "text",
        True,
        "必填：区域名称、12位统计用区划代码，或“社区/网格”形式（名称有重复时）",
        aliases=("区域",),
    ),
    Column("code", "组织代码", "text", False, "", aliases=("代码",)),
    Column("credit_code", "统一社会信用代码", "text", False, "18位，所在单位有时填写"),
    Column("contact_phone", "联系电话", "text", False, "手机或固定电话"),
    Column("established_on", "成立日期", "date", False, "YYYY-MM-DD"),
    Column("term_years", "任期(年)", "int", False, "", aliases=("任期",)),
    Column(
        "founding_full_members",
        "正式党员人数",
        "int",
        False,
        "党支部（常设、临时）必填：成立时的正式党员人数，3名以上",
    ),
    Column("project_name", "项目或任务", "text", False, "临时党组织必填"),
    Column("ends_on", "预计撤销日期", "date", False, "临时党组织必填，YYYY-MM-DD"),
    Column(
        "joint_units",
        "覆盖单位",
        "units",
        False,
        "联合党支部必填：2至5个单位，每个写作“单位名称:正式党员人数”，用“；”分隔，"
        "如“甲公司:2；乙公司:1”",
    ),
    Column(
        "villages",
        "联建村",
        "names",
        False,
        "联建党组织必填：至少2个村的名称，用“、”分隔",
    ),
)
COLUMN_BY_KEY = {c.key: c for c in COLUMNS}


def normalize_header(text) -> str:
    text = unicodedata.normalize("NFKC", core_excel.cell_text(text))
    text = re.sub(r"\s+", "", text)
    text = re.sub(r"[(（]必填[)）]", "", text)
    return text.strip("*＊")


_HEADER_INDEX = {
    normalize_header(name): c.key for c in COLUMNS for name in (c.header, *c.aliases, c.key)
}
_CHOICES = {
    c.key: {
        **{str(choice.label): choice.value for choice in c.choices},
        **{choice.value: choice.value for choice in c.choices},
    }
    for c in COLUMNS
    if c.choices
}
# Common spellings beside the labels.
_CHOICES["kind"].update({"基层党委": OrgKind.COMMITTEE, "党工作委员会": OrgKind.WORKING_COMMITTEE})
_CHOICES["form"].update(
    {
        "临时党支部": OrgForm.TEMPORARY,
        "联合党支部": OrgForm.JOINT,
        "联建党委": OrgForm.CROSS_VILLAGE,
        "街道大工委": OrgForm.STREET_JOINT,
        "社区大党委": OrgForm.COMMUNITY_JOINT,
    }
)


@dataclass
class ParsedRow:
    number: int
    values: dict
    errors: dict


@dataclass
class ParsedSheet:
    rows: list[ParsedRow]
    headers: dict  # key -> header as written in the file
    ignored: list[str]

    def column_name(self, key: str) -> str:
        if key in self.headers:
            return self.headers[key]
        column = COLUMN_BY_KEY.get(key)
        return column.header if column else "—"

    def column_order(self, name: str) -> int:
        for i, c in enumerate(COLUMNS):
            if self.column_name(c.key) == name:
                return i
        return len(COLUMNS)


def _file_error(message: str) -> ValidationError:
    return ValidationError({"file": [message]})


def parse_import(content: bytes) -> ParsedSheet:
    """The data rows of an import file, each cell read into a value or an error message."""
    if content is not None and len(content) > MAX_IMPORT_BYTES:
        raise _file_error("文件不能超过10MB，请拆分后分批导入")
    try:
        rows = core_excel.read_rows(content, max_rows=MAX_IMPORT_ROWS + HEADER_ROOM)
    except core_excel.ExcelError as exc:
        raise _file_error(exc.message) from exc
    header_at, matched = None, {}
    for row in rows[:HEADER_ROOM]:
        found: dict[int, str] = {}
        for i, cell in enumerate(row.values):
            key = _HEADER_INDEX.get(normalize_header(cell))
            if key and key not in found.values():
                found[i] = key
        if len(found) >= 2:
            header_at, matched = row, found
            break
    if header_at is None:
        raise _file_error(
            "未找到表头行：表头应包含“组织名称”“组织类别”“所在区域”等列名，请使用导入模板"
        )
    missing = [c.header for c in COLUMNS if c.required and c.key not in matched.values()]
    if missing:
        raise _file_error(f"缺少必填列：{'、'.join(missing)}")
    headers = {key: normalize_header(header_at.values[i]) for i, key in matched.items()}
    ignored = [
        normalize_header(v)
        for i, v in enumerate(header_at.values)
        if i not in matched and normalize_header(v)
    ]
    parsed = []
    for row in rows[header_at.number :]:
        if row.blank:
            continue
        values, errors = {}, {}
        for i, key in matched.items():
            value, error = parse_cell(COLUMN_BY_KEY[key], row.get(i))
            values[key] = value
            if error:
                errors[key] = error
        parsed.append(ParsedRow(row.number, values, errors))
    if not parsed:
        raise _file_error("文件中没有数据行")
    if len(parsed) > MAX_IMPORT_ROWS:
        raise _file_error(f"一次最多导入{MAX_IMPORT_ROWS}行，请拆分后分批导入")
    return ParsedSheet(parsed, headers, ignored)


def parse_cell(column: Column, value) -> tuple[object, str | None]:
    """A cell as the value the service expects, or an error naming what is wrong."""
    if core_excel.is_blank(value):
        return None, None
    if column.kind == "date":
        try:
            return core_excel.cell_date(value), None
        except ValueError:
            text = core_excel.cell_text(value)
            return None, f"{column.header}格式错误：“{text}”不是日期，应为YYYY-MM-DD"
    text = core_excel.cell_text(value)
    if column.kind == "int":
        if isinstance(value, bool) or not re.fullmatch(r"\d{1,6}", text):
            return None, f"{column.header}应为整数，现为“{text}”"
        return int(text), None
    if column.kind == "choice":
        code = _CHOICES[column.key].get(unicodedata.normalize("NFKC", text).strip())
        if code is None:
            return None, f"{column.header}“{text}”无效，可填：{'、'.join(column.options())}"
        return code, None
    if column.kind == "names":
        return [p.strip() for p in _SPLIT.split(text) if p.strip()], None
    if column.kind == "units":
        units = []
        for part in _SPLIT.split(unicodedata.normalize("NFKC", text)):
            part = part.strip()
            if not part:
                continue
            name, sep, count = part.rpartition(":")
            if not sep or not name.strip() or not count.strip().isdigit():
                return None, f"{column.header}“{part}”应写作“单位名称:正式党员人数”"
            units.append({"name": name.strip(), "full_members": int(count.strip())})
        return units, None
    return text, None


def template_bytes() -> bytes:
    """The import template: the columns (required ones in red, each with a note), drop-down
    lists for coded columns, and a sheet of rules."""
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {**core_excel.WORKBOOK_OPTIONS, "in_memory": True})
    ws = book.add_worksheet("党组织")
    guide = book.add_worksheet("填写说明")
    head = book.add_format({"bold": True, "bg_color": "#F2DCDB", "border": 1})
    head_required = book.add_format(
        {"bold": True, "bg_color": "#F2DCDB", "border": 1, "font_color": "#C00000"}
    )
    text_fmt = book.add_format({"num_format": "@"})
    date_fmt = book.add_format({"num_format": core_excel.DATE_FORMAT})
    for col, c in enumerate(COLUMNS):
        ws.write_string(
            0, col, ("*" if c.required else "") + c.header, head_required if c.required else head
        )
        fmt = date_fmt if c.kind == "date" else None if c.kind == "int" else text_fmt
        ws.set_column(col, col, 24 if c.kind in ("text", "units", "names") else 14, fmt)
        if c.help:
            ws.write_comment(0, col, c.help, {"x_scale": 2})
        if c.choices:
            ws.data_validation(
                1,
                col,
                MAX_IMPORT_ROWS,
                col,
                {
                    "validate": "list",
                    "source": c.options(),
                    "error_title": c.header,
                    "error_message": f"请从下拉列表中选择{c.header}",
                },
            )
    ws.freeze_panes(1, 0)
    guide.set_column(0, 0, 16)
    guide.set_column(1, 1, 8)
    guide.set_column(2, 3, 60)
    for col, title in enumerate(("列名", "必填", "说明", "可填写的值")):
        guide.write_string(0, col, title, head)
    for row, c in enumerate(COLUMNS, start=1):
        guide.write_row(
            row, 0, [c.header, "是" if c.required else "否", c.help, "、".join(c.options())]
        )
    notes = [
        "1. 第一行为列名，请勿修改；可增加其他列，导入时忽略。",
        "2. 上级党组织须先于下级：可以是系统中已有的组织，也可以是本表中排在前面的行。",
        "3. 导入前检查每一行，每一处错误都会列出行号、列名和原因。",
        "4. 导入方式：“全部成功才导入”时有任何错误都不导入；“跳过错误行”时导入正确的行并列出错误行。",
        "5. 大工委、大党委的驻区单位委员请在导入后于组织页面登记。",
    ]
    for i, note in enumerate(notes, start=len(COLUMNS) + 3):
        guide.write_string(i, 0, note)
    book.close()
    return out.getvalue()
