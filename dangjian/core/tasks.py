"""Background work of the kernel, run by ``dangjian worker`` (django-tasks).

``notify_deadlines_task`` runs every deadline sweep the apps declared (``notify.declare_sweep``):
"deadline approaching/passed" notifications, each raised once (idempotent keys). Run it from
cron (``manage.py notify_deadlines --enqueue``) or once with ``reschedule_minutes``.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django_tasks import task

from dangjian.core import notify


@task()
def notify_deadlines_task(reschedule_minutes: int = 0) -> dict:
    result = notify.sweep()
    if reschedule_minutes and reschedule_minutes > 0:
        notify_deadlines_task.using(
            run_after=timezone.now() + dt.timedelta(minutes=reschedule_minutes)
        ).enqueue(reschedule_minutes=reschedule_minutes)
    return result
