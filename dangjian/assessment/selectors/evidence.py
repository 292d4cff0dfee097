"""Reads of the rows that carry evidence files (a hand score, a weak-organization flag)."""

from __future__ import annotations

from dangjian.assessment.models import Flag, ManualScore
from dangjian.core import scope

VIEW = "assessment.view"


def score_get(user, pk: int) -> ManualScore:
    return scope.get_visible(
        ManualScore.objects.prefetch_related("evidence_files"), user, VIEW, pk=pk
    )


def flag_get(user, pk: int) -> Flag:
    return scope.get_visible(Flag.objects.prefetch_related("evidence_files"), user, VIEW, pk=pk)
