"""The demo city generator.

``seed("small")`` builds a small city (2 counties of 2 townships, households listed one by
one); ``seed("city")`` a Putian-like one: 1 city, 7 counties, 54 townships and streets, 1,000
villages and communities, 10,260 grids, 123,839 units, 7,025 grid branches and 5,904 unit
groups (households and population counted on units, no Household rows).

Everything is planned in memory first (the shapes by ``demo.city_shapes``, the rows by
``demo.city_builder.CityBuilder``: paths through ``core.tree``, pinyin through
``core.pinyin``, counts rolled up from the units), then written level by level with
``bulk_create`` inside one transaction. Phones go through the EncryptedField and
``core.crypto.blind_index`` like the services write them; one audit row records the run. The
result is deterministic for a scale: the same city every time.
"""

from __future__ import annotations

import random
import time
from collections import Counter

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.utils import timezone

from dangjian.accounts.models import Department, Grant, Role, User, UserKind
from dangjian.accounts.services import grants_bulk_add
from dangjian.core import audit, crypto
from dangjian.demo import names
from dangjian.demo.accounts import DEMO_USERNAMES
from dangjian.demo.bulk import write_rows
from dangjian.demo.city_builder import CityBuilder
from dangjian.demo.city_shapes import city_shape, small_shape
from dangjian.organizations.models import OrgForm, OrgKind, PartyOrg
from dangjian.territory.models import Area, AreaKind, Household

SCALES = ("small", "city", "city10")
SCALE_LABELS = {"small": "小型演示城市", "city": "全市规模", "city10": "全市规模×10"}
# A scale that is another one with ``times`` the members and events (the flat-cost run:
# the same city tree, 1,000,000 members and 2,000,000 events).
SCALE_TIMES = {"city10": ("city", 10)}
MAX_TIMES = 20

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
    base = CITY_MEMBERS if b.scale == "city" else SMALL_MEMBERS
    plan = planner.plan_members(base * b.times, demo_user)
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
# In the order they run: the members filed for applicants past step 17 exist before the
# organizational life (they sit on rolls) and the dues (each of them has a dues category); the
# time bank before the points (the points sweep collects what the other seeds earned), the
# assessment last (it computes from everything).
MODULES = (
    "members",
    "cases",
    "development",
    "orglife",
    "dues",
    "timebank",
    "points",
    "assessment",
)
MODULE_LABELS = {
    "members": "党员",
    "cases": "网格事件",
    "orglife": "组织生活",
    "dues": "党费",
    "development": "党员发展",
    "points": "积分",
    "assessment": "考核",
    "timebank": "时间银行",
}
MODULE_NEEDS = {
    "orglife": "members",
    "dues": "members",
    "development": "members",
    "points": "members",
    "assessment": "members",
    "timebank": "members",
}


def _analyze() -> None:
    """Planner statistics for the rows just written, inside the seed's own transaction.

    PostgreSQL's ANALYZE counts the rows its own transaction inserted. Without statistics
    (autovacuum sees nothing until the seed commits) the planner takes the city's tables for
    empty, and a later seeder's read - the assessment's dues sweep, the roll-ups - picks nested
    loops over seq scans and runs for tens of minutes instead of a second."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def _seeder(module: str, name: str):
    """The seeder ``name`` of ``dangjian.demo.<module>``, imported when it runs (each module's
    demo pulls in that module's models and services)."""

    def load():
        from importlib import import_module

        return getattr(import_module(f"dangjian.demo.{module}"), name)

    return load


# The registry of module seeders after the trees, the accounts and the members: each takes the
# builder, the demo users by username and whether to show progress, and answers its counts.
MAX_TIMEBANK_ORDERS = 200_000
SEEDERS = {
    "cases": _seeder("cases", "seed_events"),
    "orglife": _seeder("orglife", "seed_orglife"),
    "dues": _seeder("dues", "seed_dues"),
    "development": _seeder("development", "seed_with_progress"),
    "timebank": _seeder("timebank", "seed_timebank"),
    # After the sources: the points sweep collects what the other seeds earned.
    "points": _seeder("points", "seed_points"),
    "assessment": _seeder("assessment", "seed_assessment"),
}


def seed(
    scale: str,
    progress: bool = True,
    modules: tuple[str, ...] = MODULES,
    *,
    timebank_orders: int | None = None,
    times: int = 1,
) -> dict:
    """Build the demo city at ``scale`` ("small", "city" or "city10") into an empty database.

    ``times`` multiplies the members and the events over the same tree of areas and
    organizations (``city10`` is ``city`` with ``times=10``): the flat-cost benchmark's city.

    ``modules`` chooses which modules' demo data follow the trees and accounts (all by default;
    none for the trees and accounts alone, which is what the foundation benchmark times).
    ``timebank_orders``: how many time-bank orders in all (the city's ~30,000 at any scale);
    by default a dozen per community in the small city, ~30,000 in the whole city.
    Returns the counts written (also recorded in the one ``demo.seed`` audit row).
    """
    if scale not in SCALES:
        raise CommandError(
            f"未知的规模“{scale}”，可选：small（小型演示城市）、city（全市规模）或 city10（全市规模×10）"
        )
    if not isinstance(times, int) or not 1 <= times <= MAX_TIMES:
        raise CommandError(f"倍数（--times）应为1至{MAX_TIMES}的整数")
    label = SCALE_LABELS[scale] + (f"×{times}" if times > 1 else "")
    if scale in SCALE_TIMES:
        scale, factor = SCALE_TIMES[scale]
        times *= factor
    unknown = [m for m in modules if m not in MODULES]
    if unknown:
        raise CommandError(f"未知的模块“{'、'.join(unknown)}”，可选：{'、'.join(MODULES)}")
    for module, needed in MODULE_NEEDS.items():
        if module in modules and needed not in modules:
            raise CommandError(
                f"{MODULE_LABELS[module]}演示数据需要{MODULE_LABELS[needed]}演示数据，"
                f"请同时选择 {needed}"
            )

    if timebank_orders is not None:
        if "timebank" not in modules:
            raise CommandError("指定订单数（--orders）需要同时生成时间银行演示数据（timebank）")
        if not 1 <= timebank_orders <= MAX_TIMEBANK_ORDERS:
            raise CommandError(f"订单数（--orders）应在1到{MAX_TIMEBANK_ORDERS}之间")
    if settings.DANGJIAN_ENV == "production":
        raise CommandError("生产模式（DANGJIAN_ENV=production）不能生成演示数据")
    started = time.perf_counter()
    with transaction.atomic():
        held = [
            f"{label} {n} 个"
            for label, n in (
                ("区域", Area.objects.count()),
                ("党组织", PartyOrg.objects.count()),
                ("账号", User.objects.count()),
            )
            if n
        ]
        if held:
            raise CommandError(
                f"数据库中已有数据（{'，'.join(held)}），拒绝生成演示数据：演示数据只能写入空数据库。"
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
        b.timebank_orders = timebank_orders
        b.times = times
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
        _analyze()
        event_counts: dict = {}
        for module in sorted(modules, key=MODULES.index):
            seeder = SEEDERS.get(module)
            if seeder is not None:
                event_counts.update(seeder()(b, by_name, progress))
                _analyze()
        if modules:  # the dashboard's roll-ups of what the module seeders wrote
            event_counts.update(_seeder("dashboard", "seed_rollups")()(b, by_name, progress))
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
            object_repr=f"{b.city.name}（{label}）",
            after=counts,
            area_path=b.city.path,
            org_path=b.city_org.path,
        )
    _analyze()
    counts["seconds"] = round(time.perf_counter() - started, 2)
    return counts
