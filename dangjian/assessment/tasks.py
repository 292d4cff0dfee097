"""Background work of 考核, run by ``dangjian worker`` (django-tasks).

``assessment_nightly`` recomputes everything of a year (``recompute.STEPS``: ratings, weak
organizations and their ranking, member warnings). Scheduled like the other sweeps: ``manage.py
assessment_recompute --enqueue --every 1440`` once (each run enqueues the next), or from cron;
the console's button and the API enqueue one run.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django_tasks import task

from dangjian.core import worker


@task()
def assessment_nightly(year: int = 0, actor_id: int = 0, reschedule_minutes: int = 0) -> dict:
    from django.contrib.auth import get_user_model

    from dangjian.assessment.recompute import assessment_recompute

    actor = get_user_model().objects.filter(pk=actor_id).first() if actor_id else None
    result = assessment_recompute(year=year or None, actor=actor)
    if reschedule_minutes and reschedule_minutes > 0:
        assessment_nightly.using(
            run_after=timezone.now() + dt.timedelta(minutes=reschedule_minutes)
        ).enqueue(reschedule_minutes=reschedule_minutes)
    return result


worker.declare(assessment_nightly, "考核评价夜间重算")
