"""What the three imports of the governance tree share beside ``core.excel_import`` (the
columns, their matching, the cells, the row report, the template): the limits, the reach, the
import's audit row and the writes in bulk.

A report is the member import's: ``{"created", "total", "bad_rows", "mode", "detail",
"errors": [{"row", "column", "message"}], "ignored_columns"}``; every bad cell is named by its
row as Excel numbers it and its column as the file writes it.
"""

from __future__ import annotations

from dangjian.core import excel_import, scope, tree
from dangjian.core.excel_import import (  # noqa: F401 - the imports' names
    MODE_LABELS,
    Column,
    Outcome,
    Problems,
    Sheet,
    Table,
    check_mode,
    count_of,
    file_error,
    report,
    text_of,
)

MAX_IMPORT_BYTES = 20 * 1024 * 1024
# A whole city's tree (≈ 135,000 areas down to the units) fits in one workbook.
MAX_IMPORT_ROWS = 200_000
LOOKUP_CHUNK = 900


def chunks(values, size: int = LOOKUP_CHUNK):
    values = list(values)
    for i in range(0, len(values), size):
        yield values[i : i + size]


Row = excel_import.ParsedRow


def parse_sheet(
    content: bytes,
    columns: tuple[Column, ...],
    *,
    hint: str,
    max_rows: int = MAX_IMPORT_ROWS,
    required_any: tuple[tuple[str, ...], ...] = (),
) -> Sheet:
    """The data rows of the first sheet, each a dict of raw cell values by column key
    (``excel_import.parse_sheet``); ``hint`` names the columns a header should have."""
    return excel_import.parse_sheet(
        content,
        Table(columns),
        hint=hint,
        max_rows=max_rows,
        max_bytes=MAX_IMPORT_BYTES,
        empty="请上传Excel文件（.xlsx）",
        required_any=required_any,
    )


def segments(text: str) -> list[str]:
    """``"社区/网格/单元"`` (also with ``>``, ``／``) as its names."""
    return [
        p.strip()
        for p in text.replace("／", "/").replace("＞", "/").replace(">", "/").split("/")
        if p.strip()
    ]


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


def template_bytes(
    columns: tuple[Column, ...], *, sheet_name: str, notes: list[str], examples: list[list]
) -> bytes:
    """A template (``excel_import.template_bytes``) with a few example rows."""
    return excel_import.template_bytes(
        Table(columns), sheet_name=sheet_name, notes=notes, examples=examples
    )
