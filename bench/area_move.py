"""Moving a street with its whole subtree (``territory.services.area_move``) against a
hand-written UPDATE of the same rows.

The database: the demo city (``seed --scale <scale> --modules members``). The street with the
most areas below it is moved under another county. Before timing, outside the runs, the
benchmark adds to that street what the seed leaves out at city scale: ``EVENTS`` grid events
spread over its grids (copies of one reported through ``cases.services.event_create``) and
``GRANTS`` grid workers, each with a grant on one of its grids; and it clears the division
codes of the subtree (they name the old county; a real move across counties re-codes the
street, the code check is not what is measured).

- ours: ``area_move`` as the API calls it (scope checks of both nodes, the kind and code
  checks of the subtree, ``core.treemodel.node_move``: row locks, the path and depth of every
  area of the subtree, every registered denormalized copy of an area path — residences of
  members, events and their dispatch level, households, users, departments, party
  organizations' anchors, check-ins, cadres, ledger accounts ... — the move hooks (the grants'
  version on their holders), one audit row), in one transaction, rolled back after each run.
- by hand: the same UPDATE statements written in SQL (the two parents' counters, the subtree's
  paths and depths, the moved node's parent, each copy table's column by prefix, the grant
  holders' version), in one transaction on one cursor, rolled back after each run.

Both sides touch the same rows (checked: same counts, same paths before rollback). They run
``REPEAT`` times each, taking turns; the medians are compared. Target: ours ≤ 2× by hand.

Run: ``python -m bench.area_move <sqlite|postgresql> [scale]`` on a fresh database (seeded
here), or ``--reuse`` on the database an earlier run seeded (``BENCH_SQLITE_PATH`` or
``BENCH_DATABASE_URL``). ``--write-docs`` appends the figures to ``docs/benchmarks.md``.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import statistics
import time

from bench import common

EVENTS = int(os.environ.get("BENCH_MOVE_EVENTS", 5000))
GRANTS = int(os.environ.get("BENCH_MOVE_GRANTS", 300))
REPEAT = int(os.environ.get("BENCH_MOVE_REPEAT", 5))
TARGET = 2.0


class _Rollback(Exception):
    pass


def _admin():
    from dangjian.accounts import services
    from dangjian.accounts.models import User
    from dangjian.territory.models import Area

    user = User.objects.filter(username="bench-areas").first()
    if user is None:
        city = Area.objects.get(parent__isnull=True)
        user = User(username="bench-areas", real_name="基准测试", area=city, area_path=city.path)
        user.set_unusable_password()
        user.save()
        services.grant_add(actor=None, user=user, role_code="system_admin", area=city)
    return User.objects.get(pk=user.pk)


def _choose():
    """The street with the most areas below it, and a county that is not its own."""
    from django.db.models import Count

    from dangjian.core import tree
    from dangjian.territory.models import Area, AreaKind

    streets = list(Area.objects.filter(kind__in=[AreaKind.STREET, AreaKind.TOWNSHIP]))
    sizes = {
        s.pk: Area.objects.filter(tree.subtree_q("path", s.path)).aggregate(n=Count("pk"))["n"]
        for s in streets
    }
    street = max(streets, key=lambda s: (sizes[s.pk], -s.pk))
    target = (
        Area.objects.filter(kind=AreaKind.COUNTY).exclude(pk=street.parent_id).order_by("pk")[0]
    )
    return street, target, sizes[street.pk]


def _prepare(street, admin) -> dict:
    """Events and grants in the street, codes cleared (idempotent)."""
    from django.db import transaction

    from dangjian.accounts.models import Grant, Role, User, UserKind
    from dangjian.cases import services as cases
    from dangjian.cases.models import Event
    from dangjian.core import tree
    from dangjian.territory.models import Area, AreaKind

    sub = tree.subtree_q("path", street.path)
    Area.objects.filter(sub).exclude(code="").update(code="")
    grids = list(Area.objects.filter(sub, kind=AreaKind.GRID).order_by("path"))
    have = Event.objects.filter(tree.subtree_q("area_path", street.path)).count()
    if have < EVENTS:
        with transaction.atomic():
            first = cases.event_create(
                actor=admin,
                area=grids[0],
                description="楼道堆放杂物，影响消防通道，请尽快清理（基准测试）",
                class_code="",
            )
            template = Event.objects.get(pk=first.pk)
            rows = []
            for i in range(EVENTS - have - 1):
                e = copy.copy(template)
                g = grids[i % len(grids)]
                e.pk = None
                e.area, e.area_path, e.grid = g, g.path, g
                e.description = f"{e.description[:40]}（基准测试{i}）"
                rows.append(e)
            Event.objects.bulk_create(rows, batch_size=1000)
    role = Role.objects.get(code="grid_worker")
    have = Grant.objects.filter(area__in=grids, user__username__startswith="bench-gw-").count()
    if have < GRANTS:
        with transaction.atomic():
            users = []
            for i in range(have, GRANTS):
                g = grids[i % len(grids)]
                u = User(
                    username=f"bench-gw-{i}",
                    real_name=f"网格员{i}",
                    kind=UserKind.STAFF,
                    area=g,
                    area_path=g.path,
                )
                u.set_unusable_password()
                users.append(u)
            User.objects.bulk_create(users)
            made = User.objects.filter(username__in=[u.username for u in users])
            by_name = {u.username: u for u in made}
            Grant.objects.bulk_create(
                [Grant(user=by_name[u.username], role=role, area=u.area) for u in users]
            )
    return {"grids": len(grids)}


def _copies():
    from dangjian.core.treemodel import path_copies

    return [(m._meta.db_table, m._meta.get_field(f).column) for m, f in path_copies("area")]


def _counts(path: str) -> dict:
    from dangjian.core import tree
    from dangjian.core.treemodel import path_copies
    from dangjian.territory.models import Area

    out = {"territory_area.path": Area.objects.filter(tree.subtree_q("path", path)).count()}
    for m, f in path_copies("area"):
        out[f"{m._meta.db_table}.{f}"] = m._base_manager.filter(tree.subtree_q(f, path)).count()
    return out


def _ours(admin, street, target, check=None):
    from django.db import transaction

    from dangjian.territory import services
    from dangjian.territory.models import Area

    t0 = time.perf_counter()
    try:
        with transaction.atomic():
            moved = services.area_move(
                actor=admin, area=Area(pk=street.pk), new_parent=Area(pk=target.pk)
            )
            elapsed = time.perf_counter() - t0
            if check is not None:
                check["ours"] = (moved.path, _counts(moved.path))
            raise _Rollback
    except _Rollback:
        pass
    return elapsed


def _by_hand(street, target, check=None):
    from django.db import connection, transaction

    from dangjian.core import tree

    t0 = time.perf_counter()
    try:
        with transaction.atomic(), connection.cursor() as cur:
            lock = " FOR UPDATE" if connection.vendor == "postgresql" else ""
            cur.execute(
                f"SELECT id, path, parent_id FROM territory_area WHERE id = %s{lock}", [street.pk]
            )
            _, old, old_parent = cur.fetchone()
            cur.execute(
                f"SELECT path, next_child FROM territory_area WHERE id = %s{lock}", [target.pk]
            )
            target_path, next_child = cur.fetchone()
            new = tree.child_path(target_path, next_child)
            end = tree.path_end(old)
            delta = tree.depth_of(new) - tree.depth_of(old)
            cur.execute(
                "UPDATE territory_area SET next_child = next_child + 1, "
                "child_count = child_count + 1 WHERE id = %s",
                [target.pk],
            )
            cur.execute(
                "UPDATE territory_area SET child_count = child_count - 1 WHERE id = %s",
                [old_parent],
            )
            cur.execute(
                "UPDATE territory_area SET path = %s || substr(path, %s), depth = depth + %s "
                "WHERE path >= %s AND path < %s",
                [new, len(old) + 1, delta, old, end],
            )
            cur.execute(
                "UPDATE territory_area SET parent_id = %s WHERE id = %s", [target.pk, street.pk]
            )
            for table, column in _copies():
                cur.execute(
                    f'UPDATE {table} SET "{column}" = %s || substr("{column}", %s) '
                    f'WHERE "{column}" >= %s AND "{column}" < %s',
                    [new, len(old) + 1, old, end],
                )
            cur.execute(
                "UPDATE accounts_user SET grants_version = grants_version + 1 WHERE id IN "
                "(SELECT g.user_id FROM accounts_grant g JOIN territory_area a "
                "ON a.id = g.area_id WHERE a.path >= %s AND a.path < %s)",
                [new, tree.path_end(new)],
            )
            elapsed = time.perf_counter() - t0
            if check is not None:
                check["hand"] = (new, _counts(new))
            raise _Rollback
    except _Rollback:
        pass
    return elapsed


def run(repeat: int = REPEAT) -> dict:
    from dangjian.cases.models import Event
    from dangjian.core import tree

    admin = _admin()
    street, target, areas = _choose()
    prepared = _prepare(street, admin)
    before = _counts(street.path)
    check: dict = {}
    _ours(admin, street, target, check)
    _by_hand(street, target, check)
    assert check["ours"] == check["hand"], (check["ours"], check["hand"])
    assert check["ours"][1] == before, "a copy was left behind"
    ours, hand = [], []
    for _ in range(repeat):
        ours.append(_ours(admin, street, target))
        hand.append(_by_hand(street, target))
    ours_ms = statistics.median(ours) * 1000
    hand_ms = statistics.median(hand) * 1000
    rows = sum(before.values())
    return {
        "street": street.name,
        "target": target.name,
        "areas": areas,
        "grids": prepared["grids"],
        "events": Event.objects.filter(tree.subtree_q("area_path", street.path)).count(),
        "rows": before,
        "rows_total": rows,
        "repeat": repeat,
        "ours_ms": round(ours_ms, 1),
        "hand_ms": round(hand_ms, 1),
        "ours_runs_ms": [round(t * 1000, 1) for t in ours],
        "hand_runs_ms": [round(t * 1000, 1) for t in hand],
        "ratio": round(ours_ms / hand_ms, 2),
    }


def verdict(ratio: float) -> str:
    return f"目标 ≤{TARGET:g}×: {'达成' if ratio <= TARGET else '未达成'}"


def report(result: dict) -> list[str]:
    r = result
    members = r["rows"].get("members_member.area_path", 0)
    return [
        f"[{r['backend']}] {r['database']}，{r.get('scale', '')} 规模；"
        f"移动“{r['street']}”（{r['areas']} 个区域，其中网格 {r['grids']} 个）到“{r['target']}”之下",
        f"  随之改写的行：共 {r['rows_total']:,}（区域 {r['rows']['territory_area.path']:,}，"
        f"居住在此的党员 {members:,}，事件 {r['events']:,}，其余见 JSON）",
        f"  area_move 中位 {r['ours_ms']} ms；手写 UPDATE 中位 {r['hand_ms']} ms；"
        f"比值 {r['ratio']}×（各 {r['repeat']} 次，轮流）",
        f"  {verdict(r['ratio'])}",
    ]


def _setup_reuse(backend: str) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dangjian.settings")
    os.environ["DANGJIAN_VAR_DIR"] = str(common.BENCH_DIR)
    if backend == "sqlite":
        os.environ.pop("DATABASE_URL", None)
        os.environ["DANGJIAN_SQLITE_PATH"] = str(common.SQLITE_PATH)
    else:
        os.environ["DATABASE_URL"] = os.environ["BENCH_DATABASE_URL"]
    import django

    django.setup()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("backend", choices=["sqlite", "postgresql"])
    parser.add_argument("scale", nargs="?", default="city")
    parser.add_argument("--reuse", action="store_true")
    parser.add_argument("--repeat", type=int, default=REPEAT)
    parser.add_argument("--json", help="write the result here too")
    args = parser.parse_args()
    if not os.environ.get("BENCH_SQLITE_PATH"):
        common.SQLITE_PATH = common.BENCH_DIR / "area_move.sqlite3"
    seed_seconds = None
    if args.reuse:
        _setup_reuse(args.backend)
    else:
        common.setup(args.backend)
        from bench import seed_city

        seed_seconds = seed_city.run(args.scale, ("members",))["seconds"]
    result = run(args.repeat)
    result.update(
        backend=args.backend,
        scale=args.scale,
        database=common.database_version(),
        machine=common.machine(),
        seed_seconds=seed_seconds,
    )
    print("\n".join(report(result)))
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(result, fh, ensure_ascii=False, indent=1, default=str)


if __name__ == "__main__":
    main()
