"""Background work of the time bank, run by ``dangjian worker`` (django-tasks).

``expire_sweep_task`` expires the orders whose time window has passed without service
(``services.orders_expire``). Enqueue it once with ``reschedule_minutes`` so that each run
enqueues the next.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django_tasks import task

from dangjian.core import worker
from dangjian.timebank import services


@task()
def expire_sweep_task(reschedule_minutes: int = 0) -> dict:
    expired = services.orders_expire()
    if reschedule_minutes and reschedule_minutes > 0:
        expire_sweep_task.using(
            run_after=timezone.now() + dt.timedelta(minutes=reschedule_minutes)
        ).enqueue(reschedule_minutes=reschedule_minutes)
    return {"expired": expired}


worker.declare(expire_sweep_task, "时间银行过期订单处理")
