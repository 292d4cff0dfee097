"""The assessment's recomputation for the whole city and one year: each step is
``(name, callable(year=..., actor=..., today=...))`` and stores its results, so pages never
compute them live. Run nightly by ``tasks.assessment_nightly``, by ``manage.py
assessment_recompute`` and by the staff's button. Each step is idempotent and is its own
transaction."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.utils import timezone

from dangjian.assessment import inputs
from dangjian.assessment.services import rating as rating_services
from dangjian.assessment.services import warnings, weak


def _ratings(*, year: int, actor=None, today=None) -> dict:
    return rating_services.ratings_compute(year=year, actor=actor, today=today)


def _finalize(*, year: int, actor=None, today=None) -> dict:
    return {"final": rating_services.ratings_finalize_due(year=year, actor=actor, today=today)}


STEPS: list[tuple[str, Callable[..., dict]]] = [
    ("ratings", _ratings),
    ("ratings_finalize", _finalize),
    ("weak_flags", weak.flags_recompute),
    ("weak_rankings", weak.rankings_recompute),
    ("member_warnings", warnings.warnings_recompute),
]


def assessment_recompute(*, year: int | None = None, actor=None, today=None) -> dict:
    """Run every step for ``year`` (default: this year); answers each step's result and its
    seconds under ``steps`` (wall clock, and the process's CPU time: on a shared machine the
    CPU time is the measure of the work done). The steps share the inputs that several of
    them read (``inputs``: the members' dues statuses on ``today``), read once by the first."""
    today = today or timezone.localdate()
    year = year or today.year
    out: dict = {"year": year, "steps": {}}
    with inputs.shared():
        for name, step in STEPS:
            started, cpu = time.perf_counter(), time.process_time()
            result = step(year=year, actor=actor, today=today)
            out["steps"][name] = {
                "result": result,
                "seconds": round(time.perf_counter() - started, 3),
                "cpu_seconds": round(time.process_time() - cpu, 3),
            }
    return out
