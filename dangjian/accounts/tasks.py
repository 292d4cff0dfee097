"""Background work of accounts, run by ``dangjian worker`` (django-tasks).

``login_throttle_sweep_task`` deletes failed-login counts that are forgotten anyway
(``accounts.throttle.sweep``: no failure for ``LOGIN_FAILURE_MEMORY_HOURS``), so names sprayed
at the login do not pile up; with ``reschedule_minutes`` each run enqueues the next
(``dangjian.cli.SWEEPS``).
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django_tasks import task

from dangjian.accounts import throttle
from dangjian.core import worker


@task()
def login_throttle_sweep_task(reschedule_minutes: int = 0) -> dict:
    deleted = throttle.sweep()
    if reschedule_minutes and reschedule_minutes > 0:
        login_throttle_sweep_task.using(
            run_after=timezone.now() + dt.timedelta(minutes=reschedule_minutes)
        ).enqueue(reschedule_minutes=reschedule_minutes)
    return {"deleted": deleted}


worker.declare(login_throttle_sweep_task, "清理登录失败计数")
