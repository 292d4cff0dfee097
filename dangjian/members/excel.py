"""The member spreadsheet: import columns and their matching, the template, and the export.

Reading and writing go through ``dangjian.core.excel`` (python-calamine, xlsxwriter). Each cell
is turned into a value or a Chinese message naming what is wrong, so the import report can name
every bad row and column; what the values mean is checked by ``services.clean_member_fields``.
"""

from __future__ import annotations

import functools
import re
import unicodedata

from django.core.exceptions import ValidationError
from django.db.models import Exists
from django.utils import timezone

from dangjian.core import crypto, excel_import
from dangjian.core import excel as core_excel
from dangjian.core.excel_import import Column, Table, normalize_header
from dangjian.members.models import Category, Education, Ethnicity, Gender, Occupation, Status

_ETHNIC_SHORT = {str(c.label)[:-1]: c.value for c in Ethnicity if str(c.label).endswith("族")}

COLUMNS: tuple[Column, ...] = (
    Column("name", "姓名", True, ("党员姓名",), "必填", kind="name"),
    Column(
        "gender",
        "性别",
        False,
        ("性別",),
        "男或女；填写身份证号码时可不填（按身份证号码确定）",
        kind="choice",
        choices=Gender,
        value_aliases={"男性": Gender.MALE, "女性": Gender.FEMALE},
    ),
    Column(
        "ethnicity",
        "民族",
        True,
        ("民族名称",),
        "必填，标准民族名称，如“汉族”",
        kind="choice",
        choices=Ethnicity,
        value_aliases=_ETHNIC_SHORT,
    ),
    Column(
        "birth_date",
        "出生日期",
        False,
        ("出生年月", "出生年月日", "生日"),
        "格式YYYY-MM-DD；填写身份证号码时可不填（按身份证号码确定）",
        kind="date",
    ),
    Column(
        "id_number",
        "身份证号",
        False,
        ("身份证号码", "公民身份号码", "证件号码", "身份证"),
        "18位，最后一位可为X；请将单元格设为文本格式，数字格式会丢失末几位",
        kind="id_number",
    ),
    Column(
        "phone",
        "手机号码",
        False,
        ("手机号", "手机", "联系电话", "联系方式", "电话"),
        "11位手机号码",
        kind="phone",
    ),
    Column(
        "education",
        "学历",
        False,
        ("文化程度", "最高学历", "学历层次"),
        "",
        kind="choice",
        choices=Education,
        value_aliases={
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
        False,
        ("职业类别",),
        "",
        kind="choice",
        choices=Occupation,
        value_aliases={
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
    Column("work_unit", "工作单位", False, ("单位", "工作单位及职务"), "", kind="text"),
    Column("joined_on", "入党日期", True, ("入党时间",), "必填，格式YYYY-MM-DD", kind="date"),
    Column(
        "confirmed_on", "转正日期", False, ("转正时间",), "正式党员必填，预备党员不填", kind="date"
    ),
    Column(
        "status",
        "党员状态",
        True,
        ("党籍状态", "党员类型"),
        "必填",
        kind="choice",
        choices=Status,
        value_aliases={
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
        False,
        ("类别", "党员分类"),
        "可填多个，用顿号分隔，如“在职党员、困难党员”",
        kind="multi",
        choices=Category,
        value_aliases={
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
        True,
        ("党组织", "所在党支部", "党支部", "党组织名称", "组织关系所在党组织"),
        "必填，党组织全称或组织代码；须在您的管理范围内",
        kind="ref",
    ),
    Column(
        "unit",
        "居住网格单元",
        False,
        ("居住单元", "入格单元", "居住网格", "居住地"),
        "选填；重名时写成“社区/网格/单元”",
        kind="ref",
    ),
)
TABLE = Table(COLUMNS)
COLUMN_BY_KEY = TABLE.by_key
_HEADER_INDEX = TABLE.index
EXPORT_EXTRA = ("年龄", "党龄")

_MULTI_SPLIT = re.compile(r"[、,，;；/\s]+")
MAX_IMPORT_BYTES = 10 * 1024 * 1024
MAX_IMPORT_ROWS = 20_000
HEADER_ROOM = 10  # the header may stand in any of the first 10 rows
ParsedRow = excel_import.ParsedRow
ParsedSheet = excel_import.Sheet


def sheet_height(content: bytes, *, max_rows: int) -> int:
    """How many rows the first sheet spans (header included), read from the file's dimension
    and cell references through ``core.excel``'s guard, its cells unread; 0 when the file is no
    readable workbook (the import itself then says why). Raises ValidationError (422 naming
    the limit) when the file passes a limit: ``max_rows`` data rows, the columns, the unpacked
    size or the compression ratio."""
    try:
        return core_excel.sheet_size(content, max_rows=max_rows + HEADER_ROOM).rows
    except core_excel.ExcelTooLarge as exc:
        raise excel_import.file_error(exc.message) from exc
    except core_excel.ExcelError:
        return 0


def _missing(keys: set[str]) -> str | None:
    missing = TABLE.missing(keys)
    if "id_number" not in keys:
        missing += [COLUMN_BY_KEY[k].header for k in ("gender", "birth_date") if k not in keys]
    if missing:
        return f"缺少必填列：{'、'.join(missing)}（没有“身份证号”列时，“性别”和“出生日期”列必填）"
    return None


def parse_import(
    content: bytes, mapping: dict | None = None, *, max_rows: int | None = None
) -> ParsedSheet:
    """The data rows of an import file, each cell read into a value or an error message.
    ``max_rows``: the request's limit (``MAX_IMPORT_ROWS``); a background import passes its own.
    ``mapping``: file header → column header, for a file whose headers differ."""
    max_rows = max_rows or MAX_IMPORT_ROWS
    rows = excel_import.load(content, max_rows=max_rows, max_bytes=MAX_IMPORT_BYTES)
    for key in (mapping or {}).values():
        if normalize_header(key) not in _HEADER_INDEX:
            raise ValidationError({"columns": [f"列对应关系中的“{key}”不是可导入的列"]})
    header, matched = TABLE.find_header(rows, mapping=mapping)
    if header is None:
        raise excel_import.file_error(
            "未找到表头行：表头应包含“姓名”“民族”“入党日期”等列名，请使用导入模板"
        )
    message = _missing(set(matched.values()))
    if message:
        raise excel_import.file_error(message)
    readers = {key: _cell_reader(COLUMN_BY_KEY[key]) for key in matched.values()}
    return excel_import.sheet_of(TABLE, rows, header, matched, max_rows=max_rows, readers=readers)


# Kinds whose cells repeat down a file: a few dozen codes, the organizations and residences.
_REPEATING_KINDS = frozenset({"choice", "multi", "ref"})


def _cell_reader(column: Column):
    """``parse_cell`` for one column of one file, each distinct cell of a repeating kind
    parsed once (``excel_import.memoized``)."""
    read = functools.partial(parse_cell, column)
    return excel_import.memoized(read) if column.kind in _REPEATING_KINDS else read


def parse_cell(column: Column, value) -> tuple[object, str | None]:
    """A cell as the value the service expects, or an error naming what is wrong."""
    if core_excel.is_blank(value):
        return ([] if column.kind == "multi" else None), None
    kind = column.kind
    if kind == "date":
        return excel_import.read_date(column.header, value, example="2001-07-01")
    if isinstance(value, bool) or (
        kind in ("name", "choice", "multi", "ref") and not isinstance(value, str)
    ):
        if kind == "ref" and isinstance(value, int | float) and not isinstance(value, bool):
            return core_excel.cell_text(value), None  # an organization code typed as a number
        return None, f"{column.header}格式错误：应填写文字，不能是数字、日期或逻辑值"
    if kind == "id_number" and isinstance(value, float | int) and abs(value) >= 1e15:
        return (
            None,
            "身份证号码须以文本格式填写：该单元格是数字格式，末几位已丢失，请将单元格设为文本后重新填写",
        )
    text = core_excel.cell_text(value)
    if kind == "choice":
        code, error = excel_import.read_choice(TABLE, column, value)
        if error and column.key == "ethnicity":
            return None, f"民族“{text}”不是标准民族名称，应填写如“汉族”“回族”"
        return code, error
    if kind == "multi":
        codes, bad = [], []
        for part in _MULTI_SPLIT.split(unicodedata.normalize("NFKC", text)):
            if not part:
                continue
            code = TABLE.codes[column.key].get(part)
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


def template_bytes() -> bytes:
    """The import template (``excel_import.template_bytes``): the columns, drop-down lists
    for coded columns, text format for ID and phone numbers, and a sheet of rules."""
    return excel_import.template_bytes(
        TABLE,
        sheet_name="党员信息",
        notes=[
            "1. 第一行为列名，请勿修改；可增加其他列，导入时忽略。列名不同时可在导入时指定对应关系。",
            "2. 导入前会检查整个文件，每一处错误都会列出行号、列名和原因。",
            f"3. {excel_import.MODE_NOTE}",
            "4. 同一身份证号码在文件中只能出现一次，且不能与系统中已有党员重复。",
        ],
    )


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
