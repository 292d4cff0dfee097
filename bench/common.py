"""Shared by the benchmarks: a fresh database per backend, timing, and the machine's figures.

The benchmarks print figures and never assert on time. Each backend runs in its own process
(``bench.run`` starts them), because the settings read the database from the environment once.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import sqlite3
import statistics
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "var" / "bench"
# BENCH_SQLITE_PATH: another file, so that two benchmarks can run at once without one
# deleting the other's database.
SQLITE_PATH = Path(os.environ.get("BENCH_SQLITE_PATH") or BENCH_DIR / "bench.sqlite3")

ITERATIONS = int(os.environ.get("BENCH_ITERATIONS", 200))
WARMUP = int(os.environ.get("BENCH_WARMUP", 20))
TARGET_RATIO = 1.5


def _reset_postgres(url: str) -> None:
    """Empty the benchmark database: drop and recreate its public schema."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP SCHEMA IF EXISTS public CASCADE")
        conn.execute("CREATE SCHEMA public")


def setup(backend: str) -> None:
    """Point the settings at a fresh, migrated database for ``backend``; then django.setup().

    ``sqlite``: a new file ``var/bench/bench.sqlite3``. ``postgresql``: the database at
    ``BENCH_DATABASE_URL``, whose public schema is dropped and recreated (its data is lost).
    """
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dangjian.settings")
    # Keys and the secret key of the benchmark stay under var/bench/ too.
    os.environ["DANGJIAN_VAR_DIR"] = str(BENCH_DIR)
    if backend == "sqlite":
        os.environ.pop("DATABASE_URL", None)
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{SQLITE_PATH}{suffix}").unlink(missing_ok=True)
        os.environ["DANGJIAN_SQLITE_PATH"] = str(SQLITE_PATH)
    elif backend == "postgresql":
        url = os.environ["BENCH_DATABASE_URL"]
        _reset_postgres(url)
        os.environ["DATABASE_URL"] = url
    else:
        raise ValueError(f"unknown backend {backend!r}")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def reuse(backend: str) -> None:
    """Point the settings at the benchmark database already seeded (``--reuse``): migrate only.

    Seeding the city takes most of a benchmark's time, and the dashboard, map and assessment
    benchmarks seed the same modules, so one seeded database serves all three.
    """
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dangjian.settings")
    os.environ["DANGJIAN_VAR_DIR"] = str(BENCH_DIR)
    if backend == "sqlite":
        os.environ["DANGJIAN_SQLITE_PATH"] = str(SQLITE_PATH)
    else:
        os.environ["DATABASE_URL"] = os.environ["BENCH_DATABASE_URL"]
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


CITY_MODULES = "members,cases,orglife,dues,development"


def seeded(backend: str, scale: str, modules: str = CITY_MODULES) -> None:
    """A fresh database seeded at ``scale`` with ``modules`` (timed and printed), or with
    ``--reuse`` on the command line the one already seeded."""
    import sys

    if "--reuse" in sys.argv:
        reuse(backend)
        return
    setup(backend)
    from django.core.management import call_command

    t0 = time.perf_counter()
    call_command("seed", "--scale", scale, "--no-progress", "--modules", modules)
    print(f"seed --scale {scale}: {time.perf_counter() - t0:.1f} s ({database_version()})")
    vacuum()


def vacuum() -> None:
    """On PostgreSQL, ``VACUUM (ANALYZE)`` the database just seeded: the state autovacuum
    brings a production database to minutes after a bulk load (visibility map set, so counts
    can be answered from an index alone; hint bits written). Without it, the first reads of
    each page write it back, and a timing right after the seed measures that one-off cost."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    t0 = time.perf_counter()
    connection.ensure_connection()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE)")
    print(f"VACUUM (ANALYZE): {time.perf_counter() - t0:.1f} s")


def _summary(times: list[float]) -> dict:
    times = sorted(times)
    p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
    return {
        "median_ms": round(statistics.median(times), 3),
        "p95_ms": round(p95, 3),
        "mean_ms": round(statistics.fmean(times), 3),
        "iterations": len(times),
    }


def measure(fn, iterations: int = ITERATIONS, warmup: int = WARMUP) -> dict:
    """Run ``fn`` ``warmup`` times, then time ``iterations`` runs: median, p95, mean in ms."""
    return measure_many({"fn": fn}, iterations, warmup)["fn"]


def measure_many(
    fns: dict, iterations: int = ITERATIONS, warmup: int = WARMUP, clock=time.perf_counter
) -> dict:
    """Like ``measure`` for several functions, interleaved run by run, so that a change in the
    machine's load during the run weighs on all of them alike. ``clock``: the wall clock, or
    ``time.process_time`` for the process's CPU time (the fairer figure on a shared machine)."""
    for _ in range(warmup):
        for fn in fns.values():
            fn()
    times: dict = {name: [] for name in fns}
    for _ in range(iterations):
        for name, fn in fns.items():
            t0 = clock()
            fn()
            times[name].append((clock() - t0) * 1000)
    return {name: _summary(t) for name, t in times.items()}


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return ""


def machine() -> dict:
    info = {
        "nproc": os.cpu_count(),
        "cpu": cpu_model(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "platform": platform.platform(),
        "date": dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %z"),
        "load": _loadavg(),
    }
    try:
        import django

        info["django"] = django.get_version()
    except ImportError:  # pragma: no cover
        pass
    return info


def database_version() -> str:
    from django.db import connection

    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("SHOW server_version")
            return "PostgreSQL " + cur.fetchone()[0].split()[0]
        cur.execute("SELECT sqlite_version()")
        return "SQLite " + cur.fetchone()[0]


def verdict(ratio: float) -> str:
    return f"目标 ≤{TARGET_RATIO}×: {'达成' if ratio <= TARGET_RATIO else '未达成'}"
