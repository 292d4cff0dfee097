from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from dangjian.core import audit, scope, tree
from dangjian.core.errors import field_error
from dangjian.core.treemodel import node_insert, node_move
from dangjian.territory.codes import check_area_code, significant_prefix
from dangjian.territory.geometry import check_boundary
from dangjian.territory.models import LEVEL_OF, Area, AreaKind

# Which kinds may sit directly under which.
ALLOWED_CHILDREN = {
    None: {AreaKind.CITY},
    AreaKind.CITY: {AreaKind.COUNTY},
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


def _check_fields(name: str, households: int, population: int) -> None:
    if not name or not name.strip():
        raise field_error("name", _("名称不能为空"))
    if len(name) > 100:
        raise field_error("name", _("名称不能超过100个字"))
    if households < 0:
        raise field_error("households", _("户数不能为负数"))
    if population < 0:
        raise field_error("population", _("人口不能为负数"))


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
    if area.parent_id is None:
        raise field_error("parent", _("顶层区域不能移动"))
    if new_parent.path.startswith(area.path):
        raise field_error("parent", _("不能把区域移动到它自身或其下级之下"))
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
