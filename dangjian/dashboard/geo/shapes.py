"""Boundaries for the map: each area's GeoJSON polygon simplified for a zoom level.

Zoom levels follow the governance levels (1 city … 5 grid): the map of a node is drawn at the
level of its children, and the coarser the level the more a boundary is simplified
(``shapely.simplify`` with topology preserved) and the fewer decimals its coordinates keep, so
a county's map of a few hundred grids stays small. A simplified shape is kept in a process
cache keyed by the area, its last change and the level: a changed boundary (its
``updated_at``) is simplified again, nothing has to be invalidated by hand.
"""

from __future__ import annotations

import shapely
from shapely.geometry import shape

# level → (tolerance in degrees, decimals kept). 0.001° ≈ 100 m.
ZOOM_LEVELS: dict[int, tuple[float, int]] = {
    1: (0.004, 3),
    2: (0.0015, 4),
    3: (0.0006, 4),
    4: (0.0002, 5),
    5: (0.00005, 5),
    6: (0.0, 6),
}
MIN_ZOOM, MAX_ZOOM = min(ZOOM_LEVELS), max(ZOOM_LEVELS)


def _rounded(coords, digits: int):
    if coords and isinstance(coords[0], int | float):
        return [round(coords[0], digits), round(coords[1], digits)]
    return [_rounded(c, digits) for c in coords]


def _dedup(ring: list) -> list:
    out: list = []
    for p in ring:
        if not out or out[-1] != p:
            out.append(p)
    return out


def _clean(geometry: dict) -> dict | None:
    """Rings without repeated points after rounding; rings fallen under 4 points dropped."""
    polygons = (
        [geometry["coordinates"]]
        if geometry["type"] == "Polygon"
        else list(geometry["coordinates"])
    )
    kept = []
    for rings in polygons:
        rings = [_dedup(r) for r in rings]
        if len(rings[0]) < 4:
            continue
        kept.append([rings[0], *[r for r in rings[1:] if len(r) >= 4]])
    if not kept:
        return None
    if len(kept) == 1:
        return {"type": "Polygon", "coordinates": kept[0]}
    return {"type": "MultiPolygon", "coordinates": kept}


def simplify(boundary: dict, level: int) -> dict | None:
    """``boundary`` simplified for zoom ``level`` (None: nothing valid left)."""
    tolerance, digits = ZOOM_LEVELS[min(max(level, MIN_ZOOM), MAX_ZOOM)]
    try:
        geom = shape(boundary)
        if tolerance:
            geom = shapely.simplify(geom, tolerance, preserve_topology=True)
        if geom.is_empty or geom.geom_type not in ("Polygon", "MultiPolygon"):
            return None
        mapping = shapely.geometry.mapping(geom)
    except (ValueError, TypeError, KeyError, AttributeError, shapely.errors.ShapelyError):
        return None
    return _clean(
        {"type": mapping["type"], "coordinates": _rounded(mapping["coordinates"], digits)}
    )


# (area id, updated_at, level) → simplified geometry (or None); emptied when it grows past
# CACHE_SIZE (a city has about 11,000 areas with a boundary, times a few levels).
CACHE_SIZE = 100_000
_cache: dict[tuple, dict | None] = {}


def cached(key: tuple) -> tuple[bool, dict | None]:
    """(found, geometry) for ``(area_id, updated_at, level)``."""
    if key in _cache:
        return True, _cache[key]
    return False, None


def remember(key: tuple, boundary: dict | None) -> dict | None:
    geometry = simplify(boundary, key[2]) if boundary else None
    if len(_cache) >= CACHE_SIZE:
        _cache.clear()
    _cache[key] = geometry
    return geometry


def cache_clear() -> None:
    _cache.clear()
