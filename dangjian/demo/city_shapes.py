"""The shape of the demo city: names, codes and sizes of the counties, townships and villages,
planned before any model exists (``small_shape``, ``city_shape``). At city scale the counts hit
Putian's figures exactly (``CITY_*``).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from dangjian.demo import names
from dangjian.demo.bulk import spread
from dangjian.territory.models import AreaKind

# Putian's figures (DOMAIN.md, seeds/004): the city scale hits them exactly.
CITY_VILLAGES = 1000
CITY_GRIDS = 10260
CITY_UNITS = 123839
CITY_GRID_BRANCHES = 7025
CITY_UNIT_GROUPS = 5904

# A rough box around Putian (lng, lat) that the grids' demo boundaries tile.
CITY_BOX = (118.72, 25.22, 119.30, 25.62)


@dataclass
class VillageShape:
    name: str
    kind: str  # AreaKind.COMMUNITY or AreaKind.VILLAGE
    code: str
    grids: list[int] = field(default_factory=list)  # number of units in each grid


@dataclass
class TownshipShape:
    name: str
    kind: str  # AreaKind.STREET or AreaKind.TOWNSHIP
    code: str
    villages: list[VillageShape] = field(default_factory=list)


@dataclass
class CountyShape:
    name: str
    code: str
    committee_kind: str
    townships: list[TownshipShape] = field(default_factory=list)


def _township_shapes(county: CountyShape, township_names: list[str]) -> list[TownshipShape]:
    counters = {"street": 1, "town": 100, "township": 200}
    out = []
    for tname in township_names:
        tk = names.township_kind(tname)
        n = counters[tk]
        counters[tk] += 1
        kind = AreaKind.STREET if tk == "street" else AreaKind.TOWNSHIP
        out.append(TownshipShape(tname, kind, f"{county.code}{n:03d}000"))
    return out


def _village_shapes(rng, township: TownshipShape, communities: int, villages: int, taken: set[str]):
    """Communities first (codes 001–), then villages (codes 200–)."""
    prefix = township.code[:9]
    out = []
    for i in range(communities):
        stem = names.place_stem(rng, taken, community=True)
        out.append(
            VillageShape(names.community_name(stem), AreaKind.COMMUNITY, f"{prefix}{i + 1:03d}")
        )
    for i in range(villages):
        stem = names.place_stem(rng, taken)
        out.append(
            VillageShape(names.village_name(stem), AreaKind.VILLAGE, f"{prefix}{200 + i:03d}")
        )
    return out


def small_shape(rng: random.Random) -> list[CountyShape]:
    counties = []
    for cname, ccode, ckind in names.COUNTIES[:2]:
        county = CountyShape(cname, ccode, ckind)
        county.townships = _township_shapes(county, names.TOWNSHIPS[cname][:2])
        taken = {names.township_stem(t) for t in names.TOWNSHIPS[cname]}
        for t in county.townships:
            n = rng.randint(2, 3)
            comm = n if t.kind == AreaKind.STREET else 1
            t.villages = _village_shapes(rng, t, comm, n - comm, taken)
            for v in t.villages:
                v.grids = [4, 4, 4]
        counties.append(county)
    return counties


def city_shape(rng: random.Random) -> list[CountyShape]:
    counties: list[CountyShape] = []
    townships: list[TownshipShape] = []
    for cname, ccode, ckind in names.COUNTIES:
        county = CountyShape(cname, ccode, ckind)
        county.townships = _township_shapes(county, names.TOWNSHIPS[cname])
        townships.extend(county.townships)
        counties.append(county)
    kind_weight = {"street": 1.0, "town": 1.25, "township": 0.8}
    weights = [kind_weight[names.township_kind(t.name)] * rng.uniform(0.7, 1.3) for t in townships]
    village_counts = spread(CITY_VILLAGES, weights, minimum=3)
    for county in counties:
        taken = {names.township_stem(t) for t in names.TOWNSHIPS[county.name]}
        for t in county.townships:
            n = village_counts[townships.index(t)]
            tk = names.township_kind(t.name)
            if tk == "street":
                comm = max(n // 2, round(n * rng.uniform(0.6, 0.9)))
            elif tk == "town":
                comm = max(1, round(n * rng.uniform(0.05, 0.15)))
            else:
                comm = 1 if rng.random() < 0.3 else 0
            comm = min(comm, n)
            t.villages = _village_shapes(rng, t, comm, n - comm, taken)
    villages = [v for t in townships for v in t.villages]
    gw = [(14 if v.kind == AreaKind.COMMUNITY else 8) * rng.uniform(0.6, 1.4) for v in villages]
    grid_counts = spread(CITY_GRIDS, gw, minimum=2)
    unit_counts = spread(CITY_UNITS, [rng.uniform(0.5, 1.5) for _ in range(CITY_GRIDS)], minimum=3)
    k = 0
    for v, g in zip(villages, grid_counts, strict=True):
        v.grids = unit_counts[k : k + g]
        k += g
    return counties
