"""The worker killed mid-task: every kind of background task is reported as interrupted
(issue 19, ``core.worker``), not only the member jobs.

Each declared task kind is queued for real, claimed by a worker whose process has exited, and
swept: its row fails with ``TaskInterrupted`` and a Chinese reason, an audit row says so, a
periodic sweep is queued again (else ``schedule_sweeps`` would wait for it for ever), a member
job ends at once, and the person who started a run is told.
"""

from __future__ import annotations

import datetime as dt
import importlib
import inspect
import os
import socket
import subprocess
import sys

import pytest
from django.utils import timezone
from django.utils.module_loading import import_string
from django_tasks.base import Task
from django_tasks_db.models import DBTaskResult

from dangjian.cli import schedule_sweeps
from dangjian.core import worker
from dangjian.core.models import AuditEntry, Notification
from dangjian.members import jobs
from dangjian.members.models import JobState, MemberJob

pytestmark = pytest.mark.django_db

DATABASE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
APPS = ("core", "accounts", "assessment", "cases", "dashboard", "members", "points", "timebank")


@pytest.fixture
def queue(settings):
    settings.TASKS = DATABASE
    return settings


@pytest.fixture(scope="module")
def dead_pid() -> int:
    """The pid of a process that has exited (a worker killed mid-task)."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def _host_id(pid: int) -> str:
    return f"{socket.gethostname()[:50]}:{pid}"


def _claim(result_id, wid: str, hours_ago: float = 0) -> DBTaskResult:
    """The row as a worker ``wid`` left it: claimed, started ``hours_ago``, never ended."""
    row = DBTaskResult.objects.get(pk=result_id)
    row.status = "RUNNING"
    row.worker_ids = [wid]
    row.started_at = timezone.now() - dt.timedelta(hours=hours_ago)
    row.save()
    return row


def _enqueue(path: str, world):
    """Queue one run of the task at ``path`` as the app itself queues it."""
    task_obj = import_string(path)
    params = inspect.signature(task_obj.func).parameters
    if path == "dangjian.members.tasks.run_member_job":
        job = jobs.export_job_start(actor=world.users["street"], filters={}, reveal=False)
        return DBTaskResult.objects.get(pk=job.task_id), job
    assert "reschedule_minutes" in params, f"{path}: add its arguments to this test"
    return task_obj.enqueue(reschedule_minutes=7).db_result, None


def test_every_task_of_every_app_is_declared():
    """A task left undeclared would be reported by its path alone: each app declares its
    tasks with a Chinese label (``worker.declare``)."""
    found = set()
    for app in APPS:
        module = importlib.import_module(f"dangjian.{app}.tasks")
        for _name, obj in inspect.getmembers(module):
            if isinstance(obj, Task) and obj.func.__module__ == module.__name__:
                found.add(obj.module_path)
    declared = worker.declared()
    assert found and found <= set(declared), sorted(found - set(declared))
    assert all(d.label and not d.label.isascii() for d in declared.values())


@pytest.mark.parametrize("path", sorted(worker.declared()), ids=lambda p: p.rsplit(".", 1)[-1])
def test_a_task_whose_worker_died_is_reported_interrupted(path, world, queue, dead_pid):
    result, job = _enqueue(path, world)
    if job is not None:  # the worker had started the job
        MemberJob.objects.filter(pk=job.pk).update(state=JobState.RUNNING, stage="export")
    _claim(result.pk, _host_id(dead_pid))

    assert worker.interrupted_tasks_sweep()["interrupted"] == 1

    row = DBTaskResult.objects.get(pk=result.pk)
    label = worker.task_label(path)
    assert row.status == "FAILED" and row.finished_at is not None
    assert row.exception_class_path == worker.INTERRUPTED_CLASS
    assert (
        row.traceback
        == f"后台任务“{label}”已中断：后台处理进程（{_host_id(dead_pid)}）已退出，任务没有完成"
    )
    entry = AuditEntry.objects.get(action="core.task_interrupted", object_id=str(row.pk))
    assert entry.note.startswith(row.traceback) and entry.after["task"] == path
    if job is None:  # a periodic sweep: queued again with its period, so it keeps running
        again = DBTaskResult.objects.get(task_path=path, status="READY")
        assert again.args_kwargs == {"args": [], "kwargs": {"reschedule_minutes": 7}}
        assert entry.note.endswith("周期任务已重新排队")
    else:  # the member job ends now, not after the stale minutes
        job.refresh_from_db()
        assert job.state == JobState.FAILED
        assert job.detail.startswith("后台处理进程已中断（进程已退出）")
        assert AuditEntry.objects.filter(action="members.job_interrupted").count() == 1
    assert worker.interrupted_tasks_sweep()["interrupted"] == 0  # reported once


def test_a_live_worker_and_a_recent_unknown_one_are_left_running(world, queue, dead_pid):
    mine, _ = _enqueue("dangjian.cases.tasks.sla_sweep_task", world)
    _claim(mine.pk, _host_id(os.getpid()))
    other, _ = _enqueue("dangjian.points.tasks.collect_task", world)
    _claim(other.pk, "another-host:123", hours_ago=1)  # cannot tell: not yet past the limit
    unnamed, _ = _enqueue("dangjian.dashboard.tasks.rollups_refresh_task", world)
    _claim(unnamed.pk, "Zx81kq0", hours_ago=25)  # a plain db_worker's random id, 25 h ago

    assert worker.interrupted_tasks_sweep() == {"interrupted": 1, "requeued": 1}
    assert DBTaskResult.objects.get(pk=mine.pk).status == "RUNNING"
    assert DBTaskResult.objects.get(pk=other.pk).status == "RUNNING"
    gone = DBTaskResult.objects.get(pk=unnamed.pk)
    assert gone.status == "FAILED" and "运行超过24小时没有结束" in gone.traceback


def test_the_person_who_started_a_run_is_told(world, queue, dead_pid):
    from dangjian.assessment.tasks import assessment_nightly

    admin = world.users["admin"]
    result = assessment_nightly.enqueue(year=2026, actor_id=admin.pk)
    _claim(result.id, _host_id(dead_pid))
    worker.interrupted_tasks_sweep()
    note = Notification.objects.get(recipient=admin, kind="core.task_interrupted")
    assert note.title == "后台任务“考核评价夜间重算”已中断"
    assert not DBTaskResult.objects.filter(status="READY").exists()  # a one-off run: not again


def test_a_sweep_left_running_by_a_dead_worker_is_scheduled_again(queue, dead_pid):
    schedule_sweeps()
    path = "dangjian.cases.tasks.sla_sweep_task"
    row = DBTaskResult.objects.get(task_path=path)
    _claim(row.pk, _host_id(dead_pid))
    schedule_sweeps()  # before: the RUNNING row blocked the sweep for ever
    assert DBTaskResult.objects.get(pk=row.pk).status == "FAILED"
    assert DBTaskResult.objects.filter(task_path=path, status="READY").count() == 1


def test_the_worker_names_itself_by_host_and_process(monkeypatch, settings):
    from dangjian import cli

    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    seen = []
    monkeypatch.setattr(cli, "_manage", lambda *args, **kw: seen.append(args))
    cli.run_worker(["--batch"])
    assert seen == [("db_worker", "--batch", "--worker-id", worker.worker_id())]
    assert worker.worker_id() == _host_id(os.getpid()) and len(worker.worker_id()) <= 64
