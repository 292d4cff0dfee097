"""Reads of the rows that carry evidence files (a hand score, a weak-organization flag)."""

from __future__ import annotations

from django.http import Http404

from dangjian.assessment.models import Flag, ManualScore
from dangjian.core import scope
from dangjian.core.ids import pk_or_404

VIEW = "assessment.view"


def score_get(user, pk: int) -> ManualScore:
    return scope.get_visible(
        ManualScore.objects.prefetch_related("evidence_files"), user, VIEW, pk=pk
    )


def flag_get(user, pk: int) -> Flag:
    return scope.get_visible(Flag.objects.prefetch_related("evidence_files"), user, VIEW, pk=pk)


def evidence_file(row: ManualScore | Flag, file_id):
    """One of the row's evidence files (the row already read within scope), or 404."""
    stored = row.evidence_files.filter(pk=pk_or_404(file_id)).first()
    if stored is None:
        raise Http404("未找到")
    return stored
