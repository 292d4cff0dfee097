"""What the three imports of the governance tree share: the columns of a sheet and their
matching, the reading of a file (``core.excel.read_rows``, the one reader, behind its guard),
the row report, the two modes, the template and the import's audit row.

A report is the member import's: ``{"created", "total", "bad_rows", "mode", "detail",
"errors": [{"row", "column", "message"}], "ignored_columns"}``; every bad cell is named by its
row as Excel numbers it and its column as the file writes it.
"""

from __future__ import annotations

import io
import re
import unicodedata
from dataclasses import dataclass, field

import xlsxwriter
from django.core.exceptions import ValidationError

from dangjian.core import audit, scope, tree
from dangjian.core import excel as core_excel

IMPORT_MODES = ("all_or_nothing", "skip_bad")
MODE_LABELS = {"all_or_nothing": "全部成功才导入", "skip_bad": "跳过错误行"}
MAX_IMPORT_BYTES = 20 * 1024 * 1024
# A whole city's tree (≈ 135,000 areas down to the units) fits in one workbook.
MAX_IMPORT_ROWS = 200_000
HEADER_ROOM = 10
LOOKUP_CHUNK = 900


def check_mode(mode: str) -> None:
    if mode not in IMPORT_MODES:
        raise ValidationError(
            {"mode": ["导入方式应为all_or_nothing（全部成功才导入）或skip_bad（跳过错误行）"]}
        )


def file_error(message: str) -> ValidationError:
    return ValidationError({"file": [message]})


def chunks(values, size: int = LOOKUP_CHUNK):
    values = list(values)
    for i in range(0, len(values), size):
        yield values[i : i + size]


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    required: bool = False
    aliases: tuple[str, ...] = ()
    help: str = ""
    example: object = ""


def normalize_header(text) -> str:
    text = unicodedata.normalize("NFKC", core_excel.cell_text(text))
    text = re.sub(r"\s+", "", text)
    text = re.sub(r"[(（]必填[)）]", "", text)
    return text.strip("*＊")


@dataclass
class Row:
    number: int
    values: dict


@dataclass
class Sheet:
    rows: list[Row]
    headers: dict  # key -> header as the file writes it
    ignored: list[str]
    columns: tuple[Column, ...] = ()

    def column_name(self, key: str) -> str:
        if key in self.headers:
            return self.headers[key]
        for c in self.columns:
            if c.key == key:
                return c.header
        return key

    def column_order(self, name: str) -> int:
        for i, c in enumerate(self.columns):
            if self.column_name(c.key) == name:
                return i
        return len(self.columns)


def parse_sheet(
    content: bytes,
    columns: tuple[Column, ...],
    *,
    hint: str,
    max_rows: int = MAX_IMPORT_ROWS,
    required_any: tuple[tuple[str, ...], ...] = (),
) -> Sheet:
    """The data rows of the first sheet, each a dict of raw cell values by column key. The
    header is the first of the first 10 rows naming at least two columns; ``hint`` names the
    columns a header should have (in the message when none is found)."""
    if not content:
        raise file_error("请上传Excel文件（.xlsx）")
    if len(content) > MAX_IMPORT_BYTES:
        raise file_error("文件不能超过20MB，请拆分后分批导入")
    try:
        rows = core_excel.read_rows(content, max_rows=max_rows + HEADER_ROOM)
    except core_excel.ExcelError as exc:
        raise file_error(exc.message) from exc
    index = {}
    for c in columns:
        for name in (c.header, *c.aliases, c.key):
            index[normalize_header(name)] = c.key
    header_at, matched = None, {}
    for row in rows[:HEADER_ROOM]:
        found: dict[int, str] = {}
        for i, cell in enumerate(row.values):
            key = index.get(normalize_header(cell))
            if key and key not in found.values():
                found[i] = key
        if len(found) >= 2:
            header_at, matched = row, found
            break
    if header_at is None:
        raise file_error(f"未找到表头行：表头应包含{hint}等列名，请使用导入模板")
    keys = set(matched.values())
    missing = [c.header for c in columns if c.required and c.key not in keys]
    for group in required_any:
        if not keys & set(group):
            missing.append("或".join(c.header for c in columns if c.key in group))
    if missing:
        raise file_error(f"缺少必填列：{'、'.join(missing)}")
    headers = {key: normalize_header(header_at.values[i]) for i, key in matched.items()}
    ignored = [
        normalize_header(v)
        for i, v in enumerate(header_at.values)
        if i not in matched and normalize_header(v)
    ]
    pairs = list(matched.items())
    parsed = [
        Row(row.number, {key: row.get(i) for i, key in pairs})
        for row in rows[header_at.number :]
        if not row.blank
    ]
    if not parsed:
        raise file_error("文件中没有数据行")
    if len(parsed) > max_rows:
        raise file_error(f"一次最多导入{max_rows}行，请拆分后分批导入")
    return Sheet(parsed, headers, ignored, columns)


