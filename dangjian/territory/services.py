"""Writes of the governance tree: create, update (rename, re-code, counts), move, merge,
close and reopen. Every one is scoped by ``territory.manage`` at the node (and at the new
parent or the area merged into), audited, and refused with the field it concerns."""

from __future__ import annotations

import datetime as dt

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dangjian.core import audit, scope, tree
from dangjian.core.errors import Conflict, field_error
from dangjian.core.treemodel import node_insert, node_move, path_copies
from dangjian.core.validation import clean_free_text
from dangjian.territory.closing import blocking_reasons
from dangjian.territory.codes import check_area_code, significant_prefix
from dangjian.territory.geometry import check_boundary
from dangjian.territory.models import LEVEL_OF, Area, AreaKind

# Which kinds may sit directly under which. The root is a prefecture-level city (Putian,
# Nantong), a county-level city (Yong'an, Kaiping: townships and streets directly under it)
# or a county; a deployment may leave a level out (DOMAIN.md Structure): a city without the
# county level, a township's grids without villages, a community's units without grids.
ALLOWED_CHILDREN = {
    None: {AreaKind.CITY, AreaKind.COUNTY},
    AreaKind.CITY: {AreaKind.COUNTY, AreaKind.TOWNSHIP, AreaKind.STREET},
    AreaKind.COUNTY: {AreaKind.TOWNSHIP, AreaKind.STREET},
    AreaKind.TOWNSHIP: {AreaKind.VILLAGE, AreaKind.COMMUNITY, AreaKind.GRID},
    AreaKind.STREET: {AreaKind.COMMUNITY, AreaKind.VILLAGE, AreaKind.GRID},
    AreaKind.VILLAGE: {AreaKind.GRID, AreaKind.UNIT},
    AreaKind.COMMUNITY: {AreaKind.GRID, AreaKind.UNIT},
    AreaKind.GRID: {AreaKind.UNIT},
    AreaKind.UNIT: set(),
}


def _check_kind(parent: Area | None, kind: str) -> None:
    if kind not in AreaKind.values:
        raise field_error("kind", _("区域类型无效"))
    allowed = ALLOWED_CHILDREN[parent.kind if parent else None]
    if kind not in allowed:
        parent_label = parent.get_kind_display() if parent else _("顶层")
        raise field_error(
            "kind",
            _("%(parent)s下不能设立%(kind)s")
            % {"parent": parent_label, "kind": AreaKind(kind).label},
        )


def _ancestry(parent: Area | None) -> list[tuple[str, str]]:
    """``(kind, code)`` of ``parent`` and every area above it, root first."""
    if parent is None:
        return []
    paths = [*tree.ancestors_of(parent.path), parent.path]
    rows = {
        path: (kind, code)
        for path, kind, code in Area.objects.filter(path__in=paths).values_list(
            "path", "kind", "code"
        )
    }
    return [rows[p] for p in paths if p in rows]


def _check_code(area: Area, ancestors: list[tuple[str, str]], field: str = "code") -> None:
    """The area's own code against its kind, name and ancestors; then every coded area below
    it against the prefix they must share (the area's, or its nearest coded ancestor's)."""
    try:
        check_area_code(kind=area.kind, code=area.code, name=area.name, ancestors=ancestors)
    except ValidationError as exc:
        if field == "code":
            raise
        raise field_error(field, exc.message_dict["code"][0]) from exc  # the field changed
    if area.pk is None:
        return
    chain = [*ancestors, (area.kind, area.code)]
    coded = [(k, c) for k, c in chain if c]
    if not coded:
        return
    prefix = significant_prefix(*coded[-1])
    below = (
        Area.objects.filter(tree.subtree_q("path", area.path))
        .exclude(pk=area.pk)
        .exclude(code="")
        .exclude(code__startswith=prefix)
        .order_by("path")
        .first()
    )
    if below is not None:
        raise field_error(
            field,
            _("下级区域“%(name)s”的区划代码%(code)s不以%(prefix)s开头，请先修改下级区域的区划代码")
            % {"name": below.name, "code": below.code, "prefix": prefix},
        )


MAX_COUNT = 100_000_000


def _check_fields(name: str, households: int, population: int) -> None:
    if not name or not name.strip():
        raise field_error("name", _("名称不能为空"))
    if len(name) > 100:
        raise field_error("name", _("名称不能超过100个字"))
    if households < 0:
        raise field_error("households", _("户数不能为负数"))
    if population < 0:
        raise field_error("population", _("人口不能为负数"))
    # The columns are 32-bit on PostgreSQL: a larger number was a 500 there (issue 19 fuzzing).
    if households > MAX_COUNT:
        raise field_error("households", _("户数不能超过1亿"))
    if population > MAX_COUNT:
        raise field_error("population", _("人口不能超过1亿"))


