"""The member spreadsheet: import columns and their matching, the template, and the export.

Reading and writing go through ``dangjian.core.excel`` (python-calamine, xlsxwriter). Each cell
is turned into a value or a Chinese message naming what is wrong, so the import report can name
every bad row and column; what the values mean is checked by ``services.clean_member_fields``.
"""

from __future__ import annotations

import io
import re
import unicodedata
from dataclasses import dataclass, field

import xlsxwriter
from django.core.exceptions import ValidationError
from django.db.models import Exists
from django.utils import timezone

from dangjian.core import crypto
from dangjian.core import excel as core_excel
from dangjian.members.models import Category, Education, Ethnicity, Gender, Occupation, Status


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    kind: str  # name, text, date, choice, multi, id_number, phone, ref
    required: bool = False
    aliases: tuple[str, ...] = ()
    help: str = ""
    choices: type | None = None
    value_aliases: dict = field(default_factory=dict)

    def options(self) -> list[str]:
        return [str(c.label) for c in self.choices] if self.choices else []


_ETHNIC_SHORT = {str(c.label)[:-1]: c.value for c in Ethnicity if str(c.label).endswith("族")}

COLUMNS: tuple[Column, ...] = (
    Column("name", "姓名", "name", True, ("党员姓名",), "必填"),
    Column(
        "gender",
        "性别",
        "choice",
        False,
        ("性別",),
        "男或女；填写身份证号码时可不填（按身份证号码确定）",
        Gender,
        {"男性": Gender.MALE, "女性": Gender.FEMALE},
    ),
    Column(
        "ethnicity",
        "民族",
        "choice",
        True,
        ("民族名称",),
        "必填，标准民族名称，如“汉族”",
        Ethnicity,
        _ETHNIC_SHORT,
    ),
    Column(
        "birth_date",
        "出生日期",
        "date",
        False,
        ("出生年月", "出生年月日", "生日"),
        "格式YYYY-MM-DD；填写身份证号码时可不填（按身份证号码确定）",
    ),
    Column(
        "id_number",
        "身份证号",
        "id_number",
        False,
        ("身份证号码", "公民身份号码", "证件号码", "身份证"),
        "18位，最后一位可为X；请将单元格设为文本格式，数字格式会丢失末几位",
    ),
    Column(
        "phone",
        "手机号码",
        "phone",
        False,
        ("手机号", "手机", "联系电话", "联系方式", "电话"),
        "11位手机号码",
    ),
    Column(
        "education",
        "学历",
        "choice",
        False,
        ("文化程度", "最高学历", "学历层次"),
        "",
        Education,
        {
            "博士": Education.DOCTORATE,
            "硕士": Education.MASTER,
            "研究生": Education.MASTER,
            "本科": Education.BACHELOR,
            "大学": Education.BACHELOR,
            "大专": Education.COLLEGE,
            "专科": Education.COLLEGE,
            "中专": Education.SECONDARY_VOCATIONAL,
            "中技": Education.SECONDARY_VOCATIONAL,
            "技校": Education.SECONDARY_VOCATIONAL,
            "中专/中技": Education.SECONDARY_VOCATIONAL,
            "小学": Education.PRIMARY,
        },
    ),
    Column(
        "occupation",
        "职业",
        "choice",
        False,
        ("职业类别",),
        "",
        Occupation,
        {
            "农民": Occupation.FARMER,
            "公务员": Occupation.OFFICIAL,
            "机关工作人员": Occupation.OFFICIAL,
            "退休": Occupation.RETIRED,
            "离退休": Occupation.RETIRED,
            "专技人员": Occupation.PROFESSIONAL,
            "管理人员": Occupation.MANAGER,
            "军人": Occupation.MILITARY,
            "其他": Occupation.OTHER,
        },
    ),
    Column("work_unit", "工作单位", "text", False, ("单位", "工作单位及职务")),
    Column("joined_on", "入党日期", "date", True, ("入党时间",), "必填，格式YYYY-MM-DD"),
    Column("confirmed_on", "转正日期", "date", False, ("转正时间",), "正式党员必填，预备党员不填"),
    Column(
        "status",
        "党员状态",
        "choice",
        True,
        ("党籍状态", "党员类型"),
        "必填",
        Status,
        {
            "预备": Status.PROBATIONARY,
            "正式": Status.FULL,
            "停止党籍党员": Status.SUSPENDED,
            "出党": Status.REMOVED,
            "去世": Status.DECEASED,
            "死亡": Status.DECEASED,
        },
    ),
    Column(
        "categories",
        "党员类别",
        "multi",
        False,
        ("类别", "党员分类"),
        "可填多个，用顿号分隔，如“在职党员、困难党员”",
        Category,
        {
            "在职": Category.IN_SERVICE,
            "离退休": Category.RETIRED,
            "退休": Category.RETIRED,
            "流动": Category.MOBILE,
            "困难": Category.IN_DIFFICULTY,
            "学生": Category.STUDENT,
            "农民": Category.FARMER,
            "新就业群体": Category.NEW_EMPLOYMENT,
            "新业态": Category.NEW_EMPLOYMENT,
        },
    ),
    Column(
        "org",
        "所在党组织",
        "ref",
        True,
        ("党组织", "所在党支部", "党支部", "党组织名称", "组织关系所在党组织"),
        "必填，党组织全称或组织代码；须在您的管理范围内",
    ),
    Column(
        "unit",
        "居住网格单元",
        "ref",
        False,
        ("居住单元", "入格单元", "居住网格", "居住地"),
        "选填；重名时写成“社区/网格/单元”",
    ),
)
COLUMN_BY_KEY = {c.key: c for c in COLUMNS}
EXPORT_EXTRA = ("年龄", "党龄")