# --- cells ----------------------------------------------------------------------------------


def text_of(value) -> str:
    return unicodedata.normalize("NFKC", core_excel.cell_text(value)).strip()


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


def segments(text: str) -> list[str]:
    """``"社区/网格/单元"`` (also with ``>``, ``／``) as its names."""
    return [
        p.strip()
        for p in text.replace("／", "/").replace("＞", "/").replace(">", "/").split("/")
        if p.strip()
    ]


class Problems:
    """The bad cells of an import, by row."""

    def __init__(self, sheet: Sheet):
        self.sheet = sheet
        self.items: list[dict] = []
        self.rows: set[int] = set()

    def add(self, row: int, key: str, message: str) -> None:
        self.items.append({"row": row, "column": self.sheet.column_name(key), "message": message})
        self.rows.add(row)

    def sorted(self) -> list[dict]:
        return sorted(self.items, key=lambda p: (p["row"], self.sheet.column_order(p["column"])))


# --- reach ----------------------------------------------------------------------------------


class Reach:
    """Where the actor may manage areas (``territory.manage``)."""

    def __init__(self, actor, action: str = "territory.manage"):
        self.paths = scope.reach_of(actor, action).area_paths

    def __bool__(self) -> bool:
        return bool(self.paths)

    def covers(self, path: str) -> bool:
        return any(tree.is_within(path, root) for root in self.paths)


def require_reach(actor, what: str) -> Reach:
    reach = Reach(actor)
    if not reach:
        raise scope.Forbidden(f"您没有{what}的权限")
    return reach


# --- the report -----------------------------------------------------------------------------


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
) -> dict:
    """The import's row report and its one audit row (counts, mode, the bad rows)."""
    total = len(sheet.rows)
    bad_rows = len(problems.rows)
    done = outcome.created + outcome.updated
    if bad_rows and mode == "all_or_nothing":
        detail = (
            f"共{total}行，其中{bad_rows}行有误，按“全部成功才导入”未导入任何数据，请修改后重新导入"
        )
    elif bad_rows:
        detail = f"共{total}行，导入{done}行，跳过有误的{bad_rows}行"
    else:
        detail = f"共{total}行，全部导入成功"
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
    }


# --- rows in bulk ---------------------------------------------------------------------------


def bulk_insert(model, attnames: list[str], rows: list[list]) -> None:
    """Insert ``rows`` (values in the order of ``attnames``) into ``model``'s table with one
    ``executemany`` per 5,000 rows, without a model instance per row. Every other concrete
    field (but the key) takes what a new instance would get (its default, ``auto_now``), so a
    field added to the model later is filled too. Values of text, integer and key fields go as
    they are; the others through their field's ``get_db_prep_save``."""
    from django.db import connections, router
    from django.db import models as m

    connection = connections[router.db_for_write(model)]
    meta = model._meta
    given = set(attnames)
    by_attname = {f.attname: f for f in meta.concrete_fields}
    probe = model()
    rest = [f for f in meta.concrete_fields if not f.primary_key and f.attname not in given]
    constants = [f.get_db_prep_save(f.pre_save(probe, True), connection) for f in rest]
    converters = []
    for name in attnames:
        f = by_attname[name]
        plain = isinstance(f, m.CharField | m.IntegerField | m.ForeignKey) and not isinstance(
            f, m.AutoField
        )
        converters.append(None if plain else (lambda v, f=f: f.get_db_prep_save(v, connection)))
    qn = connection.ops.quote_name
    columns = [qn(by_attname[a].column) for a in attnames] + [qn(f.column) for f in rest]
    sql = (
        f"INSERT INTO {qn(meta.db_table)} ({', '.join(columns)}) "
        f"VALUES ({', '.join(['%s'] * len(columns))})"
    )
    convert = [(i, c) for i, c in enumerate(converters) if c is not None]
    params = []
    for row in rows:
        row = list(row)
        for i, c in convert:
            row[i] = c(row[i])
        params.append((*row, *constants))
    with connection.cursor() as cursor:
        for chunk in chunks(params, 5000):
            cursor.executemany(sql, chunk)


