"""Background work of the dashboard, run by ``dangjian worker`` (django-tasks).

``rollups_refresh_task`` recomputes the roll-ups of the last ``months`` months from raw data,
and the earlier months of the last year whose raw data changed since its last run (read from
the audit trail: ``dashboard.rollups.stale``). The domain modules sit below the dashboard and
cannot call it, so the roll-ups are kept current by this task: run it every few minutes, either ``manage.py dashboard_recompute
--enqueue`` from cron, or once with ``reschedule_minutes`` so that each run enqueues the next.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django_tasks import task

from dangjian.core import worker
from dangjian.dashboard.rollups import engine


@task()
def rollups_refresh_task(months: int = 1, reschedule_minutes: int = 0) -> dict:
    done = engine.refresh(months=max(1, min(int(months), 36)))
    if reschedule_minutes and reschedule_minutes > 0:
        rollups_refresh_task.using(
            run_after=timezone.now() + dt.timedelta(minutes=reschedule_minutes)
        ).enqueue(months=months, reschedule_minutes=reschedule_minutes)
    return {"months": done}


worker.declare(rollups_refresh_task, "统计汇总刷新")
