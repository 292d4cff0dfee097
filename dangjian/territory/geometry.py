"""Boundaries of areas: GeoJSON polygons checked before they are stored.

``check_boundary`` is the one check, used by ``territory.services`` (area_create, area_update)
and by the boundary import (``territory.imports.boundaries``). A boundary must be:

- a GeoJSON ``Polygon`` or ``MultiPolygon`` (a ``Feature`` is unwrapped to its geometry);
- every ring closed (its last point equals its first) with at least 4 points;
- every coordinate a pair of numbers ``[lng, lat]`` within China's box
  (lng 73–136, lat 3–54);
- no ring crossing itself (a pure-Python check of every pair of segments, cheap enough for the
  few hundred points a grid's boundary has; skipped above ``MAX_CROSSING_POINTS`` points);
- inside the parent's boundary when the parent has one: every vertex inside (or on the edge of)
  one of the parent's polygons, by ray casting.

Errors are field errors on ``boundary`` (or the field the caller names) in Chinese, naming the
ring and the point.
"""

from __future__ import annotations

import math

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from dangjian.core.errors import field_error

# China's extent with a margin (lng, lat): 73.5–135.1 E, 3.8–53.6 N.
LNG_RANGE = (73.0, 136.0)
LAT_RANGE = (3.0, 54.0)
MIN_RING_POINTS = 4
MAX_POINTS = 20_000
# The self-intersection check is O(n²) per ring: skipped above this many points in one ring.
MAX_CROSSING_POINTS = 2_000

Point = tuple[float, float]
Ring = list[Point]


def _error(field: str, message: str) -> ValidationError:
    return field_error(field, message, code="boundary")


def polygons_of(boundary: dict, field: str = "boundary") -> list[list[Ring]]:
    """The polygons (each a list of rings, the outer ring first) of a GeoJSON Polygon or
    MultiPolygon, every point a ``(lng, lat)`` of floats; refuses anything else."""
    if not isinstance(boundary, dict):
        raise _error(field, _("边界必须是GeoJSON多边形（Polygon或MultiPolygon）"))
    if boundary.get("type") == "Feature":
        boundary = boundary.get("geometry") or {}
    kind = boundary.get("type") if isinstance(boundary, dict) else None
    coords = boundary.get("coordinates") if isinstance(boundary, dict) else None
    if kind not in ("Polygon", "MultiPolygon"):
        raise _error(
            field,
            _("边界类型应为Polygon或MultiPolygon，不能是“%(kind)s”") % {"kind": kind or _("空")},
        )
    if not isinstance(coords, list) or not coords:
        raise _error(field, _("边界缺少坐标（coordinates）"))
    raw_polygons = coords if kind == "MultiPolygon" else [coords]
    polygons: list[list[Ring]] = []
    count = 0
    for pi, raw in enumerate(raw_polygons, start=1):
        where_poly = _("第%(n)d个多边形") % {"n": pi} if kind == "MultiPolygon" else ""
        if not isinstance(raw, list) or not raw:
            raise _error(field, _("%(where)s边界缺少坐标环") % {"where": where_poly})
        rings: list[Ring] = []
        for ri, ring in enumerate(raw, start=1):
            where = where_poly + (_("外环") if ri == 1 else _("第%(n)d个内环") % {"n": ri - 1})
            rings.append(_ring(ring, where, field))
            count += len(rings[-1])
            if count > MAX_POINTS:
                raise _error(
                    field, _("边界的点数超过%(max)d个，请简化后再导入") % {"max": MAX_POINTS}
                )
        polygons.append(rings)
    return polygons


def _ring(ring, where: str, field: str) -> Ring:
    if not isinstance(ring, list):
        raise _error(field, _("%(where)s应为坐标点的列表") % {"where": where})
    points: Ring = []
    for i, p in enumerate(ring, start=1):
        if (
            not isinstance(p, list | tuple)
            or len(p) < 2
            or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in p[:2])
            or not all(math.isfinite(v) for v in p[:2])
        ):
            raise _error(
                field,
                _("%(where)s第%(n)d个点的坐标应为[经度, 纬度]两个数字") % {"where": where, "n": i},
            )
        lng, lat = float(p[0]), float(p[1])
        if not (LNG_RANGE[0] <= lng <= LNG_RANGE[1] and LAT_RANGE[0] <= lat <= LAT_RANGE[1]):
            raise _error(
                field,
                _(
                    "%(where)s第%(n)d个点（%(lng)s, %(lat)s）不在中国境内的经纬度范围"
                    "（经度73至136，纬度3至54），请检查经纬度是否写反"
                )
                % {"where": where, "n": i, "lng": p[0], "lat": p[1]},
            )
        points.append((lng, lat))
    if len(points) < MIN_RING_POINTS:
        raise _error(
            field,
            _("%(where)s至少需要%(min)d个点（首尾相同），现有%(n)d个")
            % {"where": where, "min": MIN_RING_POINTS, "n": len(points)},
        )
    if points[0] != points[-1]:
        raise _error(
            field,
            _("%(where)s未闭合：最后一个点应与第一个点相同") % {"where": where},
        )
    if len(set(points[:-1])) < MIN_RING_POINTS - 1:
        raise _error(field, _("%(where)s至少需要3个不同的点") % {"where": where})
    if len(points) <= MAX_CROSSING_POINTS:
        crossing = _self_crossing(points)
        if crossing is not None:
            raise _error(
                field,
                _("%(where)s自相交：第%(a)d条边与第%(b)d条边交叉")
                % {"where": where, "a": crossing[0], "b": crossing[1]},
            )
    return points