# --- audit rows in bulk ----------------------------------------------------------------------

_AUDIT_COLUMNS = (
    "at",
    "actor_id",
    "actor_name",
    "action",
    "object_type",
    "object_id",
    "object_repr",
    "after",
    "note",
    "request_id",
    "remote_addr",
    "area_path",
    "org_path",
)


def audit_rows(actor, action: str, object_type: str, rows) -> None:
    """One audit row per written object, as ``audit.record`` writes it (nothing sealed), in one
    ``executemany``: ``rows`` of ``(object_id, object_repr, after, note, area_path)``. Each value
    goes through its field's ``get_db_prep_save`` (the JSON of ``after``, the time)."""
    from django.db import connections, router
    from django.utils import timezone

    from dangjian.core import context
    from dangjian.core.models import AuditEntry

    connection = connections[router.db_for_write(AuditEntry)]
    meta = AuditEntry._meta
    after_field, at_field = meta.get_field("after"), meta.get_field("at")
    is_user = actor is not None and getattr(actor, "is_authenticated", False)
    actor_id = actor.pk if is_user else None
    actor_name = (actor.get_username() if is_user else "")[:150]
    request_id, remote_addr = context.request_id.get(), context.remote_addr.get()
    at = at_field.get_db_prep_save(timezone.now(), connection)
    params = [
        (
            at,
            actor_id,
            actor_name,
            action,
            object_type,
            str(object_id),
            object_repr[:200],
            after_field.get_db_prep_save(after, connection),
            note[:500],
            request_id,
            remote_addr,
            area_path,
            "",
        )
        for object_id, object_repr, after, note, area_path in rows
    ]
    qn = connection.ops.quote_name
    sql = (
        f"INSERT INTO {qn(meta.db_table)} ({', '.join(qn(c) for c in _AUDIT_COLUMNS)}) "
        f"VALUES ({', '.join(['%s'] * len(_AUDIT_COLUMNS))})"
    )
    with connection.cursor() as cursor:
        for chunk in chunks(params, 5000):
            cursor.executemany(sql, chunk)


# --- the template ---------------------------------------------------------------------------


def template_bytes(
    columns: tuple[Column, ...], *, sheet_name: str, notes: list[str], examples: list[list]
) -> bytes:
    """A template: the columns (required ones in red with a star, each with a note), a few
    example rows, text format for every column, and a sheet of rules."""
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {**core_excel.WORKBOOK_OPTIONS, "in_memory": True})
    ws = book.add_worksheet(sheet_name)
    guide = book.add_worksheet("填写说明")
    head = book.add_format({"bold": True, "bg_color": "#F2DCDB", "border": 1})
    head_required = book.add_format(
        {"bold": True, "bg_color": "#F2DCDB", "border": 1, "font_color": "#C00000"}
    )
    text_fmt = book.add_format({"num_format": "@"})
    for col, c in enumerate(columns):
        ws.write_string(
            0, col, ("*" if c.required else "") + c.header, head_required if c.required else head
        )
        ws.set_column(col, col, 18, text_fmt)
        if c.help:
            ws.write_comment(0, col, c.help, {"x_scale": 2})
    for r, example in enumerate(examples, start=1):
        for col, value in enumerate(example):
            core_excel.write_cell(ws, r, col, value)
    ws.freeze_panes(1, 0)
    guide.set_column(0, 0, 16)
    guide.set_column(1, 1, 8)
    guide.set_column(2, 2, 70)
    for col, title in enumerate(("列名", "必填", "说明")):
        guide.write_string(0, col, title, head)
    for row, c in enumerate(columns, start=1):
        guide.write_row(row, 0, [c.header, "是" if c.required else "否", c.help])
    for i, note in enumerate(notes, start=len(columns) + 3):
        guide.write_string(i, 0, note)
    book.close()
    return out.getvalue()
