"""Background work of the kernel, run by ``dangjian worker`` (django-tasks).

``notify_deadlines_task`` runs every deadline sweep the apps declared (``notify.declare_sweep``):
"deadline approaching/passed" notifications, each raised once (idempotent keys). Run it from
cron (``manage.py notify_deadlines --enqueue``) or once with ``reschedule_minutes``.

``interrupted_tasks_sweep_task`` reports the tasks whose worker died mid-task
(``core.worker.interrupted_tasks_sweep``); ``dangjian worker`` also runs that sweep as it starts.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django_tasks import task

from dangjian.core import notify, worker


@task()
def notify_deadlines_task(reschedule_minutes: int = 0) -> dict:
    result = notify.sweep()
    if reschedule_minutes and reschedule_minutes > 0:
        notify_deadlines_task.using(
            run_after=timezone.now() + dt.timedelta(minutes=reschedule_minutes)
        ).enqueue(reschedule_minutes=reschedule_minutes)
    return result


@task()
def interrupted_tasks_sweep_task(reschedule_minutes: int = 0) -> dict:
    result = worker.interrupted_tasks_sweep()
    if reschedule_minutes and reschedule_minutes > 0:
        interrupted_tasks_sweep_task.using(
            run_after=timezone.now() + dt.timedelta(minutes=reschedule_minutes)
        ).enqueue(reschedule_minutes=reschedule_minutes)
    return result


worker.declare(notify_deadlines_task, "期限提醒")
worker.declare(interrupted_tasks_sweep_task, "检查中断的后台任务")
