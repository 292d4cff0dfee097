"""Which areas a department serves (reads; the writes are ``services.departments``).

A department serves the subtrees of its ``served_areas``; one that lists none serves its home
area. Events in a served subtree may be dispatched to it, and its users (a ``department``
grant) then reach them (``Event.scope_fields``).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import models

from dangjian.core import tree


def served_paths(departments: Iterable) -> dict[int, list[str]]:
    """pk → the paths of the areas each department serves (one query for the batch)."""
    from dangjian.accounts.models import Department

    depts = list(departments)
    out: dict[int, list[str]] = {d.pk: [] for d in depts}
    rows = Department.served_areas.through.objects.filter(department_id__in=list(out)).values_list(
        "department_id", "area__path"
    )
    for pk, path in rows:
        out[pk].append(path)
    for d in depts:
        if not out[d.pk]:
            out[d.pk] = [d.area_path]
    return out


def serving_q(area_path: str) -> models.Q:
    """Departments serving ``area_path`` (its own or an ancestor's subtree is served)."""
    chain = [*tree.ancestors_of(area_path), area_path]
    return models.Q(served_areas__path__in=chain) | models.Q(
        served_areas__isnull=True, area_path__in=chain
    )


def nearest_served(paths: list[str], area_path: str) -> str | None:
    """The deepest of ``paths`` whose subtree holds ``area_path``, or None."""
    found = [p for p in paths if tree.is_within(area_path, p)]
    return max(found, key=len) if found else None
