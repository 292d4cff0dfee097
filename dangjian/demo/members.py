"""The demo city's party members, planned in memory and written in bulk.

``plan_members`` spreads the members over the grassroots organizations the generator built
(grid branches, unit groups, village and community organizations, joint and temporary
branches) and gives each a plausible file: mostly full members, a few probationary ones; about
70% men; ages 20–90; education by age; occupations and categories (in service, retired,
farmers, students, mobile, in difficulty, new employment groups); join dates over the decades;
a residence in a unit under the organization's anchor. Beside them: mobile registrations,
community check-ins of in-service members, the two committees (两委) of every village and
community with reserve cadres and mentor pairs, and 党员中心户 / 楼栋长 on units.

ID numbers are valid GB 11643 numbers (``core.validators.id_number_check_digit``), unique
by construction: area code of the residence's county, birth date, a sequence number per
(area, birth date) of the right parity for the gender. ID and phone numbers are handed to the
EncryptedField in clear (it encrypts them on the way in) with their blind index from
``core.crypto.blind_index`` beside them, as the services write them.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from dangjian.cadres.models import (
    COLLEGE_OR_ABOVE,
    Cadre,
    CadrePosition,
    Committee,
    MentorPair,
    ReserveCadre,
)
from dangjian.core import crypto, tree
from dangjian.core.months import add_months, add_years
from dangjian.core.pinyin import initials
from dangjian.core.validators import id_number_check_digit
from dangjian.demo import names
from dangjian.members.models import (
    Category,
    CommunityCheckin,
    Education,
    Gender,
    Member,
    MemberCategory,
    MobileRegistration,
    Occupation,
    Status,
    UnitRole,
    UnitRoleCode,
)
from dangjian.organizations.models import OrgDomain, OrgForm, OrgKind, PartyOrg
from dangjian.territory.models import Area, AreaKind

CITY_MEMBERS = 100_000
SMALL_MEMBERS = 400
NAME_POOL = 6000  # distinct names per sex drawn for the city

# Age bands of the members (years, inclusive) and their weights.
AGE_BANDS = [
    ((20, 30), 12),
    ((31, 40), 17),
    ((41, 50), 17),
    ((51, 60), 18),
    ((61, 70), 17),
    ((71, 80), 12),
    ((81, 90), 7),
]
EDUCATION_BY_AGE = [
    # (oldest age of the band, [(education, weight), ...])
    (
        35,
        [
            (Education.MASTER, 8),
            (Education.BACHELOR, 45),
            (Education.COLLEGE, 30),
            (Education.SECONDARY_VOCATIONAL, 5),
            (Education.HIGH_SCHOOL, 10),
            (Education.JUNIOR_HIGH, 2),
        ],
    ),
    (
        55,
        [
            (Education.DOCTORATE, 1),
            (Education.MASTER, 3),
            (Education.BACHELOR, 25),
            (Education.COLLEGE, 25),
            (Education.SECONDARY_VOCATIONAL, 12),
            (Education.HIGH_SCHOOL, 17),
            (Education.JUNIOR_HIGH, 15),
            (Education.PRIMARY, 2),
        ],
    ),
    (
        200,
        [
            (Education.BACHELOR, 8),
            (Education.COLLEGE, 10),
            (Education.SECONDARY_VOCATIONAL, 10),
            (Education.HIGH_SCHOOL, 22),
            (Education.JUNIOR_HIGH, 30),
            (Education.PRIMARY, 20),
        ],
    ),
]
WORKING_OCCUPATIONS = [
    (Occupation.WORKER, 24),
    (Occupation.MANAGER, 14),
    (Occupation.PROFESSIONAL, 22),
    (Occupation.OFFICIAL, 12),
    (Occupation.MILITARY, 1),
    (Occupation.OTHER, 27),
]
IN_SERVICE_OCCUPATIONS = {
    Occupation.WORKER,
    Occupation.MANAGER,
    Occupation.PROFESSIONAL,
    Occupation.OFFICIAL,
    Occupation.MILITARY,
    Occupation.OTHER,
}


def _pick(rng: random.Random, weighted):
    total = sum(w for _v, w in weighted)
    x = rng.uniform(0, total)
    for value, w in weighted:
        x -= w
        if x <= 0:
            return value
    return weighted[-1][0]


@dataclass
class MemberPlan:
    members: list[Member] = field(default_factory=list)
    categories: list[MemberCategory] = field(default_factory=list)
    mobile: list[MobileRegistration] = field(default_factory=list)
    checkins: list[CommunityCheckin] = field(default_factory=list)
    cadres: list[Cadre] = field(default_factory=list)
    reserves: list[ReserveCadre] = field(default_factory=list)
    mentor_pairs: list[MentorPair] = field(default_factory=list)
    unit_roles: list[UnitRole] = field(default_factory=list)

    def counts(self) -> dict:
        return {
            "members": len(self.members),
            "member_categories": len(self.categories),
            "mobile_members": len(self.mobile),
            "checkins": len(self.checkins),
            "cadres": len(self.cadres),
            "reserve_cadres": len(self.reserves),
            "mentor_pairs": len(self.mentor_pairs),
            "unit_roles": len(self.unit_roles),
        }


class MemberPlanner:
    """Plans the members of a built city (``city_builder.CityBuilder``, orgs already written so
    that they have primary keys)."""

    def __init__(self, builder, today: dt.date):
        self.b = builder
        self.today = today
        self.rng = random.Random(f"dangjian-demo-{builder.scale}-members")
        self.plan = MemberPlan()
        self.id_seq: dict[tuple[str, dt.date, bool], int] = defaultdict(int)
        self.pinyin: dict[str, str] = {}
        self.units_cache: dict[str, list[Area]] = {}
        self.org_by_path = {o.path: o for level in builder.orgs for o in level}
        self.by_village: dict[str, list[Member]] = defaultdict(list)
        self.cats: dict[int, list[str]] = {}
        self.demo_member: Member | None = None
        # Names come from a pool per sex (people share names; pinyin initials once a name).
        pool_rng = random.Random(f"dangjian-demo-{builder.scale}-names")
        size = NAME_POOL if builder.scale == "city" else NAME_POOL // 10
        self.names = {
            female: sorted({names.member_name(pool_rng, female) for _ in range(size)})
            for female in (False, True)
        }

    # helpers ----------------------------------------------------------------------------------
    def _units_under(self, area: Area) -> list[Area]:
        """Every unit in ``area``'s subtree (cached per node)."""
        cached = self.units_cache.get(area.path)
        if cached is not None:
            return cached
        if area.kind == AreaKind.UNIT:
            out = [area]
        else:
            out = []
            for child in self.b.kids.get(area.path, []):
                out.extend(self._units_under(child))
        self.units_cache[area.path] = out
        return out

    def _initials(self, name: str) -> str:
        value = self.pinyin.get(name)
        if value is None:
            value = self.pinyin[name] = initials(name)
        return value

    def _id_number(self, code: str, birth: dt.date, male: bool) -> str:
        key = (code, birth, male)
        k = self.id_seq[key]
        self.id_seq[key] = k + 1
        if k >= 500:  # never at these sizes: 500 people of one sex born on one day in a county
            raise RuntimeError("ID sequence exhausted")
        first17 = f"{code}{birth:%Y%m%d}{k * 2 + (1 if male else 0):03d}"
        return first17 + id_number_check_digit(first17)

    def _county_code(self, path: str) -> str:
        county = self.b.by_path.get(path[: 2 * tree.STEP_WIDTH])
        return county.code if county is not None and county.code else names.CITY[1]

    def _weight(self, org: PartyOrg) -> float:
        anchor = org.area
        if org.kind == OrgKind.GROUP:
            return 3
        if org.form == OrgForm.JOINT:
            return 15
        if org.form == OrgForm.TEMPORARY:
            return 6
        if org.form == OrgForm.CROSS_VILLAGE:
            return 0
        if anchor.kind == AreaKind.GRID and org.kind == OrgKind.BRANCH:
            return 7
        if anchor.kind in (AreaKind.VILLAGE, AreaKind.COMMUNITY):
            return 20 if org.kind == OrgKind.BRANCH else 5
        return 0

    # members ----------------------------------------------------------------------------------
    def plan_members(self, total: int, demo_user=None) -> MemberPlan:
        from dangjian.demo.bulk import spread

        orgs = [o for level in self.b.orgs for o in level if self._weight(o) > 0]
        sizes = spread(total, [self._weight(o) * self.rng.uniform(0.6, 1.4) for o in orgs], 1)
        for org, n in zip(orgs, sizes, strict=True):
            for _ in range(n):
                self._member(org)
        # The demo member's own file: in the grid branch of the demo grid, living in the unit
        # the demo-member account lives in, linked to that account.
        d = self.b.demo
        self.demo_member = self._member(d["grid_org"], unit=d["unit"], in_service=True)
        if demo_user is not None:
            self._link_demo_user(demo_user)
        self._mobile_and_checkins()
        self._cadres()
        self._unit_roles()
        return self.plan

    def _member(self, org: PartyOrg, *, unit=None, in_service=False) -> Member:
        rng, today = self.rng, self.today
        anchor = org.area
        if unit is None and rng.random() < 0.93:
            units = self._units_under(anchor)
            if units:
                unit = rng.choice(units)
        female = rng.random() < 0.30
        name = rng.choice(self.names[female])
        if in_service:
            low, high = 28, 45
        else:
            low, high = _pick(rng, AGE_BANDS)
        age = rng.randint(low, high)
        birth = add_years(today, -age) - dt.timedelta(days=rng.randint(1, 364))
        roll = rng.random()
        if roll < 0.04:
            status = Status.PROBATIONARY
            joined = today - dt.timedelta(days=rng.randint(10, 330))
            confirmed = None
        else:
            status = Status.SUSPENDED if roll > 0.996 else Status.FULL
            join_age = max(18, min(age - 1, round(rng.gauss(27, 7))))
            joined = add_months(birth, 12 * join_age) + dt.timedelta(days=rng.randint(0, 300))
            latest = add_months(today, -13)
            joined = max(min(joined, latest), add_months(birth, 12 * 18))
            joined = max(joined, dt.date(1921, 7, 1))
            confirmed = add_months(joined, 12)
        mix = next(mix for top, mix in EDUCATION_BY_AGE if age <= top)
        education = _pick(rng, mix)
        village = self.b.by_path.get(unit.path[: 4 * tree.STEP_WIDTH]) if unit is not None else None
        rural = village is not None and village.kind == AreaKind.VILLAGE
        new_business = org.domain == OrgDomain.NEW_BUSINESS
        categories: list[str] = []
        if age >= 60 and not in_service and rng.random() < 0.85:
            occupation = (
                Occupation.RETIRED if not rural or rng.random() < 0.4 else Occupation.FARMER
            )
        elif age <= 24 and rng.random() < 0.4:
            occupation = Occupation.STUDENT
        elif rural and not in_service and rng.random() < 0.45:
            occupation = Occupation.FARMER
        elif new_business:
            occupation = Occupation.WORKER
        else:
            occupation = _pick(rng, WORKING_OCCUPATIONS)
        if occupation == Occupation.RETIRED:
            categories.append(Category.RETIRED)
        elif occupation == Occupation.FARMER:
            categories.append(Category.FARMER)
        elif occupation == Occupation.STUDENT:
            categories.append(Category.STUDENT)
        elif occupation in IN_SERVICE_OCCUPATIONS:
            categories.append(Category.IN_SERVICE)
        if new_business:
            categories.append(Category.NEW_EMPLOYMENT)
        if rng.random() < (0.06 if age >= 70 else 0.02):
            categories.append(Category.IN_DIFFICULTY)
        work_unit = ""
        if Category.IN_SERVICE in categories:
            work_unit = (
                f"{names.township_stem(self.b.by_path[org.area_path[:12]].name)}"
                f"{rng.choice(names.JOINT_SECTORS)}"
                if new_business
                else rng.choice(names.WORK_UNITS)
            )
        code = self._county_code(unit.path if unit is not None else org.area_path)
        id_number = self._id_number(code, birth, not female)
        phone = names.mobile(rng) if rng.random() < 0.9 else ""
        ethnicity = _pick(rng, [("01", 985), ("22", 10), ("03", 5)])
        member = Member(
            name=name,
            name_pinyin=self._initials(name),
            gender=Gender.FEMALE if female else Gender.MALE,
            ethnicity=ethnicity,
            birth_date=birth,
            id_number=id_number,
            id_number_index=crypto.blind_index("id_number", id_number),
            phone=phone,
            phone_index=crypto.blind_index("phone", phone) if phone else "",
            education=education,
            occupation=occupation,
            work_unit=work_unit,
            joined_on=joined,
            confirmed_on=confirmed,
            status=status,
            org=org,
            org_path=org.path,
            unit=unit,
            area_path=unit.path if unit is not None else "",
        )
        self.plan.members.append(member)
        if len(org.area_path) >= 4 * tree.STEP_WIDTH:
            self.by_village[org.area_path[: 4 * tree.STEP_WIDTH]].append(member)
        self.cats[id(member)] = categories
        return member

    def _mobile_and_checkins(self) -> None:
        rng, today = self.rng, self.today
        for m in self.plan.members:
            cats = self.cats[id(m)]
            age = (today - m.birth_date).days // 365
            if (
                m is not self.demo_member
                and 20 <= age <= 55
                and m.status in (Status.FULL, Status.PROBATIONARY)
                and rng.random() < 0.06
            ):
                cats.append(Category.MOBILE)
                left = today - dt.timedelta(days=rng.randint(30, 5 * 365))
                contact = left + dt.timedelta(days=rng.randint(0, (today - left).days))
                if rng.random() < 0.8:  # most keep in touch
                    contact = max(contact, today - dt.timedelta(days=rng.randint(0, 150)))
                report = contact - dt.timedelta(days=rng.randint(0, 200))
                if (
                    m.status == Status.FULL
                    and contact <= add_months(today, -7)
                    and len(self.plan.mobile) % 2 == 0
                ):
                    # Lost: suspended six months after the last contact; the removal warning
                    # counts two years from that day.
                    m.status = Status.SUSPENDED
                    m.suspended_on = add_months(contact, 6)
                issuer = self.org_by_path.get(m.org_path[: 3 * tree.STEP_WIDTH])
                has_card = issuer is not None and rng.random() < 0.7
                self.plan.mobile.append(
                    MobileRegistration(
                        member=m,
                        destination=rng.choice(names.DESTINATIONS),
                        fixed_place=rng.random() < 0.4,
                        left_on=left,
                        contact_phone=m.phone,
                        contact_phone_index=m.phone_index,
                        card_number=f"LD{today.year}{len(self.plan.mobile) + 1:06d}"
                        if has_card
                        else "",
                        card_issuer=issuer if has_card else None,
                        host_org_name=f"{rng.choice(names.DESTINATIONS)[:3]}流动党员党支部"
                        if rng.random() < 0.5
                        else "",
                        last_contact_on=contact,
                        last_report_on=max(report, left) if rng.random() < 0.85 else None,
                    )
                )
            if Category.IN_SERVICE in cats and m.unit is not None and rng.random() < 0.35:
                community = self.b.by_path.get(m.area_path[: 4 * tree.STEP_WIDTH])
                if community is None or community.kind != AreaKind.COMMUNITY:
                    continue
                reported = max(m.joined_on, today - dt.timedelta(days=rng.randint(20, 4 * 365)))
                self.plan.checkins.append(
                    CommunityCheckin(
                        member=m,
                        name=m.name,
                        work_unit=m.work_unit,
                        community=community,
                        area_path=community.path,
                        reported_on=reported,
                        service_hours=Decimal(rng.randint(0, 80)) / 2,
                    )
                )

    # cadres -------------------------------------------------------------------------------------
    def _term(self) -> tuple[dt.date, dt.date]:
        """The current term: elections every five years (2021, 2026, ...) in March."""
        year = 2021 + 5 * ((self.today.year - 2021) // 5)
        start = dt.date(year, 3, 1)
        if start > self.today:
            start = dt.date(year - 5, 3, 1)
        start += dt.timedelta(days=self.rng.randint(0, 40))
        return start, add_months(start, 60)

    def _village_members(self, village: Area) -> list[Member]:
        """Active members filed in the village's organizations (its own and the ones below)."""
        return [
            m
            for m in self.by_village.get(village.path, [])
            if m.status == Status.FULL and m is not self.demo_member
        ]

    def _cadre_person(self, pool: list[Member], *, secretary: bool, link: bool):
        """(member or None, name, gender, birth, education) of a new cadre."""
        rng, today = self.rng, self.today
        if link and pool:
            candidates = [m for m in pool if 25 <= (today - m.birth_date).days // 365 <= 60] or pool
            m = rng.choice(candidates)
            pool.remove(m)
            education = m.education
            college = education in COLLEGE_OR_ABOVE
            # Two committees are better educated than the membership at large.
            if not college and rng.random() < (0.85 if secretary else 0.6):
                education = rng.choice((Education.COLLEGE, Education.BACHELOR))
                m.education = education
            return m, m.name, m.gender, m.birth_date, education
        female = rng.random() < 0.3
        age = rng.randint(35, 57) if secretary else rng.randint(26, 58)
        birth = add_years(today, -age) - dt.timedelta(days=rng.randint(1, 364))
        college_share = 0.9 if secretary else 0.8
        education = (
            rng.choice((Education.COLLEGE, Education.COLLEGE, Education.BACHELOR, Education.MASTER))
            if rng.random() < college_share
            else rng.choice((Education.HIGH_SCHOOL, Education.SECONDARY_VOCATIONAL))
        )
        return (
            None,
            rng.choice(self.names[female]),
            Gender.FEMALE if female else Gender.MALE,
            birth,
            education,
        )

    def _cadre(self, village, committee, position, person, term, **flags) -> Cadre:
        member, name, gender, birth, education = person
        cadre = Cadre(
            name=name,
            name_pinyin=self._initials(name),
            member=member,
            area=village,
            area_path=village.path,
            committee=committee,
            position=position,
            gender=gender,
            birth_date=birth,
            education=education,
            term_start=term[0],
            term_end=term[1],
            party_member=flags.pop("party_member", True),
            **flags,
        )
        self.plan.cadres.append(cadre)
        return cadre

    def _cadres(self) -> None:
        rng = self.rng
        villages = [a for a in self.b.areas[4] if a.kind in (AreaKind.VILLAGE, AreaKind.COMMUNITY)]
        for village in villages:
            pool = self._village_members(village)
            term = self._term()
            own = Committee.VILLAGERS if village.kind == AreaKind.VILLAGE else Committee.RESIDENTS
            one_shoulder = rng.random() < 0.8
            secretary = self._cadre(
                village,
                Committee.PARTY,
                CadrePosition.SECRETARY,
                self._cadre_person(pool, secretary=True, link=True),
                term,
                one_shoulder=one_shoulder,
                cross_holding=one_shoulder,
            )
            if rng.random() < 0.5:
                self._cadre(
                    village,
                    Committee.PARTY,
                    CadrePosition.DEPUTY_SECRETARY,
                    self._cadre_person(pool, secretary=False, link=True),
                    term,
                    cross_holding=rng.random() < 0.5,
                )
            for _ in range(rng.randint(1, 3)):
                self._cadre(
                    village,
                    Committee.PARTY,
                    CadrePosition.MEMBER,
                    self._cadre_person(pool, secretary=False, link=True),
                    term,
                    cross_holding=rng.random() < 0.4,
                )
            if not one_shoulder:
                self._cadre(
                    village,
                    own,
                    CadrePosition.DIRECTOR,
                    self._cadre_person(pool, secretary=False, link=rng.random() < 0.6),
                    term,
                )
            if rng.random() < 0.5:
                self._cadre(
                    village,
                    own,
                    CadrePosition.DEPUTY_DIRECTOR,
                    self._cadre_person(pool, secretary=False, link=False),
                    term,
                    party_member=rng.random() < 0.5,
                )
            for _ in range(rng.randint(1, 3)):
                self._cadre(
                    village,
                    own,
                    CadrePosition.MEMBER,
                    self._cadre_person(pool, secretary=False, link=False),
                    term,
                    party_member=rng.random() < 0.4,
                )
            for _ in range(rng.randint(1, 2)):
                person = self._cadre_person(pool, secretary=False, link=rng.random() < 0.5)
                member, name, gender, _birth, education = person
                age = rng.randint(24, 35)
                birth = (
                    member.birth_date
                    if member is not None
                    else add_years(self.today, -age) - dt.timedelta(days=rng.randint(1, 364))
                )
                reserve = ReserveCadre(
                    name=name,
                    member=member,
                    area=village,
                    area_path=village.path,
                    gender=gender,
                    birth_date=birth,
                    education=education,
                    intended_position=rng.choice(
                        (CadrePosition.SECRETARY, CadrePosition.DIRECTOR, CadrePosition.MEMBER)
                    ),
                    added_on=min(self.today, term[0] + dt.timedelta(days=rng.randint(30, 300))),
                )
                self.plan.reserves.append(reserve)
                self.plan.mentor_pairs.append(
                    MentorPair(
                        mentor=secretary,
                        mentee=reserve,
                        area_path=village.path,
                        started_on=min(self.today, reserve.added_on + dt.timedelta(days=14)),
                        goal="熟悉村(社区)工作，具备独立组织开展工作的能力",
                    )
                )

    # 党员中心户 and 楼栋长 ------------------------------------------------------------------------
    def _unit_roles(self) -> None:
        rng = self.rng
        residents: dict[str, list[Member]] = defaultdict(list)
        for m in self.plan.members:
            if m.unit is not None and m.status == Status.FULL:
                residents[m.area_path].append(m)
        for level in self.b.orgs:
            for org in level:
                if org.kind != OrgKind.GROUP:
                    continue
                living = residents.get(org.area_path)
                if living:
                    m = living[0]
                    self._unit_role(m, org.area, UnitRoleCode.CENTER_HOUSEHOLD, rng.randint(8, 15))
        for unit_path, living in residents.items():
            unit = self.b.by_path[unit_path]
            community = self.b.by_path[unit_path[: 4 * tree.STEP_WIDTH]]
            if community.kind == AreaKind.COMMUNITY and rng.random() < 0.25:
                self._unit_role(rng.choice(living), unit, UnitRoleCode.BUILDING_HEAD, 0)

    def _unit_role(self, member: Member, unit: Area, role: str, households: int) -> None:
        since = max(member.joined_on, self.today - dt.timedelta(days=self.rng.randint(30, 2000)))
        self.plan.unit_roles.append(
            UnitRole(
                member=member,
                member_name=member.name,
                unit=unit,
                area_path=unit.path,
                role=role,
                since=since,
                households=households,
            )
        )

    def _link_demo_user(self, user) -> None:
        """The demo-member account's own file: its name and the account link."""
        m = self.demo_member
        m.user = user
        m.name = user.real_name
        m.name_pinyin = self._initials(m.name)

    def category_rows(self) -> list[MemberCategory]:
        """The category rows, once the members have primary keys."""
        rows = [
            MemberCategory(member=m, code=code)
            for m in self.plan.members
            for code in dict.fromkeys(self.cats[id(m)])
        ]
        self.plan.categories = rows
        return rows
