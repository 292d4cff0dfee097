"""The dashboard's demo data: the roll-ups computed from what the other seeders wrote, through
the same engine as the background task (the last 12 months in the small city, the last 3 at
city scale, where each month reads the whole city)."""

from __future__ import annotations

import time


def seed_rollups(b, users, progress: bool) -> dict:
    from dangjian.dashboard.models import Rollup
    from dangjian.dashboard.rollups import engine

    started = time.perf_counter()
    engine.recompute(engine.window(12 if b.scale == "small" else 3))
    return {
        "rollups": Rollup.objects.count(),
        "rollup_seconds": round(time.perf_counter() - started, 2),
    }
