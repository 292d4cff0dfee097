"""The demo city generator.

``seed("small")`` builds a small city (2 counties of 2 townships, households listed one by
one); ``seed("city")`` a Putian-like one: 1 city, 7 counties, 54 townships and streets, 1,000
villages and communities, 10,260 grids, 123,839 units, 7,025 grid branches and 5,904 unit
groups (households and population counted on units, no Household rows).

Everything is planned in memory first (paths through ``core.tree``, pinyin through
``core.pinyin``, counts rolled up from the units), then written level by level with
``bulk_create`` inside one transaction. Phones go through the EncryptedField and
``core.crypto.blind_index`` like the services write them; one audit row records the run. The
result is deterministic for a scale: the same city every time.
"""

from __future__ import annotations

import datetime as dt
import math
import random
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.utils import timezone

from dangjian.accounts.models import Department, Grant, Role, User, UserKind
from dangjian.accounts.services import grants_bulk_add
from dangjian.core import audit, crypto, tree
from dangjian.core.pinyin import initials
from dangjian.demo import names
from dangjian.demo.accounts import DEMO_USERNAMES
from dangjian.demo.bulk import spread, write_rows
from dangjian.organizations.models import OrgDomain, OrgForm, OrgKind, PartyOrg
from dangjian.territory.codes import ancestry_of, check_area_code
from dangjian.territory.models import LEVEL_OF, Area, AreaKind, Household

SCALES = ("small", "city")
SCALE_LABELS = {"small": "小型演示城市", "city": "全市规模"}

# Putian's figures (DOMAIN.md, seeds/004): the city scale hits them exactly.
CITY_VILLAGES = 1000
CITY_GRIDS = 10260
CITY_UNITS = 123839
CITY_GRID_BRANCHES = 7025
CITY_UNIT_GROUPS = 5904

# A rough box around Putian (lng, lat) that the grids' demo boundaries tile.
CITY_BOX = (118.72, 25.22, 119.30, 25.62)


# --- the shape of the city: names, codes and sizes, before any model exists -----------------
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


# --- the builder -----------------------------------------------------------------------------
def _split(box, n):
    """``n`` boxes tiling ``box`` in a near-square grid."""
    x0, y0, x1, y1 = box
    cols = max(1, math.ceil(math.sqrt(n)))
    rows = max(1, math.ceil(n / cols))
    w, h = (x1 - x0) / cols, (y1 - y0) / rows
    out = []
    for i in range(n):
        c, r = i % cols, i // cols
        out.append((x0 + c * w, y1 - (r + 1) * h, x0 + (c + 1) * w, y1 - r * h))
    return out


