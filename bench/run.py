"""Run every benchmark: ``python -m bench.run`` (``make bench``).

Each backend runs in a child process on a fresh database: SQLite always (``var/bench/``),
PostgreSQL too when ``BENCH_DATABASE_URL`` is set (that database's public schema is wiped).
In each: time ``seed --scale city``, then the scoped tree reads (``bench.tree_scope``), the
member statistics against hand-written SQL (``bench.members_stats``) and the member import of
100,000 rows against django-import-export and a bare bulk_create (``bench.members_import``).
Prints figures, never asserts on time. ``--write-docs`` rewrites the sections "基础：树与数据范围"
and "党员信息库" of ``docs/benchmarks.md`` with the results and the machine.

Options: ``--scale small`` for a quick smoke run, ``--iterations N`` (default 200, after
``BENCH_WARMUP`` = 20 warm-up runs; the member statistics run a tenth of them, at least 10),
``--backend sqlite|postgresql`` for one backend only, ``--only tree|members`` for one part.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from bench import common

DOCS = common.ROOT / "docs" / "benchmarks.md"
SECTION = "## 基础：树与数据范围"
MEMBERS_SECTION = "## 党员信息库"
PARTS = ("tree", "members")


def stats_iterations(iterations: int) -> tuple[int, int]:
    """The member statistics read the whole city each time: a tenth of the runs."""
    return max(10, iterations // 10), max(2, common.WARMUP // 10)


def _inner(backend: str, scale: str, out: str, parts: tuple[str, ...] = PARTS) -> None:
    common.setup(backend)
    from bench import members_import, members_stats, seed_city, tree_scope

    result = {
        "backend": backend,
        "database": common.database_version(),
        "machine": common.machine(),
    }
    result["seed"] = seed_city.run(scale, ("members",) if "members" in parts else ())
    if "tree" in parts:
        result["tree_scope"] = tree_scope.run(common.ITERATIONS, common.WARMUP)
    if "members" in parts:
        result["members_stats"] = members_stats.run(*stats_iterations(common.ITERATIONS))
        rows = members_import.ROWS if scale == "city" else 2000
        result["members_import"] = members_import.run(
            rows, min(members_import.IE_ROWS, rows), min(members_import.NAIVE_ROWS, rows // 4)
        )
    Path(out).write_text(json.dumps(result, ensure_ascii=False, indent=1, default=str))


def _run_backend(
    backend: str, scale: str, iterations: int, parts: tuple[str, ...] = PARTS
) -> dict | None:
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as fh:
        out = fh.name
    env = {**os.environ, "BENCH_ITERATIONS": str(iterations)}
    cmd = [sys.executable, "-m", "bench.run", "--inner", backend, "--scale", scale, "--json", out]
    cmd += ["--only", ",".join(parts)]
    proc = subprocess.run(cmd, env=env, cwd=common.ROOT, check=False)
    try:
        if proc.returncode != 0:
            print(f"[{backend}] 基准运行失败（退出码 {proc.returncode}）", file=sys.stderr)
            return None
        return json.loads(Path(out).read_text())
    finally:
        Path(out).unlink(missing_ok=True)


def _print(result: dict) -> None:
    from bench import members_import, members_stats, seed_city, tree_scope

    print(f"\n== {result['database']} ==")
    lines = seed_city.report(result["seed"])
    if "tree_scope" in result:
        lines += tree_scope.report(result["tree_scope"])
    if "members_stats" in result:
        lines += members_stats.report(result["members_stats"])
    if "members_import" in result:
        lines += members_import.report(result["members_import"])
    for line in lines:
        print("  " + line)


def markdown(results: list[dict], command: str) -> str:
    """The section "基础：树与数据范围": seeding and the scoped tree reads."""
    m = results[0]["machine"]
    ts = results[0]["tree_scope"]
    runs = ts["cases"][0]["ours"]["iterations"]
    lines = [
        SECTION,
        "",
        f"测量于 {m['date']}；机器：{m['nproc']} 核 {m['cpu']}，Python {m['python']}，"
        f"SQLite {m['sqlite']}，Django {m.get('django', '')}，{m['platform']}。"
        "同机同时还在跑其他工作（测试等），各后端开始时的系统负载（1/5/15 分钟）："
        + "；".join(f"{r['database']} {r['machine'].get('load') or '未知'}" for r in results)
        + "。负载高时所有数字都会变大、p95 尤其分散，比值取同一轮交替计时的中位数，受影响较小。",
        "",
        f"命令：`{command}`（每项先预热 {common.WARMUP} 次，再交替计时 {runs} 次，取中位数和 p95）。"
        "只报告数字，测试从不对耗时断言。",
        "",
        "### 生成全市两棵树和账号（目标 < 120 秒）",
        "",
        "`seed --scale city --modules …`：两棵树（区域、党组织、逐户登记只在小型城市）、职能部门、演示账号和授权；"
        "目标只针对这一段。之后各模块的演示数据（本基准只生成它其余部分要读的模块）另计在“总耗时”里。",
        "",
        "| 数据库 | 规模 | 区域 | 党组织 | 两棵树和账号 (s) | 目标 <120 s | 另生成的模块 | 总耗时 (s) |",
        "|---|---|---:|---:|---:|---|---|---:|",
    ]
    for r in results:
        s = r["seed"]
        trees = s.get("trees_seconds", s["seconds"])
        ok = "达成" if trees < 120 else "未达成"
        lines.append(
            f"| {r['database']} | {s['scale']} | {s['areas']:,} | {s['party_orgs']:,} "
            f"| {trees:.1f} | {ok} | {'、'.join(s.get('modules') or []) or '无'} | {s['seconds']:.1f} |"
        )
    lines += [
        "",
        "### 数据范围内的树查询：本系统与手写 SQL（目标 ≤ 1.5 × SQL）",
        "",
        f"县区用户持有一个县区（{ts['county']}）上的 city_staff 授权，全市用户持有全市授权。",
        "",
        '- (a) 范围内网格计数。本系统：`scope.count_visible(Area, user, "territory.view", kind="grid")`，'
        '即 `Area.objects.visible_to(user, "territory.view").filter(kind="grid").count()` 的同一条语句，'
        "由 ORM 按“形状”（模型、数据库、用户范围的查找条件、过滤字段）编译一次后缓存，之后只换参数执行。"
        "“ORM 惯用写法”一列是各模块直接写的那行 ORM（每次构造并编译查询）。",
        f"- (b) 街道（{ts['street']}，{ts['street_children']} 个下级）下级的第一页：`GET /api/v1/areas/?parent=ID` 的路由函数 "
        "`core.treeapi.tree_nodes`（与接口相同的参数），即上级是否可见、总数、前 20 条三条语句（同样按形状编译一次），"
        "行以元组读出，按接口字段组装成字典（`territory.api.area_rows_out`，标签每页查一次）。"
        "“ORM 惯用写法”一列是同一函数此前的做法（模型实例，`area_out` 逐行序列化）。",
        "- 手写 SQL：同样三条（或一条）语句，用户的路径区间直接写进条件，经同一个数据库连接执行，"
        "取回行并组装成同样的答复；计时前先核对三方答复相等（同样的总数、同样的字典）。",
        "- 两边都不含一次请求中双方同样要付的部分（HTTP 处理、认证时读取用户行）；这部分另列在最后一张表。"
        "本系统每次计时都像新请求一样从用户对象上没有授权开始：授权取自进程内的授权缓存"
        "（`accounts.models.GRANT_CACHE`，以用户行上的 `grants_version` 校验），不发查询；"
        "“授权每次从数据库读”一列清空该缓存，每次多一条查询。",
        "- PostgreSQL 经本机 TCP 连接。",
        "",
        "| 数据库 | 用户 | 查询 | 本系统 中位 / p95 (ms) | 手写 SQL 中位 / p95 (ms) | 本系统/SQL | 目标 ≤1.5× | ORM 惯用写法 中位 (ms) | 惯用写法/SQL | 授权每次从数据库读 中位 (ms) | 其/SQL |",
        "|---|---|---|---:|---:|---:|---|---:|---:|---:|---:|",
    ]
    for r in results:
        db = r["database"]
        for c in r["tree_scope"]["cases"]:
            who = "县区用户" if c["user"] == "bench-county" else "全市用户"
            ok = "达成" if c["ratio"] <= common.TARGET_RATIO else "未达成"
            lines.append(
                f"| {db} | {who}（{c['scope']}） | {c['case']} "
                f"| {c['ours']['median_ms']:.3f} / {c['ours']['p95_ms']:.3f} "
                f"| {c['sql']['median_ms']:.3f} / {c['sql']['p95_ms']:.3f} "
                f"| {c['ratio']:.2f}× | {ok} | {c['orm']['median_ms']:.3f} | {c['ratio_orm']:.2f}× "
                f"| {c['ours_read_grants']['median_ms']:.3f} | {c['ratio_read_grants']:.2f}× |"
            )
    lines += [
        "",
        "整次请求（供参照，不与 SQL 比）：`GET /api/v1/areas/?parent=ID` 经 Django 测试客户端，"
        "含令牌认证（读令牌和用户一条查询）、中间件、路由、按接口模式校验答复和 JSON 编码。",
        "",
        "| 数据库 | 用户 | 中位 / p95 (ms) |",
        "|---|---|---:|",
    ]
    for r in results:
        for label, h in r["tree_scope"]["http"].items():
            who = "县区用户" if label == "bench-county" else "全市用户"
            lines.append(f"| {r['database']} | {who} | {h['median_ms']:.2f} / {h['p95_ms']:.2f} |")
    cases = [c for r in results for c in r["tree_scope"]["cases"]]
    met = [c for c in cases if c["ratio"] <= common.TARGET_RATIO]
    missed = [c for c in cases if c["ratio"] > common.TARGET_RATIO]
    orm = [c["ratio_orm"] for c in cases]
    fresh = [c["ratio_read_grants"] for c in cases]
    lines += [
        "",
        f"结论：本系统的做法在 {len(met)}/{len(cases)} 项上达成目标"
        + (
            "（未达成："
            + "、".join(f"{c['user']} {c['case']} {c['ratio']:.2f}×" for c in missed)
            + "）"
            if missed
            else ""
        )
        + f"。ORM 惯用写法为手写 SQL 的 {min(orm):.2f}–{max(orm):.2f}×，全部未达成："
        "差距不在数据库（同样的语句、同样的索引），而在 Django 每次构造和编译查询、为每行建模型实例，"
        "在亚毫秒级的查询上这部分固定开销决定比值；按形状编译一次后只剩执行语句和组装答复。"
        f"授权每次从数据库读时为 {min(fresh):.2f}–{max(fresh):.2f}×：进程内授权缓存省掉的正是这一条查询。"
        "剩下的差距是每次请求的少量 Python（取用户范围、找编译好的语句、分页参数、取当前语言的标签），"
        "约几十微秒，在最快的语句上（SQLite 上 0.2 ms 左右）仍占可见的比例。",
    ]
    return "\n".join(lines) + "\n"


def members_markdown(results: list[dict], command: str) -> str:
    """The section "党员信息库": seeding with the members, statistics, import."""
    from bench import members_import

    m = results[0]["machine"]
    stats_runs = results[0]["members_stats"]["cases"][0]["orm"]["iterations"]
    lines = [
        MEMBERS_SECTION,
        "",
        f"测量于 {m['date']}；机器：{m['nproc']} 核 {m['cpu']}，Python {m['python']}，"
        f"SQLite {m['sqlite']}，Django {m.get('django', '')}，{m['platform']}；"
        f"开始时系统负载 {m.get('load') or '未知'}（同机有其他进程时数字会有波动）。",
        "",
        f"命令：`{command}`。只报告数字，测试从不对耗时断言。PostgreSQL 经本机 TCP 连接。",
        "",
        "### 生成全市演示数据（含党员，目标 < 120 秒）",
        "",
        "`seed --scale city` 现在还写入约 10 万名党员（类别、流动党员登记、双报到）、每个村(社区)的两委干部、"
        "后备干部与导师帮带、党员中心户和楼栋长；身份证号码和手机号码经 EncryptedField 加密（SM4-GCM），"
        "盲索引经 `core.crypto.blind_index`（HMAC-SM3）。",
        "",
        "| 数据库 | 总耗时 (s) | 其中党员：规划 / 写入党员 / 其余 (s) | 党员 | 两委干部 | 党员中心户和楼栋长 |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        s = r["seed"]
        ms = s.get("member_seconds") or {}
        split = " / ".join(f"{ms.get(k, 0):.1f}" for k in ("plan", "members", "rest"))
        if "members" not in s:  # an old result without the member counts: not measured
            lines.append(f"| {r['database']} | {s['seconds']:.1f} | 未测 | 未测 | 未测 | 未测 |")
            continue
        lines.append(
            f"| {r['database']} | {s['seconds']:.1f} | {split} | {s['members']:,} "
            f"| {s.get('cadres', 0):,} | {s.get('unit_roles', 0):,} |"
        )
    st = results[0]["members_stats"]
    lines += [
        "",
        "### 党员统计：ORM 与手写 SQL（目标 ORM ≤ 1.5 × SQL）",
        "",
        f"`members.selectors.member_stats`（即 `GET /api/v1/stats/members`）与手写 SQL 在同一数据库上算同样的结果"
        f"（总数及按状态、性别、民族、年龄段、学历、职业、类别、入党时间段的人数）。(a) 全市用户（市委上的 city_staff 授权）看全市；"
        f"(b) 街道用户（{st['street']}党工委上的 township_staff 授权）看本街道；(c) 全市用户按居住地 `area=`{st['street']}。"
        "手写 SQL 按维度各写一条 GROUP BY（共 9 条，年龄段和入党时间段用 CASE），带同样的路径区间和 `left_on IS NULL` 条件，"
        "并组装成同样的答复（代码、名称、人数），与 ORM 的答复逐项相等。ORM 一侧只发 3 条语句："
        "五个编码列一起 GROUP BY（组合数至多几百，再按列相加），年龄段和入党时间段一起 GROUP BY，类别一条。"
        f"每项先预热，再计时 {stats_runs} 次（全市一次就要扫描全部党员，次数取总次数的十分之一），取中位数和 p95；"
        "“ORM”按一次请求计（每次重新读取授权），“ORM 所发 SQL 直接执行”是 ORM 发出的语句原样重放的耗时。",
        "",
        "| 数据库 | 情形 | 党员数 | ORM 中位 / p95 (ms) | ORM 授权已缓存 中位 (ms) | ORM 所发 SQL 直接执行 中位 (ms) | 手写 SQL 中位 / p95 (ms) | ORM/SQL | 目标 ≤1.5× |",
        "|---|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in results:
        for c in r["members_stats"]["cases"]:
            ok = "达成" if c["ratio"] <= common.TARGET_RATIO else "未达成"
            lines.append(
                f"| {r['database']} | {c['case']} | {c['total']:,} "
                f"| {c['orm']['median_ms']:.1f} / {c['orm']['p95_ms']:.1f} | {c['orm_cached']['median_ms']:.1f} "
                f"| {c['orm_sql']['median_ms']:.1f} | {c['sql']['median_ms']:.1f} / {c['sql']['p95_ms']:.1f} "
                f"| {c['ratio']:.2f}× | {ok} |"
            )
    imp = results[0]["members_import"]
    lines += [
        "",
        f"### 党员导入：{imp['rows']:,} 行（目标：django-import-export 的 ≥10 倍行/秒；不超过裸 bulk_create 的 3 倍耗时）",
        "",
        f"按导入模板生成的工作簿（{imp['file_mb']} MB，{imp['rows']:,} 名有效党员，分属 {imp['targets']:,} 个网格党支部，"
        "居住地写成“网格/单元”）。本系统：`members.services.members_import` 全过程（python-calamine 读文件、逐格逐行校验、"
        "成批查找组织和居住地、成批查重身份证号码、写入党员及类别、每名党员一条审计记录），一个事务，测完回滚；"
        "在请求内导入的文件仍限 2 万行、10 MB；超过 2,000 行或 1 MB 的文件由后台任务导入（`members.jobs`，不限行数，仍限 10 MB），"
        "基准测试直接调用服务，走的是同一段代码。"
        f"django-import-export {results[0]['members_import'].get('ie_version', '4.4')}：`ModelResource` 的 `before_import_row` "
        "跑同样的单元格解析、`clean_member_fields`、按盲索引查重和组织、居住地查找，`after_save_instance` 写类别和审计记录，"
        "其余用默认的逐行保存（另开 `skip_diff`、`force_init_instance`，两者只会让它更快），读同样的行（python-calamine）。"
        f"它有两种写法：组织和居住地整表一次查好（与本系统相同的做法，比较的只是逐行写入），跑前 {imp['ie_rows']:,} 行；"
        f"逐行查找（`ForeignKeyWidget` 的做法，按无索引的名称列查询），跑前 {imp['naive_rows']:,} 行；比较的是行/秒。"
        "裸 bulk_create：已解析好的行（读文件和匹配不计时）直接构造 `Member` 并 `bulk_create`（加密由字段完成，无校验、无盲索引、无审计）及其类别。",
        "",
        "| 数据库 | 本系统 (s / 行/秒) | import-export 整表查找 (行/秒) | 倍数 | import-export 逐行查找 (行/秒) | 倍数 | 裸 bulk_create (s) | 耗时比 | 目标 |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in results:
        i = r["members_import"]
        v = members_import.verdicts(i)
        ok = "；".join(
            [
                f"≥10×（整表）{'达成' if v['ie'] else '未达成'}",
                f"≥10×（逐行）{'达成' if v['naive'] else '未达成'}",
                f"≤3×裸写入 {'达成' if v['bare'] else '未达成'}",
            ]
        )
        lines.append(
            f"| {r['database']} | {i['ours_seconds']:.1f} / {i['ours_rows_per_s']:,} | {i['ie_rows_per_s']:,} "
            f"| {i['ie_ratio']:.1f}× | {i['naive_rows_per_s']:,} | {i['naive_ratio']:.0f}× "
            f"| {i['bare_seconds']:.1f} | {i['bare_ratio']:.2f}× | {ok} |"
        )
    return "\n".join(lines) + "\n"


def write_docs(text: str, section: str = SECTION) -> None:
    """Replace the section in docs/benchmarks.md (other sections stay as they are)."""
    DOCS.parent.mkdir(parents=True, exist_ok=True)
    old = (
        DOCS.read_text()
        if DOCS.exists()
        else "# 性能基准\n\n由 `make bench`（`python -m bench.run --write-docs`）生成的各节。\n"
    )
    start = old.find(section)
    if start < 0:
        new = old.rstrip("\n") + "\n\n" + text
    else:
        nxt = old.find("\n## ", start + len(section))
        new = old[:start] + text + (old[nxt + 1 :] if nxt >= 0 else "")
        if nxt >= 0:
            new = old[:start] + text + "\n" + old[nxt + 1 :]
    DOCS.write_text(new)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description="运行全部基准测试")
    parser.add_argument("--scale", default="city", choices=("small", "city"))
    parser.add_argument("--iterations", type=int, default=common.ITERATIONS)
    parser.add_argument("--backend", choices=("sqlite", "postgresql"))
    parser.add_argument("--only", default=",".join(PARTS), help="tree、members，或二者以逗号分隔")
    parser.add_argument("--write-docs", action="store_true", help="把结果写入 docs/benchmarks.md")
    parser.add_argument("--inner", help=argparse.SUPPRESS)
    parser.add_argument("--json", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    parts = tuple(p for p in args.only.split(",") if p in PARTS) or PARTS
    if args.inner:
        _inner(args.inner, args.scale, args.json, parts)
        return 0
    backends = (
        [args.backend]
        if args.backend
        else ["sqlite"] + (["postgresql"] if os.environ.get("BENCH_DATABASE_URL") else [])
    )
    if "postgresql" in backends and not os.environ.get("BENCH_DATABASE_URL"):
        parser.error("PostgreSQL 基准需要环境变量 BENCH_DATABASE_URL")
    if "postgresql" not in backends:
        print("（未设置 BENCH_DATABASE_URL，跳过 PostgreSQL）")
    results = []
    for backend in backends:
        r = _run_backend(backend, args.scale, args.iterations, parts)
        if r is not None:
            results.append(r)
            _print(r)
    if not results:
        return 1
    command = "python -m bench.run" + (f" --scale {args.scale}" if args.scale != "city" else "")
    if parts != PARTS:
        command += f" --only {','.join(parts)}"
    if "postgresql" in backends:
        command = "BENCH_DATABASE_URL=… " + command
    if args.write_docs:
        if "tree" in parts:
            write_docs(markdown(results, command), SECTION)
        if "members" in parts:
            write_docs(members_markdown(results, command), MEMBERS_SECTION)
        print(f"\n已写入 {DOCS.relative_to(common.ROOT)}")
    return 0 if len(results) == len(backends) else 1


if __name__ == "__main__":
    sys.exit(main())
