"""Demo boundaries of the city's areas: each node's children split its polygon into Voronoi
cells (shapely), so every grid is a polygon inside its community, every community inside its
street, and siblings never overlap.

The city is a box (``CITY_BOX``); a Voronoi cell is convex and the intersection of convex
polygons is convex, so every level stays a simple convex ``Polygon``. The seeds of the cells
are drawn inside the parent by the builder's random generator (the same city every run), then
moved once to their cells' centroids (one Lloyd step) so the cells come out even-sized.
Coordinates are rounded to 6 decimals (about 0.1 m), the precision the overlay runs at.
"""

from __future__ import annotations

import random

import shapely
from shapely.geometry import MultiPoint, Polygon, box

GRID_SIZE = 1e-6


def _seeds(rng: random.Random, polygon: Polygon, n: int) -> list[tuple[float, float]]:
    x0, y0, x1, y1 = polygon.bounds
    out: list[tuple[float, float]] = []
    shapely.prepare(polygon)
    for _ in range(200 * n):
        x, y = rng.uniform(x0, x1), rng.uniform(y0, y1)
        if shapely.contains_xy(polygon, x, y):
            out.append((x, y))
            if len(out) == n:
                return out
    raise RuntimeError("demo boundaries: no room for the seeds of the cells")


def _cells(polygon: Polygon, seeds: list[tuple[float, float]]) -> list[Polygon]:
    """The Voronoi cells of ``seeds`` clipped to ``polygon``, in the order of the seeds."""
    if len(seeds) == 1:
        return [polygon]
    regions = shapely.voronoi_polygons(MultiPoint(seeds), extend_to=polygon)
    by_seed: list[Polygon | None] = [None] * len(seeds)
    points = [shapely.Point(s) for s in seeds]
    for region in regions.geoms:
        for i, pt in enumerate(points):
            if by_seed[i] is None and region.covers(pt):
                by_seed[i] = region
                break
    out = []
    for region in by_seed:
        cell = shapely.intersection(region, polygon, grid_size=GRID_SIZE) if region else None
        if cell is not None and cell.geom_type != "Polygon":
            # a cell cut into pieces by the rounding (never seen): its biggest piece
            parts = [g for g in getattr(cell, "geoms", []) if g.geom_type == "Polygon"]
            cell = max(parts, key=lambda g: g.area) if parts else None
        if cell is None or cell.is_empty:
            raise RuntimeError("demo boundaries: an empty Voronoi cell (duplicate seeds)")
        out.append(cell)
    return out


def split(rng: random.Random, polygon: Polygon, n: int) -> list[Polygon]:
    """``n`` non-overlapping convex polygons covering ``polygon``."""
    if n <= 0:
        return []
    seeds = _seeds(rng, polygon, n)
    if n > 2:
        cells = _cells(polygon, seeds)
        seeds = [
            c.centroid.coords[0] if not c.is_empty else s for c, s in zip(cells, seeds, strict=True)
        ]
    return _cells(polygon, seeds)


def as_geojson(polygon: Polygon) -> dict:
    outer = shapely.geometry.polygon.orient(polygon).exterior.coords
    ring = [[round(x, 6), round(y, 6)] for x, y in outer]
    return {"type": "Polygon", "coordinates": [ring]}


def lay_out(rng: random.Random, root, city_box, children_of) -> None:
    """Give ``root`` (an unsaved Area) the polygon of ``city_box`` and each descendant that
    ``children_of(node)`` answers (units excluded by the caller) a cell of its parent."""
    polygons = {root.path: box(*city_box)}
    stack = [root]
    while stack:
        node = stack.pop()
        polygon = polygons.pop(node.path)
        node.boundary = as_geojson(polygon)
        node.min_lng, node.min_lat, node.max_lng, node.max_lat = (
            round(v, 6) for v in polygon.bounds
        )
        children = children_of(node)
        for child, cell in zip(children, split(rng, polygon, len(children)), strict=True):
            polygons[child.path] = cell
            stack.append(child)


def point_in(rng: random.Random, boundary: dict | None) -> tuple[float | None, float | None]:
    """A random point inside a convex demo polygon (a random convex combination of its
    vertices), rounded to 6 decimals; (None, None) without a boundary."""
    if not boundary or boundary.get("type") != "Polygon":
        return None, None
    ring = boundary["coordinates"][0][:-1]
    weights = [rng.random() ** 2 for _ in ring]
    total = sum(weights) or 1.0
    lng = sum(w * p[0] for w, p in zip(weights, ring, strict=True)) / total
    lat = sum(w * p[1] for w, p in zip(weights, ring, strict=True)) / total
    return round(lng, 6), round(lat, 6)
