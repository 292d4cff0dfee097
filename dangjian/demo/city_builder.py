"""The demo city planned in memory: ``CityBuilder`` holds the unsaved rows of both trees (areas
with their households, party organizations, departments), hands out paths as ``node_insert``
would, rolls the counts up from the units and lays out the grids' boundaries. The generator
(``demo.generator.seed``) writes them.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter, defaultdict

from dangjian.accounts.models import Department
from dangjian.core import crypto, tree
from dangjian.core.pinyin import initials
from dangjian.demo import names
from dangjian.demo.city_shapes import (
    CITY_BOX,
    CITY_GRID_BRANCHES,
    CITY_GRIDS,
    CITY_UNIT_GROUPS,
    CITY_UNITS,
    CountyShape,
)
from dangjian.organizations.models import OrgDomain, OrgForm, OrgKind, PartyOrg
from dangjian.territory.codes import ancestry_of, check_area_code
from dangjian.territory.models import LEVEL_OF, Area, AreaKind, Household


class CityBuilder:
    """Holds the unsaved rows of both trees and hands out paths as node_insert would."""

    def __init__(self, rng: random.Random, scale: str):
        self.rng = rng
        self.scale = scale
        self.times = 1  # members and events multiplied (``seed --times``, ``--scale city10``)
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
        **extra,
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
            **extra,
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
                    door=(door := names.door_label(unit.name, floor + 1, room + 1)),
                    door_index=crypto.blind_index("address", door),
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
        """Demo boundaries: each node's children split its polygon into Voronoi cells (grids
        and above get one; ``demo.city_geo``)."""
        from dangjian.demo.city_geo import lay_out

        def children_of(node):
            kids = self.kids.get(node.path, [])
            return [] if not kids or kids[0].kind == AreaKind.UNIT else kids

        lay_out(random.Random(f"dangjian-demo-geo-{self.scale}"), self.city, CITY_BOX, children_of)

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
                # a temporary branch names its project and when it is expected to end
                project_name=project,
                ends_on=dt.date(2027, 12, 31),  # no draw: the rest of the city stays the same
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
