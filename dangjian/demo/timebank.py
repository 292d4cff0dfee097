"""Demo time bank: per community a volunteer team or two, helpers, a station with riders, a
talent roster, and orders in every state (the small city: a few per community, with the demo
member and the demo resident on some; the whole city: about 30,000).

Written in bulk after the members, but through the same rules as the services: the states a
flow reaches (an order completed has its helpers checked in and out and confirmed, hours
within the window), the place encrypted by its field, and the hours posted to the ledger
through the ledger's own chain function (``core.ledger._digest``) in sequence, keyed as
``flow.post_hours`` keys them, so ``dangjian ledger verify`` passes on the seed. The synthetic
residents and helpers are accounts without a usable password (they cannot sign in).
"""

from __future__ import annotations

import datetime as dt
import random
import time
from collections import defaultdict
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.utils import timezone

from dangjian.accounts.models import User, UserKind
from dangjian.accounts.services import grant_add, resident_grants_add
from dangjian.core import ledger
from dangjian.core.models import LedgerAccount, LedgerEntry, LedgerHead, LedgerTransaction
from dangjian.members.models import Member
from dangjian.territory.models import Area, AreaKind
from dangjian.timebank.models import (
    Order,
    OrderState,
    OrderStep,
    Participation,
    Rider,
    ServiceClass,
    Station,
    TalentOffer,
    TeamMembership,
    VolunteerTeam,
    WorkerKind,
)
from dangjian.timebank.models import ParticipationState as PS
from dangjian.timebank.riders import ASSISTANT_ROLE

BATCH = 5000
CITY_ORDERS = 30_000
NEEDS = {
    ServiceClass.ELDERLY: "帮独居老人打扫卫生、陪同就医",
    ServiceClass.CHILDREN: "放学后照看孩子写作业",
    ServiceClass.REPAIR: "厨房水龙头漏水，需要上门维修",
    ServiceClass.CLEANING: "楼道堆放杂物，需要清理",
    ServiceClass.HEALTH: "老人测量血压、血糖",
    ServiceClass.LEGAL: "咨询赡养纠纷的法律问题",
    ServiceClass.TUTORING: "初中数学辅导",
    ServiceClass.ERRAND: "代买生活用品",
    ServiceClass.OTHER: "协助填写社保材料",
}
SKILLS = [
    (ServiceClass.REPAIR, "家电维修"),
    (ServiceClass.HEALTH, "健康咨询"),
    (ServiceClass.LEGAL, "法律咨询"),
    (ServiceClass.TUTORING, "课业辅导"),
    (ServiceClass.OTHER, "理发"),
]
# (state, share): completed orders are most of a year's history.
STATES = [
    (OrderState.COMPLETED, 0.70),
    (OrderState.CANCELLED, 0.06),
    (OrderState.EXPIRED, 0.06),
    (OrderState.OPEN, 0.08),
    (OrderState.STAFFED, 0.05),
    (OrderState.ORDERED, 0.05),
]


def _bulk(model, rows) -> list:
    out = []
    for i in range(0, len(rows), BATCH):
        out += model.objects.bulk_create(rows[i : i + BATCH])
    return out


def _pick_state(rng: random.Random) -> str:
    roll, acc = rng.random(), 0.0
    for state, share in STATES:
        acc += share
        if roll < acc:
            return state
    return OrderState.COMPLETED


