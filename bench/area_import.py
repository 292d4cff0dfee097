"""The area tree import (``territory.imports.areas.areas_import``) of the whole city from one
workbook: every county, township and street, village and community (with their 12-digit codes),
grid and unit of the demo's city scale (Putian's figures: 1,000 villages and communities,
10,260 grids, 123,839 units), under the city root that alone is stored beforehand.

The workbook is the import template's columns (区划代码, 名称, 类型, 上级区划代码, 上级名称,
户数, 人口), one row per area, parents before children; grids name their village by code,
units their grid by "乡镇/村/网格". The import runs as the API runs it (read the file with
python-calamine behind the guard, check every row, codes against kind and ancestors,
duplicates, then write in bulk with one audit row per area) in one transaction, committed.

Target: < 60 s on SQLite (issue 14).

Run: ``python -m bench.area_import [sqlite|postgresql]`` (a fresh database;
``BENCH_DATABASE_URL`` for PostgreSQL, ``BENCH_SQLITE_PATH`` for another SQLite file).
"""

from __future__ import annotations

import io
import random
import sys
import time

from bench import common

TARGET_SECONDS = 60.0


def build_rows() -> tuple[list[list], tuple[str, str]]:
    """The city's areas below the root as rows of the import, and the root's (name, code)."""
    from dangjian.demo import names
    from dangjian.demo.city_builder import CityBuilder
    from dangjian.demo.city_shapes import city_shape
    from dangjian.territory.models import AreaKind

    rng = random.Random("dangjian-demo-city")
    b = CityBuilder(rng, "city")
    city = b.build_areas(city_shape(rng))
    labels = {k.value: str(k.label) for k in AreaKind}
    rows = []
    by_path = b.by_path
    for depth in range(2, len(b.areas)):
        for a in b.areas[depth]:
            parent = by_path[a.path[:-4]]
            if a.kind == AreaKind.UNIT:
                village = by_path[parent.path[:-4]]
                township = by_path[village.path[:-4]]
                parent_code, parent_name = "", f"{township.name}/{village.name}/{parent.name}"
            else:
                parent_code, parent_name = parent.code, ""
            rows.append(
                [
                    a.code,
                    a.name,
                    labels[a.kind],
                    parent_code,
                    parent_name,
                    a.households,
                    a.population,
                ]
            )
    return rows, (city.name, names.CITY[1])


def workbook(rows: list[list]) -> bytes:
    import xlsxwriter

    from dangjian.territory.imports.areas import COLUMNS

    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True, "constant_memory": True})
    ws = book.add_worksheet("区域")
    ws.write_row(0, 0, [c.header for c in COLUMNS])
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row):
            if value == "":
                continue
            if isinstance(value, int):
                ws.write_number(r, c, value)
            else:
                ws.write_string(r, c, value)
    book.close()
    return out.getvalue()


def _root_and_actor(name: str, code: str):
    from django.db import transaction

    from dangjian.accounts import services
    from dangjian.accounts.models import User
    from dangjian.core.treemodel import node_insert
    from dangjian.territory.models import Area, AreaKind

    with transaction.atomic():
        city = node_insert(Area, parent=None, name=name, kind=AreaKind.CITY, level=1, code=code)
        user = User(username="bench-areas", real_name="基准测试", area=city, area_path=city.path)
        user.set_unusable_password()
        user.save()
        services.grant_add(actor=None, user=user, role_code="city_staff", area=city)
    user.forget_grants()
    return user


PHASES: dict[str, list[float]] = {}


def _timed(module, name: str) -> None:
    """Wrap ``module.name`` to add its wall and CPU seconds to ``PHASES[name]``."""
    fn = getattr(module, name)

    def wrapper(*args, **kwargs):
        w, c = time.perf_counter(), time.process_time()
        try:
            return fn(*args, **kwargs)
        finally:
            PHASES[name] = [time.perf_counter() - w, time.process_time() - c]

    setattr(module, name, wrapper)


def run() -> dict:
    from django.db import connection
    from django.db.models import Count

    from dangjian.territory.imports import areas as module
    from dangjian.territory.imports.areas import areas_import
    from dangjian.territory.models import Area

    for name in ("parse_sheet", "_check", "_write", "_audit_rows"):
        _timed(module, name)

    started = time.perf_counter()
    rows, (name, code) = build_rows()
    content = workbook(rows)
    build_s = time.perf_counter() - started
    actor = _root_and_actor(name, code)
    cpu0, t0 = time.process_time(), time.perf_counter()
    result = areas_import(actor=actor, content=content, mode="all_or_nothing")
    seconds = time.perf_counter() - t0
    cpu = time.process_time() - cpu0
    if result["errors"]:
        raise SystemExit(f"the workbook has errors: {result['errors'][:5]}")
    counts = dict(Area.objects.values_list("kind").annotate(n=Count("pk")).order_by())
    return {
        "backend": connection.vendor,
        "db_version": common.database_version(),
        "rows": len(rows),
        "created": result["created"],
        "areas_by_kind": counts,
        "workbook_bytes": len(content),
        "build_s": round(build_s, 1),
        "import_s": round(seconds, 1),
        "import_cpu_s": round(cpu, 1),
        "rows_per_s": round(len(rows) / seconds),
        "target_met": seconds < TARGET_SECONDS,
        "phases": {k: (round(w, 1), round(c, 1)) for k, (w, c) in PHASES.items()},
        "machine": common.machine(),
    }


def report(r: dict) -> list[str]:
    verdict = "达成" if r["target_met"] else "未达成"
    m = r["machine"]
    return [
        f"{m['date']} {r['backend']} {r['db_version']}：{r['rows']:,} 行（工作簿 "
        f"{r['workbook_bytes'] / 1e6:.1f} MB），按类型 {r['areas_by_kind']}",
        f"| {m['date'][:10]} | {r['backend']} {r['db_version']} | {r['rows']:,} | "
        f"{r['import_s']:.1f} s（CPU {r['import_cpu_s']:.1f} s） | {r['rows_per_s']:,} 行/s | "
        f"< {TARGET_SECONDS:.0f} s {verdict} |",
        f"负载 {m['load']}，{m['cpu']}，Python {m['python']}，Django {m.get('django')}",
        "阶段（墙钟 s, CPU s；写入含审计）："
        + "，".join(f"{k} {w}/{c}" for k, (w, c) in r["phases"].items()),
    ]


if __name__ == "__main__":
    common.setup(sys.argv[1] if len(sys.argv) > 1 else "sqlite")
    for line in report(run()):
        print(line)
