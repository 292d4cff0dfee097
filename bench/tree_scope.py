"""Scoped tree reads of the platform against the same queries written by hand in SQL.

Two users: one with a city_staff grant on one county, one with it on the whole city. For each:

(a) the scoped subtree count: how many grids the user may see. The platform's way is
    ``scope.count_visible(Area, user, "territory.view", kind="grid")`` (one statement, compiled
    by the ORM once per shape); beside it the ORM idiom every app writes,
    ``Area.objects.visible_to(user, "territory.view").filter(kind="grid").count()``.
(b) the scoped first page of a street's children: the route function of
    ``GET /api/v1/areas/?parent=ID`` (``core.treeapi.tree_nodes`` with the route's fields and
    row serializer: parent visible? count, first 20 rows as tuples, serialized to the API's
    dicts); beside it the same function's ORM path (model instances, ``area_out``), which the
    route used before.

The hand-written SQL runs the same statements with the user's path ranges on the same
database, reads the rows and builds the same answer (same count, same dicts; checked equal
before timing). Neither side includes what both would pay alike in a request: the HTTP
handling and the authentication that loads the user row (its time is shown apart, through
Django's test client). Each platform run starts as a new request does: the user's grants are
not on the user object; they come from the process's grants cache (``GRANT_CACHE``, checked
against the ``grants_version`` on the user row), and a column shows the time when they are read
from the database each time instead.
"""

from __future__ import annotations

from bench import common

ACTION = "territory.view"


def _users():
    from dangjian.accounts import services
    from dangjian.accounts.models import User
    from dangjian.territory.models import Area, AreaKind

    city = Area.objects.get(parent__isnull=True)
    counties = list(Area.objects.filter(parent=city))
    streets = {c.pk: list(Area.objects.filter(parent=c, kind=AreaKind.STREET)) for c in counties}
    grids = {
        c.pk: Area.objects.filter(kind=AreaKind.GRID, path__gte=c.path, path__lt=c.path_end).count()
        for c in counties
    }
    # The county with the most grids that has a street; its street with the most children.
    county = max((c for c in counties if streets[c.pk]), key=lambda c: (grids[c.pk], -c.pk))
    street = max(streets[county.pk], key=lambda s: (s.child_count, -s.pk))
    users = {}
    for username, node in (("bench-county", county), ("bench-city", city)):
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User(username=username, real_name=username, area=node, area_path=node.path)
            user.set_unusable_password()
            user.save()
            services.grant_add(actor=None, user=user, role_code="city_staff", area=node)
        users[username] = (User.objects.get(pk=user.pk), node)
    return users, county, street


def _request(user, parent_id):
    from django.test import RequestFactory

    request = RequestFactory().get("/api/v1/areas/", {"parent": parent_id})
    request.auth = request.user = user
    return request


def _replay(connection, fn):
    """A function that runs, as raw SQL, the statements ``fn`` sends through the ORM: the
    database's share of the ORM's time, without the Python around it (``bench.members_stats``
    uses it)."""
    captured = []

    def capture(execute, sql, params, many, context):
        captured.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(capture):
        fn()

    def replay():
        with connection.cursor() as cur:
            for sql, params in captured:
                cur.execute(sql, params)
                cur.fetchall()

    return replay


def _new_request(user, read_grants=False):
    """Make ``user`` look like the user object of a new request: its own grants forgotten
    (a new request builds a new object from the user row); ``read_grants`` also empties the
    process's grants cache, so the grants are read from the database."""
    if read_grants:
        user.forget_grants()
    else:
        user.__dict__.pop("_grants_cached", None)


def _http(user, street_id, iterations, warmup):
    """The whole request through Django's test client: token check, middleware, the route,
    the response schema and JSON."""
    from django.test import Client

    from dangjian.accounts.services import token_issue

    raw, _ = token_issue(user=user)
    client = Client(headers={"Authorization": f"Bearer {raw}"})
    path = f"/api/v1/areas/?parent={street_id}"

    def get():
        r = client.get(path)
        assert r.status_code == 200

    return common.measure(get, iterations, warmup)


