from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from dangjian.core import audit, scope, tree
from dangjian.core.errors import field_error
from dangjian.core.treemodel import node_insert, node_move
from dangjian.core.validators import validate_division_code
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


def _check_fields(name: str, code: str, households: int, population: int) -> None:
    if not name or not name.strip():
        raise field_error("name", _("名称不能为空"))
    if len(name) > 100:
        raise field_error("name", _("名称不能超过100个字"))
    if code:
        validate_division_code(code)
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
    _check_fields(name, code, households, population)
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
    _check_fields(area.name, area.code, area.households, area.population)
    if "name" in changes:
        from dangjian.core.pinyin import initials

        area.name = area.name.strip()
        area.pinyin = initials(area.name)
    if "boundary" in changes:
        for k, v in _bbox(area.boundary).items():
            setattr(area, k, v)
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
