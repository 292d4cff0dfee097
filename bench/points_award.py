"""Points: awarding a batch of 100,000 source events through the one keyed award service, its
replay, and the city's member ranking for a year against hand-written SQL.

Targets: ≥ 10,000 awards/s on SQLite; the replay of the same batch writes nothing; the
ranking ≤ 1.5× the hand-written SQL (medians).

``python -m bench.points_award [--backend sqlite|postgresql] [--events N] [--iterations N]``
builds a fresh database (``bench.common.setup``; set ``BENCH_SQLITE_PATH`` to run beside
another benchmark): a city party committee with 7 county committees of 8 branches each,
10,000 members' accounts, one members' scheme (先锋指数) per county with a rule for household
visits, then awards ``N`` visit events spread over the year to them. Prints figures; never
asserts on time.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import time
from decimal import Decimal

from bench import common

USERS = 10_000
TARGET_RATE = 10_000


def _build():
    from django.db import transaction

    from dangjian.accounts import services as accounts
    from dangjian.accounts.models import User
    from dangjian.core.treemodel import node_insert
    from dangjian.organizations.models import OrgDomain, OrgKind, PartyOrg
    from dangjian.points import services
    from dangjian.territory.models import LEVEL_OF, Area, AreaKind

    accounts.roles_sync()
    with transaction.atomic():
        city = node_insert(
            Area, parent=None, name="莆田市", kind=AreaKind.CITY, level=LEVEL_OF[AreaKind.CITY]
        )
        root = node_insert(
            PartyOrg,
            parent=None,
            name="中共莆田市委",
            kind=OrgKind.COMMITTEE,
            domain=OrgDomain.AGENCY,
            area=city,
            area_path=city.path,
        )
        branches = []
        counties = []
        for c in range(7):
            county = node_insert(
                PartyOrg,
                parent=root,
                name=f"县委{c}",
                kind=OrgKind.COMMITTEE,
                domain=OrgDomain.AGENCY,
                area=city,
                area_path=city.path,
            )
            counties.append(county)
            for b in range(8):
                branches.append(
                    node_insert(
                        PartyOrg,
                        parent=county,
                        name=f"支部{c}-{b}",
                        kind=OrgKind.BRANCH,
                        domain=OrgDomain.COMMUNITY,
                        area=city,
                        area_path=city.path,
                    )
                )
        staff = User(username="bench-points", real_name="基准测试")
        staff.set_unusable_password()
        staff.save()
        accounts.grant_add(actor=None, user=staff, role_code="city_staff", org=root)
        accounts.grant_add(actor=None, user=staff, role_code="city_staff", area=city)
        User.objects.bulk_create(
            [
                User(username=f"bench-m{i}", real_name=f"党员{i}", password="!", kind="member")
                for i in range(USERS)
            ],
            batch_size=1000,
        )
    people = list(
        User.objects.filter(username__startswith="bench-m")
        .order_by("pk")
        .values_list("pk", "real_name")
    )
    for county in counties:
        s = services.scheme_create(
            actor=staff,
            data={"name": f"{county.name}先锋指数", "audience": "members", "org_id": county.pk},
        )
        services.rule_create(
            actor=staff,
            scheme_id=s.pk,
            data={
                "name": "入户走访",
                "category": "联系群众",
                "points": "2",
                "source": "cases.visit",
            },
        )
    return staff, root, branches, people


def _events(n, branches, people, year):
    from dangjian.points.sources import SourceEvent

    start = dt.date(year, 1, 1)
    out = []
    for i in range(n):
        user_id, name = people[i % len(people)]
        branch = branches[user_id % len(branches)]
        out.append(
            SourceEvent(
                "cases.visit",
                str(i),
                user_id,
                name,
                "",
                branch.path,
                start + dt.timedelta(days=i % 360),
                Decimal(1),
            )
        )
    return out


def _counts():
    from dangjian.core.models import LedgerEntry, LedgerTransaction
    from dangjian.points.models import Award

    return (Award.objects.count(), LedgerTransaction.objects.count(), LedgerEntry.objects.count())


def run(n: int, iterations: int, warmup: int) -> dict:
    from django.db import connection

    from dangjian.accounts.models import User
    from dangjian.core import ledger
    from dangjian.core.tree import path_end
    from dangjian.points import selectors, services

    year = dt.date.today().year - 1
    staff, root, branches, people = _build()
    events = _events(n, branches, people, year)

    t0, c0 = time.perf_counter(), time.process_time()
    made = services.award_events(events)
    first, cpu = time.perf_counter() - t0, time.process_time() - c0
    before = _counts()
    t0 = time.perf_counter()
    again = services.award_events(events)
    replay = time.perf_counter() - t0
    after = _counts()
    problems = ledger.verify("points")

    start, end = dt.date(year, 1, 1), dt.date(year + 1, 1, 1)
    sql = (
        "SELECT user_id, SUM(points) AS total FROM points_award "
        "WHERE state = %s AND occurred_on >= %s AND occurred_on < %s "
        "AND org_path >= %s AND org_path < %s "
        "GROUP BY user_id ORDER BY total DESC, user_id LIMIT 50"
    )

    def ours():
        return selectors.ranking(
            User.objects.get(pk=staff.pk), start=start, end=end, org_path=root.path, limit=50
        )

    def hand():
        with connection.cursor() as cur:
            cur.execute(sql, ["posted", start, end, root.path, path_end(root.path)])
            rows = cur.fetchall()
            ids = [int(u) for u, _ in rows]
            marks = ",".join(["%s"] * len(ids))
            cur.execute(
                f"SELECT DISTINCT user_id, subject_name FROM points_award WHERE user_id IN ({marks})",
                ids,
            )
            return rows, cur.fetchall()

    a = [(r.user_id, r.points) for r in ours()]
    b = [(u, Decimal(str(t)).quantize(Decimal("0.01"))) for u, t in hand()[0]]
    if a != b:
        raise SystemExit(f"the ranking and the hand-written SQL disagree: {a[:3]} != {b[:3]}")
    timed = common.measure_many({"ranking": ours, "hand_sql": hand}, iterations, warmup)
    ratio = timed["ranking"]["median_ms"] / timed["hand_sql"]["median_ms"]
    return {
        "events": n,
        "awards": made,
        "award_seconds": round(first, 2),
        "awards_per_second": round(made / first),
        # On a shared machine the wall clock counts other processes' turns: the process's own
        # CPU time (SQLite runs in-process, so its work counts too) is shown beside it.
        "award_cpu_seconds": round(cpu, 2),
        "awards_per_cpu_second": round(made / cpu),
        "rate_verdict": f"目标 ≥{TARGET_RATE}/s: {'达成' if made / first >= TARGET_RATE else '未达成'}",
        "replay_awards": again,
        "replay_seconds": round(replay, 2),
        "replay_wrote_nothing": before == after,
        "ledger_verify_problems": len(problems),
        "ranking": timed["ranking"],
        "hand_sql": timed["hand_sql"],
        "ranking_ratio": round(ratio, 2),
        "ranking_verdict": common.verdict(ratio),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--backend", default="sqlite", choices=("sqlite", "postgresql"))
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--iterations", type=int, default=50)
    args = parser.parse_args()
    common.setup(args.backend)
    result = {
        "backend": args.backend,
        "database": common.database_version(),
        "machine": common.machine(),
        **run(args.events, args.iterations, max(2, args.iterations // 10)),
    }
    print(json.dumps(result, ensure_ascii=False, indent=1, default=str))


if __name__ == "__main__":
    main()
