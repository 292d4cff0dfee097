"""The party tree's Excel import: each row goes through ``services.org_create`` (the same
checks as an organization typed in), top-down, so a row may name as its parent an
organization of an earlier row.

All or nothing (``all_or_nothing``): one transaction; any bad row and nothing is written.
Skip the bad rows (``skip_bad``): each row in a savepoint; the good ones stay. Either way the
answer reports every bad row with its column and reason, and the import leaves one audit row
of its own beside the rows' ``org.create``.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import Http404

from dangjian.core import audit, scope
from dangjian.core.errors import Conflict
from dangjian.core.validation import clean_text
from dangjian.organizations import excel, services
from dangjian.organizations.models import PartyOrg
from dangjian.territory.models import Area, AreaKind

IMPORT_MODES = ("all_or_nothing", "skip_bad")
MANAGE = "organizations.manage"

# A service's error keys → the import's columns.
_KEY_COLUMN = {
    "parent": "parent",
    "area": "area",
    "credit_code_override_reason": "credit_code",
    "form": "form",
    "kind": "kind",
}


class _Rollback(Exception):
    pass


def check_import_mode(mode: str) -> None:
    if mode not in IMPORT_MODES:
        raise ValidationError(
            {"mode": ["导入方式应为all_or_nothing（全部成功才导入）或skip_bad（跳过错误行）"]}
        )


def _chunks(values, size: int = 900):
    values = sorted(values)
    for i in range(0, len(values), size):
        yield values[i : i + size]


def _index(rows, *keys) -> dict[str, list]:
    out: dict[str, list] = {}
    for row in rows:
        for key in keys:
            value = getattr(row, key)
            if value:
                out.setdefault(value, []).append(row)
    return out


class _Lookup:
    """Parents and areas named in the file, among what the actor can see (and what the file
    has created so far)."""

    def __init__(self, actor, sheet: excel.ParsedSheet):
        parents = {r.values.get("parent") for r in sheet.rows if r.values.get("parent")}
        orgs = (
            PartyOrg.objects.visible_to(actor, "organizations.view")
            .filter(dissolved_on__isnull=True)
            .only("pk", "name", "code", "path")
        )
        found = {
            o.pk: o
            for chunk in _chunks(parents)
            for o in orgs.filter(Q(name__in=chunk) | Q(code__in=chunk))
        }
        self.orgs = _index(found.values(), "name", "code")
        names: set[str] = set()
        for r in sheet.rows:
            text = r.values.get("area") or ""
            names.update(p.strip() for p in text.split("/") if p.strip())
            names.update(r.values.get("villages") or [])
        areas = Area.objects.visible_to(actor, "territory.view").only(
            "pk", "name", "code", "kind", "path", "parent_id"
        )
        seen = {
            a.pk: a
            for chunk in _chunks(names)
            for a in areas.filter(Q(name__in=chunk) | Q(code__in=chunk))
        }
        self.by_name = _index(seen.values(), "name")
        self.by_code = _index(seen.values(), "code")

    def parent(self, text: str):
        found = self.orgs.get(text, [])
        if not found:
            raise ValueError(f"未找到上级党组织“{text}”，或不在您的管理范围内")
        if len(found) > 1:
            raise ValueError(f"上级党组织“{text}”有重名，请改填组织代码")
        return found[0]

    def add_org(self, org: PartyOrg) -> None:
        self.orgs.setdefault(org.name, []).append(org)
        if org.code:
            self.orgs.setdefault(org.code, []).append(org)

    def area(self, text: str) -> Area:
        parts = [p.strip() for p in text.split("/") if p.strip()]
        if len(parts) == 1 and parts[0] in self.by_code:
            found = self.by_code[parts[0]]
        else:
            found = self.by_name.get(parts[-1], []) if parts else []
            if len(parts) > 1:
                above = {a.pk for a in self.by_name.get(parts[-2], [])}
                found = [a for a in found if a.parent_id in above]
        if not found:
            raise ValueError(f"未找到区域“{text}”，或不在您的查看范围内")
        if len(found) > 1:
            raise ValueError(f"区域“{text}”有重名，请写成“社区/网格”的形式或填写区划代码")
        return found[0]

    def villages(self, names: list[str]) -> list[int]:
        out = []
        for name in names:
            found = [a for a in self.by_name.get(name, []) if a.kind == AreaKind.VILLAGE]
            if not found:
                raise ValueError(f"未找到村“{name}”，或不在您的查看范围内")
            if len(found) > 1:
                raise ValueError(f"村“{name}”有重名")
            out.append(found[0].pk)
        return out


def _row_args(row, lookup: _Lookup, problems: list) -> dict | None:
    v = row.values
    errors = dict(row.errors)
    args: dict = {}
    try:
        args["parent"] = lookup.parent(v["parent"]) if v.get("parent") else None
    except ValueError as exc:
        errors.setdefault("parent", str(exc))
    try:
        args["area"] = lookup.area(v["area"]) if v.get("area") else None
    except ValueError as exc:
        errors.setdefault("area", str(exc))
    if v.get("area") is None and "area" not in errors:
        errors["area"] = "请填写所在区域"
    for key in ("name", "kind", "domain"):
        if not v.get(key) and key not in errors:
            errors[key] = f"请填写{excel.COLUMN_BY_KEY[key].header}"
    if v.get("villages"):
        try:
            args["villages"] = lookup.villages(v["villages"])
        except ValueError as exc:
            errors.setdefault("villages", str(exc))
    if errors:
        problems.extend((row.number, key, message) for key, message in errors.items())
        return None
    for key in (
        "name",
        "kind",
        "form",
        "domain",
        "code",
        "credit_code",
        "contact_phone",
        "established_on",
        "term_years",
        "founding_full_members",
        "project_name",
        "ends_on",
        "joint_units",
    ):
        value = v.get(key)
        if value is not None:
            args[key] = clean_text(value) if isinstance(value, str) else value
    return args


def _create(actor, row, args: dict, lookup: _Lookup, problems: list) -> PartyOrg | None:
    try:
        with transaction.atomic():
            org = services.org_create(actor=actor, **args)
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):
            for key, messages in exc.message_dict.items():
                column = _KEY_COLUMN.get(key, key)
                for message in messages:
                    problems.append((row.number, column, message))
        else:
            problems.extend((row.number, "", m) for m in exc.messages)
        return None
    except Http404:
        problems.append((row.number, "parent", "上级党组织或所在区域不在您的管理范围内"))
        return None
    except scope.Forbidden:
        problems.append((row.number, "parent", "您没有在该上级党组织下设立组织的权限"))
        return None
    except Conflict as exc:
        problems.append((row.number, "parent", exc.message))
        return None
    lookup.add_org(org)
    return org


def orgs_import(*, actor, content: bytes, mode: str = "all_or_nothing") -> dict:
    """Import organizations from a spreadsheet (``excel.COLUMNS``). Answers
    ``{"created", "total", "bad_rows", "mode", "detail", "errors": [{"row", "column",
    "message"}], "ignored_columns", "created_ids"}``."""
    check_import_mode(mode)
    reach = scope.reach_of(actor, MANAGE)
    if not (reach.org_paths or reach.area_paths):
        raise scope.Forbidden("您没有导入党组织的权限")
    sheet = excel.parse_import(content)
    problems: list[tuple] = []
    created: list[PartyOrg] = []
    try:
        with transaction.atomic():
            lookup = _Lookup(actor, sheet)
            for row in sheet.rows:
                args = _row_args(row, lookup, problems)
                if args is not None:
                    org = _create(actor, row, args, lookup, problems)
                    if org is not None:
                        created.append(org)
            if problems and mode == "all_or_nothing":
                raise _Rollback
    except _Rollback:
        created = []
    rows = sheet.rows
    bad_rows = len({p[0] for p in problems})
    if problems and mode == "all_or_nothing":
        detail = (
            f"共{len(rows)}行，其中{bad_rows}行有误，按“全部成功才导入”未导入任何数据，"
            "请修改后重新导入"
        )
    elif problems:
        detail = f"共{len(rows)}行，导入{len(created)}行，跳过有误的{bad_rows}行"
    else:
        detail = f"共{len(rows)}行，全部导入成功"
    audit.record(
        actor=actor,
        action="orgs.import",
        object_type="organizations.partyorg",
        object_repr=f"Excel导入党组织（{len(created)}/{len(rows)}）",
        note=f"{detail}；导入方式：{mode}",
        after={"created": len(created), "rows": len(rows), "bad_rows": bad_rows, "mode": mode},
    )
    errors = [
        {"row": number, "column": sheet.column_name(key) if key else "—", "message": message}
        for number, key, message in problems
    ]
    errors.sort(key=lambda p: (p["row"], sheet.column_order(p["column"])))
    return {
        "created": len(created),
        "total": len(rows),
        "bad_rows": bad_rows,
        "mode": mode,
        "detail": detail,
        "errors": errors,
        "ignored_columns": sheet.ignored,
        "created_ids": [o.pk for o in created],
    }
