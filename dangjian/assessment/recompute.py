"""The nightly recomputation of assessment: a list of steps, each ``(name, callable)`` taking
``year`` and ``actor`` keyword arguments, run in order by ``assessment_recompute``. Each module
of assessment appends its own steps (the star rating here; weak organizations and member
warnings add theirs). Every step stores its results, so pages never compute them live."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.utils import timezone

from dangjian.assessment.services import rating as rating_services


def _ratings(*, year: int, actor=None, today=None) -> dict:
    return rating_services.ratings_compute(year=year, actor=actor, today=today)


def _finalize(*, year: int, actor=None, today=None) -> dict:
    return {"final": rating_services.ratings_finalize_due(year=year, actor=actor, today=today)}


STEPS: list[tuple[str, Callable[..., dict]]] = [
    ("ratings", _ratings),
    ("ratings_finalize", _finalize),
]


def assessment_recompute(*, year: int | None = None, actor=None, today=None) -> dict:
    """Run every step for ``year`` (default: this year); each step is its own transaction."""
    today = today or timezone.localdate()
    year = year or today.year
    out: dict = {"year": year, "steps": {}}
    for name, step in STEPS:
        started = time.perf_counter()
        result = step(year=year, actor=actor, today=today)
        out["steps"][name] = {"result": result, "seconds": round(time.perf_counter() - started, 3)}
    return out
