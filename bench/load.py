"""Load on the served application (issue 19): ``python -m bench.load``.

Seeds the small demo on a fresh database (SQLite by default; PostgreSQL with
``--backend postgresql`` and ``BENCH_DATABASE_URL``), starts ``dangjian serve`` (one process
per core) on loopback, and drives it with locust (headless, bounded in time):

- ``lists``: 16 clients reading scoped lists as street officers (areas, events, members);
- ``intake``: 16 clients, residents reporting events.

Prints requests per second, the median, p99 and maximum, the error count, and whether each
target is met (lists ≥ 200 req/s with p99 ≤ 150 ms; intake ≥ 60 req/s with p99 ≤ 400 ms; no
error). Never asserts. ``--seconds`` (default 30) and ``--clients`` (default 16).
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


def _prepare(backend: str, scale: str, tokens_path: Path) -> dict:
    common.setup(backend)
    from django.core.management import call_command

    call_command("migrate", "--no-input", verbosity=0)
    call_command("seed", "--scale", scale, "--no-progress", verbosity=0)
    from dangjian.accounts.models import User, UserKind
    from dangjian.accounts.services import token_issue

    staff = User.objects.filter(username__in=["demo-street", "demo-community", "demo-county"])
    residents = User.objects.filter(kind=UserKind.RESIDENT, is_active=True)[:64]
    tokens = {
        "staff": [token_issue(user=u)[0] for u in staff],
        "residents": [token_issue(user=u)[0] for u in residents],
    }
    tokens_path.write_text(json.dumps(tokens))
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
    proc.kill()
    raise SystemExit("the server did not start")


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
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--scale", default="small")
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--clients", type=int, default=16)
    args = parser.parse_args()
    print(json.dumps(common.machine(), ensure_ascii=False))
    with tempfile.TemporaryDirectory() as tmp:
        tokens = Path(tmp) / "tokens.json"
        env = _prepare(args.backend, args.scale, tokens)
        port = _free_port()
        server = _serve(env, port)
        try:
            for scenario in ("lists", "intake"):
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
                print(
                    f"    target ≥ {rps_target:.0f} req/s, p99 ≤ {p99_target:.0f} ms, no error: "
                    + ("met" if met else "NOT met")
                )
        finally:
            server.kill()
            server.wait(timeout=10)


if __name__ == "__main__":
    main()