@transaction.atomic
def area_create(
    *,
    actor,
    parent: Area | None,
    name: str,
    kind: str,
    code: str = "",
    households: int = 0,
    population: int = 0,
    boundary: dict | None = None,
) -> Area:
    if parent is not None:
        parent = scope.get_visible(
            Area, actor, "territory.manage", view_action="territory.view", pk=parent.pk
        )
        _check_open(parent, "parent")
    elif actor is not None:
        # Nobody's reach covers a new root: the root is written when the deployment is set
        # up (a command, ``actor=None``), then the system administrator is granted on it.
        raise field_error("parent", _("请选择上级区域（顶层区域在部署时初始化）"))
    _check_kind(parent, kind)
    _check_fields(name, households, population)
    check_area_code(kind=kind, code=code, name=name.strip(), ancestors=_ancestry(parent))
    check_boundary(boundary, parent=parent)
    try:
        area = node_insert(
            Area,
            parent=parent,
            name=name.strip(),
            kind=kind,
            level=LEVEL_OF[AreaKind(kind)],
            code=code,
            households=households,
            population=population,
            boundary=boundary,
            **_bbox(boundary),
        )
    except tree.TreeError as exc:
        raise field_error("parent", str(exc)) from exc
    if actor is not None:
        scope.assert_visible(area, actor, "territory.manage")
    audit.record(actor=actor, action="area.create", obj=area, after=audit.snapshot(area))
    return area


@transaction.atomic
def area_update(*, actor, area: Area, **changes) -> Area:
    area = scope.get_visible(
        Area.objects.select_for_update(),
        actor,
        "territory.manage",
        view_action="territory.view",
        pk=area.pk,
    )
    _refuse_closed(area)
    before = audit.snapshot(area)
    allowed = {"name", "code", "households", "population", "boundary"}
    unknown = set(changes) - allowed
    if unknown:
        raise field_error(sorted(unknown)[0], _("该字段不可修改"))
    for key, value in changes.items():
        setattr(area, key, value)
    _check_fields(area.name, area.households, area.population)
    if "name" in changes:
        from dangjian.core.pinyin import initials

        area.name = area.name.strip()
        area.pinyin = initials(area.name)
    if "boundary" in changes:
        check_boundary(area.boundary, parent=area.parent)
        for k, v in _bbox(area.boundary).items():
            setattr(area, k, v)
    if "code" in changes or "name" in changes:  # a town's name decides its code range
        area.code = area.code or ""
        _check_code(area, _ancestry(area.parent), field="code" if "code" in changes else "name")
    area.save()
    changed_before, changed_after = audit.diff(before, audit.snapshot(area))
    audit.record(
        actor=actor, action="area.update", obj=area, before=changed_before, after=changed_after
    )
    return area


@transaction.atomic
def area_move(*, actor, area: Area, new_parent: Area) -> Area:
    area = scope.get_visible(
        Area, actor, "territory.manage", view_action="territory.view", pk=area.pk
    )
    new_parent = scope.get_visible(
        Area, actor, "territory.manage", view_action="territory.view", pk=new_parent.pk
    )
    _refuse_closed(area)
    if area.parent_id is None:
        raise field_error("parent", _("顶层区域不能移动"))
    if new_parent.path.startswith(area.path):
        raise field_error("parent", _("不能把区域移动到它自身或其下级之下"))
    _check_open(new_parent, "parent")
    try:
        _check_kind(new_parent, area.kind)
    except ValidationError as exc:
        # A move chooses the parent, not the kind: name the field the user picked.
        raise field_error("parent", exc.message_dict["kind"][0]) from exc
    _check_code(area, _ancestry(new_parent), field="parent")
    try:
        old, new = node_move(area, new_parent, tree_name="area")
    except tree.TreeError as exc:
        raise field_error("parent", str(exc)) from exc
    area.refresh_from_db()
    scope.assert_visible(area, actor, "territory.view")
    audit.record(
        actor=actor,
        action="area.move",
        obj=area,
        before={"path": old},
        after={"path": new, "parent_id": new_parent.pk},
    )
    return area


def _check_open(area: Area, field: str) -> None:
    """A closed area takes no new children and no new rows (422 on ``field``)."""
    if area.closed_on is not None:
        raise field_error(
            field,
            _("区域“%(name)s”已于%(date)s撤销，不能再接收下级区域或新的记录")
            % {"name": area.name, "date": area.closed_on.isoformat()},
        )


