"""Scoped tree reads through the ORM against the same queries written by hand in SQL.

Two users: one with a city_staff grant on one county, one with it on the whole city. For each:

(a) the scoped subtree count ``Area.objects.visible_to(user, "territory.view")
    .filter(kind="grid").count()``;
(b) the scoped first page of a street's children, through the route logic of
    ``core.treeapi.tree_nodes`` (parent visible? then visible_to + parent + order by path,
    count and the first 20, serialized as the API does).

The SQL side runs the same statements with path range conditions on the same database. The
ORM side runs as a request would: the user's grants are read afresh each time (one query);
the figures with the grants already cached are shown beside it, and so is the time of the
very statements the ORM sent, replayed as raw SQL: the database's share, which tells the query
plans apart from the Python that builds queries and model instances.
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
        users[username] = (user, node)
    return users, county, street


def _request(user, parent_id):
    from django.test import RequestFactory

    request = RequestFactory().get("/api/v1/areas/", {"parent": parent_id})
    request.auth = request.user = user
    return request


def _replay(connection, fn):
    """A function that runs, as raw SQL, the statements ``fn`` sends through the ORM: the
    database's share of the ORM's time, without the Python around it."""
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


def run(iterations: int = common.ITERATIONS, warmup: int = common.WARMUP) -> dict:
    from django.db import connection

    from dangjian.core import tree
    from dangjian.core.treeapi import tree_nodes
    from dangjian.territory.api import area_out
    from dangjian.territory.models import Area, AreaKind

    users, county, street = _users()
    table = connection.ops.quote_name(Area._meta.db_table)
    columns = [f.column for f in Area._meta.concrete_fields]
    col_sql = ", ".join(connection.ops.quote_name(c) for c in columns)
    pos = {c: i for i, c in enumerate(columns)}
    kind_labels = dict(AreaKind.choices)

    results = {
        "county": county.name,
        "street": street.name,
        "street_children": street.child_count,
        "cases": [],
    }
    for label, (user, node) in users.items():
        start, end = node.path, tree.path_end(node.path)

        # (a) scoped subtree count ------------------------------------------------------
        def orm_count(user=user, fresh=True):
            if fresh:
                user.forget_grants()
            return Area.objects.visible_to(user, ACTION).filter(kind="grid").count()

        def sql_count(start=start, end=end):
            with connection.cursor() as cur:
                cur.execute(
                    f"SELECT COUNT(*) FROM {table} WHERE kind = %s AND path >= %s AND path < %s",
                    ["grid", start, end],
                )
                return cur.fetchone()[0]

        assert orm_count() == sql_count(), "ORM and SQL disagree on the grid count"

        # (b) first page of a street's children --------------------------------------------
        request = _request(user, street.pk)

        def orm_page(user=user, request=request, fresh=True):
            if fresh:
                user.forget_grants()
            return tree_nodes(request, Area, ACTION, area_out)

        def sql_page(start=start, end=end, parent_id=street.pk):
            with connection.cursor() as cur:
                cur.execute(
                    f"SELECT {col_sql} FROM {table} WHERE id = %s AND path >= %s AND path < %s",
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
                    "id": r[pos["id"]],
                    "name": r[pos["name"]],
                    "kind": r[pos["kind"]],
                    "kind_label": str(kind_labels[r[pos["kind"]]]),
                    "level": r[pos["level"]],
                    "path": r[pos["path"]],
                    "parent_id": r[pos["parent_id"]],
                    "child_count": r[pos["child_count"]],
                    "code": r[pos["code"]],
                    "households": r[pos["households"]],
                    "population": r[pos["population"]],
                }
                for r in rows
            ]
            return {"items": items, "count": count}

        assert orm_page() == sql_page(), "ORM and SQL disagree on the children page"

        for case, orm, sql in (
            ("a. 范围内网格计数", orm_count, sql_count),
            ("b. 街道下级首页(20条+总数)", orm_page, sql_page),
        ):
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
                    "user": label,
                    "scope": node.name,
                    "case": case,
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
        f"范围：{result['county']}（一个县区）与全市；街道：{result['street']}（下级 {result['street_children']} 个）"
    ]
    for c in result["cases"]:
        lines.append(
            f"{c['user']:12s} {c['case']}: ORM 中位 {c['orm']['median_ms']:.2f} ms / p95 {c['orm']['p95_ms']:.2f} ms"
            f"（权限已缓存 {c['orm_cached']['median_ms']:.2f} ms，其 SQL 直接执行 {c['orm_sql']['median_ms']:.2f} ms）；SQL 中位 {c['sql']['median_ms']:.2f} ms / "
            f"p95 {c['sql']['p95_ms']:.2f} ms；ORM/SQL = {c['ratio']:.2f}×（缓存 {c['ratio_cached']:.2f}×）"
            f"  {common.verdict(c['ratio'])}"
        )
    return lines


if __name__ == "__main__":
    import sys

    common.setup(sys.argv[1] if len(sys.argv) > 1 else "sqlite")
    from django.core.management import call_command

    call_command("seed", "--scale", "city", "--no-progress")
    print("\n".join(report(run())))