def run(iterations: int = common.ITERATIONS, warmup: int = common.WARMUP) -> dict:
    from django.db import connection

    from dangjian.core import tree
    from dangjian.core.scope import count_visible
    from dangjian.core.treeapi import tree_nodes
    from dangjian.territory.api import AREA_FIELDS, area_out, area_rows_out
    from dangjian.territory.models import Area, AreaKind

    users, county, street = _users()
    table = connection.ops.quote_name(Area._meta.db_table)
    col_sql = ", ".join(connection.ops.quote_name(c) for c in AREA_FIELDS)
    kind_labels = {k: str(v) for k, v in AreaKind.choices}

    results = {
        "county": county.name,
        "street": street.name,
        "street_children": street.child_count,
        "cases": [],
        "http": {},
    }
    for label, (user, node) in users.items():
        start, end = node.path, tree.path_end(node.path)

        # (a) scoped subtree count ------------------------------------------------------
        def ours_count(user=user, read_grants=False):
            _new_request(user, read_grants)
            return count_visible(Area, user, ACTION, kind="grid")

        def orm_count(user=user):
            _new_request(user)
            return Area.objects.visible_to(user, ACTION).filter(kind="grid").count()

        def sql_count(start=start, end=end):
            with connection.cursor() as cur:
                cur.execute(
                    f"SELECT COUNT(*) FROM {table} WHERE kind = %s AND path >= %s AND path < %s",
                    ["grid", start, end],
                )
                return cur.fetchone()[0]

        assert ours_count() == orm_count() == sql_count(), "the counts disagree"

        # (b) first page of a street's children --------------------------------------------
        request = _request(user, street.pk)

        def ours_page(user=user, request=request, read_grants=False):
            _new_request(user, read_grants)
            return tree_nodes(
                request, Area, ACTION, area_out, fields=AREA_FIELDS, rows=area_rows_out
            )

        def orm_page(user=user, request=request):
            _new_request(user)
            return tree_nodes(request, Area, ACTION, area_out)

        def sql_page(start=start, end=end, parent_id=street.pk):
            with connection.cursor() as cur:
                cur.execute(
                    f"SELECT 1 FROM {table} WHERE id = %s AND path >= %s AND path < %s LIMIT 1",
                    [parent_id, start, end],
                )
                if cur.fetchone() is None:
                    raise LookupError("parent not visible")
                cur.execute(
                    f"SELECT COUNT(*) FROM {table} WHERE parent_id = %s AND path >= %s AND path < %s",
                    [parent_id, start, end],
                )
                count = cur.fetchone()[0]
                cur.execute(
                    f"SELECT {col_sql} FROM {table} WHERE parent_id = %s AND path >= %s AND path < %s "
                    "ORDER BY path LIMIT 20",
                    [parent_id, start, end],
                )
                rows = cur.fetchall()
            items = [
                {
                    "id": r[0],
                    "name": r[1],
                    "kind": r[2],
                    "kind_label": kind_labels[r[2]],
                    "level": r[3],
                    "path": r[4],
                    "parent_id": r[5],
                    "child_count": r[6],
                    "code": r[7],
                    "households": r[8],
                    "population": r[9],
                }
                for r in rows
            ]
            return {"items": items, "count": count}

        assert ours_page() == orm_page() == sql_page(), "the children pages disagree"

        for case, ours, orm, sql in (
            ("a. 范围内网格计数", ours_count, orm_count, sql_count),
            ("b. 街道下级首页(20条+总数)", ours_page, orm_page, sql_page),
        ):
            m = common.measure_many(
                {
                    "ours": ours,
                    "orm": orm,
                    "ours_read_grants": lambda ours=ours: ours(read_grants=True),
                    "sql": sql,
                },
                iterations,
                warmup,
            )
            s = m["sql"]["median_ms"]
            results["cases"].append(
                {
                    "user": label,
                    "scope": node.name,
                    "case": case,
                    **m,
                    "ratio": round(m["ours"]["median_ms"] / s, 2),
                    "ratio_orm": round(m["orm"]["median_ms"] / s, 2),
                    "ratio_read_grants": round(m["ours_read_grants"]["median_ms"] / s, 2),
                }
            )
        _new_request(user)
        results["http"][label] = _http(user, street.pk, iterations, warmup)
    return results


def report(result: dict) -> list[str]:
    lines = [
        f"范围：{result['county']}（一个县区）与全市；街道：{result['street']}（下级 {result['street_children']} 个）"
    ]
    for c in result["cases"]:
        lines.append(
            f"{c['user']:12s} {c['case']}: 本系统 中位 {c['ours']['median_ms']:.3f} ms / p95 {c['ours']['p95_ms']:.3f} ms；"
            f"手写 SQL 中位 {c['sql']['median_ms']:.3f} ms / p95 {c['sql']['p95_ms']:.3f} ms；"
            f"比值 {c['ratio']:.2f}×  {common.verdict(c['ratio'])}"
            f"（ORM 惯用写法 {c['orm']['median_ms']:.3f} ms = {c['ratio_orm']:.2f}×；"
            f"授权每次从数据库读 {c['ours_read_grants']['median_ms']:.3f} ms = {c['ratio_read_grants']:.2f}×）"
        )
    for label, h in result["http"].items():
        lines.append(
            f"{label:12s} GET /api/v1/areas/?parent=街道 经测试客户端整次请求 中位 {h['median_ms']:.3f} ms / p95 {h['p95_ms']:.3f} ms"
        )
    return lines


if __name__ == "__main__":
    import sys

    common.setup(sys.argv[1] if len(sys.argv) > 1 else "sqlite")
    from django.core.management import call_command

    call_command("seed", "--scale", "city", "--no-progress", "--modules", "none")
    print("\n".join(report(run())))
