"""Load on the served application (issue 19): ``python -m bench.load``.

Seeds the small demo on a fresh database (SQLite by default; PostgreSQL with
``--backend postgresql`` and ``BENCH_DATABASE_URL``), starts ``dangjian serve`` (one process
per core) on loopback, and drives it with locust (headless, bounded in time):

- ``lists``: 16 clients reading scoped lists as street officers (areas, events, members);
- ``intake``: 16 clients through which residents report events. What it models: many
  residents, each reporting at a human rate. ``--residents`` (6,000) resident accounts are
  opened over every grid of the demo (``residents_open``: the community's bulk opening, the
  resident role, an audit row each; each has since set a password and holds a token). Each
  report comes from the next resident of the pool, with a text drawn as the demo draws its
  events, so that at the rates measured no resident reports twice in a run (and one who does,
  minutes later, writes another text). The 16 clients are 16 connections at once, sending
  back to back: a closed loop, so throughput and latency are tied (Little's law).

Any answer but 200 is an error, printed with its status and body: the scenario must not be
refused by the repeat rule (409) or by reach (403), which protect against what it does not
model. The clients are locust ``FastHttpUser``: the load generator shares the cores.

Prints requests per second, the median, p99 and maximum, the error count, and whether each
target is met (lists ≥ 200 req/s with p99 ≤ 150 ms; intake ≥ 60 req/s with p99 ≤ 400 ms; no
error). Never asserts. ``--seconds`` (default 30), ``--clients`` (default 16), ``--scenario``
(one of the two). CPU time per request, the measure on a shared machine: ``bench.load_cpu``.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from bench import common

TARGETS = {"lists": (200.0, 150.0), "intake": (60.0, 400.0)}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# Mobile numbers of the bench's residents: a prefix the demo never draws (demo.names.mobile).
RESIDENT_PREFIX = "177"
# The texts residents write: drawn as the demo draws its events (demo.case_texts), a prime
# number of them, so that a resident who reports again (a pool smaller than the run) writes
# another text.
TEXT_COUNT = 997


def report_texts(n: int = TEXT_COUNT) -> list[str]:
    from dangjian.demo.case_texts import labelled_texts

    return [text for text, _code in labelled_texts(n, seed="bench-load")]


# For bench.load_cpu: a few texts without the demo's machinery.
DESCRIPTIONS = (
    "小区门口垃圾堆积，已经好几天没人清理了",
    "楼道里电动车充电，存在消防安全隐患",
    "路灯不亮，晚上出行不安全",
    "下水道堵塞，污水漫到路面上",
    "小区内有人占用消防通道停车",
    "人行道上乱停车，行人只能走机动车道",
    "小区健身器材损坏，老人锻炼不方便",
)


def residents_open(count: int, offset: int = 0) -> list[str]:
    """``count`` resident accounts, spread evenly over the demo's open grids, opened as the
    community opens them (``resident_accounts_open``: the resident role, an audit row each),
    who have since chosen their own password; answers a bearer token for each."""
    import datetime as dt
    import random
    import secrets

    from django.db import transaction
    from django.utils import timezone

    from dangjian.accounts.models import ApiToken, User
    from dangjian.accounts.services.login import _digest
    from dangjian.accounts.services.registration import resident_accounts_open
    from dangjian.cases.selectors import GRID_LEVEL
    from dangjian.core.conf import setting
    from dangjian.demo import names
    from dangjian.territory.models import Area

    rng = random.Random(f"bench-load-{offset}")
    grids = list(Area.objects.filter(level=GRID_LEVEL, closed_on__isnull=True).defer("boundary"))
    actor = User.objects.get(username="demo-county")
    people = [
        (names.person_name(rng), f"{RESIDENT_PREFIX}{offset + i:08d}", grids[i % len(grids)])
        for i in range(count)
    ]
    with transaction.atomic():
        opened = resident_accounts_open(actor=actor, people=people, note="负载测试的居民")
        users = [u for u, _p in opened]
        # Each has since logged in and set a password of their own.
        earlier = timezone.now() - dt.timedelta(minutes=1)
        User.objects.filter(pk__in=[u.pk for u in users]).update(
            must_change_password=False, password_changed_at=earlier
        )
        raws = [secrets.token_urlsafe(32) for _ in users]
        expires = timezone.now() + dt.timedelta(hours=setting("TOKEN_HOURS"))
        # The tokens their phones hold (token_issue, less its audit row per token).
        ApiToken.objects.bulk_create(
            [
                ApiToken(user=u, digest=_digest(raw), expires_at=expires)
                for u, raw in zip(users, raws, strict=True)
            ],
            batch_size=1000,
        )
    return raws


def _prepare(backend: str, scale: str, tokens_path: Path, residents: int) -> dict:
    common.setup(backend)
    from django.core.management import call_command

    call_command("migrate", "--no-input", verbosity=0)
    call_command("seed", "--scale", scale, "--no-progress", verbosity=0)
    from dangjian.accounts.models import User
    from dangjian.accounts.services import token_issue

    staff = User.objects.filter(username__in=["demo-street", "demo-community", "demo-county"])
    tokens = {
        "staff": [token_issue(user=u)[0] for u in staff],
        "residents": residents_open(residents),
        "warm": residents_open(WARM_RESIDENTS, offset=residents),
        "texts": report_texts(),
    }
    tokens_path.write_text(json.dumps(tokens, ensure_ascii=False))
    return {k: v for k, v in os.environ.items() if k.startswith(("DANGJIAN_", "DATABASE_URL"))}


def _serve(env: dict, port: int) -> subprocess.Popen:
    proc = subprocess.Popen(
        [sys.executable, "-m", "dangjian.cli", "serve", str(port)],
        env={**os.environ, **env, "DJANGO_SETTINGS_MODULE": "dangjian.settings"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/health", timeout=5)
            return proc
        except OSError:
            time.sleep(0.3)
    _stop(proc)
    raise SystemExit("the server did not start")


def _stop(proc: subprocess.Popen) -> None:
    """Stop ``dangjian serve`` as an operator does: SIGTERM, on which the parent stops its web
    processes (a SIGKILL of the parent left them serving, orphaned, after every run)."""
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


WARM_RESIDENTS = 64


def _warm(scenario: str, port: int, tokens_path: Path, clients: int) -> None:
    """Before the measured run: each web process loads what its first requests load (the
    word segmenter and the classifier's model for a report, each thread's connection and its
    page cache), which took seconds under load and is not what the target is about. ``clients``
    requests at once, four rounds, by staff or by the warm-up residents (not the pool's)."""
    from concurrent.futures import ThreadPoolExecutor

    tokens = json.loads(tokens_path.read_text())
    base = f"http://127.0.0.1:{port}"

    def one(i: int) -> None:
        if scenario == "lists":
            path = ("/api/v1/areas/", "/api/v1/cases/", "/api/v1/members/")[i % 3]
            req = urllib.request.Request(
                base + path + "?page_size=20",
                headers={"Authorization": f"Bearer {tokens['staff'][i % len(tokens['staff'])]}"},
            )
        else:
            body = json.dumps({"description": tokens["texts"][-1 - i]}).encode()
            req = urllib.request.Request(
                base + "/api/v1/cases/",
                data=body,
                headers={
                    "Authorization": f"Bearer {tokens['warm'][i % len(tokens['warm'])]}",
                    "Content-Type": "application/json",
                },
            )
        try:
            urllib.request.urlopen(req, timeout=120).read()
        except OSError:
            pass

    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(one, range(min(clients * 4, WARM_RESIDENTS))))


