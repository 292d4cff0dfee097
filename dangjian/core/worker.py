"""Background tasks whose worker died mid-task: every kind reported as interrupted (issue 19).

A worker killed mid-task (``kill -9``, the machine restarted, the out-of-memory killer) leaves
its task row ``RUNNING`` for ever: django-tasks-db has no heartbeat. Nobody learns that the
work was not done, and a periodic sweep whose row stays ``RUNNING`` is never queued again
(``cli.schedule_sweeps`` waits for it). So:

- ``dangjian worker`` names itself ``<host>:<pid>`` (``worker_id``), which makes a dead worker
  recognizable on its own machine: no process of that id is alive;
- ``interrupted_tasks_sweep`` (run by each worker as it starts, and every few minutes by
  ``core.tasks.interrupted_tasks_sweep_task``) ends each ``RUNNING`` row whose worker is dead
  — or, for a worker of another machine or of an unknown name, that has run longer than
  ``DANGJIAN["TASK_INTERRUPTED_HOURS"]`` (default 24) — as failed with ``TaskInterrupted`` and
  the Chinese reason, writes an audit row (``core.task_interrupted``), tells the person who
  started it (an ``actor_id`` argument), queues a periodic sweep's next run again, and calls
  the handler its app declared (a member job is ended as interrupted at once);
- each app declares its tasks here (``declare``) with a Chinese label: ``declared()`` is the
  list the tests run over, and a task left undeclared fails them.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from dangjian.core import audit, notify
from dangjian.core.conf import setting

log = logging.getLogger(__name__)

ACTION = "core.task_interrupted"
NOTIFY_KIND = "core.task_interrupted"
DEFAULT_INTERRUPTED_HOURS = 24


class TaskInterrupted(Exception):
    """The class path recorded on a task row whose worker died mid-task."""


INTERRUPTED_CLASS = f"{TaskInterrupted.__module__}.{TaskInterrupted.__qualname__}"


@dataclass(frozen=True)
class Declared:
    path: str  # the task function's dotted path, as django-tasks records it
    label: str
    # Called with the task's arguments (a list and a dict) when its worker died.
    on_interrupted: Callable[[list, dict], None] | None = None


_declared: dict[str, Declared] = {}


def declare(
    task_obj, label: str, on_interrupted: Callable[[list, dict], None] | None = None
) -> None:
    """Declare a background task of an app (from its ``tasks.py``): its Chinese ``label``, and
    what to do beyond the common report when its worker dies (``on_interrupted(args,
    kwargs)``)."""
    path = task_obj.module_path
    _declared[path] = Declared(path, label, on_interrupted)


def declared() -> dict[str, Declared]:
    """Every declared task kind (imports each app's ``tasks`` module first)."""
    from django.utils.module_loading import autodiscover_modules

    autodiscover_modules("tasks")
    return dict(_declared)


def task_label(path: str) -> str:
    d = _declared.get(path)
    return d.label if d else path.rsplit(".", 1)[-1]


def worker_id() -> str:
    """This process's worker id: ``<host>:<pid>`` (at most 64 characters)."""
    return f"{socket.gethostname()[:50]}:{os.getpid()}"


def _alive(wid: str) -> bool | None:
    """Whether the worker ``wid`` still runs: ``None`` when this machine cannot tell (another
    machine's worker, or an id not of ``worker_id``'s form)."""
    host, sep, pid_text = wid.rpartition(":")
    if not sep or not pid_text.isdigit() or host != socket.gethostname()[:50]:
        return None
    pid = int(pid_text)
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, another user's
        return True
    return True


def interrupted_hours() -> int:
    return int(setting("TASK_INTERRUPTED_HOURS", DEFAULT_INTERRUPTED_HOURS))


def _reason(label: str, wid: str, alive: bool | None) -> str:
    if alive is False:
        why = f"后台处理进程（{wid}）已退出"
    else:
        why = f"运行超过{interrupted_hours()}小时没有结束"
    return f"后台任务“{label}”已中断：{why}，任务没有完成"


def interrupted_tasks_sweep(*, now=None) -> dict:
    """End every task row left ``RUNNING`` by a dead worker (see the module): failed with
    ``TaskInterrupted``, audited, its starter told, a periodic sweep queued again, its app's
    handler called. Answers the counts."""
    from django_tasks_db.models import DBTaskResult

    now = now or timezone.now()
    kinds = declared()
    stale_before = now - dt.timedelta(hours=interrupted_hours())
    ended = requeued = 0
    for row in DBTaskResult.objects.filter(status="RUNNING").order_by("started_at"):
        wid = row.worker_ids[-1] if row.worker_ids else ""
        alive = _alive(wid) if wid else None
        if alive is True:
            continue
        if alive is None and (row.started_at is None or row.started_at >= stale_before):
            continue
        label = task_label(row.task_path)
        reason = _reason(label, wid, alive)
        args = list((row.args_kwargs or {}).get("args") or [])
        kwargs = dict((row.args_kwargs or {}).get("kwargs") or {})
        with transaction.atomic():
            taken = DBTaskResult.objects.filter(pk=row.pk, status="RUNNING").update(
                status="FAILED",
                finished_at=now,
                exception_class_path=INTERRUPTED_CLASS,
                traceback=reason,
                return_value=None,
            )
            if not taken:  # it ended meanwhile
                continue
            again = ""
            minutes = kwargs.get("reschedule_minutes")
            if isinstance(minutes, int) and minutes > 0:
                _requeue(row.task_path, args, kwargs)
                again = "；周期任务已重新排队"
                requeued += 1
            audit.record(
                actor=None,
                action=ACTION,
                object_type="django_tasks_db.dbtaskresult",
                object_id=str(row.pk),
                object_repr=label[:200],
                before={"status": "RUNNING", "worker": wid},
                after={"status": "FAILED", "task": row.task_path},
                note=(reason + again)[:500],
            )
            starter = kwargs.get("actor_id")
            if isinstance(starter, int) and starter > 0:
                notify.notify(
                    recipients=[starter],
                    kind=NOTIFY_KIND,
                    title=f"后台任务“{label}”已中断",
                    body=f"{reason}，请重新发起。",
                    key=f"task-interrupted:{row.pk}",
                )
            handler = kinds.get(row.task_path)
            if handler is not None and handler.on_interrupted is not None:
                handler.on_interrupted(args, kwargs)
        log.warning("task interrupted: %s %s (%s)", row.task_path, row.pk, wid or "-")
        ended += 1
    return {"interrupted": ended, "requeued": requeued}


def _requeue(path: str, args: list, kwargs: dict) -> None:
    from django.utils.module_loading import import_string

    try:
        task_obj = import_string(path)
    except ImportError:
        return
    task_obj.enqueue(*args, **kwargs)


notify.declare_kind(NOTIFY_KIND, "后台任务中断")
