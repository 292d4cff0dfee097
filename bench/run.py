"""Run every benchmark: ``python -m bench.run`` (``make bench``).

Each backend runs in a child process on a fresh database: SQLite always (``var/bench/``),
PostgreSQL too when ``BENCH_DATABASE_URL`` is set (that database's public schema is wiped).
In each: time ``seed --scale city``, then the scoped tree reads (``bench.tree_scope``).
Prints figures, never asserts on time. ``--write-docs`` rewrites the section "基础：树与数据范围"
of ``docs/benchmarks.md`` with the results and the machine.

Options: ``--scale small`` for a quick smoke run, ``--iterations N`` (default 200, after
``BENCH_WARMUP`` = 20 warm-up runs), ``--backend sqlite|postgresql`` for one backend only.
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


def _inner(backend: str, scale: str, out: str) -> None:
    common.setup(backend)
    from bench import seed_city, tree_scope

    result = {
        "backend": backend,
        "database": common.database_version(),
        "machine": common.machine(),
    }
    result["seed"] = seed_city.run(scale)
    result["tree_scope"] = tree_scope.run(common.ITERATIONS, common.WARMUP)
    Path(out).write_text(json.dumps(result, ensure_ascii=False, indent=1))


def _run_backend(backend: str, scale: str, iterations: int) -> dict | None:
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as fh:
        out = fh.name
    env = {**os.environ, "BENCH_ITERATIONS": str(iterations)}
    cmd = [sys.executable, "-m", "bench.run", "--inner", backend, "--scale", scale, "--json", out]
    proc = subprocess.run(cmd, env=env, cwd=common.ROOT, check=False)
    try:
        if proc.returncode != 0:
            print(f"[{backend}] 基准运行失败（退出码 {proc.returncode}）", file=sys.stderr)
            return None
        return json.loads(Path(out).read_text())
    finally:
        Path(out).unlink(missing_ok=True)


def _print(result: dict) -> None:
    from bench import seed_city, tree_scope

    print(f"\n== {result['database']} ==")
    for line in seed_city.report(result["seed"]) + tree_scope.report(result["tree_scope"]):
        print("  " + line)


def markdown(results: list[dict], command: str) -> str:
    m = results[0]["machine"]
    lines = [
        SECTION,
        "",
        f"测量于 {m['date']}；机器：{m['nproc']} 核 {m['cpu']}，Python {m['python']}，"
        f"SQLite {m['sqlite']}，Django {m.get('django', '')}，{m['platform']}；"
        f"开始时系统负载 {m.get('load') or '未知'}（同机有其他进程时数字会有波动）。",
        "",
        f"命令：`{command}`（每项先预热 {common.WARMUP} 次，再计时 "
        f"{results[0]['tree_scope']['cases'][0]['orm']['iterations']} 次，取中位数和 p95）。"
        "只报告数字，测试从不对耗时断言。",
        "",
        "### 生成全市演示数据（目标 < 120 秒）",
        "",
        "| 数据库 | 规模 | 区域 | 党组织 | 耗时 (s) |",
        "|---|---|---:|---:|---:|",
    ]
    for r in results:
        s = r["seed"]
        lines.append(
            f"| {r['database']} | {s['scale']} | {s['areas']:,} | {s['party_orgs']:,} | {s['seconds']:.1f} |"
        )
    lines += [
        "",
        "### 数据范围内的树查询：ORM 与手写 SQL（目标 ORM ≤ 1.5 × SQL）",
        "",
        f"县区用户持有一个县区（{results[0]['tree_scope']['county']}）上的 city_staff 授权，全市用户持有全市授权。"
        f'(a) `Area.objects.visible_to(user, "territory.view").filter(kind="grid").count()`；'
        f"(b) `core.treeapi.tree_nodes` 的路由逻辑取街道（{results[0]['tree_scope']['street']}）"
        "下级的第一页（20 条及总数，按接口序列化）。手写 SQL 用同样的路径区间条件在同一数据库上执行同样的语句。"
        "“ORM”按一次请求计：每次重新读取用户授权（多一次查询）；“ORM 授权已缓存”不含这次查询；"
        "“ORM 所发 SQL 直接执行”把 ORM 发出的语句原样用游标重放（只取回行），即数据库一侧的耗时；"
        "(b) 的手写 SQL 一侧还包括把行组装成接口的字典，所以那一列可低于 1。PostgreSQL 经本机 TCP 连接。",
        "",
        "| 数据库 | 用户 | 查询 | ORM 中位 / p95 (ms) | ORM 授权已缓存 中位 (ms) | ORM 所发 SQL 直接执行 中位 (ms) | 手写 SQL 中位 / p95 (ms) | ORM/SQL | 已缓存 ORM/SQL | ORM 所发 SQL/手写 SQL | 目标 ≤1.5× |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in results:
        db = r["database"]
        for c in r["tree_scope"]["cases"]:
            who = "县区用户" if c["user"] == "bench-county" else "全市用户"
            ok = "达成" if c["ratio"] <= common.TARGET_RATIO else "未达成"
            lines.append(
                f"| {db} | {who}（{c['scope']}） | {c['case']} | {c['orm']['median_ms']:.2f} / {c['orm']['p95_ms']:.2f} "
                f"| {c['orm_cached']['median_ms']:.2f} | {c['orm_sql']['median_ms']:.2f} "
                f"| {c['sql']['median_ms']:.2f} / {c['sql']['p95_ms']:.2f} "
                f"| {c['ratio']:.2f}× | {c['ratio_cached']:.2f}× | {c['ratio_sql']:.2f}× | {ok} |"
            )
    cases = [c for r in results for c in r["tree_scope"]["cases"]]
    db_ratio = [c["ratio_sql"] for c in cases]
    python = [c["orm_cached"]["median_ms"] - c["orm_sql"]["median_ms"] for c in cases]
    grants = [c["orm"]["median_ms"] - c["orm_cached"]["median_ms"] for c in cases]
    met = sum(1 for c in cases if c["ratio"] <= common.TARGET_RATIO)
    lines += [
        "",
        f"结论：目标在 {met}/{len(cases)} 项上达成。数据库一侧两者相当（ORM 所发 SQL / 手写 SQL 为 "
        f"{min(db_ratio):.2f}–{max(db_ratio):.2f}×：同样的路径区间条件，走同样的索引）；ORM 多出的是 Python 一侧的"
        f"固定开销（构造查询、模型实例和序列化，每次约 {min(python):.2f}–{max(python):.2f} ms）和每次请求读取授权的"
        f"一次查询（约 {min(grants):.2f}–{max(grants):.2f} ms）。在亚毫秒级的查询上，这部分固定开销决定了比值。",
    ]
    return "\n".join(lines) + "\n"


def write_docs(text: str) -> None:
    """Replace the section in docs/benchmarks.md (other sections stay as they are)."""
    DOCS.parent.mkdir(parents=True, exist_ok=True)
    old = (
        DOCS.read_text()
        if DOCS.exists()
        else "# 性能基准\n\n由 `make bench`（`python -m bench.run --write-docs`）生成的各节。\n"
    )
    start = old.find(SECTION)
    if start < 0:
        new = old.rstrip("\n") + "\n\n" + text
    else:
        nxt = old.find("\n## ", start + len(SECTION))
        new = old[:start] + text + (old[nxt + 1 :] if nxt >= 0 else "")
        if nxt >= 0:
            new = old[:start] + text + "\n" + old[nxt + 1 :]
    DOCS.write_text(new)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description="运行全部基准测试")
    parser.add_argument("--scale", default="city", choices=("small", "city"))
    parser.add_argument("--iterations", type=int, default=common.ITERATIONS)
    parser.add_argument("--backend", choices=("sqlite", "postgresql"))
    parser.add_argument("--write-docs", action="store_true", help="把结果写入 docs/benchmarks.md")
    parser.add_argument("--inner", help=argparse.SUPPRESS)
    parser.add_argument("--json", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.inner:
        _inner(args.inner, args.scale, args.json)
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
        r = _run_backend(backend, args.scale, args.iterations)
        if r is not None:
            results.append(r)
            _print(r)
    if not results:
        return 1
    command = "python -m bench.run" + (f" --scale {args.scale}" if args.scale != "city" else "")
    if "postgresql" in backends:
        command = "BENCH_DATABASE_URL=… " + command
    text = markdown(results, command)
    if args.write_docs:
        write_docs(text)
        print(f"\n已写入 {DOCS.relative_to(common.ROOT)}")
    return 0 if len(results) == len(backends) else 1


if __name__ == "__main__":
    sys.exit(main())