_MULTI_SPLIT = re.compile(r"[、,，;；/\s]+")
MAX_IMPORT_BYTES = 10 * 1024 * 1024
MAX_IMPORT_ROWS = 20_000
HEADER_ROOM = 10  # the header may stand in any of the first 10 rows


def normalize_header(text) -> str:
    text = unicodedata.normalize("NFKC", core_excel.cell_text(text))
    text = re.sub(r"\s+", "", text)
    text = re.sub(r"[(（]必填[)）]", "", text)
    return text.strip("*＊")


_HEADER_INDEX = {}
for _c in COLUMNS:
    for _name in (_c.header, *_c.aliases, _c.key):
        _HEADER_INDEX[normalize_header(_name)] = _c.key


def _choice_index(column: Column) -> dict[str, str]:
    index = {}
    for c in column.choices:
        index[str(c.label)] = c.value
        index[c.value] = c.value
    index.update({k: str(v) for k, v in column.value_aliases.items()})
    return index


_CHOICES = {c.key: _choice_index(c) for c in COLUMNS if c.choices}


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
        return column.header if column else key

    def column_order(self, name: str) -> int:
        for i, c in enumerate(COLUMNS):
            if self.column_name(c.key) == name:
                return i
        return len(COLUMNS)


def _file_error(message: str) -> ValidationError:
    return ValidationError({"file": [message]})


def _match(header_cells: tuple, mapping: dict) -> dict[int, str]:
    """Column index → field key, through the user's mapping first, then names and aliases."""
    user_map = {normalize_header(k): normalize_header(v) for k, v in (mapping or {}).items()}
    out: dict[int, str] = {}
    for i, cell in enumerate(header_cells):
        name = normalize_header(cell)
        if not name:
            continue
        target = user_map.get(name, name)
        key = _HEADER_INDEX.get(target)
        if key and key not in out.values():
            out[i] = key
    return out


def sheet_height(content: bytes, *, max_rows: int) -> int:
    """How many rows the first sheet spans (header included), read from the file's dimension
    and cell references through ``core.excel``'s guard, its cells unread; 0 when the file is no
    readable workbook (the import itself then says why). Raises ValidationError (422 naming
    the limit) when the file passes a limit: ``max_rows`` data rows, the columns, the unpacked
    size or the compression ratio."""
    try:
        return core_excel.sheet_size(content, max_rows=max_rows + HEADER_ROOM).rows
    except core_excel.ExcelTooLarge as exc:
        raise _file_error(exc.message) from exc
    except core_excel.ExcelError:
        return 0


