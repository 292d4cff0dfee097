"""The dashboard at city scale: the whole city's dashboard request read from the roll-ups
against the same figures computed live by the figure registry's hand-written aggregations
(the statements the roll-ups are built from); a street's dashboard; the compliance board and
the arrears list read from the rows stored with the roll-ups.

``python -m bench.dashboard [sqlite|postgresql] [city|small]`` seeds the city with every
module (``seed --scale … --modules members,cases,orglife,dues,development``; its own SQLite file
``var/bench/dashboard.sqlite3`` unless ``BENCH_SQLITE_PATH`` says otherwise), computes the
roll-ups of the last 3 months (timed: the background task's work), then times:

- ``city``: ``GET /api/v1/dashboard/`` as a city user (the city and its counties, every
  figure, year to date; target ≤ 50 ms median on SQLite);
- ``live``: the same month's figures computed from raw data (every source, added up the
  tree): what a dashboard without roll-ups would run (target: roll-ups ≥ 20× faster);
- ``street``: ``GET /api/v1/dashboard/`` as a street user;
- ``board``: ``GET /api/v1/dashboard/compliance/?page_size=200`` as a city user (the
  colour totals of every branch and the first page; target ≤ 300 ms);
- ``arrears``: ``GET /api/v1/dashboard/arrears/?page_size=200`` as a city user;
- ``street_members``, ``street_events``: the first page of the members and events lists as
  the street user (with the street's area filter, as a figure's link opens them).

The scale may be ``city10`` (``seed --scale city10``: the same tree with 1,000,000 members and
2,000,000 events), the flat-cost run: compare the street's dashboard and first list pages with
a run at ``city`` (target: within 1.2×). On PostgreSQL: ``BENCH_DATABASE_URL=postgres://…
python -m bench.dashboard postgresql city10``.

Prints figures; never asserts on time. ``--reuse``: time the database already seeded.
``BENCH_DASHBOARD_MODULES`` (default the five above) seeds fewer modules, e.g. ``members,cases``
for a flat-cost pair (1× and 10× with the same modules) that a 2-core machine can seed in a
session; ``BENCH_DASHBOARD_LIVE`` (default 3) sets how many times the live computation runs;
``BENCH_DASHBOARD_REFRESH=0`` (with ``--reuse``) skips the recomputation and times the roll-ups
already stored.
"""

from __future__ import annotations

import os
import sys
import time

CITY_TARGET_MS = 50
RATIO_TARGET = 20
BOARD_TARGET_MS = 300


def _users():
    """A city and a street officer, each granted as the demo's are: on the area and on the
    party organization anchored there (members are reached through the organization tree,
    so an area grant alone shows a street officer no member)."""
    from dangjian.accounts import services
    from dangjian.accounts.models import Grant, User
    from dangjian.organizations.models import PartyOrg
    from dangjian.territory.models import Area

    city = Area.objects.defer("boundary").get(parent__isnull=True)
    street = (
        Area.objects.defer("boundary").filter(kind__in=("street", "township")).order_by("path")[0]
    )
    out = {}
    for name, node, role in (("city", city, "city_staff"), ("street", street, "township_staff")):
        username = f"bench-dash-{name}"
        u = User.objects.filter(username=username).first()
        if u is None:
            u = User(username=username, real_name="bench", area=node, area_path=node.path)
            u.set_unusable_password()
            u.save()
            services.grant_add(actor=None, user=u, role_code=role, area=node)
        org = PartyOrg.objects.filter(area=node).order_by("path").first()
        if org is not None and not Grant.objects.filter(user=u, org=org).exists():
            services.grant_add(actor=None, user=u, role_code=role, org=org)
        out[name] = u
    return out


