"""The organizational-life compliance board for the whole city (every branch, one year) against
hand-written SQL on the same database.

``python -m bench.orglife_compliance [sqlite|postgresql] [city|small]`` seeds the city (its own
SQLite file ``var/bench/orglife.sqlite3`` unless ``BENCH_SQLITE_PATH`` says otherwise, so it
does not clobber another benchmark's database), then times:

- ``orm``: ``compliance.board(user, period=<this year>)`` as a request runs it, for a user with
  a city_staff grant on the city committee (grants read afresh each time);
- ``sql``: the same seven statements written by hand (branches and groups; full members
  per organization; distinct held sessions per organization, type and month, and the same for
  the participants of joint sessions; attendance and ratings per host organization; the
  branch secretaries with the party lessons they hosted in the year) with the
  same path-range conditions, fed to the same arithmetic (``compliance.assemble``) so the answer
  is identical (checked before timing).

Target: ORM ≤ 2× the hand-written SQL. Prints figures; never asserts on time.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import time

TARGET = 2.0


def _user():
    from dangjian.accounts import services
    from dangjian.accounts.models import User
    from dangjian.organizations.models import PartyOrg
    from dangjian.territory.models import Area

    city = Area.objects.defer("boundary").get(parent__isnull=True)
    city_org = PartyOrg.objects.defer("contact_phone").get(parent__isnull=True)
    u = User.objects.filter(username="bench-orglife-city").first()
    if u is None:
        u = User(username="bench-orglife-city", real_name="bench", area=city, area_path=city.path)
        u.set_unusable_password()
        u.save()
        services.grant_add(actor=None, user=u, role_code="city_staff", area=city)
        services.grant_add(actor=None, user=u, role_code="city_staff", org=city_org)
    return u, city_org


def _sql_facts(connection, root: str, end: str, span):
    from dangjian.orglife import compliance

    year = compliance.Span("year", span.year, 1)
    lo, hi = year.keys[0], year.keys[-1]
    slo, shi = span.keys[0], span.keys[-1]
    with connection.cursor() as cur:
        cur.execute(
            "SELECT id, path, name, kind, parent_id, established_on FROM organizations_partyorg"
            " WHERE path >= %s AND path < %s AND kind IN ('branch', 'general_branch', 'group')",
            [root, end],
        )
        orgs = cur.fetchall()
        cur.execute(
            "SELECT org_id, COUNT(*) FROM members_member WHERE org_path >= %s AND org_path < %s"
            " AND status = 'full' AND left_on IS NULL GROUP BY org_id",
            [root, end],
        )
        full = cur.fetchall()
        cur.execute(
            "SELECT DISTINCT org_id, session_type, month FROM orglife_session"
            " WHERE org_path >= %s AND org_path < %s AND state = 'held'"
            " AND month >= %s AND month <= %s",
            [root, end, lo, hi],
        )
        held = cur.fetchall()
        cur.execute(
            "SELECT DISTINCT so.org_id, s.session_type, s.month FROM orglife_sessionorg so"
            " JOIN orglife_session s ON s.id = so.session_id"
            " WHERE so.org_path >= %s AND so.org_path < %s AND s.state = 'held'"
            " AND s.month >= %s AND s.month <= %s",
            [root, end, lo, hi],
        )
        held += cur.fetchall()
        cur.execute(
            "SELECT s.org_id,"
            " SUM(CASE WHEN a.status = 'present' THEN 1 ELSE 0 END),"
            " SUM(CASE WHEN a.status = 'leave' AND a.leave_approved THEN 0 ELSE 1 END)"
            " FROM orglife_attendance a JOIN orglife_session s ON s.id = a.session_id"
            " WHERE a.org_path >= %s AND a.org_path < %s AND s.state = 'held'"
            " AND s.month >= %s AND s.month <= %s AND a.role NOT IN ('invitee', 'leader')"
            " GROUP BY s.org_id",
            [root, end, slo, shi],
        )
        attendance = cur.fetchall()
        cur.execute(
            "SELECT s.org_id, SUM(r.score), COUNT(*) FROM orglife_rating r"
            " JOIN orglife_session s ON s.id = r.session_id"
            " WHERE s.org_path >= %s AND s.org_path < %s AND s.month >= %s AND s.month <= %s"
            " GROUP BY s.org_id",
            [root, end, slo, shi],
        )
        ratings = cur.fetchall()
        # The secretary's own party lesson: the serving party secretary of the village or
        # community each branch of that domain is anchored to, with the lessons they hosted.
        branches = (
            "FROM organizations_partyorg o WHERE o.path >= %s AND o.path < %s"
            " AND o.kind IN ('branch', 'general_branch') AND o.domain IN ('village', 'community')"
        )
        lessons = (
            "SELECT COUNT(*) FROM orglife_session s WHERE s.host_id = c.member_id"
            " AND s.session_type = 'party_lesson' AND s.month >= %s AND s.month <= %s"
            " AND s.state = %s"
        )
        cur.execute(
            f"SELECT (SELECT o.id {branches} AND o.area_id = c.area_id ORDER BY o.path LIMIT 1),"
            f" c.name, c.member_id, ({lessons}), ({lessons})"
            " FROM members_cadre c WHERE c.committee = 'party' AND c.position = 'secretary'"
            " AND c.term_start <= %s AND (c.ended_on IS NULL OR c.ended_on >= %s)"
            f" AND c.area_id IN (SELECT o.area_id {branches})"
            " ORDER BY c.term_start, c.id",
            [
                *(root, end, lo, hi, "held", lo, hi, "scheduled"),
                *(dt.date(span.year, 12, 31), dt.date(span.year, 1, 1), root, end),
            ],
        )
        secretaries = [tuple(r) for r in cur.fetchall()]
    return compliance.Facts(orgs, full, held, attendance, ratings, secretaries)


def run(iterations: int = 10, warmup: int = 2) -> dict:
    from django.db import connection
    from django.utils import timezone

    from bench import common
    from dangjian.orglife import compliance
    from dangjian.orglife.models import Attendance, Session

    user, city_org = _user()
    today = timezone.localdate()
    period = str(today.year)
    span = compliance.parse_period(period, today)

    def orm():
        user.forget_grants()
        return compliance.board(user, period=period, today=today)

    def sql():
        facts = _sql_facts(connection, city_org.path, city_org.path_end, span)
        rows = compliance.assemble(facts, span, today)
        totals = {"green": 0, "amber": 0, "red": 0}
        for r in rows:
            totals[r["colour"]] += 1
        return rows, totals

    got = orm()
    rows, totals = sql()
    assert got["branches"] == rows and got["totals"] == totals, "ORM and SQL disagree"
    m = common.measure_many({"orm": orm, "sql": sql}, iterations, warmup)
    ratio = round(m["orm"]["median_ms"] / m["sql"]["median_ms"], 2)
    return {
        "branches": len(rows),
        "sessions": Session.objects.count(),
        "attendance": Attendance.objects.count(),
        "period": period,
        "totals": totals,
        "orm": m["orm"],
        "sql": m["sql"],
        "ratio": ratio,
        "target_met": ratio <= TARGET,
    }


def report(result: dict) -> list[str]:
    t = result["totals"]
    return [
        f"党支部 {result['branches']:,} 个，组织生活 {result['sessions']:,} 次，出席记录 "
        f"{result['attendance']:,} 条；期间 {result['period']}；绿 {t['green']:,} / 黄 "
        f"{t['amber']:,} / 红 {t['red']:,}",
        f"ORM 中位 {result['orm']['median_ms']:.1f} ms / p95 {result['orm']['p95_ms']:.1f} ms；"
        f"手写 SQL 中位 {result['sql']['median_ms']:.1f} ms / p95 {result['sql']['p95_ms']:.1f} ms；"
        f"ORM/SQL = {result['ratio']:.2f}×  目标 ≤{TARGET}×: "
        f"{'达成' if result['target_met'] else '未达成'}",
    ]


if __name__ == "__main__":
    backend = sys.argv[1] if len(sys.argv) > 1 else "sqlite"
    scale = sys.argv[2] if len(sys.argv) > 2 else "city"
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    os.environ.setdefault("BENCH_SQLITE_PATH", str(root / "var" / "bench" / "orglife.sqlite3"))
    from bench import common

    common.setup(backend)
    from django.core.management import call_command

    t0 = time.perf_counter()
    call_command("seed", "--scale", scale, "--no-progress", "--modules", "members,orglife")
    print(f"seed --scale {scale}: {time.perf_counter() - t0:.1f} s ({common.database_version()})")
    result = run(
        int(os.environ.get("BENCH_ORGLIFE_ITERATIONS", 10)),
        int(os.environ.get("BENCH_ORGLIFE_WARMUP", 2)),
    )
    print("\n".join(report(result)))
    print(common.machine())
