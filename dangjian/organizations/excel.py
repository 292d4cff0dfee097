"""The organization spreadsheet: the import's columns, how each cell is read, and the template.

Reading, header matching and the template are ``dangjian.core.excel_import``'s. Each cell is
turned into a value or a Chinese message naming the column, so the import report can name
every bad row and column; what the values mean is checked by the services
(``services.org_create`` and ``organizations.shapes``), as for an organization typed in.
"""

from __future__ import annotations

import dataclasses
import functools
import re
import unicodedata

from dangjian.core import excel as core_excel
from dangjian.core import excel_import
from dangjian.core.excel_import import Column, Table
from dangjian.organizations.models import OrgDomain, OrgForm, OrgKind

MAX_IMPORT_BYTES = 10 * 1024 * 1024
MAX_IMPORT_ROWS = 5_000
_SPLIT = re.compile(r"[、,，;；\n]+")

COLUMNS: tuple[Column, ...] = (
    Column(
        "name", "组织名称", True, ("名称",), "必填，如“中共龙桥社区第三网格支部委员会”", kind="text"
    ),
    Column(
        "parent",
        "上级党组织",
        False,
        ("上级组织",),
        "上级党组织的名称或组织代码：系统中已有的，或本表中排在前面的行；顶层组织不填",
        kind="text",
    ),
    Column("kind", "组织类别", True, ("类别",), "必填", kind="choice", choices=OrgKind),
    Column("form", "组建形式", False, ("形式",), "不填为常设", kind="choice", choices=OrgForm),
    Column("domain", "所属领域", True, ("领域",), "必填", kind="choice", choices=OrgDomain),
    Column(
        "area",
        "所在区域",
        True,
        ("区域",),
        "必填：区域名称、12位统计用区划代码，或“社区/网格”形式（名称有重复时）",
        kind="text",
    ),
    Column("code", "组织代码", False, ("代码",), "", kind="text"),
    Column("credit_code", "统一社会信用代码", False, (), "18位，所在单位有时填写", kind="text"),
    Column("contact_phone", "联系电话", False, (), "手机或固定电话", kind="text"),
    Column("established_on", "成立日期", False, (), "YYYY-MM-DD", kind="date"),
    Column("term_years", "任期(年)", False, ("任期",), "", kind="int"),
    Column(
        "founding_full_members",
        "正式党员人数",
        False,
        (),
        "党支部（常设、临时）必填：成立时的正式党员人数，3名以上",
        kind="int",
    ),
    Column("project_name", "项目或任务", False, (), "临时党组织必填", kind="text"),
    Column("ends_on", "预计撤销日期", False, (), "临时党组织必填，YYYY-MM-DD", kind="date"),
    Column(
        "joint_units",
        "覆盖单位",
        False,
        (),
        "联合党支部必填：2至5个单位，每个写作“单位名称:正式党员人数”，用“；”分隔，"
        "如“甲公司:2；乙公司:1”",
        kind="units",
    ),
    Column(
        "villages", "联建村", False, (), "联建党组织必填：至少2个村的名称，用“、”分隔", kind="names"
    ),
)
# Common spellings beside the labels.
_ALIASES = {
    "kind": {"基层党委": OrgKind.COMMITTEE, "党工作委员会": OrgKind.WORKING_COMMITTEE},
    "form": {
        "临时党支部": OrgForm.TEMPORARY,
        "联合党支部": OrgForm.JOINT,
        "联建党委": OrgForm.CROSS_VILLAGE,
        "街道大工委": OrgForm.STREET_JOINT,
        "社区大党委": OrgForm.COMMUNITY_JOINT,
    },
}
COLUMNS = tuple(
    dataclasses.replace(c, value_aliases=_ALIASES[c.key]) if c.key in _ALIASES else c
    for c in COLUMNS
)
TABLE = Table(COLUMNS, unknown="—")
COLUMN_BY_KEY = TABLE.by_key
ParsedRow = excel_import.ParsedRow
ParsedSheet = excel_import.Sheet


def parse_import(content: bytes) -> ParsedSheet:
    """The data rows of an import file, each cell read into a value or an error message."""
    return excel_import.parse_sheet(
        content,
        TABLE,
        hint="“组织名称”“组织类别”“所在区域”",
        max_rows=MAX_IMPORT_ROWS,
        max_bytes=MAX_IMPORT_BYTES,
        readers={c.key: functools.partial(parse_cell, c) for c in COLUMNS},
    )


def parse_cell(column: Column, value) -> tuple[object, str | None]:
    """A cell as the value the service expects, or an error naming what is wrong."""
    if core_excel.is_blank(value):
        return None, None
    if column.kind == "date":
        return excel_import.read_date(column.header, value)
    if column.kind == "choice":
        return excel_import.read_choice(TABLE, column, value)
    text = core_excel.cell_text(value)
    if column.kind == "int":
        if isinstance(value, bool) or not re.fullmatch(r"\d{1,6}", text):
            return None, f"{column.header}应为整数，现为“{text}”"
        return int(text), None
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
    """The import template (``excel_import.template_bytes``)."""
    return excel_import.template_bytes(
        TABLE,
        sheet_name="党组织",
        dropdown_rows=MAX_IMPORT_ROWS,
        notes=[
            "1. 第一行为列名，请勿修改；可增加其他列，导入时忽略。",
            "2. 上级党组织须先于下级：可以是系统中已有的组织，也可以是本表中排在前面的行。",
            "3. 导入前检查每一行，每一处错误都会列出行号、列名和原因。",
            f"4. {excel_import.MODE_NOTE}",
            "5. 大工委、大党委的驻区单位委员请在导入后于组织页面登记。",
        ],
    )
