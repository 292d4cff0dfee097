"""Event metrics (``cases.selectors.event_metrics``, ``GET /api/v1/cases/metrics``) for the whole
city over the last year, against the same figures computed by hand-written SQL on the same
database. Target: ORM ≤ 1.5 × SQL.

``python -m bench.cases_metrics [--backend sqlite|postgresql] [--scale city] [--iterations N]``
seeds a fresh database (``bench.common.setup``; PostgreSQL at ``BENCH_DATABASE_URL``), timing
the seed (with the ~200,000 demo events), then times both sides: the ORM as a request runs it
(the user's grants read afresh), and the SQL side as one statement grouped by class and
department (as the platform reads it) with the same path range and period conditions, plus the
class and department names, assembled into the same figures.
The two answers are checked equal before timing. Prints figures; never asserts on time.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os

from bench import common

# One pass over the events, grouped by (class, department): what the platform does too (three
# statements, one per table of the answer, were three passes over the city's events).
SQL_GROUPS = """
SELECT e.event_class_id, e.department_id,
  SUM(CASE WHEN e.reported_at >= %s AND e.reported_at < %s THEN 1 ELSE 0 END),
  SUM(CASE WHEN {o} THEN 1 ELSE 0 END),
  SUM(CASE WHEN {o} AND e.first_dispatched_at IS NOT NULL THEN 1 ELSE 0 END),
  SUM(CASE WHEN {o} AND e.accepted_at IS NOT NULL THEN 1 ELSE 0 END),
  SUM(CASE WHEN {o} AND e.closed_at IS NOT NULL THEN 1 ELSE 0 END),
  SUM(CASE WHEN {o} AND e.closed_at IS NOT NULL AND e.on_time THEN 1 ELSE 0 END),
  SUM(CASE WHEN {o} AND e.closed_at IS NOT NULL AND e.resolution = 'solved' THEN 1 ELSE 0 END),
  SUM(CASE WHEN {o} AND e.source IN ({rated}) AND e.rating <> '' THEN 1 ELSE 0 END),
  SUM(CASE WHEN {o} AND e.source IN ({rated}) AND e.rating IN ('satisfied', 'basic')
      THEN 1 ELSE 0 END),
  SUM(CASE WHEN {o} AND e.overdue_at IS NOT NULL THEN 1 ELSE 0 END),
  SUM(CASE WHEN {o} AND e.closed_at IS NOT NULL THEN e.handling_seconds END),
  COUNT(CASE WHEN {o} AND e.closed_at IS NOT NULL THEN e.handling_seconds END)
FROM cases_event e
WHERE e.area_path >= %s AND e.area_path < %s
  AND ({o} OR (e.reported_at >= %s AND e.reported_at < %s))
