"""The whole API under schemathesis, at length (issue 19): ``python -m bench.api_fuzz``.

The suite's run (tests/spine/test_schemathesis.py) is bounded for CI: a county account, 25
generated requests per operation and variant (fewer in CI). This one sends a few hundred per
operation with schemathesis' whole default set of checks (not a server error, documented status,
content type, headers and schema; invalid data refused, valid data accepted, authentication not
ignored, ...), once per account: a resident (the lowest privilege with a login) and a city
officer (the widest reach short of the administrator). It reuses the suite's document, variants
(valid, invalid, real ids) and strategies (tests/spine/apifuzz.py) and the test world
(tests/world.py) on a fresh database: SQLite (``var/bench/``) or PostgreSQL at
``BENCH_DATABASE_URL`` (its public schema is wiped).

Each request (and the checks that send it again) runs inside a transaction that is rolled back,
so every request meets the same world. A failing check does not stop the run: each request
counts, failures are grouped by operation, check and message, and the first request of each
group is printed as a curl command to replay.

Prints the number of operations, requests, server errors (5xx) and check failures per account
and database, and whether the target (0 server errors) is met. Never asserts.

Options: ``--examples N`` (per operation and variant, default 300), ``--seconds S`` (wall-clock
bound per operation and variant, default 60: the examples left are not sent), ``--users
resident,city``, ``--backend sqlite|postgresql|both``, ``--only SUBSTRING`` (operations whose
path contains it), ``--start N`` (begin at the Nth operation, in the document's order:
resumes a run whose budget ran out), ``--budget M`` (minutes per account and database: the
operations left are not run, and the report says how many were), ``--json FILE`` (the results
as JSON).
"""

from __future__ import annotations

import argparse
import collections
import functools
import json
import logging
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import common

USERS = ("resident", "city")
VARIANTS = ("positive", "negative", "known_ids")


def _failure_key(failure) -> tuple[str, str]:
    title = getattr(failure, "title", "") or type(failure).__name__
    message = (getattr(failure, "message", "") or str(failure)).strip().splitlines()
    return title, message[0][:200] if message else ""


class Tally:
    """The statuses of one account's requests, and its failures grouped by operation, check and
    message (each group with its count and the first request as a curl command)."""

    def __init__(self, who: str) -> None:
        self.who = who
        self.statuses: collections.Counter = collections.Counter()
        self.failures: dict = {}

    def add(self, key: tuple, curl: str = "", answer: str = "") -> None:
        if key not in self.failures:
            self.failures[key] = {"count": 0, "curl": curl, "answer": answer}
            print(f"  NEW {self.who}: {' — '.join(key)}\n    {answer}", file=sys.stderr, flush=True)
        self.failures[key]["count"] += 1

    def record(self, method, path, headers, case, response, found) -> None:
        self.statuses[response.status_code] += 1
        for failure in found:
            key = (method, path, str(response.status_code), *_failure_key(failure))
            if key in self.failures:
                self.add(key)
            else:
                answer = f"{response.status_code} {response.text[:300]}"
                self.add(key, case.as_curl_command(headers), answer)


def _run_operation(strategy, headers, examples, seconds, record) -> None:
    """Send up to ``examples`` generated requests (stopping after ``seconds``), each validated
    with the default checks; ``record(case, response, failures)`` sees every request."""
    from django.db import transaction
    from hypothesis import given, settings
    from schemathesis.core.failures import FailureGroup

    from tests.spine.apifuzz import SETTINGS

    deadline = time.monotonic() + seconds

    @given(case=strategy)
    @settings(max_examples=examples, **SETTINGS)
    def check(case):
        if time.monotonic() > deadline:
            return
        with transaction.atomic():
            response = case.call(headers=headers)
            try:
                case.validate_response(response, headers=headers)
                failures = []
            except FailureGroup as group:
                failures = list(group.exceptions)
            transaction.set_rollback(True)
        record(case, response, failures)

    check()