def parse_import(
    content: bytes, mapping: dict | None = None, *, max_rows: int | None = None
) -> ParsedSheet:
    """The data rows of an import file, each cell read into a value or an error message.
    ``max_rows``: the request's limit (``MAX_IMPORT_ROWS``); a background import passes its own."""
    max_rows = max_rows or MAX_IMPORT_ROWS
    if content is not None and len(content) > MAX_IMPORT_BYTES:
        raise _file_error("文件不能超过10MB，请拆分后分批导入")
    try:
        rows = core_excel.read_rows(content, max_rows=max_rows + HEADER_ROOM)
    except core_excel.ExcelError as exc:
        raise _file_error(exc.message) from exc
    for key in (mapping or {}).values():
        if normalize_header(key) not in _HEADER_INDEX:
            raise ValidationError({"columns": [f"列对应关系中的“{key}”不是可导入的列"]})
    header_at, matched = None, {}
    for row in rows[:10]:
        m = _match(row.values, mapping or {})
        if len(m) >= 2:
            header_at, matched = row, m
            break
    if header_at is None:
        raise _file_error("未找到表头行：表头应包含“姓名”“民族”“入党日期”等列名，请使用导入模板")
    keys = set(matched.values())
    missing = [c.header for c in COLUMNS if c.required and c.key not in keys]
    if "id_number" not in keys:
        missing += [COLUMN_BY_KEY[k].header for k in ("gender", "birth_date") if k not in keys]
    if missing:
        raise _file_error(
            f"缺少必填列：{'、'.join(missing)}（没有“身份证号”列时，“性别”和“出生日期”列必填）"
        )
    headers = {key: normalize_header(header_at.values[i]) for i, key in matched.items()}
    ignored = [
        normalize_header(v)
        for i, v in enumerate(header_at.values)
        if i not in matched and normalize_header(v)
    ]
    readers = [(i, key, _cell_reader(COLUMN_BY_KEY[key])) for i, key in matched.items()]
    parsed = []
    for row in rows[header_at.number :]:
        if row.blank:
            continue
        values, errors = {}, {}
        for i, key, read in readers:
            value, error = read(row.get(i))
            values[key] = value
            if error:
                errors[key] = error
        parsed.append(ParsedRow(row.number, values, errors))
    if not parsed:
        raise _file_error("文件中没有数据行")
    if len(parsed) > max_rows:
        raise _file_error(f"一次最多导入{max_rows}行，请拆分后分批导入")
    return ParsedSheet(parsed, headers, ignored)


# Kinds whose cells repeat down a file: a few dozen codes, the organizations and residences.
_REPEATING_KINDS = frozenset({"choice", "multi", "ref"})


def _cell_reader(column: Column):
    """``parse_cell`` for one column of one file. A column of a repeating kind parses each
    distinct cell once (a 100,000-row file has a handful of genders and a few thousand
    organizations); the memo is keyed by the value's type too, since ``True == 1 == 1.0``
    and those cells read differently."""
    if column.kind not in _REPEATING_KINDS:
        return lambda value: parse_cell(column, value)
    memo: dict = {}

    def read(value):
        key = (type(value), value)
        found = memo.get(key)
        if found is None:
            found = memo[key] = parse_cell(column, value)
        parsed, error = found
        return (list(parsed) if isinstance(parsed, list) else parsed), error  # rows own lists

    return read


def parse_cell(column: Column, value) -> tuple[object, str | None]:
    """A cell as the value the service expects, or an error naming what is wrong."""
    if core_excel.is_blank(value):
        return ([] if column.kind == "multi" else None), None
    kind = column.kind
    if kind == "date":
        try:
            return core_excel.cell_date(value), None
        except ValueError:
            return (
                None,
                f"{column.header}格式错误：“{core_excel.cell_text(value)}”不是日期，应为YYYY-MM-DD，如2001-07-01",
            )
    if isinstance(value, bool) or (
        kind in ("name", "choice", "multi", "ref") and not isinstance(value, str)
    ):
        if kind == "ref" and isinstance(value, int | float) and not isinstance(value, bool):
            return core_excel.cell_text(value), None  # an organization code typed as a number
        return None, f"{column.header}格式错误：应填写文字，不能是数字、日期或逻辑值"
    if kind == "id_number":
        if isinstance(value, float | int):
            if abs(value) >= 1e15:
                return (
                    None,
                    "身份证号码须以文本格式填写：该单元格是数字格式，末几位已丢失，请将单元格设为文本后重新填写",
                )
            return core_excel.cell_text(value), None
        return core_excel.cell_text(value), None
    text = core_excel.cell_text(value)
    if kind == "choice":
        code = _CHOICES[column.key].get(unicodedata.normalize("NFKC", text).strip())
        if code is None:
            if column.key == "ethnicity":
                return None, f"民族“{text}”不是标准民族名称，应填写如“汉族”“回族”"
            return None, f"{column.header}“{text}”无效，可填：{'、'.join(column.options())}"
        return code, None
    if kind == "multi":
        codes, bad = [], []
        for part in _MULTI_SPLIT.split(unicodedata.normalize("NFKC", text)):
            if not part:
                continue
            code = _CHOICES[column.key].get(part)
            if code is None:
                bad.append(part)
            elif code not in codes:
                codes.append(code)
        if bad:
            return (
                None,
                f"{column.header}“{'、'.join(bad)}”无效，可填：{'、'.join(column.options())}",
            )
        return codes, None
    return text, None


# --- the template ----------------------------------------------------------------------------