def run(iterations: int = 50, warmup: int = 5, live_iterations: int = 3) -> dict:
    from django.test import Client

    from bench import common
    from dangjian.accounts import services
    from dangjian.dashboard.models import ArrearsRow, BranchCompliance, Rollup
    from dangjian.dashboard.rollups import engine

    users = _users()
    months = engine.window(3)
    refresh_s = current_s = None
    # BENCH_DASHBOARD_REFRESH=0 (with --reuse): time the reads over the roll-ups already
    # stored, so that runs alternated between two databases (the flat-cost pair) each read the
    # same rows rather than rows rewritten (and their dead versions) by a recomputation.
    if os.environ.get("BENCH_DASHBOARD_REFRESH", "1") != "0":
        t0 = time.perf_counter()
        engine.recompute(months)
        refresh_s = round(time.perf_counter() - t0, 1)
        t0 = time.perf_counter()
        engine.refresh(months=1)
        current_s = round(time.perf_counter() - t0, 1)
    client = Client()
    headers = {
        name: {"Authorization": f"Bearer {services.token_issue(user=u)[0]}"}
        for name, u in users.items()
    }

    def get(who, path):
        def call():
            r = client.get(path, headers=headers[who])
            assert r.status_code == 200, r.content[:300]
            return r

        return call

    ctx = engine.context(months[-1])

    def live():
        return engine.compute(ctx)

    city = get("city", "/api/v1/dashboard/")
    body = city().json()
    fast = common.measure_many(
        {
            "city": city,
            "street": get("street", "/api/v1/dashboard/"),
            "board": get("city", "/api/v1/dashboard/compliance/?page_size=200"),
            "arrears": get("city", "/api/v1/dashboard/arrears/?page_size=200"),
            "street_members": get(
                "street", f"/api/v1/members/?org_area={users['street'].area_id}&page_size=20"
            ),
            "street_events": get(
                "street", f"/api/v1/cases/?area={users['street'].area_id}&page_size=20"
            ),
        },
        iterations,
        warmup,
    )
    # How many rows the street's first pages count: 10× at city10, for the flat-cost pair.
    counts = {
        name: get("street", path)().json()["count"]
        for name, path in (
            ("street_members", f"/api/v1/members/?org_area={users['street'].area_id}&page_size=20"),
            ("street_events", f"/api/v1/cases/?area={users['street'].area_id}&page_size=20"),
        )
    }
    slow = common.measure(live, live_iterations, 1)
    ratio = round(slow["median_ms"] / fast["city"]["median_ms"], 1)
    # This process's CPU time per run too: on a loaded machine the wall clock mostly measures
    # the wait for a core (SQLite runs in the process, so its CPU time is the whole work).
    cpu = {}
    for name, fn, n in (("city", city, iterations), ("live", live, live_iterations)):
        p0 = time.process_time()
        for _ in range(n):
            fn()
        cpu[name] = round((time.process_time() - p0) / n * 1000, 1)
    return {
        "refresh_3_months_s": refresh_s,
        "refresh_current_s": current_s,
        "rollups": Rollup.objects.count(),
        "branches": BranchCompliance.objects.filter(month=months[-1]).count(),
        "arrears_rows": ArrearsRow.objects.count(),
        "figures": len(body["items"][0]["figures"]),
        "children": len(body["items"][0]["children"]),
        **fast,
        "live": slow,
        "ratio": ratio,
        "counts": counts,
        "cpu_ms": cpu,
        "cpu_ratio": round(cpu["live"] / cpu["city"], 1) if cpu["city"] else None,
    }


def report(r: dict) -> list[str]:
    def ok(flag):
        return "达成" if flag else "未达成"

    return [
        f"指标汇总 {r['rollups']:,} 行（近3个月），重算近3个月 {r['refresh_3_months_s']} s，"
        f"只重算当月 {r['refresh_current_s']} s（None：未重算）；支部 {r['branches']:,}，"
        f"欠缴 {r['arrears_rows']:,}",
        f"全市一张图（{r['figures']} 项指标 × 本级和 {r['children']} 个下级）中位 "
        f"{r['city']['median_ms']:.1f} ms / p95 {r['city']['p95_ms']:.1f} ms  目标 ≤{CITY_TARGET_MS} ms: "
        f"{ok(r['city']['median_ms'] <= CITY_TARGET_MS)}",
        f"同样的指标现算（手写聚合）中位 {r['live']['median_ms']:.0f} ms；倍数 {r['ratio']}×  "
        f"目标 ≥{RATIO_TARGET}×: {ok(r['ratio'] >= RATIO_TARGET)}",
        f"本进程 CPU：一张图 {r['cpu_ms']['city']} ms，现算 {r['cpu_ms']['live']} ms，倍数 {r['cpu_ratio']}×",
        f"街道一张图中位 {r['street']['median_ms']:.1f} ms / p95 {r['street']['p95_ms']:.1f} ms",
        f"全市组织生活看板（汇总，首页200条+红黄绿合计）中位 {r['board']['median_ms']:.1f} ms  "
        f"目标 ≤{BOARD_TARGET_MS} ms: {ok(r['board']['median_ms'] <= BOARD_TARGET_MS)}",
        f"全市党费欠缴名单（汇总，首页200条）中位 {r['arrears']['median_ms']:.1f} ms",
        f"街道党员列表首页中位 {r['street_members']['median_ms']:.1f} ms"
        f"（共 {r['counts']['street_members']:,} 名），"
        f"街道事件列表首页中位 {r['street_events']['median_ms']:.1f} ms"
        f"（共 {r['counts']['street_events']:,} 件）",
    ]


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    backend = args[0] if args else "sqlite"
    scale = args[1] if len(args) > 1 else "city"
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    os.environ.setdefault("BENCH_SQLITE_PATH", str(root / "var" / "bench" / "dashboard.sqlite3"))
    from bench import common

    common.seeded(backend, scale, os.environ.get("BENCH_DASHBOARD_MODULES", common.CITY_MODULES))
    result = run(
        int(os.environ.get("BENCH_DASHBOARD_ITERATIONS", 50)),
        int(os.environ.get("BENCH_DASHBOARD_WARMUP", 5)),
        int(os.environ.get("BENCH_DASHBOARD_LIVE", 3)),
    )
    print("\n".join(report(result)))
    print(common.machine())
