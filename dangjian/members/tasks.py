"""Background work of the member registry, run by ``dangjian worker`` (django-tasks).

``run_member_job`` runs one large import or export (``members.job_runs``). Its only argument is the
job's id: the file and the filters are on the job row, so no personal data sits in the task
queue.

``job_files_sweep_task`` removes the stored files of jobs that ended more than
``DANGJIAN["MEMBERS_JOB_FILE_DAYS"]`` days ago (``job_runs.job_files_sweep``). Run it daily, as the
cases' SLA sweep is run: either ``manage.py members_job_files_sweep --enqueue`` from cron, or once
with ``--every 1440`` so that each run enqueues the next. The same sweep ends the jobs whose
worker died (``job_runs.stale_jobs_sweep``); run it more often (``--every 60``) to end them sooner.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django_tasks import task

from dangjian.core import worker
from dangjian.members import job_runs


@task()
def run_member_job(job_id: int) -> dict:
    return job_runs.run_job(job_id)


@task()
def job_files_sweep_task(reschedule_minutes: int = 0) -> dict:
    result = job_runs.job_files_sweep()
    result["stale_jobs"] = job_runs.stale_jobs_sweep()["jobs"]
    if reschedule_minutes and reschedule_minutes > 0:
        job_files_sweep_task.using(
            run_after=timezone.now() + dt.timedelta(minutes=reschedule_minutes)
        ).enqueue(reschedule_minutes=reschedule_minutes)
    return result


worker.declare(run_member_job, "党员名册导入导出", on_interrupted=job_runs.job_interrupted)
worker.declare(job_files_sweep_task, "清理导入导出文件")
