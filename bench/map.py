"""The one map of a county: the GeoJSON payload and the request time of ``/api/v1/map/``.

``python -m bench.map [sqlite|postgresql] [city|small]`` seeds the city (trees, members and
events: ``seed --modules members,cases``; its own SQLite file ``var/bench/map.sqlite3`` unless
``BENCH_SQLITE_PATH`` says otherwise), then, as a city_staff user, through the whole request
(Django's test client: auth, scope, figures, JSON):

- the map of the biggest county (its townships and streets) at its default zoom, with the
  ``events_per_1000`` and ``members`` figures, cold (simplification cache empty) and warm;
- the map of the county's biggest township (its villages and communities) and of one community
  (its grids);
- the payload in bytes of the county's map at every zoom level, against the raw boundaries
  (what the map would send without simplification).

Target: a county's map under 200 KB at its default zoom and answered within 300 ms warm.
Prints figures; never asserts on time.
"""

from __future__ import annotations

import json
import os
import sys
import time

TARGET_BYTES = 200 * 1024
TARGET_MS = 300.0


def _user():
    from dangjian.accounts import services
    from dangjian.accounts.models import User
    from dangjian.territory.models import Area

    city = Area.objects.defer("boundary").get(parent__isnull=True)
    u = User.objects.filter(username="bench-map-city").first()
    if u is None:
        u = User(username="bench-map-city", real_name="bench", area=city, area_path=city.path)
        u.set_unusable_password()
        u.save()
        services.grant_add(actor=None, user=u, role_code="city_staff", area=city)
    return u


def _biggest_child(area):
    from django.db.models import Count

    from dangjian.territory.models import Area

    return (
        Area.objects.filter(parent=area)
        .annotate(n=Count("children"))
        .order_by("-n", "path")
        .defer("boundary")
        .first()
    )


def main() -> None:
    backend = sys.argv[1] if len(sys.argv) > 1 else "sqlite"
    scale = sys.argv[2] if len(sys.argv) > 2 else "city"
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    os.environ.setdefault("BENCH_SQLITE_PATH", str(root / "var" / "bench" / "map.sqlite3"))
    from bench import common

    common.setup(backend)
    from django.core.management import call_command
    from django.test import Client

    t0 = time.perf_counter()
    call_command("seed", "--scale", scale, "--no-progress", "--modules", "members,cases")
    print(f"seed --scale {scale}: {time.perf_counter() - t0:.1f} s ({common.database_version()})")

    from dangjian.dashboard.geo import shapes
    from dangjian.territory.models import Area, AreaKind

    user = _user()
    client = Client()
    client.force_login(user)
    city = Area.objects.defer("boundary").get(parent__isnull=True)
    county = _biggest_child(city)
    township = _biggest_child(county)
    community = _biggest_child(township)

    def get(node, figure="events_per_1000", zoom=None):
        params = {"node": node.pk, "figure": figure}
        if zoom is not None:
            params["zoom"] = zoom
        r = client.get("/api/v1/map/", params)
        assert r.status_code == 200, r.content[:300]
        return r.content

    iterations = max(5, common.ITERATIONS // 10)
    warmup = max(1, common.WARMUP // 10)
    print(
        f"county {county.name}: {county.child_count} children; township {township.name}: "
        f"{township.child_count}; community {community.name}: {community.child_count} grids"
    )
    cold = []
    for _ in range(3):
        shapes.cache_clear()
        t = time.perf_counter()
        get(county)
        cold.append((time.perf_counter() - t) * 1000)
    print(f"county map, cold cache: {min(cold):.1f} ms (best of 3)")
    m = common.measure_many(
        {
            "county events_per_1000": lambda: get(county),
            "county members": lambda: get(county, "members"),
            "township events_per_1000": lambda: get(township),
            "community events_per_1000": lambda: get(community),
        },
        iterations,
        warmup,
    )
    for name, s in m.items():
        print(f"{name}: median {s['median_ms']} ms, p95 {s['p95_ms']} ms ({s['iterations']} runs)")

    raw = sum(
        len(json.dumps(b, separators=(",", ":")))
        for b in Area.objects.filter(parent=county).values_list("boundary", flat=True)
        if b
    )
    grids_raw = sum(
        len(json.dumps(b, separators=(",", ":")))
        for b in Area.objects.filter(path__startswith=county.path, kind=AreaKind.GRID).values_list(
            "boundary", flat=True
        )
        if b
    )
    print(f"raw boundaries of the county's children: {raw} bytes; of all its grids: {grids_raw}")
    sizes = {}
    for zoom in range(shapes.MIN_ZOOM, shapes.MAX_ZOOM + 1):
        sizes[zoom] = len(get(county, zoom=zoom))
    print("county map payload by zoom: " + ", ".join(f"{z}: {b} B" for z, b in sizes.items()))
    default = len(get(county))
    warm = m["county events_per_1000"]["median_ms"]
    print(
        f"county map at its default zoom: {default} bytes ({default / 1024:.1f} KB), "
        f"warm median {warm} ms — target ≤ {TARGET_BYTES // 1024} KB and ≤ {TARGET_MS:.0f} ms: "
        + ("target met" if default <= TARGET_BYTES and warm <= TARGET_MS else "target not met")
    )


if __name__ == "__main__":
    main()