def _polygon(box):
    x0, y0, x1, y1 = (round(v, 6) for v in box)
    return {"type": "Polygon", "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]}


class CityBuilder:
    """Holds the unsaved rows of both trees and hands out paths as node_insert would."""

    def __init__(self, rng: random.Random, scale: str):
        self.rng = rng
        self.scale = scale
        self.areas: list[list[Area]] = [[] for _ in range(tree.MAX_DEPTH + 1)]
        self.orgs: list[list[PartyOrg]] = [[] for _ in range(tree.MAX_DEPTH + 1)]
        self.kids: dict[str, list[Area]] = defaultdict(list)
        self.by_path: dict[str, Area] = {}
        self.households: list[Household] = []
        self.departments: list[Department] = []
        self._roots = {"area": 0, "org": 0}
        self.demo: dict[str, object] = {}
        self.stats: Counter = Counter()

    # paths ---------------------------------------------------------------------------------
    def _path(self, parent, root_key: str) -> str:
        if parent is None:
            path = tree.child_path("", self._roots[root_key])
            self._roots[root_key] += 1
            return path
        path = tree.child_path(parent.path, parent.next_child)
        parent.next_child += 1
        parent.child_count += 1
        return path

    def area(self, parent: Area | None, name: str, kind: str, code: str = "") -> Area:
        if code:  # the same rules as every other write of an area (territory.codes)
            check_area_code(kind=kind, code=code, name=name, ancestors=ancestry_of(parent))
        path = self._path(parent, "area")
        depth = tree.depth_of(path)
        node = Area(
            parent=parent,
            path=path,
            depth=depth,
            name=name,
            pinyin=initials(name),
            child_count=0,
            next_child=0,
            kind=kind,
            level=LEVEL_OF[AreaKind(kind)],
            code=code,
            households=0,
            population=0,
        )
        self.areas[depth].append(node)
        self.by_path[path] = node
        if parent is not None:
            self.kids[parent.path].append(node)
        return node

    def org(
        self,
        parent: PartyOrg | None,
        name: str,
        kind: str,
        domain: str,
        anchor: Area,
        *,
        form: str = OrgForm.REGULAR,
        term_years: int | None = None,
        phone: bool = False,
        since: tuple[int, int] = (1990, 2020),
    ) -> PartyOrg:
        path = self._path(parent, "org")
        depth = tree.depth_of(path)
        established = dt.date(
            self.rng.randint(*since), self.rng.randint(1, 12), self.rng.randint(1, 28)
        )
        node = PartyOrg(
            parent=parent,
            path=path,
            depth=depth,
            name=name,
            pinyin=initials(name),
            child_count=0,
            next_child=0,
            kind=kind,
            form=form,
            domain=domain,
            area=anchor,
            area_path=anchor.path,
            contact_phone=names.mobile(self.rng) if phone else "",
            established_on=established,
            term_years=term_years,
        )
        self.orgs[depth].append(node)
        self.stats[f"org_{kind}"] += 1
        if form != OrgForm.REGULAR:
            self.stats[f"form_{form}"] += 1
        return node

    # the Area tree ----------------------------------------------------------------------------
    def build_areas(self, shape: list[CountyShape]) -> Area:
        city_name, city_code = names.CITY
        city = self.area(None, city_name, AreaKind.CITY, city_code)
        self.city = city
        list_households = self.scale == "small"
        rng = self.rng
        for county_shape in shape:
            county = self.area(city, county_shape.name, AreaKind.COUNTY, county_shape.code)
            for t in county_shape.townships:
                township = self.area(county, t.name, t.kind, t.code)
                for v in t.villages:
                    village = self.area(township, v.name, v.kind, v.code)
                    is_community = v.kind == AreaKind.COMMUNITY
                    unit_no = 0
                    for gi, n_units in enumerate(v.grids, start=1):
                        grid = self.area(village, names.grid_name(v.name, gi), AreaKind.GRID)
                        for _ in range(n_units):
                            unit_no += 1
                            unit = self.area(
                                grid, names.unit_name(unit_no, is_community), AreaKind.UNIT
                            )
                            if list_households:
                                self._list_households(unit, is_community)
                            else:
                                unit.households = rng.randint(4, 14)
                                unit.population = round(unit.households * rng.uniform(2.4, 3.4))
        self._roll_up()
        self._lay_out()
        # The demo chain: the first county, its first street, that street's first community,
        # its first grid and the first two units of that grid.
        county = self.kids[city.path][0]
        street = self.kids[county.path][0]
        community = self.kids[street.path][0]
        grid = self.kids[community.path][0]
        assert street.kind == AreaKind.STREET and community.kind == AreaKind.COMMUNITY
        self.demo.update(
            county=county,
            street=street,
            community=community,
            grid=grid,
            unit=self.kids[grid.path][0],
            unit2=self.kids[grid.path][1],
        )
        return city

    def _list_households(self, unit: Area, is_community: bool) -> None:
        rng = self.rng
        n = rng.randint(3, 8)
        for i in range(n):
            floor, room = divmod(i, 2)
            members = rng.randint(1, 5)
            self.households.append(
                Household(
                    unit=unit,
                    area_path=unit.path,
                    label=names.door_label(unit.name, floor + 1, room + 1),
                    head_name=names.person_name(rng),
                    members=members,
                )
            )
            unit.households += 1
            unit.population += members

    def _roll_up(self) -> None:
        for depth in range(len(self.areas) - 1, 1, -1):
            for node in self.areas[depth]:
                parent = self.by_path[node.path[: -tree.STEP_WIDTH]]
                parent.households += node.households
                parent.population += node.population

    def _lay_out(self) -> None:
        """Demo boundaries: each node's box tiles its parent's; grids and above get one."""
        boxes = {self.city.path: CITY_BOX}
        for depth in range(1, len(self.areas)):
            for node in self.areas[depth]:
                if node.kind == AreaKind.UNIT:
                    continue
                box = boxes.pop(node.path)
                node.min_lng, node.min_lat, node.max_lng, node.max_lat = (round(v, 6) for v in box)
                node.boundary = _polygon(box)
                children = self.kids.get(node.path, [])
                if children and children[0].kind != AreaKind.UNIT:
                    for child, child_box in zip(children, _split(box, len(children)), strict=True):
                        boxes[child.path] = child_box

    # the PartyOrg tree ------------------------------------------------------------------------
    def build_orgs(self) -> None:
        rng = self.rng
        city = self.city
        city_org = self.org(
            None,
            f"中共{city.name}委员会",
            OrgKind.COMMITTEE,
            OrgDomain.AGENCY,
            city,
            term_years=5,
            phone=True,
            since=(1950, 1950),
        )
        self.city_org = city_org
        villages: list[Area] = []
        village_parent: dict[str, PartyOrg] = {}
        township_orgs: list[tuple[Area, PartyOrg]] = []
        county_kinds = {name: kind for name, _code, kind in names.COUNTIES}
        for county in self.kids[city.path]:
            if county_kinds.get(county.name) == "working_committee":
                cname, ckind = f"中共{county.name}工作委员会", OrgKind.WORKING_COMMITTEE
            else:
                cname, ckind = f"中共{county.name}委员会", OrgKind.COMMITTEE
            county_org = self.org(
                city_org,
                cname,
                ckind,
                OrgDomain.AGENCY,
                county,
                term_years=5,
                phone=True,
                since=(1950, 2010),
            )
            if county is self.demo["county"]:
                self.demo["county_org"] = county_org
            for township in self.kids[county.path]:
                if township.kind == AreaKind.STREET:
                    form = (
                        OrgForm.STREET_JOINT
                        if (self.scale == "small" or rng.random() < 0.5)
                        else OrgForm.REGULAR
                    )
                    t_org = self.org(
                        county_org,
                        f"中共{township.name}工作委员会",
                        OrgKind.WORKING_COMMITTEE,
                        OrgDomain.COMMUNITY,
                        township,
                        form=form,
                        term_years=5,
                        phone=True,
                    )
                else:
                    t_org = self.org(
                        county_org,
                        f"中共{township.name}委员会",
                        OrgKind.COMMITTEE,
                        OrgDomain.VILLAGE,
                        township,
                        term_years=5,
                        phone=True,
                    )
                if township is self.demo["street"]:
                    self.demo["street_org"] = t_org
                township_orgs.append((township, t_org))
                for village in self.kids[township.path]:
                    villages.append(village)
                    village_parent[village.path] = t_org
        kinds = self._village_org_kinds(villages)
        grid_parent: dict[str, PartyOrg] = {}
        for village in villages:
            kind = kinds[village.path]
            is_community = village.kind == AreaKind.COMMUNITY
            suffix = {
                OrgKind.COMMITTEE: "委员会",
                OrgKind.GENERAL_BRANCH: "总支部委员会",
                OrgKind.BRANCH: "支部委员会",
            }[kind]
            form = OrgForm.REGULAR
            if (
                is_community
                and kind == OrgKind.COMMITTEE
                and (village is self.demo["community"] or rng.random() < 0.3)
            ):
                form = OrgForm.COMMUNITY_JOINT
            v_org = self.org(
                village_parent[village.path],
                f"中共{village.name}{suffix}",
                kind,
                OrgDomain.COMMUNITY if is_community else OrgDomain.VILLAGE,
                village,
                form=form,
                term_years=5,
                phone=True,
                since=(1978, 2021),
            )
            if village is self.demo["community"]:
                self.demo["community_org"] = v_org
            if kind != OrgKind.BRANCH:
                for grid in self.kids[village.path]:
                    grid_parent[grid.path] = v_org
        self._grid_branches(grid_parent)
        for township, t_org in township_orgs:
            self._extra_orgs(township, t_org)

    def _village_org_kinds(self, villages: list[Area]) -> dict[str, str]:
        """党委 for the largest (by population) villages and communities until they hold 30% of
        the grids, 党总支 for the next until 80%, 党支部 for the rest. The demo community is a
        党委."""
        total_grids = sum(v.child_count for v in villages)
        ranked = sorted(villages, key=lambda v: (-v.population, v.path))
        kinds, cum = {}, 0
        for v in ranked:
            if cum < 0.30 * total_grids:
                kinds[v.path] = OrgKind.COMMITTEE
            elif cum < 0.80 * total_grids:
                kinds[v.path] = OrgKind.GENERAL_BRANCH
            else:
                kinds[v.path] = OrgKind.BRANCH
            cum += v.child_count
        kinds[self.demo["community"].path] = OrgKind.COMMITTEE
        return kinds

    def _grid_branches(self, grid_parent: dict[str, PartyOrg]) -> None:
        rng = self.rng
        grids = self.areas[5]
        units = self.areas[6]
        if self.scale == "city":
            n_branches, n_groups = CITY_GRID_BRANCHES, CITY_UNIT_GROUPS
        else:
            n_branches = round(len(grids) * CITY_GRID_BRANCHES / CITY_GRIDS)
            n_groups = max(4, round(len(units) * CITY_UNIT_GROUPS / CITY_UNITS))
        eligible = [g.path for g in grids if g.path in grid_parent]
        n_branches = min(n_branches, len(eligible))
        chosen = set(rng.sample(eligible, n_branches))
        demo_grid = self.demo["grid"].path
        if demo_grid not in chosen:
            chosen.discard(next(iter(sorted(chosen))))
            chosen.add(demo_grid)
        unit_pool = [u.path for g in sorted(chosen) for u in self.kids[g]]
        groups = set(rng.sample(unit_pool, min(n_groups, len(unit_pool))))
        demo_unit = self.demo["unit"].path
        if demo_unit not in groups:
            groups.discard(next(iter(sorted(groups))))
            groups.add(demo_unit)
        for grid in grids:
            if grid.path not in chosen:
                continue
            parent = grid_parent[grid.path]
            is_community = parent.domain == OrgDomain.COMMUNITY
            branch = self.org(
                parent,
                f"{grid.name}党支部",
                OrgKind.BRANCH,
                OrgDomain.COMMUNITY if is_community else OrgDomain.VILLAGE,
                grid,
                term_years=3,
                since=(2019, 2023),
            )
            if grid.path == demo_grid:
                self.demo["grid_org"] = branch
            village_name = grid.name.split("第", 1)[0]
            for unit in self.kids[grid.path]:
                if unit.path in groups:
                    self.org(
                        branch,
                        f"{village_name}{unit.name}党小组",
                        OrgKind.GROUP,
                        branch.domain,
                        unit,
                        since=(2020, 2023),
                    )

    def _extra_orgs(self, township: Area, t_org: PartyOrg) -> None:
        """Temporary branches on projects, joint branches of new business forms and firms, and
        cross-village (联建) committees, a few per township."""
        rng = self.rng
        small = self.scale == "small"
        stem = names.township_stem(township.name)
        villages = self.kids[township.path]
        if township.kind == AreaKind.STREET:
            n_joint = 2 if small else rng.choice((0, 1, 1, 2))
            for sector in rng.sample(names.JOINT_SECTORS, n_joint):
                anchor = rng.choice(villages)
                self.org(
                    t_org,
                    f"{stem}{sector}联合党支部",
                    OrgKind.BRANCH,
                    names.JOINT_DOMAINS[sector],
                    anchor,
                    form=OrgForm.JOINT,
                    term_years=3,
                    since=(2018, 2024),
                )
        else:
            if len(villages) >= 2 and (small or rng.random() < 0.25):
                a, b = sorted(rng.sample(villages, 2), key=lambda v: v.path)
                name = f"中共{stem}{a.name[:-1]}{b.name[:-1]}联建委员会"
                self.org(
                    t_org,
                    name,
                    OrgKind.COMMITTEE,
                    OrgDomain.VILLAGE,
                    township,
                    form=OrgForm.CROSS_VILLAGE,
                    term_years=5,
                    since=(2019, 2024),
                )
        if small or rng.random() < 0.35:
            project = rng.choice(names.TEMPORARY_PROJECTS)
            self.org(
                t_org,
                f"{township.name}{project}临时党支部",
                OrgKind.BRANCH,
                OrgDomain.STATE_ENTERPRISE,
                township,
                form=OrgForm.TEMPORARY,
                since=(2023, 2025),
            )

    # departments ------------------------------------------------------------------------------
    def build_departments(self) -> None:
        rng = self.rng
        for county in self.kids[self.city.path]:
            for dname in names.DEPARTMENTS:
                self._department(f"{county.name}{dname}", county, rng)
            cstem = names.county_stem(county.name)
            for township in self.kids[county.path]:
                self._department(
                    f"{cstem}公安分局{names.township_stem(township.name)}派出所", township, rng
                )
        self.demo["department_name"] = f"{self.demo['county'].name}{names.DEPARTMENTS[0]}"

    def _department(self, name: str, area: Area, rng: random.Random) -> None:
        phone = names.mobile(rng)
        # Clear text here: the EncryptedField encrypts it on the way in; the index beside it.
        self.departments.append(
            Department(
                name=name,
                area=area,
                area_path=area.path,
                phone=phone,
                phone_index=crypto.blind_index("phone", phone),
            )
        )


# --- writing -----------------------------------------------------------------------------------
_write = write_rows


def _roles() -> dict[str, Role]:
    """The role table, brought up to date with ``accounts.roles`` first."""
    from dangjian.accounts.services import roles_sync

    roles_sync()
    return {r.code: r for r in Role.objects.all()}


def _demo_accounts(b: CityBuilder, password_hash: str) -> tuple[list[User], list[tuple]]:
    """The demo users (unsaved) and their grants as (username, role, area, org, department)."""
    d = b.demo
    rng = b.rng
    now = timezone.now()
    dept = Department.objects.get(area=d["county"], name=d["department_name"])
    rows = [
        # username, kind, home area, department, [(role, area, org, department)]
        (
            "demo-admin",
            UserKind.STAFF,
            b.city,
            None,
            [("system_admin", b.city, None, None), ("system_admin", None, b.city_org, None)],
        ),
        (
            "demo-city",
            UserKind.STAFF,
            b.city,
            None,
            [("city_staff", b.city, None, None), ("city_staff", None, b.city_org, None)],
        ),
        (
            "demo-county",
            UserKind.STAFF,
            d["county"],
            None,
            [
                ("county_staff", d["county"], None, None),
                ("county_staff", None, d["county_org"], None),
            ],
        ),
        (
            "demo-street",
            UserKind.STAFF,
            d["street"],
            None,
            [
                ("township_staff", d["street"], None, None),
                ("township_staff", None, d["street_org"], None),
            ],
        ),
        (
            "demo-community",
            UserKind.STAFF,
            d["community"],
            None,
            [
                ("secretary", d["community"], None, None),
                ("secretary", None, d["community_org"], None),
            ],
        ),
        ("demo-grid", UserKind.STAFF, d["grid"], None, [("grid_worker", d["grid"], None, None)]),
        ("demo-dept", UserKind.DEPARTMENT, d["county"], dept, [("department", None, None, dept)]),
        ("demo-member", UserKind.MEMBER, d["unit"], None, [("member", None, None, None)]),
        ("demo-resident", UserKind.RESIDENT, d["unit2"], None, [("resident", None, None, None)]),
    ]
    assert [r[0] for r in rows] == DEMO_USERNAMES
    users, grants = [], []
    for username, kind, home, department, user_grants in rows:
        phone = names.mobile(rng)
        users.append(
            User(
                username=username,
                real_name=names.person_name(rng),
                kind=kind,
                area=home,
                area_path=home.path,
                department=department,
                password=password_hash,
                password_changed_at=now,
                phone=phone,
                phone_index=crypto.blind_index("phone", phone),
                is_staff=False,
                is_superuser=False,
                is_active=True,
            )
        )
        for role, area, org, department_node in user_grants:
            grants.append((username, role, area, org, department_node))
    return users, grants


def _seed_members(b: CityBuilder, demo_user: User, progress: bool) -> dict:
    """The members and what hangs on them (``demo.members``), written in bulk."""
    from dangjian.cadres.models import Cadre, MentorPair, ReserveCadre
    from dangjian.demo.members import CITY_MEMBERS, SMALL_MEMBERS, MemberPlanner
    from dangjian.members.models import (
        CommunityCheckin,
        Member,
        MemberCategory,
        MobileRegistration,
        UnitRole,
    )

    t0 = time.perf_counter()
    planner = MemberPlanner(b, timezone.localdate())
    plan = planner.plan_members(CITY_MEMBERS if b.scale == "city" else SMALL_MEMBERS, demo_user)
    planned = time.perf_counter() - t0
    bar = None
    if progress:
        from tqdm import tqdm

        total = sum(plan.counts().values()) + len(plan.members)  # categories ≈ members
        bar = tqdm(total=total, desc="写入党员数据", unit="行", unit_scale=True, leave=False)
    try:
        _write(Member, plan.members, bar)
        t1 = time.perf_counter()
        _write(MemberCategory, planner.category_rows(), bar)
        for model, rows in (
            (MobileRegistration, plan.mobile),
            (CommunityCheckin, plan.checkins),
            (Cadre, plan.cadres),
            (ReserveCadre, plan.reserves),
            (MentorPair, plan.mentor_pairs),
            (UnitRole, plan.unit_roles),
        ):
            _write(model, rows, bar)
    finally:
        if bar is not None:
            bar.close()
    counts = plan.counts()
    counts["member_seconds"] = {
        "plan": round(planned, 2),
        "members": round(t1 - t0 - planned, 2),
        "rest": round(time.perf_counter() - t1, 2),
    }
    return counts


# The modules whose demo data follows the trees and accounts, in the order they are written
# (each reads what the ones before wrote: orglife and dues need the members).
MODULES = ("members", "cases", "orglife", "dues", "development")
MODULE_LABELS = {
    "members": "党员",
    "cases": "网格事件",
    "orglife": "组织生活",
    "dues": "党费",
    "development": "党员发展",
}
MODULE_NEEDS = {"orglife": "members", "dues": "members", "development": "members"}


def _seeder(module: str, name: str):
    """The seeder ``name`` of ``dangjian.demo.<module>``, imported when it runs (each module's
    demo pulls in that module's models and services)."""

    def load():
        from importlib import import_module

        return getattr(import_module(f"dangjian.demo.{module}"), name)

    return load


# The registry of module seeders after the trees, the accounts and the members: each takes the
# builder, the demo users by username and whether to show progress, and answers its counts.
SEEDERS = {
    "cases": _seeder("cases", "seed_events"),
    "orglife": _seeder("orglife", "seed_orglife"),
    "dues": _seeder("dues", "seed_dues"),
    "development": _seeder("development", "seed_with_progress"),
}


def seed(scale: str, progress: bool = True, modules: tuple[str, ...] = MODULES) -> dict:
    """Build the demo city at ``scale`` ("small" or "city") into an empty database.

    ``modules`` chooses which modules' demo data follow the trees and accounts (all by default;
    none for the trees and accounts alone, which is what the foundation benchmark times).
    Returns the counts written (also recorded in the one ``demo.seed`` audit row).
    """
    if scale not in SCALES:
        raise CommandError(f"未知的规模“{scale}”，可选：small（小型演示城市）或 city（全市规模）")
    unknown = [m for m in modules if m not in MODULES]
    if unknown:
        raise CommandError(f"未知的模块“{'、'.join(unknown)}”，可选：{'、'.join(MODULES)}")
    for module, needed in MODULE_NEEDS.items():
        if module in modules and needed not in modules:
            raise CommandError(
                f"{MODULE_LABELS[module]}演示数据需要{MODULE_LABELS[needed]}演示数据，"
                f"请同时选择 {needed}"
            )
    started = time.perf_counter()
    with transaction.atomic():
        existing = Area.objects.count()
        if existing:
            raise CommandError(
                f"数据库中已有 {existing} 个区域，拒绝生成演示数据：演示数据只能写入空数据库。"
                "如需重新生成，请删除数据库文件（或换一个空数据库）后再运行。"
            )
        taken = list(
            User.objects.filter(username__in=DEMO_USERNAMES).values_list("username", flat=True)
        )
        if taken:
            raise CommandError(f"演示账号已存在：{'、'.join(sorted(taken))}，拒绝生成演示数据。")
        roles = _roles()
        rng = random.Random(f"dangjian-demo-{scale}")
        b = CityBuilder(rng, scale)
        shape = small_shape(rng) if scale == "small" else city_shape(rng)
        b.build_areas(shape)
        b.build_orgs()
        b.build_departments()
        area_rows = sum(len(level) for level in b.areas)
        org_rows = sum(len(level) for level in b.orgs)
        total = area_rows + org_rows + len(b.households) + len(b.departments)
        bar = None
        if progress:
            from tqdm import tqdm

            bar = tqdm(total=total, desc="写入演示数据", unit="行", unit_scale=True, leave=False)
        try:
            for level in b.areas:
                _write(Area, level, bar)
            _write(Household, b.households, bar)
            for level in b.orgs:
                _write(PartyOrg, level, bar)
            _write(Department, b.departments, bar)
        finally:
            if bar is not None:
                bar.close()
        users, grant_specs = _demo_accounts(b, make_password(settings.DANGJIAN["DEMO_PASSWORD"]))
        User.objects.bulk_create(users)
        by_name = {u.username: u for u in User.objects.filter(username__in=DEMO_USERNAMES)}
        grants_bulk_add(
            grants=[
                Grant(user=by_name[username], role=roles[role], area=area, org=org, department=dept)
                for username, role, area, org, dept in grant_specs
            ]
        )
        trees_seconds = round(time.perf_counter() - started, 2)
        member_counts = (
            _seed_members(b, by_name["demo-member"], progress) if "members" in modules else {}
        )
        event_counts: dict = {}
        for module in modules:
            seeder = SEEDERS.get(module)
            if seeder is not None:
                event_counts.update(seeder()(b, by_name, progress))
        kinds = Counter(node.kind for level in b.areas for node in level)
        counts = {
            "scale": scale,
            "areas": area_rows,
            "area_kinds": {k: kinds.get(k, 0) for k in AreaKind.values},
            "party_orgs": org_rows,
            "org_kinds": {k: b.stats.get(f"org_{k}", 0) for k in OrgKind.values},
            "org_forms": {
                k: b.stats.get(f"form_{k}", 0) for k in OrgForm.values if k != OrgForm.REGULAR
            },
            "grid_branches": sum(1 for o in b.orgs[5] if o.kind == OrgKind.BRANCH),
            "unit_groups": sum(1 for o in b.orgs[6] if o.kind == OrgKind.GROUP),
            "households": b.city.households,
            "population": b.city.population,
            "household_rows": len(b.households),
            "departments": len(b.departments),
            "users": len(users),
            "grants": len(grant_specs),
            "modules": list(modules),
            "trees_seconds": trees_seconds,
            **member_counts,
            **event_counts,
        }
        audit.record(
            actor=None,
            action="demo.seed",
            object_type="demo",
            object_repr=f"{b.city.name}（{SCALE_LABELS[scale]}）",
            after=counts,
            area_path=b.city.path,
            org_path=b.city_org.path,
        )
    if connection.vendor == "postgresql":
        # Planner statistics for the rows just written: without them (autovacuum may be off or
        # not yet run) PostgreSQL plans the city's aggregates as if the tables were empty, and a
        # compliance board that takes seconds runs for tens of minutes.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    counts["seconds"] = round(time.perf_counter() - started, 2)
    return counts
