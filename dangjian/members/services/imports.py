"""The member registry's Excel import: validation of every row, then one bulk write."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from functools import partial

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.http import Http404
from django.utils import timezone

from dangjian.core import audit, crypto, scope, tree
from dangjian.core.auditchain import seal_after_commit
from dangjian.core.gcpause import collection_paused
from dangjian.core.pinyin import initials
from dangjian.core.validation import Errors, clean_text
from dangjian.members.models import (
    Member,
    MemberCategory,
)
from dangjian.members.services.fields import (
    _OWN_FIELD_SET,
    OWN_FIELDS,
    RESIDENCE_MIN_LEVEL,
    _is_user,
    clean_member_fields,
)
from dangjian.members.services.registry import (
    _shared_snapshot,
    _snapshot_values,
    can_manage_members_in,
    suspension_start,
)
from dangjian.organizations.models import PartyOrg
from dangjian.territory.models import Area

IMPORT_MODES = ("all_or_nothing", "skip_bad")


IMPORT_PROGRESS_EVERY = 1000


def check_import_mode(mode: str) -> None:
    if mode not in IMPORT_MODES:
        raise ValidationError(
            {"mode": ["导入方式应为all_or_nothing（全部成功才导入）或skip_bad（跳过错误行）"]}
        )


def members_import(
    *,
    actor,
    content: bytes,
    mode: str = "all_or_nothing",
    columns: dict | None = None,
    max_rows: int | None = None,
    progress=None,
    checkpoint=None,
) -> dict:
    """Import members from a spreadsheet: the whole file is checked first (reads only); then
    every good row goes in one transaction, or none when ``mode`` is all-or-nothing and any row
    is bad.

    ``max_rows``: the most data rows accepted (default ``excel.MAX_IMPORT_ROWS``, the limit of
    an import inside a request; a background import passes its own). ``progress(stage,
    rows_done, rows_total)`` is told where the import stands (stages: "check", "write").
    ``checkpoint()`` is called between the write's insert batches, inside its transaction:
    whatever it raises (a background job's cancel) rolls the whole write back, so nothing is
    half-written in either mode.

    Answers ``{"created", "errors": [{"row", "column", "message"}], "total", ...}``.
    """
    check_import_mode(mode)
    if not scope.reach_of(actor, "members.manage").org_paths:
        raise scope.Forbidden("您没有导入党员的权限")
    with collection_paused():
        return _import(actor, content, mode, columns, max_rows, progress, checkpoint)


def _import(actor, content: bytes, mode: str, columns, max_rows, progress, checkpoint) -> dict:
    from dangjian.members import excel

    sheet = excel.parse_import(content, columns or {}, max_rows=max_rows)
    rows = sheet.rows
    if progress is not None:
        progress("check", 0, len(rows))
    orgs = _import_orgs(actor, {r.values["org"] for r in rows if r.values.get("org")})
    units = _import_units(actor, {r.values["unit"] for r in rows if r.values.get("unit")})

    problems: list[dict] = []
    good: list[tuple] = []
    seen_ids: dict[str, int] = {}
    today = timezone.localdate()  # once for the whole file, not once per row
    prepared = []
    for done, row in enumerate(rows):
        if progress is not None and done and done % IMPORT_PROGRESS_EVERY == 0:
            progress("check", done, len(rows))
        errors = Errors()
        for key, message in row.errors.items():
            errors.add(key, message)
        values = {k: v for k, v in row.values.items() if k in _OWN_FIELD_SET}
        explicit = {k for k, v in values.items() if v not in (None, "", [])}
        clean, field_errors = clean_member_fields(values, explicit=explicit, today=today)
        if "id_number" in row.errors:  # an unreadable ID cell: its own message says it all
            for key in ("gender", "birth_date"):
                if not values.get(key):
                    field_errors.pop(key, None)
        for key, messages in field_errors.items():
            if key not in errors:
                errors[key] = messages
        org = _pick(errors, "org", row.values.get("org"), orgs, "党组织")
        unit = (
            _pick(errors, "unit", row.values.get("unit"), units, "居住网格单元")
            if row.values.get("unit")
            else None
        )
        if unit is not None and unit.level < RESIDENCE_MIN_LEVEL:
            errors.add("unit", "居住地须为村(社区)、网格或单元")
        index = (
            crypto.blind_index("id_number", clean["id_number"])
            if clean["id_number"] and "id_number" not in errors
            else ""
        )
        if index:
            if index in seen_ids:
                errors.add("id_number", f"与第{seen_ids[index]}行的身份证号码重复")
            else:
                seen_ids[index] = row.number
        prepared.append((row, clean, org, unit, index, errors))

    existing = {
        m.id_number_index: m
        for chunk in _chunks([p[4] for p in prepared if p[4]])
        for m in Member.objects.filter(id_number_index__in=chunk).only(
            "pk", "name", "org_id", "org_path", "user_id", "id_number_index"
        )
    }
    if existing:
        visible = {
            pk
            for chunk in _chunks([m.pk for m in existing.values()])
            for pk in Member.objects.visible_to(actor, "members.view")
            .filter(pk__in=chunk)
            .values_list("pk", flat=True)
        }
        org_names = dict(
            PartyOrg.objects.filter(pk__in={m.org_id for m in existing.values()}).values_list(
                "pk", "name"
            )
        )
    for row, clean, org, unit, index, errors in prepared:
        if index and index in existing and "id_number" not in errors:
            m = existing[index]
            errors.add(
                "id_number",
                f"该身份证号码已登记：{m.name}（{org_names.get(m.org_id)}，档案编号{m.pk}）"
                if m.pk in visible
                else "该身份证号码已在系统中登记，其档案不在您的查看范围内，请联系上级组织部门核实",
            )
        if errors:
            for key, messages in errors.items():
                for message in messages:
                    problems.append(
                        {"row": row.number, "column": sheet.column_name(key), "message": message}
                    )
        else:
            good.append((row, clean, org, unit, index))

    problems.sort(key=lambda p: (p["row"], sheet.column_order(p["column"])))
    if progress is not None:
        progress("write", len(rows), len(rows))
    with transaction.atomic():
        return _finish_import(actor, sheet, mode, good, problems, checkpoint)


def _finish_import(
    actor, sheet, mode: str, good: list[tuple], problems: list[dict], checkpoint=None
) -> dict:
    """The write of an import, in one transaction: the good rows, the visibility re-check and
    the import's audit row."""
    rows = sheet.rows
    created: list[int] = []
    if not (problems and mode == "all_or_nothing"):
        created = _write_imported(actor, good, checkpoint)
        visible_count = sum(
            Member.objects.visible_to(actor, "members.manage").filter(pk__in=chunk).count()
            for chunk in _chunks(created)
        )
        if visible_count != len(created):
            raise Http404("未找到")
    bad_rows = len({p["row"] for p in problems})
    if problems and mode == "all_or_nothing":
        detail = f"共{len(rows)}行，其中{bad_rows}行有误，按“全部成功才导入”未导入任何数据，请修改后重新导入"
    elif problems:
        detail = f"共{len(rows)}行，导入{len(created)}行，跳过有误的{bad_rows}行"
    else:
        detail = f"共{len(rows)}行，全部导入成功"
    audit.record(
        actor=actor,
        action="members.import",
        object_type="members.member",
        object_repr=f"Excel导入党员（{len(created)}/{len(rows)}）",
        note=f"{detail}；导入方式：{mode}",
        after={"created": len(created), "rows": len(rows), "bad_rows": bad_rows, "mode": mode},
    )
    return {
        "created": len(created),
        "total": len(rows),
        "bad_rows": bad_rows,
        "mode": mode,
        "detail": detail,
        "errors": problems,
        "ignored_columns": sheet.ignored,
        "created_ids": created,
    }


def _pick(errors: Errors, key: str, text, candidates: dict, what: str):
    text = clean_text(text)
    if not text:
        if key == "org":
            errors.add("org", "请填写所在党组织")
        return None
    found = candidates.get(text, [])
    if not found:
        errors.add(key, f"未找到{what}“{text}”，或不在您的管理范围内")
        return None
    if len(found) > 1:
        hint = "请改填组织代码" if key == "org" else "请写成“社区/网格/单元”的形式"
        errors.add(key, f"{what}“{text}”有重名，{hint}")
        return None
    return found[0]


IMPORT_BATCH = 2000
LOOKUP_CHUNK = 900  # values per IN (...) list: under every backend's parameter limit


def _chunks(values, size: int = LOOKUP_CHUNK):
    values = list(values)
    for i in range(0, len(values), size):
        yield values[i : i + size]


class _Insert:
    """Rows of one model written in bulk without a model instance per row (the bulk import
    writes 100,000 members, their categories and their audit rows), each value converted as
    ``bulk_create`` converts it: the field's ``get_db_prep_save``, with the plain text and key
    columns passed as they are, since that conversion leaves them unchanged. Columns not given
    take the value a new instance would get (defaults, ``auto_now``/``auto_now_add`` once for
    all rows); ``values`` holds those as Python values (for the audit snapshot).

    On PostgreSQL the rows go through ``COPY ... FROM STDIN``, with keys drawn beforehand from
    the table's sequence when they are wanted back: a parameterized ``INSERT`` of 2,000 rows
    costs the client more than the server (psycopg binds parameters into the statement's text,
    quoting each of some 46,000 values with a regular expression), while COPY's rows are
    formatted in psycopg's C code. Elsewhere a multi-row ``INSERT ... VALUES`` (``RETURNING``
    the keys, as ``bulk_create`` reads them back)."""

    def __init__(self, model, attnames: list[str], connection):
        self.model, self.connection = model, connection
        meta = model._meta
        given = set(attnames)
        fields = [f for f in meta.concrete_fields if not f.primary_key or f.attname in given]
        by_attname = {f.attname: f for f in fields}
        probe = model()
        self.values: dict = {}
        self.constants = []
        constant_fields = [f for f in fields if f.attname not in given]
        for f in constant_fields:
            value = f.pre_save(probe, True)
            self.values[f.attname] = value
            self.constants.append(f.get_db_prep_save(value, connection))
        self.converters = [self._converter(by_attname[a]) for a in attnames]
        qn = connection.ops.quote_name
        self.table, self.pk_column = meta.db_table, meta.pk.column
        self.columns = [qn(by_attname[a].column) for a in attnames]
        self.columns += [qn(f.column) for f in constant_fields]
        self.copy = connection.vendor == "postgresql"
        if self.copy:
            self.batch = IMPORT_BATCH
        else:
            self.batch = max(1, min(IMPORT_BATCH, _max_params(connection) // len(fields)))

    def _converter(self, field):
        if isinstance(field, crypto.EncryptedField) or not isinstance(
            field, models.CharField | models.ForeignKey
        ):
            if type(field) is models.DateField:
                return self.connection.ops.adapt_datefield_value
            return lambda v, f=field, c=self.connection: f.get_db_prep_save(v, c)
        return None

    def _converted(self, chunk: list[list]) -> list[tuple]:
        """The rows of ``chunk`` with each value converted, the constants appended."""
        columns = [list(c) for c in zip(*chunk, strict=True)]
        for i, convert in enumerate(self.converters):
            if convert is not None:
                columns[i] = list(map(convert, columns[i]))
        columns += [[c] * len(chunk) for c in self.constants]
        return list(zip(*columns, strict=True))

    def write(self, rows: list[list], returning: bool = False, checkpoint=None) -> list:
        """Insert ``rows`` (values in the order of ``attnames``); the new keys, in order, when
        ``returning``. ``checkpoint()`` runs before each batch after the first (it may raise
        to stop the write)."""
        if not rows:
            return []
        ids: list = []
        with self.connection.cursor() as cursor:
            keys = self._draw_keys(cursor, len(rows)) if returning and self.copy else None
            for start in range(0, len(rows), self.batch):
                if start and checkpoint is not None:
                    checkpoint()
                chunk = self._converted(rows[start : start + self.batch])
                if self.copy:
                    self._copy(cursor, chunk, keys[start : start + len(chunk)] if keys else None)
                else:
                    ids += self._insert(cursor, chunk, returning)
        if keys is not None:
            ids = keys
        if returning and len(ids) != len(rows):  # pragma: no cover - the database's promise
            raise RuntimeError("插入的行数与返回的编号数不符")
        return ids

    def _draw_keys(self, cursor, count: int) -> list[int]:
        """``count`` new keys from the table's own sequence (as ``INSERT`` would draw them)."""
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [self.connection.ops.quote_name(self.table), self.pk_column, count],
        )
        return [r[0] for r in cursor.fetchall()]

    def _copy(self, cursor, chunk: list[tuple], keys: list[int] | None) -> None:
        columns = self.columns
        if keys is not None:
            columns = [self.connection.ops.quote_name(self.pk_column), *columns]
            chunk = [(k, *row) for k, row in zip(keys, chunk, strict=True)]
        sql = f"COPY {self.connection.ops.quote_name(self.table)} ({', '.join(columns)}) FROM STDIN"
        # The raw cursor's COPY bypasses Django's wrapper: map psycopg's errors (a duplicate
        # ID number) to Django's, as ``execute`` would.
        with self.connection.wrap_database_errors, cursor.cursor.copy(sql) as copy:
            for row in chunk:
                copy.write_row(row)

    def _insert(self, cursor, chunk: list[tuple], returning: bool) -> list:
        # The driver's own placeholders on the driver's cursor: Django's SQLite cursor would
        # rewrite each of a batch's some 30,000 ``%s`` with a regular expression first.
        sqlite = self.connection.vendor == "sqlite"
        mark = "?" if sqlite else "%s"
        # Django's SQLite cursor is a subclass of the driver's: call the driver's own method.
        execute = partial(sqlite3.Cursor.execute, cursor.cursor) if sqlite else cursor.execute
        row_sql = "(" + ", ".join([mark] * len(self.columns)) + ")"
        sql = (
            f"INSERT INTO {self.connection.ops.quote_name(self.table)} "
            f"({', '.join(self.columns)}) VALUES " + ", ".join([row_sql] * len(chunk))
        )
        if returning:
            sql += f" RETURNING {self.connection.ops.quote_name(self.pk_column)}"
        params = [value for row in chunk for value in row]
        with self.connection.wrap_database_errors:  # as ``execute`` maps the driver's errors
            rows = execute(sql, params)
            return [r[0] for r in rows.fetchall()] if returning else []


def _max_params(connection) -> int:
    """The most parameters one statement may carry."""
    if connection.vendor == "sqlite":  # the compiled limit (999 is only the oldest default)
        import sqlite3

        connection.ensure_connection()
        return connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    return min(connection.features.max_query_params or 65535, 65535)


_MEMBER_COLUMNS = [f for f in OWN_FIELDS if f != "categories"] + [
    "id_number_index",
    "phone_index",
    "name_pinyin",
    "org_id",
    "org_path",
    "unit_id",
    "area_path",
    "suspended_on",
]
_AUDIT_COLUMNS = [
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
]


def _write_imported(actor, good: list[tuple], checkpoint=None) -> list[int]:
    """The good rows of an import written in bulk: the members (encrypted by the field, blind
    indexes and pinyin as ``_apply`` sets them), their categories and one audit row each
    (masked, as ``audit.record`` writes it), a few statements per thousand rows. Answers the
    new members' keys, in the order of ``good``. ``checkpoint()`` runs between the batches
    (the caller's transaction rolls everything back when it raises)."""
    from django.db import connections, router

    from dangjian.core import context
    from dangjian.core.models import AuditEntry

    connection = connections[router.db_for_write(Member)]
    # Written in the order of the organization tree, not of the file: most of a member's
    # indexes (organization, its path, residence and its path) then take new entries side by
    # side instead of all over the B-tree; on SQLite that halves the time of the insert into
    # a city's registry. The keys are answered in the order of ``good`` all the same.
    order = sorted(range(len(good)), key=lambda i: (good[i][2].path, good[i][0].number))
    good = [good[i] for i in order]
    pinyin: dict[str, str] = {}
    rows = []
    own = _MEMBER_COLUMNS[: len(OWN_FIELDS) - 1]
    for _row, clean, org, unit, index in good:
        name = clean["name"]
        if name not in pinyin:
            pinyin[name] = initials(name)
        phone = clean["phone"]
        values = [clean[f] for f in own]
        values += [
            index,
            crypto.blind_index("phone", phone) if phone else "",
            pinyin[name],
            org.pk,
            org.path,
            unit.pk if unit is not None else None,
            unit.path if unit is not None else "",
            suspension_start(clean["status"], None),
        ]
        rows.append(values)
    members = _Insert(Member, _MEMBER_COLUMNS, connection)
    try:
        # No savepoint: the error ends the whole import's transaction anyway, and on SQLite a
        # savepoint copies every page the insert touches into a journal of its own.
        with transaction.atomic(using=connection.alias, savepoint=False):
            pks = members.write(rows, returning=True, checkpoint=checkpoint)
    except IntegrityError as exc:  # a concurrent write registered one of the ID numbers
        raise ValidationError(
            {"file": ["导入期间有身份证号码已被登记，请重新导入以查看具体行"]}
        ) from exc
    if checkpoint is not None:
        checkpoint()
    categories = _Insert(MemberCategory, ["member_id", "code"], connection)
    categories.write(
        [
            [pk, code]
            for pk, (_row, clean, *_rest) in zip(pks, good, strict=True)
            for code in clean["categories"]
        ],
        checkpoint=checkpoint,
    )
    if checkpoint is not None:
        checkpoint()
    is_user = _is_user(actor)
    actor_name = (actor.get_username() if is_user else "")[:150]
    request_id, remote_addr = context.request_id.get(), context.remote_addr.get()
    shared = _shared_snapshot(members.values)
    audit_rows = []
    for pk, values, (row, clean, *_rest) in zip(pks, rows, good, strict=True):
        snap = dict(zip(_MEMBER_COLUMNS, values, strict=True))
        snap["id"] = pk
        audit_rows.append(
            [
                actor.pk if is_user else None,
                actor_name,
                "member.create",
                "members.member",
                str(pk),
                clean["name"][:200],
                _snapshot_values(snap, clean["categories"], shared),
                f"Excel导入第{row.number}行",
                request_id,
                remote_addr,
                snap["area_path"],
                snap["org_path"],
            ]
        )
    _Insert(AuditEntry, _AUDIT_COLUMNS, connection).write(audit_rows, checkpoint=checkpoint)
    seal_after_commit()
    in_file_order = [0] * len(pks)
    for position, pk in zip(order, pks, strict=True):
        in_file_order[position] = pk
    return in_file_order


def _import_orgs(actor, texts: set[str]) -> dict[str, list[PartyOrg]]:
    """Organizations named (or coded) in the file where the actor manages members."""
    if not texts:
        return {}
    out: dict[str, list[PartyOrg]] = {}
    base = (
        PartyOrg.objects.visible_to(actor, "members.manage")
        .filter(dissolved_on__isnull=True)  # a dissolved organization takes no member
        .defer("contact_phone")
    )
    seen = set()
    for chunk in _chunks(texts, LOOKUP_CHUNK // 2):
        for org in base.filter(models.Q(name__in=chunk) | models.Q(code__in=chunk)):
            if org.pk in seen or not can_manage_members_in(actor, org.path):
                continue
            seen.add(org.pk)
            for key in {org.name, org.code} & texts:
                out.setdefault(key, []).append(org)
    return out


def _unit_segments(text: str) -> list[str]:
    return [
        p.strip()
        for p in text.replace("／", "/").replace("＞", "/").replace(">", "/").split("/")
        if p.strip()
    ]


@dataclass(frozen=True)
class Place:
    """A residence matched by an import: what the import needs of an Area, without building
    a model instance for each of the many candidates a common name like "3号楼" has."""

    pk: int
    path: str
    name: str
    level: int


def _import_units(actor, texts: set[str]) -> dict[str, list[Place]]:
    """Residences named in the file: a unique name, or "社区/网格/单元" down from any level.

    One query per chunk of leaf names and one per chunk of ancestor paths; the candidates are
    indexed by (leaf name, the name before it), so each text looks at a handful of them."""
    if not texts:
        return {}
    parts = {t: _unit_segments(t) for t in texts}
    parts = {t: segs for t, segs in parts.items() if segs}
    leaves = {segs[-1] for segs in parts.values()}
    base = Area.objects.visible_to(actor, "territory.view")
    candidates = [
        Place(*row)
        for chunk in _chunks(leaves)
        for row in base.filter(name__in=chunk).values_list("pk", "path", "name", "level")
    ]
    # A candidate's ancestors are its parent's and the parent: worked out once per parent
    # (the units of one grid share them), not once per candidate.
    width = tree.STEP_WIDTH
    parents = {c.path[:-width] for c in candidates if len(c.path) > width}
    ancestor_paths = {a for p in parents for a in tree.ancestors_of(p)} | parents
    names = {
        path: name
        for chunk in _chunks(ancestor_paths)
        for path, name in Area.objects.filter(path__in=chunk).values_list("path", "name")
    }
    pairs = {(segs[-1], segs[-2]) for segs in parts.values() if len(segs) > 1}
    pair_leaves = {leaf for leaf, _above in pairs}
    chains: dict[str, tuple[list[str], set[str]]] = {}
    by_leaf: dict[str, list[Place]] = {}
    by_pair: dict[tuple[str, str], list[tuple[Place, list[str]]]] = {}
    for c in candidates:
        by_leaf.setdefault(c.name, []).append(c)
        if c.name not in pair_leaves:
            continue
        parent = c.path[:-width]
        if parent not in chains:
            chain = [names.get(p, "") for p in tree.ancestors_of(c.path)]
            chains[parent] = chain, set(chain)
        chain, chain_names = chains[parent]
        for name in chain_names:
            if (c.name, name) in pairs:
                by_pair.setdefault((c.name, name), []).append((c, chain))
    out: dict[str, list[Place]] = {}
    for text, segs in parts.items():
        if len(segs) == 1:
            found = by_leaf.get(segs[0], [])
        else:
            found = [
                c
                for c, chain in by_pair.get((segs[-1], segs[-2]), [])
                if _is_subsequence(segs[:-1], chain)
            ]
        if found:
            out[text] = found
    return out


def _is_subsequence(needles: list[str], hay: list[str]) -> bool:
    it = iter(hay)
    return all(any(n == h for h in it) for n in needles)