GROUP BY e.event_class_id, e.department_id
"""

FIGURES = (
    "opened",
    "dispatched",
    "responded",
    "closed",
    "closed_on_time",
    "solved",
    "evaluated",
    "satisfied",
    "overdue",
)


def _rate(num, den):
    return round(num / den, 4) if den else None


def _add(into: list, values) -> None:
    for i, v in enumerate(values):
        into[i] += int(v or 0)


def _figures(values) -> dict:
    n = len(FIGURES)
    out = {k: int(v) for k, v in zip(FIGURES, values[:n], strict=True)}
    total, timed = values[n], values[n + 1]
    out.update(
        {
            "closure_rate": _rate(out["closed"], out["opened"]),
            "on_time_rate": _rate(out["closed_on_time"], out["closed"]),
            "response_rate": _rate(out["responded"], out["dispatched"]),
            "resolution_rate": _rate(out["solved"], out["closed"]),
            "satisfaction_rate": _rate(out["satisfied"], out["evaluated"]),
            "avg_handling_hours": round(total / timed / 3600, 2) if timed else None,
        }
    )
    return out


def sql_metrics(city_path: str, path_end: str, start, end) -> dict:
    """The same answer as ``event_metrics`` for the whole city, by hand."""
    from django.db import connection

    from dangjian.accounts.labels import format_label, label_paths
    from dangjian.cases.models import RATED_SOURCES

    # Datetimes as the backend stores them (UTC text on SQLite), like any field would.
    start = connection.ops.adapt_datetimefield_value(start)
    end = connection.ops.adapt_datetimefield_value(end)

    o = "(e.opened_at IS NOT NULL AND e.opened_at >= %s AND e.opened_at < %s)"
    # Parameters in order of appearance: the reported range, each {o} (11 times), the path
    # range, one more {o} and the reported range of the WHERE clause.
    params = [start, end] + [start, end] * 11 + [city_path, path_end] + [start, end, start, end]
    width = len(FIGURES) + 2
    rated = ", ".join(f"'{s}'" for s in RATED_SOURCES)
    reported = 0
    totals = [0] * width
    per_class: dict = {}
    per_department: dict = {}
    with connection.cursor() as cur:
        cur.execute(SQL_GROUPS.format(o=o, rated=rated), params)
        for class_id, department_id, rep, *values in cur.fetchall():
            reported += int(rep or 0)
            _add(totals, values)
            if not values[0]:
                continue
            _add(per_class.setdefault(class_id, [0] * width), values)
            if department_id is not None:
                _add(per_department.setdefault(department_id, [0] * width), values)
        ids = [k for k in per_class if k is not None]
        classes = {}
        if ids:
            cur.execute(
                "SELECT id, code, name, kind, sort FROM cases_eventclass WHERE id IN ({})".format(
                    ",".join(["%s"] * len(ids))
                ),
                ids,
            )
            classes = {r[0]: r[1:] for r in cur.fetchall()}
        depts = {}
        areas = {}
        if per_department:
            cur.execute(
                "SELECT id, name, area_path FROM accounts_department WHERE id IN ({})".format(
                    ",".join(["%s"] * len(per_department))
                ),
                list(per_department),
            )
            depts = {r[0]: r[1:] for r in cur.fetchall()}
            paths = sorted({p for _n, path in depts.values() for p in label_paths(path)})
            cur.execute(
                "SELECT path, name FROM territory_area WHERE path IN ({})".format(
                    ",".join(["%s"] * len(paths))
                ),
                paths,
            )
            areas = dict(cur.fetchall())
    names = {pk: n for pk, (n, _p) in depts.items()}

    def class_order(pk):
        c = classes.get(pk)
        return (1, 0, "") if c is None else (0, c[3], c[0])

    by_class = []
    for pk in sorted(per_class, key=class_order):
        code, name, kind, _ = classes.get(pk, ("", "未分类", "", 0))
        by_class.append({"code": code, "name": name, "kind": kind, **_figures(per_class[pk])})
    by_department = [
        {
            "id": pk,
            "name": names[pk],
            "label": format_label(names[pk], depts[pk][1], areas),
            **_figures(per_department[pk]),
        }
        for pk in sorted(per_department, key=lambda pk: (depts[pk][1], names[pk], pk))
    ]
    return {
        "totals": {"reported": reported, **_figures(totals)},
        "by_class": by_class,
        "by_department": by_department,
    }


def _user():
    from dangjian.accounts import services
    from dangjian.accounts.models import User
    from dangjian.territory.models import Area

    city = Area.objects.defer("boundary").get(parent__isnull=True)
    u = User.objects.filter(username="bench-cases-city").first()
    if u is None:
        u = User(username="bench-cases-city", real_name="基准测试", area=city, area_path=city.path)
        u.set_unusable_password()
        u.save()
        services.grant_add(actor=None, user=u, role_code="city_staff", area=city)
    return u, city


def run(iterations: int, warmup: int) -> dict:
    from dangjian.accounts.models import User
    from dangjian.cases import selectors
    from dangjian.cases.models import Event
    from dangjian.core import tree
    from dangjian.core.workdays import OFFICE_TZ

    user, city = _user()
    today = dt.date.today()
    date_from, date_to = today - dt.timedelta(days=364), today
    start = dt.datetime.combine(date_from, dt.time(0), tzinfo=OFFICE_TZ)
    end = dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time(0), tzinfo=OFFICE_TZ)

    def orm():
        fresh = User.objects.get(pk=user.pk)  # a request reads the user and grants afresh
        return selectors.event_metrics(fresh, date_from=date_from, date_to=date_to)

    def sql():
        return sql_metrics(city.path, tree.path_end(city.path), start, end)

    a, b = orm(), sql()
    same = (
        a["totals"] == b["totals"]
        and a["by_class"] == b["by_class"]
        and a["by_department"] == b["by_department"]
    )
    if not same:
        raise SystemExit(
            "ORM and SQL disagree:\n"
            + json.dumps({"orm": a["totals"], "sql": b["totals"]}, ensure_ascii=False)
        )
    timed = common.measure_many({"orm": orm, "sql": sql}, iterations, warmup)
    ratio = timed["orm"]["median_ms"] / timed["sql"]["median_ms"]
    return {
        "events": Event.objects.count(),
        "opened_in_year": a["totals"]["opened"],
        "closure_rate": a["totals"]["closure_rate"],
        "classes": len(a["by_class"]),
        "departments": len(a["by_department"]),
        "orm": timed["orm"],
        "sql": timed["sql"],
        "ratio": round(ratio, 2),
        "verdict": common.verdict(ratio),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", default="sqlite", choices=("sqlite", "postgresql"))
    parser.add_argument("--scale", default="city", choices=("small", "city"))
    parser.add_argument("--iterations", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument(
        "--reuse", action="store_true", help="measure on the database an earlier run seeded"
    )
    args = parser.parse_args()
    # A database file of its own, so other benchmarks running at the same time keep theirs.
    common.SQLITE_PATH = common.BENCH_DIR / "cases_metrics.sqlite3"
    if args.reuse:
        # The database an earlier run seeded: measure again without seeding.
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dangjian.settings")
        os.environ["DANGJIAN_VAR_DIR"] = str(common.BENCH_DIR)
        if args.backend == "sqlite":
            os.environ.pop("DATABASE_URL", None)
            os.environ["DANGJIAN_SQLITE_PATH"] = str(common.SQLITE_PATH)
        else:
            os.environ["DATABASE_URL"] = os.environ["BENCH_DATABASE_URL"]
        import django

        django.setup()
        seed = {"seconds": float("nan")}
    else:
        common.setup(args.backend)
        from bench import seed_city

        seed = seed_city.run(args.scale, ("cases",))
    from dangjian.core.models import AuditEntry

    counts = AuditEntry.objects.get(action="demo.seed").after
    result = run(args.iterations, args.warmup)
    print(json.dumps({"machine": common.machine()}, ensure_ascii=False))
    print(f"数据库：{common.database_version()}")
    print(
        f"seed --scale {args.scale}: {seed['seconds']:.1f} s，其中事件 "
        f"{counts.get('event_seconds')} s（{counts.get('events', 0):,} 件，"
        f"处理记录 {counts.get('event_steps', 0):,} 条，办结率 {counts.get('events_closure_rate')}），"
        f"训练分类模型 {counts.get('classifier_seconds')} s，留出集准确率 "
        f"{counts.get('classifier_accuracy')}"
    )
    print(
        f"全市近一年事件指标：事件 {result['events']:,} 件，立案 {result['opened_in_year']:,} 件，"
        f"办结率 {result['closure_rate']}；类别 {result['classes']} 个，部门 {result['departments']} 个"
    )
    o, s = result["orm"], result["sql"]
    print(
        f"ORM 中位 {o['median_ms']:.1f} ms / p95 {o['p95_ms']:.1f} ms；"
        f"手写 SQL 中位 {s['median_ms']:.1f} ms / p95 {s['p95_ms']:.1f} ms；"
        f"ORM/SQL {result['ratio']}×（{o['iterations']} 次）  {result['verdict']}"
    )


if __name__ == "__main__":
    main()
