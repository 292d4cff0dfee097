"""Member statistics (``members.selectors.member_stats``, ``GET /api/v1/stats/members``) against
the same figures computed by hand-written SQL GROUP BY queries on the same database.

Three cases on the seeded city (~100,000 members):

(a) the whole city: a user with a city_staff grant on the city committee, no filter;
(b) one street, by its party tree: a user with a township_staff grant on the street's working
    committee (the street with the most members), no filter;
(c) the same street by residence: the city user with ``area=<the street>``.

The SQL side runs one statement per dimension, as the ORM does (total; status, gender,
ethnicity, education, occupation; age band and join period through CASE; categories through a
join), with the same path range and ``left_on IS NULL`` conditions, and assembles the same
answer (codes, labels, counts). As in ``bench.tree_scope``, the ORM runs as a request would
(the user's grants read afresh each time); the figures with the grants cached and of the ORM's
own statements replayed as raw SQL are shown beside it.
"""

from __future__ import annotations

from bench import common
from bench.tree_scope import _replay

ACTION = "members.view"


def _users():
    from dangjian.accounts import services
    from dangjian.accounts.models import User
    from dangjian.members.models import Member
    from dangjian.organizations.models import OrgKind, PartyOrg
    from dangjian.territory.models import Area

    city = Area.objects.get(parent__isnull=True)
    city_org = PartyOrg.objects.get(parent__isnull=True)
    committees = list(
        PartyOrg.objects.filter(kind=OrgKind.WORKING_COMMITTEE, area__kind="street").defer(
            "contact_phone"
        )
    )
    counts = {
        o.pk: Member.objects.filter(org_path__gte=o.path, org_path__lt=o.path_end).count()
        for o in committees
    }
    street_org = max(committees, key=lambda o: (counts[o.pk], -o.pk))
    street = Area.objects.defer("boundary").get(pk=street_org.area_id)

    def user(username, role, node_area, node_org):
        u = User.objects.filter(username=username).first()
        if u is None:
            u = User(
                username=username, real_name=username, area=node_area, area_path=node_area.path
            )
            u.set_unusable_password()
            u.save()
            services.grant_add(actor=None, user=u, role_code=role, area=node_area)
            services.grant_add(actor=None, user=u, role_code=role, org=node_org)
        return u

    city_user = user("bench-members-city", "city_staff", city, city_org)
    street_user = user("bench-members-street", "township_staff", street, street_org)
    return city_user, street_user, street, street_org


def _sql_stats(connection, org_ranges, area_range, today, node):
    """``member_stats`` by hand: one GROUP BY statement per dimension."""
    from dangjian.core.months import add_months
    from dangjian.members import selectors
    from dangjian.members.models import (
        Category,
        Education,
        Ethnicity,
        Gender,
        Occupation,
        Status,
    )

    qn = connection.ops.quote_name
    where = ["m.left_on IS NULL"]
    params: list = []
    where.append(
        "(" + " OR ".join("(m.org_path >= %s AND m.org_path < %s)" for _ in org_ranges) + ")"
    )
    for start, end in org_ranges:
        params += [start, end]
    if area_range:
        where.append("m.area_path >= %s AND m.area_path < %s")
        params += list(area_range)
    cond = " AND ".join(where)
    table = f"{qn('members_member')} m"

    def group(column):
        with connection.cursor() as cur:
            cur.execute(
                f"SELECT m.{column}, COUNT(*) FROM {table} WHERE {cond} GROUP BY m.{column}", params
            )
            return dict(cur.fetchall())

    def listed(counts, choices):
        counts = dict(counts)
        out = [
            {"code": c.value, "label": str(c.label), "count": counts.pop(c.value, 0)}
            for c in choices
        ]
        for code, n in counts.items():
            out.append({"code": code or "", "label": "未填写" if not code else code, "count": n})
        return out

    def banded(column, bands, bounds):
        whens, case_params = [], []
        for band in bands:
            conds, ps = bounds(band)
            whens.append(f"WHEN {' AND '.join(conds) or '1=1'} THEN %s")
            case_params += [*ps, band.code]
        case = f"CASE {' '.join(whens)} ELSE '' END"
        with connection.cursor() as cur:
            cur.execute(
                f"SELECT {case} AS b, COUNT(*) FROM {table} WHERE {cond} GROUP BY b",
                case_params + params,
            )
            counts = dict(cur.fetchall())
        out = [{"code": b.code, "label": b.label, "count": counts.pop(b.code, 0)} for b in bands]
        if counts.get(""):
            out.append({"code": "", "label": "未填写", "count": counts[""]})
        return out

    def age_bounds(band):
        conds, ps = [], []
        if band.low is not None:
            conds.append("m.birth_date <= %s")
            ps.append(add_months(today, -12 * band.low))
        if band.high is not None:
            conds.append("m.birth_date > %s")
            ps.append(add_months(today, -12 * (band.high + 1)))
        return conds, ps

    def join_bounds(band):
        conds, ps = [], []
        if band.low is not None:
            conds.append("m.joined_on >= %s")
            ps.append(band.low)
        if band.high is not None:
            conds.append("m.joined_on < %s")
            ps.append(band.high)
        return conds, ps

    with connection.cursor() as cur:
        cur.execute(f"SELECT COUNT(*) FROM {table} WHERE {cond}", params)
        total = cur.fetchone()[0]
        cur.execute(
            f"SELECT c.code, COUNT(*) FROM {qn('members_membercategory')} c "
            f"JOIN {table} ON m.id = c.member_id WHERE {cond} GROUP BY c.code",
            params,
        )
        cats = dict(cur.fetchall())
    ethnicity = group("ethnicity")
    return {
        "node": node,
        "as_of": today,
        "total": total,
        "by_status": listed(group("status"), Status),
        "by_gender": listed(group("gender"), Gender),
        "by_ethnicity": [
            {"code": c.value, "label": str(c.label), "count": ethnicity[c.value]}
            for c in Ethnicity
            if ethnicity.get(c.value)
        ],
        "by_age_band": banded("birth_date", selectors.AGE_BANDS, age_bounds),
        "by_education": listed(group("education"), Education),
        "by_occupation": listed(group("occupation"), Occupation),
        "by_category": [
            {"code": c.value, "label": str(c.label), "count": cats.get(c.value, 0)}
            for c in Category
        ],
        "by_join_period": banded("joined_on", selectors.JOIN_PERIODS, join_bounds),
    }