def template_bytes() -> bytes:
    """The import template: the columns (required ones in red, each with a note), drop-down
    lists for coded columns, text format for ID and phone numbers, and a sheet of rules."""
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {**core_excel.WORKBOOK_OPTIONS, "in_memory": True})
    ws = book.add_worksheet("党员信息")
    guide = book.add_worksheet("填写说明")
    lists = book.add_worksheet("选项")
    head = book.add_format({"bold": True, "bg_color": "#F2DCDB", "border": 1})
    head_required = book.add_format(
        {"bold": True, "bg_color": "#F2DCDB", "border": 1, "font_color": "#C00000"}
    )
    text_fmt = book.add_format({"num_format": "@"})
    date_fmt = book.add_format({"num_format": core_excel.DATE_FORMAT})
    list_col = 0
    for col, c in enumerate(COLUMNS):
        ws.write_string(
            0, col, ("*" if c.required else "") + c.header, head_required if c.required else head
        )
        width = 22 if c.kind in ("id_number", "ref") else 14
        fmt = (
            text_fmt
            if c.kind in ("id_number", "phone", "text", "name", "ref")
            else date_fmt
            if c.kind == "date"
            else None
        )
        ws.set_column(col, col, width, fmt)
        if c.help:
            ws.write_comment(0, col, c.help, {"x_scale": 2})
        if c.choices and c.kind == "choice":
            options = c.options()
            lists.write_string(0, list_col, c.header)
            for i, option in enumerate(options, start=1):
                lists.write_string(i, list_col, option)
            letter = xlsxwriter.utility.xl_col_to_name(list_col)
            ws.data_validation(
                1,
                col,
                5000,
                col,
                {
                    "validate": "list",
                    "source": f"=选项!${letter}$2:${letter}${len(options) + 1}",
                    "error_title": c.header,
                    "error_message": f"请从下拉列表中选择{c.header}",
                },
            )
            list_col += 1
    ws.freeze_panes(1, 0)
    lists.hide()
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
        "1. 第一行为列名，请勿修改；可增加其他列，导入时忽略。列名不同时可在导入时指定对应关系。",
        "2. 导入前会检查整个文件，每一处错误都会列出行号、列名和原因。",
        "3. 导入方式：“全部成功才导入”时有任何错误都不导入；“跳过错误行”时导入正确的行并列出错误行。",
        "4. 同一身份证号码在文件中只能出现一次，且不能与系统中已有党员重复。",
    ]
    for i, note in enumerate(notes, start=len(COLUMNS) + 3):
        guide.write_string(i, 0, note)
    book.close()
    return out.getvalue()


# --- the export -----------------------------------------------------------------------------------

# The current sanction (read-only: an import ignores these columns; sanctions are recorded one
# by one with their decision, ``members.sanctions``).
EXPORT_SANCTION = ["处分", "留党察看起止"]
EXPORT_HEADERS = [c.header for c in COLUMNS[:-2]] + [
    "所在党组织",
    "居住网格单元",
    *EXPORT_EXTRA,
    *EXPORT_SANCTION,
]


EXPORT_PROGRESS_EVERY = 1000


def export_members(qs, *, exporter: str, reveal_q=None, progress=None) -> tuple[bytes, int, int]:
    """The rows of ``qs`` as .xlsx; personal data masked unless ``reveal_q`` (an ``Exists``
    subquery of the members the exporter may reveal) holds for the row. Returns the file,
    the number of rows and the number revealed. ``progress(rows_done)`` is called every
    ``EXPORT_PROGRESS_EVERY`` rows (a background export shows it)."""
    from dangjian.members import sanctions

    if reveal_q is not None:
        qs = qs.annotate(can_reveal=Exists(reveal_q))
    today = timezone.localdate()
    qs = sanctions.annotate_current(qs, today)
    counts = {"rows": 0, "revealed": 0}

    def rows():
        for m in qs.iterator(chunk_size=2000):
            reveal = bool(getattr(m, "can_reveal", False))
            counts["rows"] += 1
            counts["revealed"] += reveal
            if progress is not None and counts["rows"] % EXPORT_PROGRESS_EVERY == 0:
                progress(counts["rows"])
            yield [
                m.name,
                m.get_gender_display(),
                m.get_ethnicity_display(),
                m.birth_date,
                m.id_number if reveal else crypto.mask("id_number", m.id_number),
                m.phone if reveal else crypto.mask("phone", m.phone),
                m.get_education_display(),
                m.get_occupation_display(),
                m.work_unit,
                m.joined_on,
                m.confirmed_on,
                m.get_status_display(),
                "、".join(str(Category(c).label) for c in m.category_codes()),
                m.org.name,
                m.unit.name if m.unit_id else "",
                m.age(today),
                m.party_age(today),
                *sanctions.current_text(m),
            ]

    content = core_excel.write_rows(
        headers=EXPORT_HEADERS,
        rows=rows(),
        exporter=exporter,
        sheet_name="党员名册",
        widths=[10, 6, 8, 12, 22, 14, 12, 16, 24, 12, 12, 10, 24, 28, 20, 6, 6, 22, 24],
    )
    return content, counts["rows"], counts["revealed"]
