"""Real concurrency for the PostgreSQL tests (row locks): calls made at the same moment, each on
a thread and a database connection of its own."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from django.db import connections


def race(*calls: Callable[[], Any]) -> list:
    """Run the calls at once (their threads wait for each other at a barrier); their results
    or the exceptions they raised, in order. Each thread closes its connections."""
    barrier = threading.Barrier(len(calls))
    out: list = [None] * len(calls)

    def run(i, call):
        try:
            barrier.wait()
            out[i] = call()
        except Exception as exc:  # collected, the test asserts on it
            out[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return out
