"""The station and rider imports (``timebank.imports``) at their cap: 20,000 stations over a
hundred grids, then 20,000 couriers and riders registered at them (each a new resident account
with a one-time password), each file as the API runs it: read behind the guard, every row
checked (reach, duplicates in the file and against the database), then written in bulk with
one audit row per station, account and registration, in one transaction, committed.

Target: each file in seconds (< 30 s on SQLite on the loaded 2-core machine).

Run: ``python -m bench.timebank_import [sqlite|postgresql]`` (a fresh database;
``BENCH_DATABASE_URL`` for PostgreSQL).
"""

from __future__ import annotations

import io
import sys
import time

from bench import common

ROWS = 20_000
GRIDS = 100
TARGET_SECONDS = 30.0


def _workbook(header: list[str], rows: list[list]) -> bytes:
    import xlsxwriter

    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True, "constant_memory": True})
    ws = book.add_worksheet("导入")
    ws.write_row(0, 0, header)
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row):
            ws.write_string(r, c, value)
    book.close()
    return out.getvalue()


def _areas_and_actor():
    from django.db import transaction

    from dangjian.accounts import services
    from dangjian.accounts.models import User
    from dangjian.core.treemodel import node_insert
    from dangjian.territory.models import Area, AreaKind

    with transaction.atomic():
        city = node_insert(Area, parent=None, name="基准市", kind=AreaKind.CITY, level=1)
        community = node_insert(
            Area, parent=city, name="基准社区", kind=AreaKind.COMMUNITY, level=5
        )
        grids = [
            node_insert(Area, parent=community, name=f"第{i:03d}网格", kind=AreaKind.GRID, level=6)
            for i in range(GRIDS)
        ]
        user = User(username="bench-tb", real_name="基准测试", area=city, area_path=city.path)
        user.set_unusable_password()
        user.save()
        services.grant_add(actor=None, user=user, role_code="city_staff", area=city)
    user.forget_grants()
    return user, grids


def _timed(fn, *args, **kwargs) -> tuple[dict, float, float]:
    cpu0, t0 = time.process_time(), time.perf_counter()
    result = fn(*args, **kwargs)
    return result, time.perf_counter() - t0, time.process_time() - cpu0


def run(rows: int = ROWS) -> dict:
    from django.db import connection

    from dangjian.core.models import AuditEntry
    from dangjian.timebank import imports
    from dangjian.timebank.models import Rider, Station

    actor, grids = _areas_and_actor()
    stations = _workbook(
        [c.header for c in imports.STATIONS.columns],
        [
            [
                f"驿站{i:05d}",
                "红色驿站",
                grids[i % GRIDS].name,
                f"{i}号",
                "饮水、充电",
                "8:00-20:00",
            ]
            for i in range(rows)
        ],
    )
    riders = _workbook(
        [c.header for c in imports.RIDERS.columns],
        [
            [f"骑手{i:05d}", f"139{i:08d}", "外卖骑手", "美团", "某配送公司", f"驿站{i:05d}"]
            for i in range(rows)
        ],
    )
    out: dict = {"backend": connection.vendor, "db_version": common.database_version()}
    for kind, fn, content in (
        ("stations", imports.stations_import, stations),
        ("riders", imports.riders_import, riders),
    ):
        result, seconds, cpu = _timed(fn, actor=actor, content=content, mode="all_or_nothing")
        if result["errors"]:
            raise SystemExit(f"{kind}: the workbook has errors: {result['errors'][:5]}")
        out[kind] = {
            "rows": rows,
            "created": result["created"],
            "workbook_bytes": len(content),
            "import_s": round(seconds, 1),
            "import_cpu_s": round(cpu, 1),
            "rows_per_s": round(rows / seconds),
            "target_met": seconds < TARGET_SECONDS,
        }
    out["stored"] = {
        "stations": Station.objects.count(),
        "riders": Rider.objects.count(),
        "audit_rows": AuditEntry.objects.count(),
    }
    out["machine"] = common.machine()
    return out


def report(r: dict) -> list[str]:
    m = r["machine"]
    lines = [f"{m['date']} {r['backend']} {r['db_version']}，负载 {m['load']}，{m['cpu']}"]
    for kind, label in (("stations", "驿站"), ("riders", "新就业群体（新开账号）")):
        x = r[kind]
        verdict = "达成" if x["target_met"] else "未达成"
        lines.append(
            f"| {label} | {x['rows']:,} 行（{x['workbook_bytes'] / 1e6:.1f} MB） | "
            f"{x['import_s']:.1f} s（CPU {x['import_cpu_s']:.1f} s） | {x['rows_per_s']:,} 行/s | "
            f"< {TARGET_SECONDS:.0f} s {verdict} |"
        )
    lines.append(f"写入：{r['stored']}")
    return lines


if __name__ == "__main__":
    common.setup(sys.argv[1] if len(sys.argv) > 1 else "sqlite")
    for line in report(run()):
        print(line)