def run(iterations: int = common.ITERATIONS, warmup: int = common.WARMUP) -> dict:
    from django.db import connection
    from django.utils import timezone

    from dangjian.core import scope, tree
    from dangjian.members import selectors
    from dangjian.members.models import Member

    city_user, street_user, street, street_org = _users()
    today = timezone.localdate()
    cases = [
        ("a. 全市党员统计", city_user, {}, None),
        ("b. 一个街道（党组织树）", street_user, {}, None),
        ("c. 一个街道（居住地）", city_user, {"area": street.pk}, (street.path, street.path_end)),
    ]
    results = {
        "members": Member.objects.count(),
        "street": street.name,
        "street_members": Member.objects.filter(
            org_path__gte=street_org.path, org_path__lt=street_org.path_end
        ).count(),
        "cases": [],
    }
    for label, user, kwargs, area_range in cases:
        user.forget_grants()
        org_ranges = tree.merge_ranges(list(scope.reach_of(user, ACTION).org_paths))
        node = {"type": "area", "id": street.pk, "name": street.name} if area_range else None

        def orm(user=user, kwargs=kwargs, fresh=True):
            if fresh:
                user.forget_grants()
            return selectors.member_stats(user, **kwargs)

        def sql(org_ranges=org_ranges, area_range=area_range, node=node):
            return _sql_stats(connection, org_ranges, area_range, today, node)

        assert orm() == sql(), f"{label}: ORM and SQL disagree"
        m = common.measure_many(
            {
                "orm": orm,
                "orm_cached": lambda orm=orm: orm(fresh=False),
                "sql": sql,
                "orm_sql": _replay(connection, lambda orm=orm: orm(fresh=False)),
            },
            iterations,
            warmup,
        )
        o, oc, s, g = m["orm"], m["orm_cached"], m["sql"], m["orm_sql"]
        results["cases"].append(
            {
                "case": label,
                "user": user.username,
                "total": orm()["total"],
                "orm": o,
                "orm_cached": oc,
                "sql": s,
                "orm_sql": g,
                "ratio": round(o["median_ms"] / s["median_ms"], 2),
                "ratio_cached": round(oc["median_ms"] / s["median_ms"], 2),
                "ratio_sql": round(g["median_ms"] / s["median_ms"], 2),
            }
        )
    return results


def report(result: dict) -> list[str]:
    lines = [
        f"党员 {result['members']:,} 名；街道：{result['street']}（党组织树内 {result['street_members']:,} 名）"
    ]
    for c in result["cases"]:
        lines.append(
            f"{c['case']}（{c['total']:,} 名）: ORM 中位 {c['orm']['median_ms']:.2f} ms / p95 "
            f"{c['orm']['p95_ms']:.2f} ms（权限已缓存 {c['orm_cached']['median_ms']:.2f} ms，其 SQL 直接执行 "
            f"{c['orm_sql']['median_ms']:.2f} ms）；SQL 中位 {c['sql']['median_ms']:.2f} ms / p95 "
            f"{c['sql']['p95_ms']:.2f} ms；ORM/SQL = {c['ratio']:.2f}×  {common.verdict(c['ratio'])}"
        )
    return lines


if __name__ == "__main__":
    import sys

    common.setup(sys.argv[1] if len(sys.argv) > 1 else "sqlite")
    from django.core.management import call_command

    call_command("seed", "--scale", sys.argv[2] if len(sys.argv) > 2 else "city", "--no-progress")
    print("\n".join(report(run())))