def _orient(a: Point, b: Point, c: Point) -> float:
    return (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])


def _on_segment(a: Point, b: Point, c: Point) -> bool:
    return min(a[0], b[0]) <= c[0] <= max(a[0], b[0]) and min(a[1], b[1]) <= c[1] <= max(a[1], b[1])


def _segments_cross(p1: Point, p2: Point, p3: Point, p4: Point) -> bool:
    d1, d2 = _orient(p3, p4, p1), _orient(p3, p4, p2)
    d3, d4 = _orient(p1, p2, p3), _orient(p1, p2, p4)
    if ((d1 > 0 > d2) or (d1 < 0 < d2)) and ((d3 > 0 > d4) or (d3 < 0 < d4)):
        return True
    return (
        (d1 == 0 and _on_segment(p3, p4, p1))
        or (d2 == 0 and _on_segment(p3, p4, p2))
        or (d3 == 0 and _on_segment(p1, p2, p3))
        or (d4 == 0 and _on_segment(p1, p2, p4))
    )


def _self_crossing(ring: Ring) -> tuple[int, int] | None:
    """The first two non-adjacent edges (1-based) of a closed ring that touch, or None."""
    n = len(ring) - 1  # edges
    boxes = [
        (
            min(ring[i][0], ring[i + 1][0]),
            max(ring[i][0], ring[i + 1][0]),
            min(ring[i][1], ring[i + 1][1]),
            max(ring[i][1], ring[i + 1][1]),
        )
        for i in range(n)
    ]
    for i in range(n):
        bi = boxes[i]
        for j in range(i + 2, n):
            if i == 0 and j == n - 1:  # the first and last edges share the closing point
                continue
            bj = boxes[j]
            if bj[0] > bi[1] or bj[1] < bi[0] or bj[2] > bi[3] or bj[3] < bi[2]:
                continue
            if _segments_cross(ring[i], ring[i + 1], ring[j], ring[j + 1]):
                return i + 1, j + 1
    return None


def _in_ring(point: Point, ring: Ring) -> bool | None:
    """Ray casting: True inside, False outside, None on the ring itself."""
    x, y = point
    inside = False
    for i in range(len(ring) - 1):
        a, b = ring[i], ring[i + 1]
        if _orient(a, b, point) == 0 and _on_segment(a, b, point):
            return None
        if (a[1] > y) != (b[1] > y):
            cross_x = a[0] + (y - a[1]) * (b[0] - a[0]) / (b[1] - a[1])
            if x < cross_x:
                inside = not inside
    return inside


def point_in_polygons(point: Point, polygons: list[list[Ring]]) -> bool:
    """Whether ``point`` lies inside (or on the edge of) one of ``polygons`` and outside its
    holes."""
    for rings in polygons:
        outer = _in_ring(point, rings[0])
        if outer is False:
            continue
        if outer is None:
            return True
        if not any(_in_ring(point, hole) is True for hole in rings[1:]):
            return True
    return False


def bbox(polygons: list[list[Ring]]) -> dict:
    lngs = [p[0] for rings in polygons for p in rings[0]]
    lats = [p[1] for rings in polygons for p in rings[0]]
    return {"min_lng": min(lngs), "min_lat": min(lats), "max_lng": max(lngs), "max_lat": max(lats)}


def check_inside(
    polygons: list[list[Ring]],
    parent_boundary: dict | None,
    *,
    parent_name: str = "",
    field: str = "boundary",
    parent_polygons: list[list[Ring]] | None = None,
) -> None:
    """Refuse ``polygons`` when a vertex lies outside the parent's boundary (none: passes)."""
    if parent_polygons is None:
        if not parent_boundary:
            return
        try:
            parent_polygons = polygons_of(parent_boundary)
        except ValidationError:
            return  # a parent stored before these checks: not the child's fault
    for pi, rings in enumerate(polygons, start=1):
        for i, point in enumerate(rings[0], start=1):
            if not point_in_polygons(point, parent_polygons):
                where = _("第%(n)d个多边形") % {"n": pi} if len(polygons) > 1 else ""
                raise _error(
                    field,
                    _(
                        "边界超出上级“%(parent)s”的边界：%(where)s第%(n)d个点（%(lng)s, %(lat)s）在上级边界之外"
                    )
                    % {
                        "parent": parent_name,
                        "where": where,
                        "n": i,
                        "lng": _fmt(point[0]),
                        "lat": _fmt(point[1]),
                    },
                )


def _fmt(v: float) -> str:
    return f"{v:.6f}".rstrip("0").rstrip(".")


def check_boundary(
    boundary: dict | None, *, parent=None, field: str = "boundary"
) -> list[list[Ring]] | None:
    """Refuse a boundary that is no valid polygon in China or leaves ``parent``'s boundary
    (an Area, or None); answers its polygons (None for no boundary)."""
    if boundary is None or boundary == {}:
        return None
    polygons = polygons_of(boundary, field)
    if parent is not None:
        check_inside(polygons, parent.boundary, parent_name=parent.name, field=field)
    return polygons


def normalized(boundary: dict) -> dict:
    """A Feature unwrapped to its geometry (what is stored)."""
    if boundary.get("type") == "Feature":
        geometry = boundary.get("geometry") or {}
        return {"type": geometry.get("type"), "coordinates": geometry.get("coordinates")}
    return {"type": boundary.get("type"), "coordinates": boundary.get("coordinates")}