def _refuse_closed(area: Area) -> None:
    if area.closed_on is not None:
        raise Conflict(
            _("区域“%(name)s”已于%(date)s撤销，请先恢复")
            % {"name": area.name, "date": area.closed_on.isoformat()}
        )


def area_assert_open(area: Area, field: str = "area") -> None:
    """For the apps that write rows into an area (a residence, an event, a household): a
    closed area receives none (422 on ``field``)."""
    _check_open(area, field)


def _manageable(actor, pk: int, *, lock: bool = True) -> Area:
    qs = Area.objects.select_for_update() if lock else Area.objects.all()
    return scope.get_visible(qs, actor, "territory.manage", view_action="territory.view", pk=pk)


# Foreign keys to an area that a merge leaves where they are: the merged area's own links
# (parent, merged_into) and the grants on it (re-pointing a grant would widen a user's reach
# to the whole of the area merged into; grants are given again, on purpose, by someone who
# holds that reach). By label, since territory sits below accounts.
MERGE_KEEPS = {
    ("territory.area", "parent"),
    ("territory.area", "merged_into"),
    ("accounts.grant", "area"),
}


def _area_foreign_keys() -> list[tuple[type[models.Model], str]]:
    """Every foreign key to Area in the project, but those in ``MERGE_KEEPS``."""
    out = []
    for model in apps.get_models():
        for f in model._meta.concrete_fields:
            if (
                isinstance(f, models.ForeignKey)
                and f.remote_field.model is Area
                and (model._meta.label_lower, f.name) not in MERGE_KEEPS
            ):
                out.append((model, f.attname))
    return out


@transaction.atomic
def area_merge(*, actor, area: Area, into: Area, reason: str = "") -> Area:
    """Merge ``area`` (B) into ``into`` (A), both of one kind: B's children move under A
    (their subtrees re-pathed like a move), every row at B itself (its path in a copy, or a
    foreign key to it: residences, events, households, departments, accounts' offices,
    organizations anchored there) is re-pointed to A, B's households and population are
    added to A's, and B is closed with ``merged_into`` = A. Grants on B stay on B. Refused
    (422, field ``into``) across kinds, into itself or its own subtree, into a closed area."""
    b = _manageable(actor, area.pk)
    a = _manageable(actor, into.pk)
    _refuse_closed(b)
    if a.pk == b.pk:
        raise field_error("into", _("不能把区域并入它自身"))
    if b.parent_id is None:
        raise field_error("into", _("顶层区域不能并入其他区域"))
    if a.path.startswith(b.path):
        raise field_error("into", _("不能把区域并入它自身的下级区域"))
    if a.kind != b.kind:
        raise field_error(
            "into",
            _("只能并入同类区域：“%(b)s”是%(bk)s，“%(a)s”是%(ak)s")
            % {"b": b.name, "bk": b.get_kind_display(), "a": a.name, "ak": a.get_kind_display()},
        )
    _check_open(a, "into")
    reason = (reason or "").strip()
    if len(reason) > 200:
        raise field_error("reason", _("原因不能超过200个字"))
    children = list(Area.objects.filter(parent_id=b.pk).order_by("path"))
    ancestry = _ancestry(a)
    for child in children:
        _check_code(child, ancestry, field="into")
    before_b, before_a = audit.snapshot(b), audit.snapshot(a)
    moved = []
    for child in children:
        try:
            old, new = node_move(child, a, tree_name="area")
        except tree.TreeError as exc:
            raise field_error("into", str(exc)) from exc
        moved.append({"id": child.pk, "name": child.name, "from": old, "to": new})
    rows = {}
    try:
        with transaction.atomic():
            for model, field in path_copies("area"):
                n = model._base_manager.filter(**{field: b.path}).update(**{field: a.path})
                if n:
                    rows[f"{model._meta.label_lower}.{field}"] = n
            for model, attname in _area_foreign_keys():
                n = model._base_manager.filter(**{attname: b.pk}).update(**{attname: a.pk})
                if n:
                    key = f"{model._meta.label_lower}.{attname}"
                    rows[key] = max(rows.get(key, 0), n)
    except IntegrityError as exc:
        raise Conflict(
            _("“%(b)s”的记录与“%(a)s”已有的记录重复（如同名的职能部门），请先处理后再合并")
            % {"b": b.name, "a": a.name}
        ) from exc
    Area.objects.filter(pk=a.pk).update(
        households=models.F("households") + b.households,
        population=models.F("population") + b.population,
    )
    b.refresh_from_db()
    b.households = b.population = 0
    b.closed_on = timezone.localdate()
    b.closed_reason = reason or (_("并入%(name)s") % {"name": a.name})[:200]
    b.merged_into = a
    b.save()
    a.refresh_from_db()
    scope.assert_visible(a, actor, "territory.manage")
    audit.record(
        actor=actor,
        action="area.merge",
        obj=b,
        before=audit.diff(before_b, audit.snapshot(b))[0],
        after={
            **audit.diff(before_b, audit.snapshot(b))[1],
            "children_moved": moved,
            "rows_repointed": rows,
        },
    )
    audit.record(
        actor=actor,
        action="area.merge_in",
        obj=a,
        before=audit.diff(before_a, audit.snapshot(a))[0],
        after={**audit.diff(before_a, audit.snapshot(a))[1], "merged_id": b.pk},
    )
    return a