def _inner(backend: str, args, out: str) -> None:
    common.setup(backend)
    from django.test.utils import override_settings

    # As in the suite (tests/conftest.py): a fast password hasher for the world's accounts.
    override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]).enable()
    from django.core.wsgi import get_wsgi_application

    from dangjian.accounts.services import token_issue
    from tests import world as world_mod
    from tests.spine.apifuzz import CASES, load_schema, same_connection, strategy

    # Refusals (401, 403, 404) are the run's daily bread; a 5xx still logs its traceback.
    logging.getLogger("django.request").setLevel(logging.ERROR)
    world = world_mod.build()
    app = get_wsgi_application()
    cases = [c for c in CASES if not args.only or args.only in c[1]]
    if args.start > 1:  # resume a run its budget cut: from the operation it did not reach
        order = list(dict.fromkeys((m, p) for m, p, _ in cases))
        later = set(order[args.start - 1 :])
        cases = [c for c in cases if (c[0], c[1]) in later]
    result: dict = {
        "backend": backend,
        "database": common.database_version(),
        "machine": common.machine(),
        "examples": args.examples,
        "seconds": args.seconds,
        "operations": len({(m, p) for m, p, _ in cases}),
        "runs": [],
    }
    with same_connection():
        schema = load_schema(app)
        for who in args.users:
            raw, _ = token_issue(user=world.users[who])
            headers = {"Authorization": f"Bearer {raw}"}
            tally = Tally(who)
            t0 = time.monotonic()
            covered: set = set()
            for method, path, variant in cases:
                if args.budget and time.monotonic() - t0 > args.budget * 60:
                    break  # the account's time is up: the report says how much was covered
                covered.add((method, path))
                operation = schema[path][method]
                try:
                    _run_operation(
                        strategy(operation, method, path, variant),
                        headers,
                        args.examples,
                        args.seconds,
                        functools.partial(tally.record, method, path, headers),
                    )
                except Exception as exc:  # a crash of the harness is reported, the run goes on
                    tally.add((method, path, "-", "harness error", f"{type(exc).__name__}: {exc}"))
                print(
                    f"[{backend} {who} {time.monotonic() - t0:.0f}s] {method} {path} {variant}: "
                    f"{sum(tally.statuses.values())} requests so far, "
                    f"{len(tally.failures)} failure groups",
                    file=sys.stderr,
                    flush=True,
                )
            statuses, failures = tally.statuses, tally.failures
            result["runs"].append(
                {
                    "user": who,
                    "covered": len(covered),
                    "requests": sum(statuses.values()),
                    "server_errors": sum(n for s, n in statuses.items() if s >= 500),
                    "statuses": {str(s): n for s, n in sorted(statuses.items())},
                    "seconds": round(time.monotonic() - t0, 1),
                    "failures": [
                        {
                            "method": k[0],
                            "path": k[1],
                            "status": k[2],
                            "check": k[3],
                            "message": k[4],
                            **v,
                        }
                        for k, v in failures.items()
                    ],
                }
            )
    Path(out).write_text(json.dumps(result, ensure_ascii=False, indent=1, default=str))


def report(result: dict) -> list[str]:
    lines = [
        f"== {result['database']}: {result['operations']} 个接口操作，每个操作每种变体至多 "
        f"{result['examples']} 个请求、{result['seconds']} 秒；开始时负载 "
        f"{result['machine']['load']} =="
    ]
    for run in result["runs"]:
        checks = collections.Counter()
        for f in run["failures"]:
            checks[f["check"]] += f["count"]
        met = "达成" if run["server_errors"] == 0 else "未达成"
        lines.append(
            f"  {run['user']}: 操作 {run.get('covered', result['operations'])}/"
            f"{result['operations']}，请求 {run['requests']}，"
            f"服务器错误(5xx) {run['server_errors']}，检查失败 {sum(checks.values())} 次 "
            f"({len(run['failures'])} 组)，用时 {run['seconds']} s"
        )
        lines.append(f"    状态码：{run['statuses']}")
        for check, n in checks.most_common():
            lines.append(f"    {check}: {n}")
        lines.append(f"    目标 0 个服务器错误：{met}")
    return lines


def _details(result: dict) -> list[str]:
    lines = []
    for run in result["runs"]:
        for f in run["failures"]:
            lines.append(
                f"[{result['backend']} {run['user']}] {f['method']} {f['path']} {f['status']} — "
                f"{f['check']} ×{f['count']}: {f['message']}\n    {f['answer']}\n    {f['curl']}"
            )
    return lines


def _run_backend(backend: str, argv: list[str]) -> dict | None:
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as fh:
        out = fh.name
    cmd = [sys.executable, "-m", "bench.api_fuzz", *argv, "--inner", backend, "--out", out]
    proc = subprocess.run(cmd, cwd=common.ROOT, check=False)
    try:
        if proc.returncode != 0:
            print(f"[{backend}] 运行失败（退出码 {proc.returncode}）", file=sys.stderr)
            return None
        return json.loads(Path(out).read_text())
    finally:
        Path(out).unlink(missing_ok=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="sqlite")
    parser.add_argument("--examples", type=int, default=300)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument(
        "--users", type=lambda s: [u for u in s.split(",") if u], default=list(USERS)
    )
    parser.add_argument("--only", default="")
    parser.add_argument("--budget", type=float, default=0.0)
    parser.add_argument("--start", type=int, default=1)
    parser.add_argument("--json", default="")
    parser.add_argument("--inner", choices=["sqlite", "postgresql"], help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.inner:
        _inner(args.inner, args, args.out)
        return
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    if "postgresql" in backends and not os.environ.get("BENCH_DATABASE_URL"):
        parser.error("PostgreSQL needs BENCH_DATABASE_URL (its public schema is wiped)")
    argv = [
        f"--examples={args.examples}",
        f"--seconds={args.seconds}",
        f"--users={','.join(args.users)}",
        f"--only={args.only}",
        f"--budget={args.budget}",
        f"--start={args.start}",
    ]
    results = [r for r in (_run_backend(b, argv) for b in backends) if r]
    for result in results:
        for line in _details(result):
            print(line)
    for result in results:
        for line in report(result):
            print(line)
    if args.json:
        Path(args.json).write_text(json.dumps(results, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
