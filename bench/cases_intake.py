"""Event intake (``POST /api/v1/cases/``) on PostgreSQL under concurrent requests.

``BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/cases_bench python -m bench.cases_intake
[--threads 8] [--requests 800] [--server-threads 8]``

The database at ``BENCH_DATABASE_URL`` is created if missing and its public schema wiped
(``bench.common.setup``), the small demo city seeded (with its events and the trained
classifier), and one grid worker per grid given a token. A waitress server (``dangjian.wsgi``,
``--server-threads`` worker threads) listens on loopback; ``--threads`` client threads, each
with its own keep-alive ``http.client`` connection and its own grid worker, post
``--requests`` reports in all (bounded), each a different text drawn like the demo's. Each
report runs the whole intake: scope, the classifier's suggestion, the repeat check (a row lock
on the reporter), duplicates in the grid and their links, the history step and the audit row.
Prints requests/s, p50/p99 latency and the answers by status; never asserts on time.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from urllib.parse import urlparse

from bench import common

WARMUP_PER_THREAD = 3


def _ensure_database(url: str) -> None:
    import psycopg

    parts = urlparse(url)
    name = parts.path.lstrip("/")
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _workers(n: int) -> list[tuple[int, str]]:
    """``n`` grid workers, each on a grid of their own: (grid id, token)."""
    from dangjian.accounts import services
    from dangjian.accounts.models import User
    from dangjian.territory.models import Area, AreaKind

    grids = list(Area.objects.filter(kind=AreaKind.GRID).order_by("path")[:n])
    out = []
    for i, grid in enumerate(grids):
        u = User(
            username=f"bench-intake-{i}", real_name=f"网格员{i}", area=grid, area_path=grid.path
        )
        u.set_unusable_password()
        u.save()
        services.grant_add(actor=None, user=u, role_code="grid_worker", area=grid)
        raw, _ = services.token_issue(user=u)
        out.append((grid.pk, raw))
    return out


def _client(port, token, grid, bodies, latencies, statuses, lock, barrier):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    mine_lat, mine_st = [], []
    for i, body in enumerate(bodies):
        if i == WARMUP_PER_THREAD:
            barrier.wait()
        payload = json.dumps({"area_id": grid, "description": body}, ensure_ascii=False)
        t0 = time.perf_counter()
        conn.request("POST", "/api/v1/cases/", payload.encode("utf-8"), headers)
        r = conn.getresponse()
        r.read()
        ms = (time.perf_counter() - t0) * 1000
        if i >= WARMUP_PER_THREAD:
            mine_lat.append(ms)
            mine_st.append(r.status)
    conn.close()
    with lock:
        latencies.extend(mine_lat)
        statuses.extend(mine_st)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--requests", type=int, default=800)
    parser.add_argument("--server-threads", type=int, default=8)
    args = parser.parse_args()
    url = os.environ.get("BENCH_DATABASE_URL", "")
    if not url.startswith("postgres"):
        raise SystemExit("需要 BENCH_DATABASE_URL=postgres://…（本基准只测 PostgreSQL）")
    _ensure_database(url)
    common.setup("postgresql")
    from django.core.management import call_command

    from dangjian.cases.models import Event
    from dangjian.demo import case_texts as demo

    call_command("seed", "--scale", "small", "--no-progress", stdout=open(os.devnull, "w"))
    workers = _workers(args.threads)
    per = max(args.requests // len(workers), 1)
    texts = [t for t, _c in demo.labelled_texts(len(workers) * (per + WARMUP_PER_THREAD), "intake")]
    before = Event.objects.count()

    port = _free_port()
    env = {**os.environ, "DATABASE_URL": url, "DANGJIAN_VAR_DIR": str(common.BENCH_DIR)}
    server = subprocess.Popen(
        [
            os.path.join(os.path.dirname(sys.executable), "waitress-serve"),
            "--listen",
            f"127.0.0.1:{port}",
            "--threads",
            str(args.server_threads),
            "dangjian.wsgi:application",
        ],
        env=env,
        cwd=str(common.ROOT),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        latencies: list[float] = []
        statuses: list[int] = []
        lock = threading.Lock()
        barrier = threading.Barrier(len(workers) + 1)
        threads = []
        chunk = per + WARMUP_PER_THREAD
        for i, (grid, token) in enumerate(workers):
            bodies = [f"{t}（{i}-{j}）" for j, t in enumerate(texts[i * chunk : (i + 1) * chunk])]
            th = threading.Thread(
                target=_client,
                args=(port, token, grid, bodies, latencies, statuses, lock, barrier),
            )
            th.start()
            threads.append(th)
        barrier.wait()
        t0 = time.perf_counter()
        for th in threads:
            th.join()
        elapsed = time.perf_counter() - t0
    finally:
        server.terminate()
        server.wait(timeout=30)
    written = Event.objects.count() - before
    lat = sorted(latencies)
    p99 = lat[min(len(lat) - 1, round(0.99 * (len(lat) - 1)))]
    by_status: dict[int, int] = {}
    for s in statuses:
        by_status[s] = by_status.get(s, 0) + 1
    print(json.dumps({"machine": common.machine()}, ensure_ascii=False))
    print(f"数据库：{common.database_version()}（本机 TCP）；waitress {args.server_threads} 线程")
    print(
        f"并发 {len(workers)} 个客户端线程（各一名网格员、一个长连接），计时 {len(lat)} 次上报"
        f"（每线程先预热 {WARMUP_PER_THREAD} 次），写入事件 {written} 件"
    )
    print(
        f"吞吐 {len(lat) / elapsed:.1f} 次/秒；延迟 p50 {statistics.median(lat):.1f} ms，"
        f"p99 {p99:.1f} ms，最大 {lat[-1]:.1f} ms；答复 {by_status}"
    )


if __name__ == "__main__":
    main()
