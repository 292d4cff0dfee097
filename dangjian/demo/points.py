"""Demo points: a year of them in the demo community, written through the points services.

The demo community gets a residents' scheme (积分制: environment work, volunteering, 美丽庭院
with evidence, reports closed as solved, a black-list deduction) and its party committee a
members' scheme (先锋指数: attendance, dues paid on time, household visits, 合格党员十条
claims). A dozen residents of its units and the demo resident earn manual awards month by
month over the past year through the committee's review (approved and scored), some claims wait
in the review queue, the sweep collects what the orglife, dues and cases seeds earned, the year's
stars are named and the demo resident has redeemed from the catalogue (one receipt used, one
waiting at the counter). Deterministic per scale; the same rows at both scales.
"""

from __future__ import annotations

import datetime as dt
import random
import time

from django.contrib.auth.hashers import make_password
from django.utils import timezone

from dangjian.accounts.models import User, UserKind
from dangjian.accounts.services import resident_grants_add
from dangjian.points import services
from dangjian.points.models import Award, Redemption
from dangjian.territory.models import Area, AreaKind

SURNAMES = "陈林黄张吴王郑李刘蔡杨许"
GIVEN = (
    "秀英",
    "建华",
    "丽娟",
    "国强",
    "美玲",
    "志明",
    "春花",
    "文斌",
    "玉兰",
    "海峰",
    "淑芬",
    "金水",
)

RESIDENT_RULES = [
    ("环境卫生", "环境整治", "5", {"evidence_required": True, "cap": "20"}),
    ("志愿服务", "志愿服务", "10", {}),
    ("美丽庭院", "美丽庭院", "20", {"evidence_required": True, "cap": "20"}),
    ("乱堆乱放", "环境整治", "5", {"list_kind": "black"}),
]
MEMBER_RULES = [
    ("参加组织生活", "合格党员十条", "2", {"source": "orglife.attendance"}),
    ("按时交纳党费", "合格党员十条", "1", {"source": "dues.on_time"}),
    ("入户走访", "联系群众", "3", {"source": "cases.visit", "cap": "30"}),
    ("亮身份作表率", "合格党员十条", "5", {"evidence_required": True}),
]
ITEMS = [
    ("洗衣液", "20", 30),
    ("大米（5公斤）", "50", 20),
    ("理发服务", "10", 50),
    ("保温杯", "80", 5),
]


def _residents(community: Area, rng: random.Random) -> list[User]:
    units = list(
        Area.objects.filter(
            kind=AreaKind.UNIT, path__gte=community.path, path__lt=community.path_end
        ).order_by("path")[:12]
    )
    unusable = make_password(None)
    people = [
        User(
            username=f"demo-jm{i + 1:02d}",
            real_name=SURNAMES[i % len(SURNAMES)] + GIVEN[i % len(GIVEN)],
            kind=UserKind.RESIDENT,
            area=units[i % len(units)],
            area_path=units[i % len(units)].path,
            password=unusable,
        )
        for i in range(12 if units else 0)
    ]
    User.objects.bulk_create(people)
    made = list(User.objects.filter(username__startswith="demo-jm").order_by("username"))
    # Residents of the community hold the resident role (they report events, order, follow
    # their points), as the community's bulk opening of accounts gives it.
    resident_grants_add(actor=None, users=made)
    return made


def seed_points(b, users: dict, progress: bool = False) -> dict:
    t0 = time.perf_counter()
    rng = random.Random(f"dangjian-points-{b.scale}")
    community = Area.objects.get(pk=b.demo["community"].pk)
    secretary = users["demo-community"]
    today = timezone.localdate()
    residents = _residents(community, rng)
    resident = users.get("demo-resident")
    if resident is not None and resident.area_path.startswith(community.path):
        residents.append(resident)

    rs = services.scheme_create(
        actor=secretary,
        data={
            "name": f"{community.name}居民积分",
            "audience": "residents",
            "area_id": community.pk,
            "name_display": "surname",
            "star_count": 5,
        },
    )
    ms = services.scheme_create(
        actor=secretary,
        data={
            "name": f"{community.name}党员先锋指数",
            "audience": "members",
            "org_id": b.demo["community_org"].pk,
            "name_display": "full",
            "star_count": 5,
        },
    )
    rules = {}
    for scheme, table in ((rs, RESIDENT_RULES), (ms, MEMBER_RULES)):
        for name, category, pts, extra in table:
            rules[name] = services.rule_create(
                actor=secretary,
                scheme_id=scheme.pk,
                data={
                    "name": name,
                    "category": category,
                    "points": pts,
                    "cap_period": "month",
                    **extra,
                },
            )
    items = [
        services.item_create(
            actor=secretary, scheme_id=rs.pk, data={"name": n, "price": p, "stock": s}
        )
        for n, p, s in ITEMS
    ]

    # A year of manual awards: each month, most residents do something the committee scores.
    def claim(user, rule, day, evidence="", state="posted"):
        a = services.award_submit(
            actor=secretary,
            rule_id=rule.pk,
            user_id=user.pk,
            data={"evidence": evidence, "occurred_on": day},
        )
        if state in ("approved", "posted"):
            services.award_transition(
                actor=secretary, award_id=a.pk, action="approve", note="月度评议通过"
            )
        if state == "posted":
            try:
                services.award_transition(
                    actor=secretary, award_id=a.pk, action="score", note="季度评分"
                )
            except Exception:  # a cap reached or a deduction beyond the balance: stays approved
                pass
        return a

    for months_back in range(12, 0, -1):
        first = (today.replace(day=1) - dt.timedelta(days=30 * months_back)).replace(day=1)
        for user in residents:
            day = first + dt.timedelta(days=rng.randrange(0, 27))
            roll = rng.random()
            if roll < 0.5:
                claim(user, rules["环境卫生"], day, "清理房前屋后杂物，照片已存档")
            if rng.random() < 0.4:
                claim(user, rules["志愿服务"], day, "参加社区志愿服务")
            if rng.random() < 0.1:
                claim(user, rules["美丽庭院"], day, "庭院整洁、绿植齐全")
            if rng.random() < 0.05:
                claim(user, rules["乱堆乱放"], day, "楼道堆放杂物，经劝导未清理")
    # This month: claims waiting for the committee.
    for user in residents[:4]:
        claim(user, rules["志愿服务"], today, "协助社区核酸采样点秩序维护", state="submitted")
    for user in residents[4:6]:
        claim(user, rules["环境卫生"], today, "清理绿化带垃圾", state="approved")

    collected = services.collect()

    stars = services.stars_award(actor=secretary, scheme_id=rs.pk, year=today.year)
    redemptions = 0
    if resident is not None and resident in residents:
        from dangjian.points.selectors import my_balances

        bal = {x.scheme.pk: x.balance for x in my_balances(resident)}.get(rs.pk, 0)
        if bal >= 30:
            used = services.redemption_create(actor=resident, item_id=items[2].pk)
            services.receipt_use(actor=secretary, code=used.code)
            services.redemption_create(actor=resident, item_id=items[0].pk)
            redemptions = 2
    for user in residents[:6]:
        from dangjian.points.selectors import my_balances

        if {x.scheme.pk: x.balance for x in my_balances(user)}.get(rs.pk, 0) >= 50:
            services.redemption_create(actor=user, item_id=items[1].pk)
            redemptions += 1
    return {
        "points_schemes": 2,
        "points_awards": Award.objects.count(),
        "points_collected": sum(collected.values()),
        "points_stars": len(stars),
        "points_redemptions": Redemption.objects.count() or redemptions,
        "points_seconds": round(time.perf_counter() - t0, 2),
    }
