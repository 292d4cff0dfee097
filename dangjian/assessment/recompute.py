"""The assessment's recomputation for the whole city and one year: each step is
``(name, callable(year=..., actor=...))`` and stores its results, so pages never compute
them live. Run nightly by ``tasks.assessment_recompute_task``, by ``manage.py
assessment_recompute --year`` and by the staff's button. Each step is idempotent."""

from __future__ import annotations

import time

from dangjian.assessment.services import warnings, weak

STEPS = [
    ("weak_flags", weak.flags_recompute),
    ("weak_rankings", weak.rankings_recompute),
    ("member_warnings", warnings.warnings_recompute),
]


def assessment_recompute(*, year: int, actor=None) -> dict:
    """Run every step for ``year``; answers each step's result and its seconds."""
    out: dict = {}
    for name, step in STEPS:
        started = time.perf_counter()
        result = step(year=year, actor=actor)
        out[name] = {"result": result, "seconds": round(time.perf_counter() - started, 2)}
    return out