def seed_timebank(b, users: dict, progress: bool = False) -> dict:
    """Write the demo time bank for the city ``b`` built; return the counts."""
    t0 = time.perf_counter()
    rng = random.Random(f"dangjian-timebank-{b.scale}")
    city = b.scale == "city"
    now = timezone.now().replace(microsecond=0)
    communities = list(
        Area.objects.filter(kind__in=(AreaKind.COMMUNITY, AreaKind.VILLAGE)).order_by("path")
    )
    grids: dict[int, list[Area]] = defaultdict(list)
    by_path = {c.path: c for c in communities}
    for g in Area.objects.filter(kind=AreaKind.GRID).only("id", "path", "name"):
        c = by_path.get(g.path[: len(g.path) - 4])
        if c is not None:
            grids[c.pk].append(g)
    communities = [c for c in communities if grids.get(c.pk)]
    demo_member, demo_resident = users.get("demo-member"), users.get("demo-resident")
    home_path = demo_resident.area_path if demo_resident else ""
    home = next((c for c in communities if home_path.startswith(c.path)), None)
    if home is None and communities:
        home = communities[0]

    # Accounts that act: one resident and a few helpers per community (no usable password).
    unusable = make_password(None)
    helpers_per = 2 if city else 4
    people = []
    for i, c in enumerate(communities):
        g = grids[c.pk][0]
        people.append(
            User(
                username=f"tb-r{i:05d}",
                real_name=f"{c.name}居民",
                kind=UserKind.RESIDENT,
                area=g,
                area_path=g.path,
                password=unusable,
            )
        )
        for j in range(helpers_per):
            people.append(
                User(
                    username=f"tb-h{i:05d}-{j}",
                    real_name=f"{c.name}志愿者{j + 1}",
                    kind=UserKind.MEMBER,
                    area=g,
                    area_path=g.path,
                    password=unusable,
                )
            )
    people = _bulk(User, people)
    # The residents hold the resident role, as the community's bulk opening of accounts gives it.
    resident_grants_add(actor=None, users=[u for u in people if u.kind == UserKind.RESIDENT])
    residents: dict[int, User] = {}
    helpers: dict[int, list[User]] = defaultdict(list)
    k = 0
    for c in communities:
        residents[c.pk] = people[k]
        helpers[c.pk] = people[k + 1 : k + 1 + helpers_per]
        k += 1 + helpers_per
    if home is not None:
        if demo_resident is not None:
            residents[home.pk] = demo_resident
        if demo_member is not None:
            helpers[home.pk] = [demo_member, *helpers[home.pk]]
    member_of = {
        m.user_id: m
        for m in Member.objects.filter(user_id__isnull=False).only(
            "id", "user_id", "org_path", "work_unit"
        )
    }

    # Teams, their members, stations, the talent roster.
    kinds = ["women", "elderly", "youth"]
    teams = _bulk(
        VolunteerTeam,
        [
            VolunteerTeam(
                name=f"{c.name}{['巾帼红', '夕阳红', '创业青年'][n]}志愿服务队",
                kind=kinds[n],
                community=c,
                area_path=c.path,
                description="演示数据",
            )
            for c in communities
            for n in range(1 if city else 2)
        ],
    )
    team_of: dict[int, VolunteerTeam] = {}
    for t in teams:
        team_of.setdefault(t.community_id, t)
    today = timezone.localdate()
    _bulk(
        TeamMembership,
        [
            TeamMembership(
                team=t,
                user=u,
                member=member_of.get(u.pk),
                role="leader" if n == 0 else "member",
                joined_on=today - dt.timedelta(days=200),
            )
            for t in teams
            for n, u in enumerate(helpers[t.community_id])
        ],
    )
    stations = _bulk(
        Station,
        [
            Station(
                name=f"{c.name}{'红色' if n % 2 else '爱心'}驿站",
                kind="red" if n % 2 else "love",
                area=grids[c.pk][0],
                area_path=grids[c.pk][0].path,
                location=f"{grids[c.pk][0].name}党群服务点",
                services="饮水、充电、休息、应急药品",
                opening_hours="8:00-20:00",
            )
            for n, c in enumerate(communities)
            if not city or n % 5 == 0
        ],
    )
    # At each station a courier, a rider and a driver registered (accounts without a usable
    # password); the rider is an assistant grid worker there, with the grid worker's grant
    # ``timebank.riders.rider_assistant_set`` gives.
    platforms = [
        ("courier", "顺丰速运", "莆田顺丰"),
        ("rider", "美团外卖", ""),
        ("driver", "滴滴出行", ""),
    ]
    rider_users = _bulk(
        User,
        [
            User(
                username=f"tb-q{si:05d}-{k}",
                real_name=f"{s.name[:6]}{WorkerKind(kind).label}",
                kind=UserKind.RESIDENT,
                area=s.area,
                area_path=s.area_path,
                password=unusable,
            )
            for si, s in enumerate(stations)
            for k, (kind, _platform, _company) in enumerate(platforms)
        ],
    )
    resident_grants_add(actor=None, users=rider_users)  # as the rider import opens them
    rider_rows = []
    for n, u in enumerate(rider_users):
        s = stations[n // len(platforms)]
        kind, platform, company = platforms[n % len(platforms)]
        rider_rows.append(
            Rider(
                user=u,
                name=u.real_name,
                kind=kind,
                platform=platform,
                company=company,
                station=s,
                area_path=s.area_path,
                assistant_grid_worker=kind == "rider",
            )
        )
    station_riders = _bulk(Rider, rider_rows)
    for r in station_riders:
        if r.assistant_grid_worker:
            grant_add(actor=None, user=r.user, role_code=ASSISTANT_ROLE, area=r.station.area)
    talents = _bulk(
        TalentOffer,
        [
            TalentOffer(
                community=c,
                area_path=helpers[c.pk][n].area_path,
                user=helpers[c.pk][n],
                member=member_of.get(helpers[c.pk][n].pk),
                name=str(helpers[c.pk][n]),
                service_class=SKILLS[(i + n) % len(SKILLS)][0],
                skill=SKILLS[(i + n) % len(SKILLS)][1],
                description="演示数据",
                available="周末全天",
            )
            for i, c in enumerate(communities)
            for n in range(min(2, len(helpers[c.pk])))
            if not city or i % 3 == 0
        ],
    )

    # Orders: a dozen per community in the small city, ~30,000 over the whole city, or the
    # number asked for (``seed --orders N``) spread over the communities at either scale.
    total = getattr(b, "timebank_orders", None) or (CITY_ORDERS if city else None)
    per = max(1, total // max(1, len(communities))) if total else 12
    orders, plans = [], []
    serial = 0
    for c in communities:
        for n in range(per):
            serial += 1
            state = _pick_state(rng)
            if not city and n < len(STATES):
                state = STATES[n][0]  # every state in every small community
            sc = rng.choice(ServiceClass.values)
            g = rng.choice(grids[c.pk])
            if state in (OrderState.OPEN, OrderState.STAFFED, OrderState.ORDERED):
                start = now + dt.timedelta(hours=rng.randint(2, 96))
            else:
                start = now - dt.timedelta(days=rng.randint(1, 360), hours=rng.randint(0, 12))
            end = start + dt.timedelta(hours=rng.choice([2, 3, 4]))
            wanted = rng.choice([1, 1, 2, 3])
            crew = helpers[c.pk][:wanted]
            dispatched = state != OrderState.ORDERED
            team = team_of.get(c.pk) if dispatched and rng.random() < 0.4 else None
            accepted = {
                OrderState.COMPLETED: len(crew),
                OrderState.STAFFED: len(crew),
                OrderState.OPEN: min(len(crew), wanted - 1),
            }.get(state, 0)
            if state == OrderState.STAFFED:
                wanted = len(crew)
            orders.append(
                Order(
                    no=f"TB{start:%Y%m%d}D{serial:07d}",
                    service_class=sc,
                    description=NEEDS[sc],
                    requester=residents[c.pk],
                    requester_name=str(residents[c.pk]),
                    community=c,
                    area=g,
                    area_path=g.path,
                    place=f"{g.name}{rng.randint(1, 30)}号楼{rng.randint(1, 6)}0{rng.randint(1, 4)}室",
                    starts_at=start,
                    ends_at=end,
                    helpers_wanted=wanted,
                    accepted_count=accepted,
                    state=state,
                    team=team,
                    open_to_checked_in=dispatched and team is None,
                    # Never after now: an order for next week was dispatched already.
                    dispatched_at=min(start - dt.timedelta(days=1), now - dt.timedelta(hours=1))
                    if dispatched
                    else None,
                    rating=rng.choice([4, 5, 5, 5]) if state == OrderState.COMPLETED else None,
                    rating_comment="服务很周到" if state == OrderState.COMPLETED else "",
                    confirmed_at=end + dt.timedelta(hours=1)
                    if state == OrderState.COMPLETED
                    else None,
                    cancel_reason="时间冲突，改约" if state == OrderState.CANCELLED else "",
                )
            )
            plans.append((crew[:accepted], start, end, team))
    orders = _bulk(Order, orders)

    parts, steps = [], []
    for o, (crew, start, end, team) in zip(orders, plans, strict=True):
        steps.append(
            OrderStep(
                order=o,
                action="create",
                to_state="ordered",
                at=min(o.starts_at - dt.timedelta(days=2), now - dt.timedelta(hours=2)),
                actor_name=o.requester_name,
            )
        )
        if o.dispatched_at:
            steps.append(
                OrderStep(
                    order=o,
                    action="dispatch",
                    from_state="ordered",
                    to_state="open",
                    at=o.dispatched_at,
                    actor_name="社区工作人员",
                )
            )
        for u in crew:
            m = member_of.get(u.pk)
            done = o.state == OrderState.COMPLETED
            minutes = rng.randint(60, int((end - start).total_seconds() // 60))
            out_at = start + dt.timedelta(minutes=minutes) if done else None
            parts.append(
                Participation(
                    order=o,
                    user=u,
                    name=str(u),
                    member=m,
                    org_path=m.org_path if m else "",
                    work_unit=m.work_unit if m else "",
                    area_path=o.area_path,
                    team=team,
                    state=PS.CONFIRMED if done else PS.ACCEPTED,
                    accepted_at=min(o.dispatched_at + dt.timedelta(hours=1), now),
                    check_in_at=start if done else None,
                    check_out_at=out_at,
                    hours=(Decimal(minutes) / 60).quantize(Decimal("0.01")) if done else 0,
                    confirmed_at=o.confirmed_at,
                )
            )
        if o.state in (OrderState.COMPLETED, OrderState.CANCELLED, OrderState.EXPIRED):
            last = {"completed": "confirm", "cancelled": "cancel", "expired": "expire"}[o.state]
            steps.append(
                OrderStep(
                    order=o,
                    action=last,
                    from_state="open",
                    to_state=o.state,
                    at=min(o.confirmed_at or o.ends_at, now),
                    actor_name=o.requester_name if last != "expire" else "系统",
                )
            )
    parts = _bulk(Participation, parts)
    _bulk(OrderStep, steps)

    # The ledger: a community account and each helper's time account, one transaction per
    # confirmed participation, chained in sequence.
    confirmed = sorted((p for p in parts if p.state == PS.CONFIRMED), key=lambda p: p.confirmed_at)
    comm_of_order = {o.pk: o.community for o in orders}
    accounts: dict[str, LedgerAccount] = {}
    for c in communities:
        accounts[f"timebank:community:{c.pk}"] = LedgerAccount(
            ledger="timebank",
            code=f"timebank:community:{c.pk}",
            name=f"{c.name}时间银行",
            area_path=c.path,
            allow_negative=True,
        )
    for p in confirmed:
        code = f"timebank:user:{p.user_id}"
        if code not in accounts:
            accounts[code] = LedgerAccount(
                ledger="timebank",
                code=code,
                name=f"{p.name}的时间账户",
                owner_type="accounts.user",
                owner_id=p.user_id,
                area_path=p.user.area_path,
            )
    balances: dict[str, Decimal] = defaultdict(Decimal)
    for p in confirmed:
        balances[f"timebank:community:{comm_of_order[p.order_id].pk}"] -= p.hours
        balances[f"timebank:user:{p.user_id}"] += p.hours
    for code, acct in accounts.items():
        acct.balance = balances.get(code, Decimal("0")).quantize(Decimal("0.01"))
    existing = set(
        LedgerAccount.objects.filter(ledger="timebank", code__in=list(accounts)).values_list(
            "code", flat=True
        )
    )
    _bulk(LedgerAccount, [a for code, a in accounts.items() if code not in existing])
    acct_pk = dict(
        LedgerAccount.objects.filter(ledger="timebank", code__in=list(accounts)).values_list(
            "code", "pk"
        )
    )
    head, _ = LedgerHead.objects.get_or_create(ledger="timebank")
    seq, prev = head.seq, head.last_hash
    txns, legs = [], []
    for p in confirmed:
        seq += 1
        txn = LedgerTransaction(
            ledger="timebank",
            seq=seq,
            idempotency_key=ledger.idempotency_key("timebank", "participation", f"{p.pk}:0"),
            kind="service_hours",
            memo=f"{p.order.no} 志愿服务时长",
            occurred_on=timezone.localdate(p.check_out_at),
            created_at=p.confirmed_at,
            prev_hash=prev,
        )
        c_pk = acct_pk[f"timebank:community:{comm_of_order[p.order_id].pk}"]
        u_pk = acct_pk[f"timebank:user:{p.user_id}"]
        entries = [(c_pk, -p.hours), (u_pk, p.hours)]
        txn.hash = ledger._digest(prev, txn, entries)
        prev = txn.hash
        txns.append(txn)
        legs.append((p, c_pk, u_pk))
    txns = _bulk(LedgerTransaction, txns)
    entry_rows = []
    for txn, (p, c_pk, u_pk) in zip(txns, legs, strict=True):
        entry_rows.append(LedgerEntry(transaction=txn, account_id=c_pk, amount=-p.hours))
        entry_rows.append(LedgerEntry(transaction=txn, account_id=u_pk, amount=p.hours))
        p.txn_id = txn.pk
    _bulk(LedgerEntry, entry_rows)
    for i in range(0, len(confirmed), BATCH):
        Participation.objects.bulk_update(confirmed[i : i + BATCH], ["txn"])
    LedgerHead.objects.filter(pk=head.pk).update(seq=seq, last_hash=prev)
    return {
        "timebank_orders": len(orders),
        "timebank_participations": len(parts),
        "timebank_teams": len(teams),
        "timebank_stations": len(stations),
        "timebank_riders": len(station_riders),
        "timebank_talents": len(talents),
        "timebank_hours_transactions": len(txns),
        "timebank_seconds": round(time.perf_counter() - t0, 2),
    }
