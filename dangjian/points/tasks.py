"""Background work of the points module, run by ``dangjian worker`` (django-tasks).

``collect_task`` sweeps every registered source since its last run and awards what it finds
(``services.collect``). Run it every so often: ``manage.py points_collect --enqueue`` from
cron, or once with ``reschedule_minutes`` so that each run enqueues the next.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django_tasks import task

from dangjian.core import worker
from dangjian.points import services


@task()
def collect_task(reschedule_minutes: int = 0) -> dict:
    result = services.collect()
    if reschedule_minutes and reschedule_minutes > 0:
        collect_task.using(
            run_after=timezone.now() + dt.timedelta(minutes=reschedule_minutes)
        ).enqueue(reschedule_minutes=reschedule_minutes)
    return result


worker.declare(collect_task, "积分自动采集")
