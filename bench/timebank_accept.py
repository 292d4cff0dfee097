"""Time-bank acceptance under 16 concurrent clients: each round a resident's order for ``W``
helpers is dispatched to a team of 16, and the 16 members accept it at once (one thread each,
released together by a barrier), through the one transition service (row lock, capacity check,
once per member). Figures: attempts per second, successful acceptances per second, latency
median / p95 / p99 of an attempt; then the oversell check over every order (participations ≤
places, ``accepted_count`` equal to them, each round exactly ``W`` winners). Target: zero
oversell (the throughput and p99 are reported, not judged).

``python -m bench.timebank_accept [--backend postgresql|sqlite] [--rounds N] [--places W]``
on a fresh database (``bench.common.setup``; PostgreSQL at ``BENCH_DATABASE_URL``). Prints
figures; never asserts on time.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import threading
import time

from bench import common

CLIENTS = 16


def _world():
    from django.db import transaction

    from dangjian.accounts import services as accounts
    from dangjian.accounts.models import User, UserKind
    from dangjian.core.treemodel import node_insert
    from dangjian.territory.models import LEVEL_OF, Area, AreaKind
    from dangjian.timebank import services

    accounts.roles_sync()

    @transaction.atomic
    def area(parent, name, kind):
        return node_insert(Area, parent=parent, name=name, kind=kind, level=LEVEL_OF[kind])

    city = area(None, "基准市", AreaKind.CITY)
    county = area(city, "基准区", AreaKind.COUNTY)
    street = area(county, "基准街道", AreaKind.STREET)
    community = area(street, "基准社区", AreaKind.COMMUNITY)
    grid = area(community, "基准网格", AreaKind.GRID)

    def user(name, kind, role, node=None, home=None):
        u = User(
            username=name, real_name=name, kind=kind, area=home, area_path=home.path if home else ""
        )
        u.set_unusable_password()
        u.save()
        accounts.grant_add(actor=None, user=u, role_code=role, area=node)
        return u

    secretary = user("bench-secretary", UserKind.STAFF, "secretary", node=community, home=community)
    resident = user("bench-resident", UserKind.RESIDENT, "resident", home=grid)
    helpers = [
        user(f"bench-helper-{i}", UserKind.MEMBER, "member", home=grid) for i in range(CLIENTS)
    ]
    team = services.team_create(actor=secretary, community=community, name="基准队", kind="women")
    for h in helpers:
        services.team_member_add(actor=secretary, team=team, user=h)
    return secretary, resident, helpers, team


def run(rounds: int, places: int) -> dict:
    from django.db import connections
    from django.http import Http404
    from django.utils import timezone

    from dangjian.core.errors import Conflict
    from dangjian.timebank import services
    from dangjian.timebank.models import Order, Participation

    secretary, resident, helpers, team = _world()
    latencies: list[float] = []
    winners_per_round: list[int] = []
    refused_other: list[str] = []
    lock = threading.Lock()
    wall = 0.0
    for _ in range(rounds):
        now = timezone.now()
        o = services.order_create(
            actor=resident,
            service_class="elderly",
            description="基准订单",
            place="基准地点",
            starts_at=now + dt.timedelta(hours=1),
            ends_at=now + dt.timedelta(hours=3),
            helpers_wanted=places,
        )
        services.order_transition(actor=secretary, order=o, action="dispatch", team_id=team.pk)
        barrier = threading.Barrier(CLIENTS)
        wins = []

        def go(u, pk=o.pk, barrier=barrier, wins=wins):
            try:
                barrier.wait()
                t0 = time.perf_counter()
                try:
                    services.order_transition(actor=u, order=Order(pk=pk), action="accept")
                    ok = True
                except (Conflict, Http404) as exc:
                    ok = False
                    if "满员" not in str(exc):
                        with lock:
                            refused_other.append(str(exc))
                ms = (time.perf_counter() - t0) * 1000
                with lock:
                    latencies.append(ms)
                    if ok:
                        wins.append(u.pk)
            finally:
                connections.close_all()

        threads = [threading.Thread(target=go, args=(u,)) for u in helpers]
        t0 = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall += time.perf_counter() - t0
        winners_per_round.append(len(wins))

    oversold = 0
    for o in Order.objects.all():
        n = Participation.objects.filter(order=o).count()
        if n > o.helpers_wanted or n != o.accepted_count:
            oversold += 1
    lat = sorted(latencies)
    p = lambda q: round(lat[min(len(lat) - 1, round(q * (len(lat) - 1)))], 1)  # noqa: E731
    return {
        "rounds": rounds,
        "clients": CLIENTS,
        "places": places,
        "attempts": len(lat),
        "accepted": sum(winners_per_round),
        "attempts_per_s": round(len(lat) / wall, 1),
        "accepted_per_s": round(sum(winners_per_round) / wall, 1),
        "median_ms": round(statistics.median(lat), 1),
        "p95_ms": p(0.95),
        "p99_ms": p(0.99),
        "rounds_with_wrong_winners": sum(1 for w in winners_per_round if w != places),
        "oversold_orders": oversold,
        "unexpected_refusals": refused_other[:5],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", default="postgresql", choices=("postgresql", "sqlite"))
    parser.add_argument("--rounds", type=int, default=50)
    parser.add_argument("--places", type=int, default=4)
    args = parser.parse_args()
    common.setup(args.backend)
    result = run(args.rounds, args.places)
    result["database"] = common.database_version()
    result["machine"] = common.machine()
    print(json.dumps(result, ensure_ascii=False, indent=2))
    met = result["oversold_orders"] == 0 and result["rounds_with_wrong_winners"] == 0
    print(
        f"接单并发：{CLIENTS}个客户端，{result['attempts_per_s']}次/秒（成功"
        f"{result['accepted_per_s']}次/秒），p99 {result['p99_ms']} ms；"
        f"超卖订单 {result['oversold_orders']} 个 —— 目标“零超卖”: {'达成' if met else '未达成'}"
        f"（target {'met' if met else 'not met'}）"
    )


if __name__ == "__main__":
    main()
