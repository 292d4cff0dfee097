"""The to-dos of the points module: manual awards waiting on the points committee."""

from __future__ import annotations

from dangjian.core import todo
from dangjian.points import selectors
from dangjian.points.models import AwardState


def review_items(user):
    rows = selectors.review_queue(user)[:200]
    for a in rows:
        yield todo.Todo(
            source="points.review",
            title="月度评议" if a.state == AwardState.SUBMITTED else "季度评分",
            subject=f"{a.rule.name} · {a.subject_name}",
            url=f"/points/review/?scheme={a.scheme_id}",
            object_id=a.pk,
        )


def review_count(user) -> int:
    return selectors.review_queue(user).count()
