"""``dangjian demo`` queues the periodic sweeps for its worker once, however often it is
started: the SLA notices, the member jobs' expired files and dead workers, and the forgotten
failed-login counts."""

import pytest
from django_tasks_db.models import DBTaskResult

from dangjian.cli import SWEEPS, schedule_sweeps

pytestmark = pytest.mark.django_db


def test_each_sweep_is_queued_once(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    assert schedule_sweeps() == [path for path, _minutes in SWEEPS]
    assert schedule_sweeps() == []  # started again: the waiting ones are kept
    rows = {r.task_path: r.args_kwargs for r in DBTaskResult.objects.all()}
    assert rows == {
        "dangjian.cases.tasks.sla_sweep_task": {"args": [], "kwargs": {"reschedule_minutes": 30}},
        "dangjian.members.tasks.job_files_sweep_task": {
            "args": [],
            "kwargs": {"reschedule_minutes": 60},
        },
        "dangjian.accounts.tasks.login_throttle_sweep_task": {
            "args": [],
            "kwargs": {"reschedule_minutes": 360},
        },
        "dangjian.points.tasks.collect_task": {"args": [], "kwargs": {"reschedule_minutes": 60}},
        "dangjian.timebank.tasks.expire_sweep_task": {
            "args": [],
            "kwargs": {"reschedule_minutes": 15},
        },
        "dangjian.core.tasks.notify_deadlines_task": {
            "args": [],
            "kwargs": {"reschedule_minutes": 60},
        },
        "dangjian.dashboard.tasks.rollups_refresh_task": {
            "args": [],
            "kwargs": {"reschedule_minutes": 30},
        },
        "dangjian.assessment.tasks.assessment_nightly": {
            "args": [],
            "kwargs": {"reschedule_minutes": 1440},
        },
        "dangjian.core.tasks.interrupted_tasks_sweep_task": {
            "args": [],
            "kwargs": {"reschedule_minutes": 10},
        },
    }
    DBTaskResult.objects.filter(task_path=SWEEPS[0][0]).update(status="SUCCESSFUL")
    assert schedule_sweeps() == [SWEEPS[0][0]]  # a sweep that ended without a next is queued


def test_nothing_is_queued_without_a_task_queue(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    assert schedule_sweeps() == []
    assert not DBTaskResult.objects.exists()