@transaction.atomic
def area_close(*, actor, area: Area, reason: str, closed_on: dt.date | None = None) -> Area:
    """Close (撤销) an area: it stays for history. Refused (409) while it has open children,
    open events, living members or open organizations, naming each with its count."""
    area = _manageable(actor, area.pk)
    _refuse_closed(area)
    # Control characters (a NUL byte was a 500 on PostgreSQL) removed, numbers masked.
    reason = clean_free_text(reason)
    if not reason:
        raise field_error("reason", _("请填写撤销原因"))
    if len(reason) > 200:
        raise field_error("reason", _("撤销原因不能超过200个字"))
    today = timezone.localdate()
    closed_on = closed_on or today
    if closed_on > today:
        raise field_error("closed_on", _("撤销日期不能晚于今天"))
    if area.parent_id is None:
        raise Conflict(_("顶层区域不能撤销"))
    reasons = []
    open_children = Area.objects.filter(parent_id=area.pk, closed_on__isnull=True).count()
    if open_children:
        reasons.append(_("未撤销的下级区域%(n)d个") % {"n": open_children})
    reasons += blocking_reasons(area.path)
    if reasons:
        raise Conflict(
            _("“%(name)s”尚有%(what)s，不能撤销") % {"name": area.name, "what": "、".join(reasons)}
        )
    before = audit.snapshot(area)
    area.closed_on, area.closed_reason = closed_on, reason
    area.save(update_fields=["closed_on", "closed_reason", "updated_at"])
    changed_before, changed_after = audit.diff(before, audit.snapshot(area))
    audit.record(
        actor=actor, action="area.close", obj=area, before=changed_before, after=changed_after
    )
    return area


@transaction.atomic
def area_reopen(*, actor, area: Area) -> Area:
    """Reopen a closed area; refused (409) when it was merged into another one or its parent
    is closed too."""
    area = _manageable(actor, area.pk)
    if area.closed_on is None:
        raise Conflict(_("区域“%(name)s”未撤销") % {"name": area.name})
    if area.merged_into_id:
        raise Conflict(
            _("区域“%(name)s”已并入“%(into)s”，不能恢复")
            % {"name": area.name, "into": area.merged_into.name}
        )
    parent = area.parent
    if parent is not None and parent.closed_on is not None:
        raise Conflict(_("上级区域“%(name)s”已撤销，请先恢复上级区域") % {"name": parent.name})
    before = audit.snapshot(area)
    area.closed_on, area.closed_reason = None, ""
    area.save(update_fields=["closed_on", "closed_reason", "updated_at"])
    changed_before, changed_after = audit.diff(before, audit.snapshot(area))
    audit.record(
        actor=actor, action="area.reopen", obj=area, before=changed_before, after=changed_after
    )
    return area


def _bbox(boundary: dict | None) -> dict:
    """Bounding box of a GeoJSON Polygon or MultiPolygon."""
    if not boundary:
        return {"min_lng": None, "min_lat": None, "max_lng": None, "max_lat": None}
    try:
        coords = boundary["coordinates"]
        if boundary.get("type") == "Polygon":
            points = [p for ring in coords for p in ring]
        elif boundary.get("type") == "MultiPolygon":
            points = [p for poly in coords for ring in poly for p in ring]
        else:
            raise ValueError
        lngs = [float(p[0]) for p in points]
        lats = [float(p[1]) for p in points]
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        raise field_error("boundary", _("边界必须是GeoJSON多边形")) from exc
    if not points:
        raise field_error("boundary", _("边界不能为空"))
    return {"min_lng": min(lngs), "min_lat": min(lats), "max_lng": max(lngs), "max_lat": max(lats)}
