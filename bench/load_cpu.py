"""CPU time per request of the routes ``bench.load`` drives: ``python -m bench.load_cpu``.

The load benchmark's figures depend on how busy the machine is; the CPU time one request
costs does not (much). This calls the application in-process, through the same WSGI stack
``dangjian serve`` runs (``dangjian.wsgi.application`` behind whitenoise, every middleware),
with a bearer token as ``bench.load`` sends it, and prints, per route, the CPU time per
request (``time.process_time``: this process only, so on SQLite it includes the database's
own work; on PostgreSQL the server's share is measured apart from /proc of its backend when
the server runs on this machine).

- lists: ``GET /api/v1/areas/``, ``/cases/``, ``/members/`` (``page_size=20``) as the demo's
  street officer;
- intake: ``POST /api/v1/cases/`` by distinct residents (``bench.load.residents_open``).

``--seed`` seeds the small demo first (else the database of ``bench.load`` is reused:
``BENCH_SQLITE_PATH`` or ``BENCH_DATABASE_URL``); ``--profile FILE`` writes a cProfile of
the measured requests (``python -m pstats FILE``). Prints figures, never asserts.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import sys
import time
from pathlib import Path

from bench import common

LISTS = (
    "/api/v1/areas/?page_size=20",
    "/api/v1/cases/?page_size=20",
    "/api/v1/members/?page_size=20",
)


def _call(app, method: str, path: str, token: str, body: bytes = b"") -> tuple[int, bytes]:
    from urllib.parse import urlsplit

    parts = urlsplit(path)
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": parts.path,
        "QUERY_STRING": parts.query,
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "127.0.0.1:8000",
        "HTTP_AUTHORIZATION": f"Bearer {token}",
        "HTTP_ACCEPT": "application/json",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    if body:
        environ["CONTENT_TYPE"] = "application/json"
        environ["CONTENT_LENGTH"] = str(len(body))
    status = []

    def start_response(s, headers, exc_info=None):
        status.append(int(s.split()[0]))

    result = app(environ, start_response)
    try:
        content = b"".join(result)
    finally:
        if hasattr(result, "close"):
            result.close()
    return status[0], content


def _pg_backend_cpu() -> tuple[int, float] | None:
    """The PostgreSQL backend of this connection and the CPU seconds (user + system) it has
    used, when it runs on this machine and its /proc entry is readable; else None."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cur:
        cur.execute("SELECT pg_backend_pid()")
        pid = cur.fetchone()[0]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return pid, (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _measure(name: str, fn, n: int, warmup: int, profiler) -> dict:
    for j in range(warmup):
        fn(j - warmup)
    db0 = _pg_backend_cpu()
    c0, w0 = time.process_time(), time.perf_counter()
    if profiler:
        profiler.enable()
    statuses: dict[int, int] = {}
    for i in range(n):
        status = fn(i)
        statuses[status] = statuses.get(status, 0) + 1
    if profiler:
        profiler.disable()
    cpu, wall = time.process_time() - c0, time.perf_counter() - w0
    db1 = _pg_backend_cpu()
    out = {
        "route": name,
        "requests": n,
        "cpu_ms": round(cpu / n * 1000, 2),
        "wall_ms": round(wall / n * 1000, 2),
        "statuses": statuses,
    }
    # A connection older than CONN_MAX_AGE is replaced between requests: a new backend's
    # CPU is not comparable, so no figure then.
    if db0 is not None and db1 is not None and db0[0] == db1[0]:
        out["db_cpu_ms"] = round((db1[1] - db0[1]) / n * 1000, 2)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--seed", action="store_true", help="seed the small demo first")
    parser.add_argument("--requests", type=int, default=300, help="per list route")
    parser.add_argument("--reports", type=int, default=300, help="intake requests")
    parser.add_argument("--profile", help="write a cProfile of the measured requests here")
    parser.add_argument("--only", choices=["lists", "intake"])
    parser.add_argument("--route", default="", help="only the list routes whose path holds this")
    args = parser.parse_args()
    print(json.dumps(common.machine(), ensure_ascii=False))
    if args.seed:
        common.setup(args.backend)
        from django.core.management import call_command

        call_command("seed", "--scale", "small", "--no-progress", verbosity=0)
    else:
        common.reuse(args.backend)
    from bench.load import DESCRIPTIONS, residents_open
    from dangjian.accounts.models import User
    from dangjian.accounts.services import token_issue
    from dangjian.server import _application

    app = _application()
    profiler = cProfile.Profile(time.process_time) if args.profile else None
    results = []
    if args.only in (None, "lists"):
        token = token_issue(user=User.objects.get(username="demo-street"))[0]
        for path in [p for p in LISTS if args.route in p]:
            results.append(
                _measure(
                    "GET " + path,
                    lambda _i, p=path: _call(app, "GET", p, token)[0],
                    args.requests,
                    20,
                    profiler,
                )
            )
    if args.only in (None, "intake"):
        tokens = residents_open(args.reports + 20, offset=int(time.time()) % 10_000 * 100)

        def report(i: int) -> int:
            k = i + 20  # the warm-up's reports are -20 .. -1
            text = DESCRIPTIONS[k % len(DESCRIPTIONS)]
            body = json.dumps({"description": text}, ensure_ascii=False).encode()
            return _call(app, "POST", "/api/v1/cases/", tokens[k % len(tokens)], body)[0]

        results.append(_measure("POST /api/v1/cases/", report, args.reports, 20, profiler))
    for r in results:
        print(json.dumps(r, ensure_ascii=False))
    if profiler:
        profiler.dump_stats(args.profile)


if __name__ == "__main__":
    main()
