"""Background work of 考核, run by ``dangjian worker`` (django-tasks): the recomputation of
flags, rankings and warnings (nightly with ``reschedule_minutes=1440``, or from the staff's
button)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django_tasks import task


@task()
def assessment_recompute_task(
    year: int | None = None, actor_id: int | None = None, reschedule_minutes: int = 0
) -> dict:
    from django.contrib.auth import get_user_model

    from dangjian.assessment.recompute import assessment_recompute

    actor = get_user_model().objects.filter(pk=actor_id).first() if actor_id else None
    result = assessment_recompute(year=year or timezone.localdate().year, actor=actor)
    if reschedule_minutes and reschedule_minutes > 0:
        assessment_recompute_task.using(
            run_after=timezone.now() + dt.timedelta(minutes=reschedule_minutes)
        ).enqueue(reschedule_minutes=reschedule_minutes)
    return result
