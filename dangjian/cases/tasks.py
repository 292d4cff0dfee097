"""Background work of the closed loop, run by ``dangjian worker`` (django-tasks).

``sla_sweep_task`` chases events whose chase window has opened and marks overdue the ones past
their deadline, writing each notice once per deadline. Run it every few minutes: either
``manage.py cases_sweep --enqueue`` from cron, or once with ``reschedule_minutes`` so that each
run enqueues the next.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django_tasks import task

from dangjian.cases import services
from dangjian.core import worker


@task()
def sla_sweep_task(reschedule_minutes: int = 0) -> dict:
    result = services.sla_sweep()
    if reschedule_minutes and reschedule_minutes > 0:
        sla_sweep_task.using(
            run_after=timezone.now() + dt.timedelta(minutes=reschedule_minutes)
        ).enqueue(reschedule_minutes=reschedule_minutes)
    return result


@task()
def classifier_train_task(reschedule_minutes: int = 0) -> dict:
    """Retrain the dispatch classifier on the closed events (``classifier.train``); with
    ``reschedule_minutes`` each run enqueues the next (e.g. 1440: nightly)."""
    from dangjian.cases.classification import classifier

    row = classifier.train()
    if reschedule_minutes and reschedule_minutes > 0:
        classifier_train_task.using(
            run_after=timezone.now() + dt.timedelta(minutes=reschedule_minutes)
        ).enqueue(reschedule_minutes=reschedule_minutes)
    if row is None:
        return {"version": None, "samples": classifier.labelled_count()}
    return {"version": row.version, "samples": row.samples, **row.evaluation}


worker.declare(sla_sweep_task, "事件处置时限检查")
worker.declare(classifier_train_task, "事件分类模型训练")