def _locust(scenario: str, port: int, tokens: Path, clients: int, seconds: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        prefix = Path(tmp) / "stats"
        subprocess.run(
            [
                sys.executable,
                "-m",
                "locust",
                "-f",
                str(Path(__file__).with_name("locustfile.py")),
                "--headless",
                "-u",
                str(clients),
                "-r",
                str(clients),
                "-t",
                f"{seconds}s",
                "--host",
                f"http://127.0.0.1:{port}",
                "--csv",
                str(prefix),
                "--only-summary",
            ],
            env={**os.environ, "BENCH_LOAD_TOKENS": str(tokens), "BENCH_LOAD_SCENARIO": scenario},
            check=False,
            capture_output=True,
        )
        with open(f"{prefix}_stats.csv", newline="") as f:
            rows = {r["Name"]: r for r in csv.DictReader(f)}
        with open(f"{prefix}_failures.csv", newline="") as f:
            failures = [(int(r["Occurrences"]), r["Name"], r["Error"]) for r in csv.DictReader(f)]
    total = rows["Aggregated"]
    return {
        "requests": int(total["Request Count"]),
        "errors": int(total["Failure Count"]),
        "rps": float(total["Requests/s"]),
        "p50": float(total["50%"]),
        "p99": float(total["99%"]),
        "max": float(total["Max Response Time"]),
        "routes": {
            name: (float(r["Requests/s"]), float(r["50%"]), float(r["99%"]))
            for name, r in rows.items()
            if name != "Aggregated"
        },
        "failures": sorted(failures, reverse=True)[:5],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--scale", default="small")
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--scenario", choices=["lists", "intake"], help="only this one")
    parser.add_argument(
        "--residents", type=int, default=6000, help="resident accounts reporting (intake)"
    )
    args = parser.parse_args()
    print(json.dumps(common.machine(), ensure_ascii=False))
    with tempfile.TemporaryDirectory() as tmp:
        tokens = Path(tmp) / "tokens.json"
        env = _prepare(args.backend, args.scale, tokens, args.residents)
        port = _free_port()
        server = _serve(env, port)
        try:
            for scenario in [args.scenario] if args.scenario else ["lists", "intake"]:
                _warm(scenario, port, tokens, args.clients)
                r = _locust(scenario, port, tokens, args.clients, args.seconds)
                rps_target, p99_target = TARGETS[scenario]
                met = r["rps"] >= rps_target and r["p99"] <= p99_target and r["errors"] == 0
                print(
                    f"{args.backend} {scenario}: {args.clients} clients {args.seconds} s — "
                    f"{r['requests']} requests, {r['rps']:.1f} req/s, p50 {r['p50']:.0f} ms, "
                    f"p99 {r['p99']:.0f} ms, max {r['max']:.0f} ms, errors {r['errors']}"
                )
                for name, (rps, p50, p99) in sorted(r["routes"].items()):
                    print(f"    {name}: {rps:.1f} req/s, p50 {p50:.0f} ms, p99 {p99:.0f} ms")
                for count, name, error in r["failures"]:
                    print(f"    error ×{count} {name}: {error[:160]}")
                print(
                    f"    target ≥ {rps_target:.0f} req/s, p99 ≤ {p99_target:.0f} ms, no error: "
                    + ("met" if met else "NOT met")
                )
        finally:
            _stop(server)


if __name__ == "__main__":
    main()
